import CognateCore
import CognateModel
import Foundation

/// Cognito's UICustomizationType: the CSS as it was set, the logo's URL.
struct UICustomizationType: Encodable, Sendable {
    var UserPoolId: String
    var ClientId: String
    var ImageUrl: String?
    var CSS: String?
    var CSSVersion: String?
    var LastModifiedDate: Date?
    var CreationDate: Date?

    init(poolId: String, clientId: String, _ customization: UICustomization?, context: APIContext) {
        UserPoolId = poolId
        ClientId = clientId
        guard let customization else { return }
        CSS = customization.css
        CSSVersion = customization.version
        LastModifiedDate = customization.updatedAt
        CreationDate = customization.createdAt
        if customization.image != nil {
            ImageUrl = "\(context.tokens.issuer(poolId))/ui/logo?client_id=\(customization.clientId)&v=\(customization.version)"
        }
    }
}

/// What SetUICustomization and GetUICustomization answer.
struct UICustomizationOutput: Encodable, Sendable {
    var UICustomization: UICustomizationType
}

/// The classic customization of one app client, or of `ALL` (the default of every client
/// without its own); CSS and logo are set together, as in Cognito.
struct SetUICustomization: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var ClientId: String?
        var CSS: String?
        var ImageFile: String?
    }

    static let name = "SetUICustomization"

    static func run(_ input: Input, _ context: APIContext) async throws -> UICustomizationOutput {
        let clientId = try await context.customizedClient(input.UserPoolId, input.ClientId)
        if let css = input.CSS { _ = try UICustomizationRules.rules(css) }
        var image: Data?
        var imageType: String?
        if let file = input.ImageFile, !file.isEmpty {
            guard let data = Data(base64Encoded: file) else { throw CognitoError.invalidParameter("ImageFile is not base64.") }
            imageType = try UICustomizationRules.imageType(data)
            image = data
        }
        let date = context.now()
        let customization = UICustomization(poolId: input.UserPoolId, clientId: clientId, css: input.CSS, image: image, imageType: imageType,
                                            version: UICustomizationRules.version(css: input.CSS, image: image, at: date),
                                            createdAt: date, updatedAt: date)
        try await context.store.saveUICustomization(customization)
        let saved = try await context.store.uiCustomization(poolId: input.UserPoolId, clientId: clientId)
        return UICustomizationOutput(UICustomization: UICustomizationType(poolId: input.UserPoolId, clientId: clientId, saved, context: context))
    }
}

/// The customization a client's pages use: its own, else the pool's `ALL`.
struct GetUICustomization: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var ClientId: String?
    }

    static let name = "GetUICustomization"

    static func run(_ input: Input, _ context: APIContext) async throws -> UICustomizationOutput {
        let clientId = try await context.customizedClient(input.UserPoolId, input.ClientId)
        let found = try await UICustomizationRules.effective(poolId: input.UserPoolId, clientId: clientId, store: context.store)
        return UICustomizationOutput(UICustomization: UICustomizationType(poolId: input.UserPoolId, clientId: clientId, found, context: context))
    }
}

extension APIContext {
    /// `ALL` (also when no client is named), or an app client of the pool (ResourceNotFoundException otherwise).
    func customizedClient(_ poolId: String, _ clientId: String?) async throws -> String {
        _ = try await existingPool(poolId)
        guard let clientId, clientId != UICustomization.allClients else { return UICustomization.allClients }
        return try await existingClient(poolId, clientId).clientId
    }
}
