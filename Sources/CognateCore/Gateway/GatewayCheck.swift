import CognateModel
import Crypto
import Foundation
import NIOConcurrencyHelpers

/// Token checks for the proxies in front of an app (nginx `auth_request`, Traefik forwardAuth,
/// Envoy ext_authz): the counterpart of API Gateway's Cognito authorizer. A Bearer access token
/// of the pool is checked (signature, expiry, revocation through its family, its client still
/// there, its user still there and enabled) against what the proxy requires: every `scope`
/// named, and any one of the `group`s named. Decisions are kept `cacheSeconds` per node (a
/// cache: a revocation is seen within that time), keyed by a digest of the token and the
/// requirements.
public struct GatewayCheck: Sendable {
    public typealias Store = UserStore & AppClientStore

    let tokens: TokenService
    let keyring: Keyring
    let store: any Store
    let masterKey: MasterKey
    let cacheSeconds: Int
    let random: any RandomSource
    let now: Now
    let cache = DecisionCache()

    /// Longer than any token Cognate issues; a header beyond it is no token of ours.
    public static let maxTokenLength = 8192
    /// Requirements a proxy may pass at once.
    public static let maxRequirements = 32

    public init(tokens: TokenService, keyring: Keyring, store: any Store, masterKey: MasterKey, cacheSeconds: Int,
                random: any RandomSource = SystemRandomSource(), now: @escaping Now) {
        self.tokens = tokens
        self.keyring = keyring
        self.store = store
        self.masterKey = masterKey
        self.cacheSeconds = cacheSeconds
        self.random = random
        self.now = now
    }

    /// Who the token speaks for, as the proxy passes it on.
    public struct Identity: Sendable, Equatable {
        public var sub: String
        public var username: String?
        public var groups: [String]
        public var scopes: [String]
        public var clientId: String
        /// ALB's `x-amzn-oidc-data`: the identity as a JWT signed with the pool's key (its JWKS verifies it).
        public var data: String
    }

    public enum Decision: Sendable, Equatable {
        case allowed(Identity)
        /// 401: no token, or not a good one (RFC 6750 `invalid_token` when there was one).
        case unauthorized(hadToken: Bool, reason: String)
        /// 403: a good token without a scope the proxy requires.
        case insufficientScope([String])
        /// 403: a good token whose user is in none of the groups the proxy names.
        case notInGroup
        /// 503: the database did not answer; nothing is decided (or kept) about the token.
        case unavailable
    }

    public func check(poolId: String, authorization: String?, scopes: [String], groups: [String]) async -> Decision {
        guard let authorization, !authorization.isEmpty else { return .unauthorized(hadToken: false, reason: "no token") }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return .unauthorized(hadToken: false, reason: "not a Bearer token") }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        guard !token.isEmpty, token.utf8.count <= Self.maxTokenLength else { return .unauthorized(hadToken: true, reason: "malformed token") }
        guard scopes.count + groups.count <= Self.maxRequirements else { return .unauthorized(hadToken: true, reason: "too many requirements") }
        let key = SecretDigest.sha256Hex([poolId, token, scopes.sorted().joined(separator: " "), groups.sorted().joined(separator: " ")]
            .joined(separator: "\n"))
        let date = now()
        if cacheSeconds > 0, let kept = cache.get(key, at: date) { return kept }
        let (decision, claims) = await decide(poolId: poolId, token: token, scopes: scopes, groups: groups)
        if cacheSeconds > 0, decision != .unavailable {
            // a decision lasts no longer than the token it is about
            var until = date.addingTimeInterval(Double(cacheSeconds))
            if let exp = claims?["exp"]?.int { until = min(until, Date(timeIntervalSince1970: Double(exp))) }
            cache.put(key, decision, until: until)
        }
        return decision
    }

    /// The decision, and the token's claims where it could be read (its `exp` bounds the cache).
    func decide(poolId: String, token: String, scopes required: [String], groups wanted: [String]) async -> (Decision, TokenClaims?) {
        let claims: TokenClaims
        do {
            claims = try await tokens.verifyAccessToken(token, poolId: poolId)
        } catch TokenError.expired {
            return (.unauthorized(hadToken: true, reason: "the token has expired"), nil)
        } catch TokenError.revoked {
            return (.unauthorized(hadToken: true, reason: "the token has been revoked"), nil)
        } catch is StoreError {
            return (.unavailable, nil)
        } catch {
            return (.unauthorized(hadToken: true, reason: "the token is not valid"), nil)
        }
        guard let sub = claims["sub"]?.string, let clientId = claims["client_id"]?.string else {
            return (.unauthorized(hadToken: true, reason: "the token is not valid"), claims)
        }
        do {
            guard try await store.client(poolId: poolId, clientId: clientId) != nil else {
                return (.unauthorized(hadToken: true, reason: "the token's client is gone"), claims)
            }
            // a user's token (a client's own has its client id for sub): the user must still be there, enabled
            if sub != clientId {
                guard let id = UUID(uuidString: sub), let user = try await store.user(poolId: poolId, sub: id), user.enabled else {
                    return (.unauthorized(hadToken: true, reason: "the token's user is gone or disabled"), claims)
                }
            }
        } catch {
            return (.unavailable, claims)
        }
        let scopes = (claims["scope"]?.string ?? "").split(separator: " ").map(String.init)
        let missing = required.filter { !scopes.contains($0) }
        guard missing.isEmpty else { return (.insufficientScope(required), claims) }
        let groups: [String] = if case .strings(let list) = claims["cognito:groups"] { list } else { [] }
        guard wanted.isEmpty || wanted.contains(where: groups.contains) else { return (.notInGroup, claims) }
        var data: [String: ClaimValue] = [
            "sub": .string(sub), "iss": .string(tokens.issuer(poolId)), "client_id": .string(clientId), "scope": .string(scopes.joined(separator: " ")),
        ]
        if let username = claims["username"] { data["username"] = username }
        if !groups.isEmpty { data["cognito:groups"] = .strings(groups) }
        if let exp = claims["exp"] { data["exp"] = exp }
        let signed = (try? await keyring.sign(TokenClaims(data), poolId: poolId)) ?? ""
        return (.allowed(Identity(sub: sub, username: claims["username"]?.string, groups: groups, scopes: scopes, clientId: clientId, data: signed)), claims)
    }
}

/// The gateway's decisions on this node, each until its time; bounded (cleared when full).
final class DecisionCache: Sendable {
    static let capacity = 10_000
    private let entries = NIOLockedValueBox<[String: (decision: GatewayCheck.Decision, until: Date)]>([:])

    func get(_ key: String, at date: Date) -> GatewayCheck.Decision? {
        entries.withLockedValue { entries in
            guard let entry = entries[key] else { return nil }
            guard entry.until > date else {
                entries[key] = nil
                return nil
            }
            return entry.decision
        }
    }

    func put(_ key: String, _ decision: GatewayCheck.Decision, until: Date) {
        entries.withLockedValue { entries in
            if entries.count >= Self.capacity { entries.removeAll() }
            entries[key] = (decision, until)
        }
    }
}
