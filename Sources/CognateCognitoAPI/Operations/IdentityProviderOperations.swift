import CognateCore
import CognateModel
import Foundation

struct IdentityProviderType: Encodable, Sendable {
    var UserPoolId: String
    var ProviderName: String
    var ProviderType: String
    var ProviderDetails: [String: String]
    var AttributeMapping: [String: String]
    var IdpIdentifiers: [String]
    var LastModifiedDate: Date
    var CreationDate: Date

    init(_ provider: IdentityProvider, details: [String: String]) {
        UserPoolId = provider.poolId
        ProviderName = provider.name
        ProviderType = provider.type.rawValue
        ProviderDetails = details
        AttributeMapping = provider.attributeMapping
        IdpIdentifiers = provider.identifiers
        LastModifiedDate = provider.updatedAt
        CreationDate = provider.createdAt
    }
}

struct IdentityProviderOutput: Encodable, Sendable {
    var IdentityProvider: IdentityProviderType
}

extension APIContext {
    func described(_ provider: IdentityProvider) throws -> IdentityProviderOutput {
        IdentityProviderOutput(IdentityProvider: IdentityProviderType(provider, details: try identityProviders.describedDetails(provider)))
    }

    func existingIdentityProvider(_ poolId: String, _ name: String) async throws -> IdentityProvider {
        _ = try await existingPool(poolId)
        guard let provider = try await store.identityProvider(poolId: poolId, name: name) else {
            throw CognitoError.resourceNotFound("Identity provider \(name) does not exist.")
        }
        return provider
    }

    /// The service's refusals in Cognito's words.
    func translatingProviderErrors<T>(_ name: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch IdentityProviderError.duplicateName(let name) {
            throw CognitoError("DuplicateProviderException", "A provider with the name \(name) already exists in this user pool.")
        } catch IdentityProviderError.duplicateIdentifier {
            throw CognitoError("DuplicateProviderException", "An identifier of \(name) is used by another provider of this user pool.")
        }
    }
}

struct CreateIdentityProvider: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var ProviderName: String
        var ProviderType: String
        var ProviderDetails: [String: String]
        var AttributeMapping: [String: String]?
        var IdpIdentifiers: [String]?
    }

    static let name = "CreateIdentityProvider"

    static func run(_ input: Input, _ context: APIContext) async throws -> IdentityProviderOutput {
        _ = try await context.existingPool(input.UserPoolId)
        guard let type = IdentityProvider.Kind(rawValue: input.ProviderType) else {
            throw CognitoError.invalidParameter("ProviderType \(input.ProviderType) is not supported.")
        }
        let provider = try await context.translatingProviderErrors(input.ProviderName) {
            try await context.identityProviders.create(poolId: input.UserPoolId, name: input.ProviderName, type: type,
                                                       details: input.ProviderDetails, attributeMapping: input.AttributeMapping,
                                                       identifiers: input.IdpIdentifiers)
        }
        return try context.described(provider)
    }
}

struct DescribeIdentityProvider: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var ProviderName: String
    }

    static let name = "DescribeIdentityProvider"

    static func run(_ input: Input, _ context: APIContext) async throws -> IdentityProviderOutput {
        try context.described(try await context.existingIdentityProvider(input.UserPoolId, input.ProviderName))
    }
}

struct GetIdentityProviderByIdentifier: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var IdpIdentifier: String
    }

    static let name = "GetIdentityProviderByIdentifier"

    static func run(_ input: Input, _ context: APIContext) async throws -> IdentityProviderOutput {
        _ = try await context.existingPool(input.UserPoolId)
        guard let provider = try await context.store.identityProvider(poolId: input.UserPoolId, identifier: input.IdpIdentifier) else {
            throw CognitoError.resourceNotFound("No identity provider has the identifier \(input.IdpIdentifier).")
        }
        return try context.described(provider)
    }
}

/// The certificate of the pool's SAML signing key (what an IdP checks signed AuthnRequests and
/// LogoutRequests with), base64 DER, as Cognito answers it.
struct GetSigningCertificate: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
    }

    struct Output: Encodable, Sendable {
        var Certificate: String
    }

    static let name = "GetSigningCertificate"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        _ = try await context.existingPool(input.UserPoolId)
        return Output(Certificate: try await context.saml.keys(poolId: input.UserPoolId).signing.certificate.base64EncodedString())
    }
}

/// As Cognito: what is given replaces what was; a secret not given again is kept.
struct UpdateIdentityProvider: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var ProviderName: String
        var ProviderDetails: [String: String]?
        var AttributeMapping: [String: String]?
        var IdpIdentifiers: [String]?
    }

    static let name = "UpdateIdentityProvider"

    static func run(_ input: Input, _ context: APIContext) async throws -> IdentityProviderOutput {
        _ = try await context.existingIdentityProvider(input.UserPoolId, input.ProviderName)
        let provider = try await context.translatingProviderErrors(input.ProviderName) {
            try await context.identityProviders.update(poolId: input.UserPoolId, name: input.ProviderName, details: input.ProviderDetails,
                                                       attributeMapping: input.AttributeMapping, identifiers: input.IdpIdentifiers)
        }
        return try context.described(provider)
    }
}

struct ListIdentityProviders: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var MaxResults: Int?
        var NextToken: String?
    }

    struct ProviderDescription: Encodable, Sendable {
        var ProviderName: String
        var ProviderType: String
        var LastModifiedDate: Date
        var CreationDate: Date
    }

    struct Output: Encodable, Sendable {
        var Providers: [ProviderDescription]
        var NextToken: String?
    }

    static let name = "ListIdentityProviders"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        _ = try await context.existingPool(input.UserPoolId)
        let limit = input.MaxResults.map { $0 == 0 ? 60 : $0 } ?? 60
        let page = try await context.store.listIdentityProviders(poolId: input.UserPoolId, limit: limit, after: input.NextToken)
        return Output(Providers: page.items.map {
            ProviderDescription(ProviderName: $0.name, ProviderType: $0.type.rawValue, LastModifiedDate: $0.updatedAt, CreationDate: $0.createdAt)
        }, NextToken: page.next)
    }
}

struct DeleteIdentityProvider: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var ProviderName: String
    }

    struct Output: Encodable, Sendable {}

    static let name = "DeleteIdentityProvider"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        _ = try await context.existingIdentityProvider(input.UserPoolId, input.ProviderName)
        try await context.identityProviders.delete(poolId: input.UserPoolId, name: input.ProviderName)
        return Output()
    }
}

struct ProviderUserIdentifierType: Decodable, Sendable {
    var ProviderName: String?
    var ProviderAttributeName: String?
    var ProviderAttributeValue: String?
}

extension APIContext {
    func translatingLinkErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as ProviderLinkError {
            switch error {
            case .invalid(let message): throw CognitoError.invalidParameter(message)
            case .userNotFound: throw CognitoError("UserNotFoundException", "User does not exist.")
            case .tooManyLinks: throw CognitoError.limitExceeded("A user may be linked to at most \(ProviderLinks.maximum) outside identities.")
            }
        }
    }
}

/// Links an outside provider's user (SourceUser: ProviderName, `Cognito_Subject`, its id there)
/// to a user of the pool (DestinationUser: ProviderName `Cognito`, the user name).
struct AdminLinkProviderForUser: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var DestinationUser: ProviderUserIdentifierType
        var SourceUser: ProviderUserIdentifierType
    }

    struct Output: Encodable, Sendable {}

    static let name = "AdminLinkProviderForUser"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        let pool = try await context.existingPool(input.UserPoolId)
        guard input.DestinationUser.ProviderName?.lowercased() == "cognito", let username = input.DestinationUser.ProviderAttributeValue else {
            throw CognitoError.invalidParameter("DestinationUser must name a user of the pool: ProviderName Cognito and the user name.")
        }
        guard let source = input.SourceUser.ProviderName, source.lowercased() != "cognito", let subject = input.SourceUser.ProviderAttributeValue
        else { throw CognitoError.invalidParameter("SourceUser must name an outside provider and the user's id there.") }
        _ = try await context.translatingLinkErrors {
            try await ProviderLinks(store: context.store, now: context.now).link(pool: pool, destination: username, provider: source, subject: subject)
        }
        return Output()
    }
}

/// Ends signing in as an outside provider's user: removes its link, or disables the user its
/// sign-ins made.
struct AdminDisableProviderForUser: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var User: ProviderUserIdentifierType
    }

    struct Output: Encodable, Sendable {}

    static let name = "AdminDisableProviderForUser"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        let pool = try await context.existingPool(input.UserPoolId)
        guard let provider = input.User.ProviderName, provider.lowercased() != "cognito", let subject = input.User.ProviderAttributeValue else {
            throw CognitoError.invalidParameter("User must name an outside provider and the user's id there.")
        }
        try await context.translatingLinkErrors {
            try await ProviderLinks(store: context.store, now: context.now).disable(pool: pool, provider: provider, subject: subject)
        }
        return Output()
    }
}
