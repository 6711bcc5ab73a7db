import CognateModel
import Foundation

/// OpenID Connect Discovery 1.0 §3 metadata for a pool (and RFC 8414's revocation and PKCE
/// fields). It lists only what Cognate serves: a field appears with the endpoint that makes it true.
public struct DiscoveryDocument: Sendable, Codable, Equatable {
    public var issuer: String
    public var authorizationEndpoint: String
    public var tokenEndpoint: String
    public var jwksURI: String
    public var responseTypesSupported: [String]
    public var subjectTypesSupported: [String]
    public var idTokenSigningAlgValuesSupported: [String]
    public var scopesSupported: [String]
    public var userInfoEndpoint: String
    public var revocationEndpoint: String
    public var grantTypesSupported: [String]
    public var codeChallengeMethodsSupported: [String]
    public var tokenEndpointAuthMethodsSupported: [String]
    public var claimsSupported: [String]
    public var responseModesSupported: [String]

    enum CodingKeys: String, CodingKey {
        case issuer
        case authorizationEndpoint = "authorization_endpoint"
        case tokenEndpoint = "token_endpoint"
        case jwksURI = "jwks_uri"
        case responseTypesSupported = "response_types_supported"
        case subjectTypesSupported = "subject_types_supported"
        case idTokenSigningAlgValuesSupported = "id_token_signing_alg_values_supported"
        case scopesSupported = "scopes_supported"
        case userInfoEndpoint = "userinfo_endpoint"
        case revocationEndpoint = "revocation_endpoint"
        case grantTypesSupported = "grant_types_supported"
        case codeChallengeMethodsSupported = "code_challenge_methods_supported"
        case tokenEndpointAuthMethodsSupported = "token_endpoint_auth_methods_supported"
        case claimsSupported = "claims_supported"
        case responseModesSupported = "response_modes_supported"
    }

    /// - Parameters:
    ///   - issuer: `{public URL}/{pool id}`.
    ///   - domain: base URL of the pool's hosted endpoints (its domain, or the issuer).
    public init(pool: UserPool, issuer: String, domain: String, resourceServerScopes: [String]) {
        self.issuer = issuer
        self.authorizationEndpoint = "\(domain)/oauth2/authorize"
        self.tokenEndpoint = "\(domain)/oauth2/token"
        self.jwksURI = "\(issuer)/.well-known/jwks.json"
        self.responseTypesSupported = ["code", "token"]
        self.subjectTypesSupported = ["public"]
        self.idTokenSigningAlgValuesSupported = [pool.signingAlgorithm.rawValue]
        self.scopesSupported = ["openid", "email", "phone", "profile", "aws.cognito.signin.user.admin"] + resourceServerScopes
        self.userInfoEndpoint = "\(domain)/oauth2/userInfo"
        self.revocationEndpoint = "\(domain)/oauth2/revoke"
        self.grantTypesSupported = ["authorization_code", "refresh_token", "client_credentials"]
        self.codeChallengeMethodsSupported = ["S256"]
        self.tokenEndpointAuthMethodsSupported = ["client_secret_basic", "client_secret_post", "none"]
        self.responseModesSupported = ["query", "fragment"]
        self.claimsSupported = [
            "sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "cognito:username", "cognito:groups",
            "email", "email_verified", "phone_number", "phone_number_verified", "name", "given_name", "family_name",
            "middle_name", "nickname", "preferred_username", "profile", "picture", "website", "gender", "birthdate",
            "zoneinfo", "locale", "updated_at", "address",
        ]
    }
}
