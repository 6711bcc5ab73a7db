import Foundation

/// A pool's classic hosted-page customization (Cognito's SetUICustomization): CSS for the
/// pages' `-customizable` classes and a logo, for one app client or for `ALL` of them.
public struct UICustomization: Sendable, Equatable, Codable {
    /// The settings every client without its own uses.
    public static let allClients = "ALL"

    public var poolId: String
    /// An app client's id, or `ALL`.
    public var clientId: String
    public var css: String?
    /// The logo (PNG or JPEG), and its media type.
    public var image: Data?
    public var imageType: String?
    /// Changes with every set: the pages' links to the logo and the CSS carry it.
    public var version: String
    public var createdAt: Date
    public var updatedAt: Date

    public init(poolId: String, clientId: String, css: String?, image: Data?, imageType: String?, version: String, createdAt: Date,
                updatedAt: Date) {
        self.poolId = poolId
        self.clientId = clientId
        self.css = css
        self.image = image
        self.imageType = imageType
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
