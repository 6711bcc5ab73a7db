import Foundation

/// An outside identity provider of a pool (Cognito's IdentityProviderType): an OpenID Connect
/// provider, one of the social presets, or a SAML 2.0 IdP. People sign in there and come back
/// with Cognate's own tokens.
public struct IdentityProvider: Sendable, Equatable, Codable {
    /// Cognito's ProviderType values. A social provider's name is its type.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case saml = "SAML", oidc = "OIDC", google = "Google", facebook = "Facebook"
        case loginWithAmazon = "LoginWithAmazon", signInWithApple = "SignInWithApple"

        public var isSocial: Bool { self != .saml && self != .oidc }
    }

    public var poolId: String
    public var name: String
    public var type: Kind
    /// ProviderDetails as Cognito shows them, the secrets left out (see `sealedSecrets`).
    public var details: [String: String]
    /// The details that are secrets (`client_secret`, Apple's `private_key`), each sealed with
    /// the master key; opened only to answer DescribeIdentityProvider and to talk to the provider.
    public var sealedSecrets: [String: Data]
    /// Pool attribute → the provider's claim or SAML attribute.
    public var attributeMapping: [String: String]
    /// Names (email domains, say) that route a sign-in to this provider (`idp_identifier`).
    public var identifiers: [String]
    public var createdAt: Date
    public var updatedAt: Date

    public init(poolId: String, name: String, type: Kind, details: [String: String] = [:], sealedSecrets: [String: Data] = [:],
                attributeMapping: [String: String] = [:], identifiers: [String] = [], createdAt: Date, updatedAt: Date) {
        self.poolId = poolId
        self.name = name
        self.type = type
        self.details = details
        self.sealedSecrets = sealedSecrets
        self.attributeMapping = attributeMapping
        self.identifiers = identifiers
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The key an identifier is kept and looked up under: identifiers match whatever their case.
    public static func identifierKey(_ identifier: String) -> String { identifier.lowercased() }
}
