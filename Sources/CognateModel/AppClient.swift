import Foundation

/// An application registered with a pool (PRODUCT.md, "App client").
public struct AppClient: Sendable, Equatable, Codable {
    public var poolId: String
    /// 26 lowercase letters and digits, as Cognito.
    public var clientId: String
    public var name: String
    /// SHA-256 of the secret (hex), for checking a presented secret; `nil` for a public client.
    public var secretHash: String?
    /// The secret sealed with the master key: Cognito's SECRET_HASH is an HMAC keyed with the
    /// secret, so the server must be able to recover it (as it must the admin SigV4 secret).
    public var sealedSecret: Data?
    /// When that secret was made (its ClientSecretId is `<client id>--<epoch ms>`); nil: with the client.
    public var secretCreatedAt: Date?
    /// A second secret while the first is rotated out (AddUserPoolClientSecret): either is accepted.
    public var additionalSecret: AdditionalClientSecret?
    public var callbackURLs: [String]
    public var logoutURLs: [String]
    public var allowedOAuthFlows: [OAuthFlow]
    public var allowedOAuthScopes: [String]
    public var supportedIdentityProviders: [String]
    public var explicitAuthFlows: [String]
    public var tokenValidity: TokenValidity
    /// The units the API caller used for each lifetime, echoed back as given (Cognito's TokenValidityUnits).
    public var tokenValidityUnits: TokenValidityUnits
    public var refreshTokenRotation: Bool
    /// The theme its hosted pages use (a folder of COGNATE_THEMES_DIR), over the pool's; nil: the pool's.
    public var theme: String?
    public var defaultRedirectURI: String?
    public var readAttributes: [String]
    public var writeAttributes: [String]
    /// Whether the client may use the hosted OAuth flows at all (Cognito's AllowedOAuthFlowsUserPoolClient).
    public var allowedOAuthFlowsUserPoolClient: Bool
    /// Public API answers hide whether a user exists (ENABLED) or say so (LEGACY).
    public var preventUserExistenceErrors: Bool
    public var enableTokenRevocation: Bool
    /// Minutes a sign-in session of the API may last between challenges (3 to 15).
    public var authSessionValidity: Int
    /// Cognito's terms documents (CreateTerms …): the terms of use and the privacy policy the
    /// hosted sign-up page links to; one of each at most.
    public var terms: [ClientTerms]?
    public var createdAt: Date
    public var updatedAt: Date

    public var isPublic: Bool { secretHash == nil }

    public init(
        poolId: String, clientId: String, name: String, secretHash: String? = nil,
        callbackURLs: [String] = [], logoutURLs: [String] = [], allowedOAuthFlows: [OAuthFlow] = [],
        allowedOAuthScopes: [String] = [], supportedIdentityProviders: [String] = ["COGNITO"],
        explicitAuthFlows: [String] = ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"],
        tokenValidity: TokenValidity = .init(), tokenValidityUnits: TokenValidityUnits = .init(),
        refreshTokenRotation: Bool = false, defaultRedirectURI: String? = nil, readAttributes: [String] = [],
        writeAttributes: [String] = [], allowedOAuthFlowsUserPoolClient: Bool = false,
        preventUserExistenceErrors: Bool = true, enableTokenRevocation: Bool = true, authSessionValidity: Int = 3,
        createdAt: Date, updatedAt: Date
    ) {
        self.poolId = poolId
        self.clientId = clientId
        self.name = name
        self.secretHash = secretHash
        self.sealedSecret = nil
        self.callbackURLs = callbackURLs
        self.logoutURLs = logoutURLs
        self.allowedOAuthFlows = allowedOAuthFlows
        self.allowedOAuthScopes = allowedOAuthScopes
        self.supportedIdentityProviders = supportedIdentityProviders
        self.explicitAuthFlows = explicitAuthFlows
        self.tokenValidity = tokenValidity
        self.tokenValidityUnits = tokenValidityUnits
        self.refreshTokenRotation = refreshTokenRotation
        self.defaultRedirectURI = defaultRedirectURI
        self.readAttributes = readAttributes
        self.writeAttributes = writeAttributes
        self.allowedOAuthFlowsUserPoolClient = allowedOAuthFlowsUserPoolClient
        self.preventUserExistenceErrors = preventUserExistenceErrors
        self.enableTokenRevocation = enableTokenRevocation
        self.authSessionValidity = authSessionValidity
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// An app client's second secret: its SHA-256 (hex) for presented secrets, sealed for SECRET_HASH.
public struct AdditionalClientSecret: Sendable, Equatable, Codable {
    public var hash: String
    public var sealed: Data
    public var createdAt: Date

    public init(hash: String, sealed: Data, createdAt: Date) {
        self.hash = hash
        self.sealed = sealed
        self.createdAt = createdAt
    }
}

extension AppClient {
    /// Cognito's ClientSecretId: the client id and the secret's creation in epoch milliseconds.
    public static func secretId(clientId: String, createdAt: Date) -> String {
        "\(clientId)--\(Int64((createdAt.timeIntervalSince1970 * 1000).rounded(.down)))"
    }

    /// The first secret's id; nil for a public client.
    public var secretId: String? {
        isPublic ? nil : Self.secretId(clientId: clientId, createdAt: secretCreatedAt ?? createdAt)
    }

    /// The second secret's id, when there is one.
    public var additionalSecretId: String? {
        additionalSecret.map { Self.secretId(clientId: clientId, createdAt: $0.createdAt) }
    }
}

public enum OAuthFlow: String, Sendable, Codable, CaseIterable {
    case code
    case implicit
    case clientCredentials = "client_credentials"
}

/// The unit of each token lifetime as an API caller gave it: seconds, minutes, hours or days.
public struct TokenValidityUnits: Sendable, Equatable, Codable {
    public enum Unit: String, Sendable, Codable, CaseIterable {
        case seconds, minutes, hours, days

        public var seconds: Int {
            switch self {
            case .seconds: 1
            case .minutes: 60
            case .hours: 3_600
            case .days: 86_400
            }
        }
    }

    public var accessToken: Unit
    public var idToken: Unit
    public var refreshToken: Unit

    /// Cognito's defaults: hours for ID and access tokens, days for refresh tokens.
    public init(accessToken: Unit = .hours, idToken: Unit = .hours, refreshToken: Unit = .days) {
        self.accessToken = accessToken
        self.idToken = idToken
        self.refreshToken = refreshToken
    }
}

/// A terms document of an app client (Cognito's TermsType): links by language, shown on the
/// hosted sign-up page.
public struct ClientTerms: Sendable, Equatable, Codable {
    /// A version 4 UUID, lower case.
    public var id: String
    /// `terms-of-use` or `privacy-policy`.
    public var name: String
    /// `LINK`, the one source Cognito has.
    public var source: String
    /// `NONE`, the one enforcement Cognito has: shown, not asked to be ticked.
    public var enforcement: String
    /// Cognito's language ids (`cognito:default`, `cognito:german` …) to https URLs.
    public var links: [String: String]
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: String, name: String, source: String = "LINK", enforcement: String = "NONE", links: [String: String], createdAt: Date) {
        self.id = id
        self.name = name
        self.source = source
        self.enforcement = enforcement
        self.links = links
        self.createdAt = createdAt
        self.updatedAt = createdAt
    }
}
