import Foundation

/// An application registered with a pool (PRODUCT.md, "App client").
public struct AppClient: Sendable, Equatable, Codable {
    public var poolId: String
    /// 26 lowercase letters and digits, as Cognito.
    public var clientId: String
    public var name: String
    /// SHA-256 of the secret (hex); `nil` for a public client. The secret itself is never stored.
    public var secretHash: String?
    public var callbackURLs: [String]
    public var logoutURLs: [String]
    public var allowedOAuthFlows: [OAuthFlow]
    public var allowedOAuthScopes: [String]
    public var supportedIdentityProviders: [String]
    public var explicitAuthFlows: [String]
    public var tokenValidity: TokenValidity
    public var refreshTokenRotation: Bool
    public var createdAt: Date
    public var updatedAt: Date

    public var isPublic: Bool { secretHash == nil }

    public init(
        poolId: String, clientId: String, name: String, secretHash: String? = nil,
        callbackURLs: [String] = [], logoutURLs: [String] = [], allowedOAuthFlows: [OAuthFlow] = [],
        allowedOAuthScopes: [String] = [], supportedIdentityProviders: [String] = ["COGNITO"],
        explicitAuthFlows: [String] = ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"],
        tokenValidity: TokenValidity = .init(), refreshTokenRotation: Bool = false,
        createdAt: Date, updatedAt: Date
    ) {
        self.poolId = poolId
        self.clientId = clientId
        self.name = name
        self.secretHash = secretHash
        self.callbackURLs = callbackURLs
        self.logoutURLs = logoutURLs
        self.allowedOAuthFlows = allowedOAuthFlows
        self.allowedOAuthScopes = allowedOAuthScopes
        self.supportedIdentityProviders = supportedIdentityProviders
        self.explicitAuthFlows = explicitAuthFlows
        self.tokenValidity = tokenValidity
        self.refreshTokenRotation = refreshTokenRotation
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

public enum OAuthFlow: String, Sendable, Codable, CaseIterable {
    case code
    case implicit
    case clientCredentials = "client_credentials"
}
