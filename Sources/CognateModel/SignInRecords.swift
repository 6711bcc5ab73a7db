import Foundation

/// An authorization code (RFC 6749 §4.1.2), kept only as the SHA-256 of the code.
public struct AuthorizationCode: Sendable, Equatable, Codable {
    public var codeHash: String
    public var poolId: String
    public var clientId: String
    public var userSub: UUID
    public var redirectURI: String
    public var scopes: [String]
    public var nonce: String?
    public var codeChallenge: String?
    public var codeChallengeMethod: String?
    public var sessionId: String?
    public var authTime: Date
    public var expiresAt: Date
    public var consumedAt: Date?

    public init(
        codeHash: String, poolId: String, clientId: String, userSub: UUID, redirectURI: String,
        scopes: [String], nonce: String? = nil, codeChallenge: String? = nil,
        codeChallengeMethod: String? = nil, sessionId: String? = nil, authTime: Date,
        expiresAt: Date, consumedAt: Date? = nil
    ) {
        self.codeHash = codeHash
        self.poolId = poolId
        self.clientId = clientId
        self.userSub = userSub
        self.redirectURI = redirectURI
        self.scopes = scopes
        self.nonce = nonce
        self.codeChallenge = codeChallenge
        self.codeChallengeMethod = codeChallengeMethod
        self.sessionId = sessionId
        self.authTime = authTime
        self.expiresAt = expiresAt
        self.consumedAt = consumedAt
    }
}

/// A hosted-UI sign-in session, looked up by the SHA-256 of its cookie value.
public struct SignInSession: Sendable, Equatable, Codable {
    public var idHash: String
    public var poolId: String
    public var userSub: UUID
    public var authTime: Date
    public var expiresAt: Date
    public var revokedAt: Date?
    /// The outside provider's sign-in it came from (for SAML, what single logout names); nil
    /// for a sign-in with the pool's own password.
    public var federation: FederatedSession?

    public init(idHash: String, poolId: String, userSub: UUID, authTime: Date, expiresAt: Date, revokedAt: Date? = nil,
                federation: FederatedSession? = nil) {
        self.idHash = idHash
        self.poolId = poolId
        self.userSub = userSub
        self.authTime = authTime
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.federation = federation
    }
}

/// Who an outside provider signed in: its name and subject (for SAML the NameID and the IdP's
/// session, as a LogoutRequest must name them: SAML 2.0 Core §3.7.1).
public struct FederatedSession: Sendable, Equatable, Codable {
    public var providerName: String
    public var nameId: String
    public var nameIdFormat: String?
    public var sessionIndex: String?

    public init(providerName: String, nameId: String, nameIdFormat: String?, sessionIndex: String?) {
        self.providerName = providerName
        self.nameId = nameId
        self.nameIdFormat = nameIdFormat
        self.sessionIndex = sessionIndex
    }
}

/// An opaque refresh token, kept only as the SHA-256 of the token. Tokens handed out by
/// rotation share a `familyId`, so reuse of an old one can end the whole family.
public struct RefreshToken: Sendable, Equatable, Codable {
    public var tokenHash: String
    public var familyId: UUID
    public var poolId: String
    public var clientId: String
    public var userSub: UUID
    public var scopes: [String]
    public var authTime: Date
    public var createdAt: Date
    public var expiresAt: Date
    /// Set once this token was exchanged for a newer one of its family.
    public var rotatedAt: Date?
    public var revokedAt: Date?
    /// The device the sign-in was bound to on a pool that remembers devices (its key is in the
    /// access tokens): renewing then names it (DEVICE_KEY), as Cognito asks.
    public var deviceKey: String?

    public init(
        tokenHash: String, familyId: UUID, poolId: String, clientId: String, userSub: UUID,
        scopes: [String], authTime: Date, createdAt: Date, expiresAt: Date,
        rotatedAt: Date? = nil, revokedAt: Date? = nil, deviceKey: String? = nil
    ) {
        self.tokenHash = tokenHash
        self.familyId = familyId
        self.poolId = poolId
        self.clientId = clientId
        self.userSub = userSub
        self.scopes = scopes
        self.authTime = authTime
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.rotatedAt = rotatedAt
        self.revokedAt = revokedAt
        self.deviceKey = deviceKey
    }
}

/// A revoked JWT (by `jti` or `origin_jti`), kept until the token would have expired anyway.
public struct TokenRevocation: Sendable, Equatable, Codable {
    public var jti: String
    public var poolId: String
    public var expiresAt: Date

    public init(jti: String, poolId: String, expiresAt: Date) {
        self.jti = jti
        self.poolId = poolId
        self.expiresAt = expiresAt
    }
}

/// The SigV4 key pair of the admin API; the secret is sealed with the master key because
/// SigV4 needs it in the clear to recompute signatures.
public struct AdminCredential: Sendable, Equatable, Codable {
    public var accessKeyId: String
    public var sealedSecret: Data
    public var createdAt: Date

    public init(accessKeyId: String, sealedSecret: Data, createdAt: Date) {
        self.accessKeyId = accessKeyId
        self.sealedSecret = sealedSecret
        self.createdAt = createdAt
    }
}

/// An authorization request (/oauth2/authorize) validated once and kept while the person signs
/// in: the hosted pages carry only its opaque id (the store keeps the id's SHA-256), and a
/// cookie binds it to the browser that started it (`browserHash`). Each step moves it forward
/// (`step`, and the user once known); finishing it issues the code, once.
public struct PendingAuthorization: Sendable, Equatable {
    /// Where the sign-in stands: the page it is on, or done.
    public enum Step: String, Sendable, Codable {
        case login, newPassword, secondFactor, confirmation, finished
    }

    public var idHash: String
    public var poolId: String
    public var browserHash: String
    /// The validated request, as Core encodes it (redirect_uri, scopes, state, nonce, PKCE challenge, prompt, max_age, provider).
    public var request: String
    public var step: Step
    public var userSub: UUID?
    public var createdAt: Date
    public var expiresAt: Date
    public var finishedAt: Date?

    public init(idHash: String, poolId: String, browserHash: String, request: String, step: Step = .login,
                userSub: UUID? = nil, createdAt: Date, expiresAt: Date, finishedAt: Date? = nil) {
        self.idHash = idHash
        self.poolId = poolId
        self.browserHash = browserHash
        self.request = request
        self.step = step
        self.userSub = userSub
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.finishedAt = finishedAt
    }
}
