import CognateCore
import CognateModel
import Foundation

/// Cognito's AssetType: an image, its role and colour mode (answered with its bytes).
struct AssetType: Codable, Sendable {
    var Category: String
    var ColorMode: String
    var Extension: String
    var Bytes: Data?
    var ResourceId: String?
}

/// Cognito's ManagedLoginBrandingType.
struct ManagedLoginBrandingType: Encodable, Sendable {
    var ManagedLoginBrandingId: String
    var UserPoolId: String
    var UseCognitoProvidedValues: Bool
    var Settings: JSONValue?
    var Assets: [AssetType]
    var CreationDate: Date
    var LastModifiedDate: Date
}

/// What every managed login branding operation but Delete answers.
struct ManagedLoginBrandingOutput: Encodable, Sendable {
    var ManagedLoginBranding: ManagedLoginBrandingType
}

/// A managed login style for an app client: Settings (the pages' colours for light and dark
/// mode, radii, spacing, colour scheme) and image Assets, or Cognito's (here: Cognate's built-in)
/// look with UseCognitoProvidedValues. One per client.
struct CreateManagedLoginBranding: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var ClientId: String
        var UseCognitoProvidedValues: Bool?
        var Settings: JSONValue?
        var Assets: [AssetType]?
    }

    static let name = "CreateManagedLoginBranding"

    static func run(_ input: Input, _ context: APIContext) async throws -> ManagedLoginBrandingOutput {
        let client = try await context.existingClient(input.UserPoolId, input.ClientId)
        let builtIn = try ManagedLoginBrandingRules.builtInWanted(input.UseCognitoProvidedValues, settings: input.Settings, assets: input.Assets)
        let settings = try ManagedLoginBrandingRules.settingsText(input.Settings)
        _ = try ManagedLoginStyle.read(settings)
        let (assets, files) = try ManagedLoginBrandingRules.assets(input.Assets ?? [], existing: [])
        let date = context.now()
        let branding = ManagedLoginBranding(id: UUID().uuidString.lowercased(), poolId: input.UserPoolId, clientId: client.clientId,
                                            useCognitoProvidedValues: builtIn, settings: settings, assets: assets, createdAt: date, updatedAt: date)
        do {
            try await context.store.createManagedLoginBranding(branding, files: files)
        } catch StoreError.duplicate {
            throw CognitoError.managedLoginBrandingExists("App client \(client.clientId) already has a managed login branding style.")
        }
        return ManagedLoginBrandingOutput(ManagedLoginBranding: try await context.brandingType(branding, merged: false))
    }
}

/// Changes a style: Settings are laid over those it has (what is not given is kept), an asset
/// replaces the one of its role and mode; UseCognitoProvidedValues returns to the built-in look.
struct UpdateManagedLoginBranding: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String?
        var ManagedLoginBrandingId: String?
        var UseCognitoProvidedValues: Bool?
        var Settings: JSONValue?
        var Assets: [AssetType]?
    }

    static let name = "UpdateManagedLoginBranding"

    static func run(_ input: Input, _ context: APIContext) async throws -> ManagedLoginBrandingOutput {
        guard let poolId = input.UserPoolId, let id = input.ManagedLoginBrandingId else {
            throw CognitoError.invalidParameter("UserPoolId and ManagedLoginBrandingId are required.")
        }
        _ = try await context.existingPool(poolId)
        let builtIn = try ManagedLoginBrandingRules.builtInWanted(input.UseCognitoProvidedValues, settings: input.Settings, assets: input.Assets)
        let given = try ManagedLoginBrandingRules.settingsText(input.Settings)
        guard let current = try await context.store.managedLoginBranding(poolId: poolId, id: id) else {
            throw CognitoError.resourceNotFound("Managed login branding \(id) does not exist.")
        }
        let (_, files) = try ManagedLoginBrandingRules.assets(input.Assets ?? [], existing: current.assets)
        let incoming = input.Assets ?? []
        let date = context.now()
        let updated: ManagedLoginBranding
        do {
            updated = try await context.store.updateManagedLoginBranding(poolId: poolId, id: id, files: files) { branding in
                if builtIn {
                    branding.useCognitoProvidedValues = true
                    branding.settings = nil
                    branding.assets = []
                } else {
                    if let given {
                        branding.settings = try ManagedLoginBrandingRules.merge(branding.settings, given)
                        _ = try ManagedLoginStyle.read(branding.settings)
                    }
                    // checked again against the style as it is now (another update may have come between)
                    let (assets, _) = try ManagedLoginBrandingRules.assets(incoming, existing: branding.assets)
                    let replaced = Set(assets.map(\.key))
                    branding.assets = branding.assets.filter { !replaced.contains($0.key) } + assets
                    if given != nil || !incoming.isEmpty { branding.useCognitoProvidedValues = false }
                }
                branding.updatedAt = date
            }
        } catch StoreError.notFound {
            throw CognitoError.resourceNotFound("Managed login branding \(id) does not exist.")
        }
        return ManagedLoginBrandingOutput(ManagedLoginBranding: try await context.brandingType(updated, merged: false))
    }
}

struct DescribeManagedLoginBranding: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var ManagedLoginBrandingId: String
        var ReturnMergedResources: Bool?
    }

    static let name = "DescribeManagedLoginBranding"

    static func run(_ input: Input, _ context: APIContext) async throws -> ManagedLoginBrandingOutput {
        _ = try await context.existingPool(input.UserPoolId)
        guard let branding = try await context.store.managedLoginBranding(poolId: input.UserPoolId, id: input.ManagedLoginBrandingId) else {
            throw CognitoError.resourceNotFound("Managed login branding \(input.ManagedLoginBrandingId) does not exist.")
        }
        return ManagedLoginBrandingOutput(ManagedLoginBranding: try await context.brandingType(branding, merged: input.ReturnMergedResources == true))
    }
}

struct DescribeManagedLoginBrandingByClient: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var ClientId: String
        var ReturnMergedResources: Bool?
    }

    static let name = "DescribeManagedLoginBrandingByClient"

    static func run(_ input: Input, _ context: APIContext) async throws -> ManagedLoginBrandingOutput {
        let client = try await context.existingClient(input.UserPoolId, input.ClientId)
        guard let branding = try await context.store.managedLoginBranding(poolId: input.UserPoolId, clientId: client.clientId) else {
            throw CognitoError.resourceNotFound("App client \(client.clientId) has no managed login branding style.")
        }
        return ManagedLoginBrandingOutput(ManagedLoginBranding: try await context.brandingType(branding, merged: input.ReturnMergedResources == true))
    }
}

struct DeleteManagedLoginBranding: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var ManagedLoginBrandingId: String
    }

    struct Output: Encodable, Sendable {}

    static let name = "DeleteManagedLoginBranding"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        _ = try await context.existingPool(input.UserPoolId)
        guard try await context.store.deleteManagedLoginBranding(poolId: input.UserPoolId, id: input.ManagedLoginBrandingId) else {
            throw CognitoError.resourceNotFound("Managed login branding \(input.ManagedLoginBrandingId) does not exist.")
        }
        return Output()
    }
}

/// What the managed login branding operations share: the request's rules and the answer's shape.
enum ManagedLoginBrandingRules {
    /// UseCognitoProvidedValues: true only alone, as Cognito requires.
    static func builtInWanted(_ flag: Bool?, settings: JSONValue?, assets: [AssetType]?) throws -> Bool {
        guard flag == true else { return false }
        guard settings == nil, (assets ?? []).isEmpty else {
            throw CognitoError.invalidParameter("When UseCognitoProvidedValues is true, Settings and Assets must be left out.")
        }
        return true
    }

    /// The Settings document as JSON text (keys sorted), or nil.
    static func settingsText(_ settings: JSONValue?) throws -> String? {
        guard let settings, settings != .null else { return nil }
        guard case .object = settings else { throw CognitoError.invalidParameter("Settings must be a JSON object.") }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(settings), as: UTF8.self)
    }

    /// `given` laid over `current`, object by object.
    static func merge(_ current: String?, _ given: String) throws -> String {
        guard let current, let base = try? JSONSerialization.jsonObject(with: Data(current.utf8)) as? [String: Any],
            let over = try? JSONSerialization.jsonObject(with: Data(given.utf8)) as? [String: Any]
        else { return given }
        let merged = ManagedLoginStyle.merged(base, over)
        return String(decoding: try JSONSerialization.data(withJSONObject: merged, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
    }

    /// The assets of a request checked: one per role and mode, each of its type and size. An
    /// asset without Bytes keeps the bytes of the one it names (same role and mode) in `existing`.
    static func assets(_ input: [AssetType], existing: [ManagedLoginAsset]) throws
        -> (assets: [ManagedLoginAsset], files: [ManagedLoginAsset.Key: Data])
    {
        var assets: [ManagedLoginAsset] = []
        var files: [ManagedLoginAsset.Key: Data] = [:]
        for asset in input {
            let key = ManagedLoginAsset.Key(category: asset.Category, colorMode: asset.ColorMode)
            guard !assets.contains(where: { $0.key == key }) else {
                throw CognitoError.invalidParameter("Assets has more than one \(asset.Category) for \(asset.ColorMode).")
            }
            guard let bytes = asset.Bytes else {
                guard var kept = existing.first(where: { $0.key == key }), kept.fileExtension == asset.Extension else {
                    throw CognitoError.invalidParameter("The \(asset.Category) asset has no Bytes.")
                }
                kept.resourceId = asset.ResourceId ?? kept.resourceId
                assets.append(kept)
                continue
            }
            assets.append(try ManagedLoginAssets.check(category: asset.Category, colorMode: asset.ColorMode, fileExtension: asset.Extension,
                                                       resourceId: asset.ResourceId, bytes: bytes))
            files[key] = bytes
        }
        return (assets, files)
    }
}

extension APIContext {
    /// A style as Cognito answers it, with its assets' bytes; `merged`: the built-in settings
    /// with the style's laid over them (ReturnMergedResources).
    func brandingType(_ branding: ManagedLoginBranding, merged: Bool) async throws -> ManagedLoginBrandingType {
        var settings: JSONValue?
        var object: [String: Any]?
        if let text = branding.settings { object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] }
        if merged { object = ManagedLoginStyle.merged(ManagedLoginStyle.builtInSettings(), object ?? [:]) }
        if let object {
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            settings = try JSONDecoder().decode(JSONValue.self, from: data)
        }
        var assets: [AssetType] = []
        for asset in branding.assets {
            let bytes = try await store.managedLoginAssetFile(brandingId: branding.id, key: asset.key)
            assets.append(AssetType(Category: asset.category, ColorMode: asset.colorMode, Extension: asset.fileExtension, Bytes: bytes,
                                      ResourceId: asset.resourceId))
        }
        return ManagedLoginBrandingType(ManagedLoginBrandingId: branding.id, UserPoolId: branding.poolId,
                                        UseCognitoProvidedValues: branding.useCognitoProvidedValues, Settings: settings, Assets: assets,
                                        CreationDate: branding.createdAt, LastModifiedDate: branding.updatedAt)
    }
}
