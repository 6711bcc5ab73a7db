import CognateModel
import Foundation

/// OpenID Connect Discovery 1.0 §3 metadata for a pool. It lists only what Cognate serves:
/// a field for an endpoint appears in the same change that makes the endpoint work.
public struct DiscoveryDocument: Sendable, Codable, Equatable {
    public var issuer: String
    public var authorizationEndpoint: String
    public var tokenEndpoint: String
    public var jwksURI: String
    public var responseTypesSupported: [String]
    public var subjectTypesSupported: [String]
    public var idTokenSigningAlgValuesSupported: [String]
    public var scopesSupported: [String]

    enum CodingKeys: String, CodingKey {
        case issuer
        case authorizationEndpoint = "authorization_endpoint"
        case tokenEndpoint = "token_endpoint"
        case jwksURI = "jwks_uri"
        case responseTypesSupported = "response_types_supported"
        case subjectTypesSupported = "subject_types_supported"
        case idTokenSigningAlgValuesSupported = "id_token_signing_alg_values_supported"
        case scopesSupported = "scopes_supported"
    }

    /// - Parameters:
    ///   - issuer: `{public URL}/{pool id}`.
    ///   - domain: base URL of the pool's hosted endpoints (its domain, or the issuer).
    public init(pool: UserPool, issuer: String, domain: String, resourceServerScopes: [String]) {
        self.issuer = issuer
        self.authorizationEndpoint = "\(domain)/oauth2/authorize"
        self.tokenEndpoint = "\(domain)/oauth2/token"
        self.jwksURI = "\(issuer)/.well-known/jwks.json"
        self.responseTypesSupported = ["code"]
        self.subjectTypesSupported = ["public"]
        self.idTokenSigningAlgValuesSupported = [pool.signingAlgorithm.rawValue]
        self.scopesSupported = ["openid", "email", "phone", "profile", "aws.cognito.signin.user.admin"] + resourceServerScopes
    }
}
