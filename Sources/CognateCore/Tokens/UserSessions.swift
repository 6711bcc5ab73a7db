import CognateModel
import Foundation

/// A user's sessions as Cognito's ListUserSessions shows them: each sign-in's refresh token
/// family (a TOKEN session, per app client) and each hosted sign-in session (an SSO session, the
/// browser's cookie). Revoking a token session ends its refresh token and the access tokens it
/// produced; revoking an SSO session ends the cookie (the codes and tokens it already produced
/// stay, as Cognito's do until LINKED asks for them, which Cognate cannot trace: see README).
public struct UserSessions: Sendable {
    public enum Kind: String, Sendable { case token = "TOKEN", sso = "SSO" }

    public struct Session: Sendable, Equatable {
        /// `tkn` or `sso` and 25 lower-case hex digits (a digest of the family or the cookie's hash: never the secret itself).
        public var id: String
        public var kind: Kind
        public var clientId: String?
        public var createdAt: Date
        public var lastActiveAt: Date
        /// The refresh token family behind a token session.
        var family: UUID?
        /// The cookie hash behind an SSO session.
        var idHash: String?
    }

    public enum Refusal: Error, Equatable {
        case notFound
        /// A user may not end, through their own access token, the session that token belongs to.
        case current
    }

    let store: any RefreshTokenStore & SessionStore
    let tokens: TokenService
    let now: Now

    public init(store: any RefreshTokenStore & SessionStore, tokens: TokenService, now: @escaping Now) {
        self.store = store
        self.tokens = tokens
        self.now = now
    }

    /// The id of the token session of a refresh token family (the access token's `origin_jti`).
    public static func tokenSessionId(family: String) -> String { id("tkn", family.lowercased()) }

    static func id(_ prefix: String, _ seed: String) -> String {
        prefix + String(SecretDigest.sha256Hex("user-session|\(prefix)|\(seed)").prefix(25))
    }

    /// The user's live sessions, token sessions first, each oldest first.
    public func list(_ user: User) async throws -> [Session] {
        let date = now()
        let families = try await store.liveRefreshTokens(poolId: user.poolId, userSub: user.sub, at: date).map { token in
            Session(id: Self.tokenSessionId(family: token.familyId.uuidString), kind: .token, clientId: token.clientId, createdAt: token.authTime,
                    lastActiveAt: token.createdAt, family: token.familyId)
        }
        let browsers = try await store.liveSessions(poolId: user.poolId, userSub: user.sub, at: date).map { session in
            Session(id: Self.id("sso", session.idHash), kind: .sso, clientId: nil, createdAt: session.authTime, lastActiveAt: session.authTime,
                    idHash: session.idHash)
        }
        return families + browsers
    }

    /// RevokeUserSession (`current`: the family of the caller's access token, which it may not end) and AdminRevokeUserSession.
    public func revoke(_ user: User, id: String, current: UUID?) async throws {
        guard let session = try await list(user).first(where: { $0.id == id }) else { throw Refusal.notFound }
        if let family = session.family {
            guard family != current else { throw Refusal.current }
            try await tokens.revokeFamily(family, poolId: user.poolId)
        } else if let idHash = session.idHash {
            try await store.revokeSession(idHash: idHash, at: now())
        }
    }
}
