import Foundation

/// An identity pool (Cognito Identity): which sign-ins it accepts, and the cloud roles its
/// identities get credentials for. Its id is Cognito's `<region>:<uuid>`.
public struct IdentityPool: Sendable, Equatable, Codable {
    /// A user pool whose ID tokens the identity pool takes (CognitoIdentityProviders).
    public struct UserPoolProvider: Sendable, Equatable, Codable {
        /// The user pool's issuer without its scheme: `<host[:port]>/<poolId>`.
        public var providerName: String
        public var clientId: String
        /// Ask the user pool whether the token was revoked or its user disabled.
        public var serverSideTokenCheck: Bool

        public init(providerName: String, clientId: String, serverSideTokenCheck: Bool) {
            self.providerName = providerName
            self.clientId = clientId
            self.serverSideTokenCheck = serverSideTokenCheck
        }
    }

    /// How an authenticated identity's role is chosen for a provider (RoleMappings).
    public struct RoleMapping: Sendable, Equatable, Codable {
        public enum Kind: String, Sendable, Codable { case token = "Token", rules = "Rules" }
        public enum Ambiguous: String, Sendable, Codable { case authenticatedRole = "AuthenticatedRole", deny = "Deny" }
        public enum Match: String, Sendable, Codable, CaseIterable {
            case equals = "Equals", contains = "Contains", startsWith = "StartsWith", notEqual = "NotEqual"
        }
        public struct Rule: Sendable, Equatable, Codable {
            public var claim: String
            public var match: Match
            public var value: String
            public var roleARN: String

            public init(claim: String, match: Match, value: String, roleARN: String) {
                self.claim = claim
                self.match = match
                self.value = value
                self.roleARN = roleARN
            }
        }

        public var kind: Kind
        public var ambiguous: Ambiguous?
        public var rules: [Rule]

        public init(kind: Kind, ambiguous: Ambiguous?, rules: [Rule] = []) {
            self.kind = kind
            self.ambiguous = ambiguous
            self.rules = rules
        }
    }

    /// Attributes for access control: which of a provider's claims become the session's
    /// principal tags (tag → claim), and whether Cognito's defaults (`username` → `sub`,
    /// `client` → `aud`) apply.
    public struct PrincipalTagMap: Sendable, Equatable, Codable {
        public var useDefaults: Bool
        public var tags: [String: String]

        public init(useDefaults: Bool, tags: [String: String]) {
            self.useDefaults = useDefaults
            self.tags = tags
        }

        public static let defaults = ["username": "sub", "client": "aud"]

        /// The tags in force: the defaults (when used) under the ones named.
        public var effective: [String: String] { useDefaults ? Self.defaults.merging(tags) { $1 } : tags }
    }

    public var id: String
    public var name: String
    public var allowUnauthenticated: Bool
    public var allowClassicFlow: Bool
    /// Outside providers by domain (`accounts.google.com`) → the app id the pool expects.
    public var supportedLoginProviders: [String: String]
    /// The name developer-authenticated identities are kept under; set once.
    public var developerProviderName: String?
    public var openIdConnectProviderARNs: [String]
    public var userPoolProviders: [UserPoolProvider]
    public var samlProviderARNs: [String]
    public var tags: [String: String]
    /// `authenticated` / `unauthenticated` → role ARN.
    public var roles: [String: String]
    /// Provider key (`<issuer host>/<poolId>:<clientId>`, a provider domain) → mapping.
    public var roleMappings: [String: RoleMapping]
    /// Provider name (a Logins key) → its principal tags; nil or absent: none.
    public var principalTags: [String: PrincipalTagMap]?
    public var createdAt: Date

    public init(id: String, name: String, allowUnauthenticated: Bool, allowClassicFlow: Bool = false,
                supportedLoginProviders: [String: String] = [:], developerProviderName: String? = nil,
                openIdConnectProviderARNs: [String] = [], userPoolProviders: [UserPoolProvider] = [],
                samlProviderARNs: [String] = [], tags: [String: String] = [:], roles: [String: String] = [:],
                roleMappings: [String: RoleMapping] = [:], createdAt: Date) {
        self.id = id
        self.name = name
        self.allowUnauthenticated = allowUnauthenticated
        self.allowClassicFlow = allowClassicFlow
        self.supportedLoginProviders = supportedLoginProviders
        self.developerProviderName = developerProviderName
        self.openIdConnectProviderARNs = openIdConnectProviderARNs
        self.userPoolProviders = userPoolProviders
        self.samlProviderARNs = samlProviderARNs
        self.tags = tags
        self.roles = roles
        self.roleMappings = roleMappings
        self.createdAt = createdAt
    }
}

/// One sign-in linked to an identity: the provider's key (the Logins key) and who the
/// provider says the person is (a token's `sub`, a developer's user identifier).
public struct IdentityLogin: Sendable, Hashable, Codable, Comparable {
    public var provider: String
    public var subject: String

    public init(provider: String, subject: String) {
        self.provider = provider
        self.subject = subject
    }

    public static func < (a: IdentityLogin, b: IdentityLogin) -> Bool { (a.provider, a.subject) < (b.provider, b.subject) }
}

/// An identity of an identity pool: unauthenticated while it has no logins.
public struct Identity: Sendable, Equatable, Codable {
    public var id: String
    public var poolId: String
    /// Sorted; empty for a guest.
    public var logins: [IdentityLogin]
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: String, poolId: String, logins: [IdentityLogin], createdAt: Date, updatedAt: Date) {
        self.id = id
        self.poolId = poolId
        self.logins = logins.sorted()
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public var isAuthenticated: Bool { !logins.isEmpty }
}
