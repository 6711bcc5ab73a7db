import Foundation

/// A managed login branding style (Cognito's CreateManagedLoginBranding): style settings for
/// the hosted pages in light and dark mode, and image assets, assigned to one app client.
public struct ManagedLoginBranding: Sendable, Equatable, Codable {
    /// A random UUID (version 4), as Cognito's ManagedLoginBrandingId.
    public var id: String
    public var poolId: String
    public var clientId: String
    /// The built-in look, with no settings or assets of its own.
    public var useCognitoProvidedValues: Bool
    /// The Settings document as JSON text, as it was set (checked, never rewritten); nil when none.
    public var settings: String?
    /// The assets' descriptions; their bytes are kept apart (`managedLoginAssetFile`).
    public var assets: [ManagedLoginAsset]
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: String, poolId: String, clientId: String, useCognitoProvidedValues: Bool, settings: String?, assets: [ManagedLoginAsset],
                createdAt: Date, updatedAt: Date) {
        self.id = id
        self.poolId = poolId
        self.clientId = clientId
        self.useCognitoProvidedValues = useCognitoProvidedValues
        self.settings = settings
        self.assets = assets
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// An image of a managed login style: its role (`PAGE_HEADER_LOGO`, `FAVICON_ICO`, …), the colour
/// mode it is for (`LIGHT`, `DARK`, `DYNAMIC`), its file type, and the SHA-256 of its bytes, which
/// names the version its links carry and is its ETag.
public struct ManagedLoginAsset: Sendable, Equatable, Codable {
    public struct Key: Sendable, Hashable, Codable {
        public var category: String
        public var colorMode: String
        public init(category: String, colorMode: String) {
            self.category = category
            self.colorMode = colorMode
        }
    }

    public var category: String
    public var colorMode: String
    /// ICO, JPEG, PNG, SVG or WEBP.
    public var fileExtension: String
    /// Cognito's optional ResourceId, kept as given.
    public var resourceId: String?
    public var digest: String
    public var size: Int

    public var key: Key { Key(category: category, colorMode: colorMode) }

    public init(category: String, colorMode: String, fileExtension: String, resourceId: String?, digest: String, size: Int) {
        self.category = category
        self.colorMode = colorMode
        self.fileExtension = fileExtension
        self.resourceId = resourceId
        self.digest = digest
        self.size = size
    }
}
