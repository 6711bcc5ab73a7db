import CognateModel
import Crypto
import Foundation
import JWTKit

/// What a token endpoint or API call hands back.
public struct IssuedTokens: Sendable, Equatable {
    public var idToken: String?
    public var accessToken: String
    public var refreshToken: String?
    public var expiresIn: Int
    /// A device the sign-in handed out (pools that track devices): Cognito's NewDeviceMetadata.
    public var newDevice: NewDevice?

    public struct NewDevice: Sendable, Equatable {
        public var key: String
        public var groupKey: String
    }
}

public enum TokenError: Error, Equatable, CustomStringConvertible {
    case invalidToken(String)
    case expired
    case revoked

    public var description: String {
        switch self {
        case .invalidToken(let why): "invalid token: \(why)"
        case .expired: "the token has expired"
        case .revoked: "the token has been revoked"
        }
    }
}

/// Issues, refreshes, verifies and revokes the pool's tokens, with Cognito's claims
/// (PRODUCT.md). The hosted flow and the API both go through it, so their tokens are the same.
public struct TokenService: Sendable {
    let store: any RefreshTokenStore & RevocationStore & GroupStore & UserStore & UserPoolStore & SigningKeyStore & DeviceStore
    let keyring: Keyring
    let random: any RandomSource
    let now: Now
    let issuerBase: String
    /// Calls the pools' PreTokenGeneration triggers; nil: none are called.
    let triggers: Triggers?

    /// - Parameter issuerBase: the public URL; issuers are `{issuerBase}/{pool id}`.
    public init(store: any RefreshTokenStore & RevocationStore & GroupStore & UserStore & UserPoolStore & SigningKeyStore & DeviceStore,
                keyring: Keyring, issuerBase: String, triggers: Triggers? = nil, random: any RandomSource = SystemRandomSource(),
                now: @escaping Now) {
        self.triggers = triggers
        self.store = store
        self.keyring = keyring
        self.issuerBase = issuerBase
        self.random = random
        self.now = now
    }

    public func issuer(_ poolId: String) -> String { "\(issuerBase)/\(poolId)" }

    /// Tokens for a fresh authentication. A refresh token starts a new family; its id is the
    /// tokens' `origin_jti`, so revoking the refresh token revokes what it produced.
    /// `source`: the PreTokenGeneration trigger's triggerSource for this issue.
    public func issue(user: User, client: AppClient, scopes: [String], authTime: Date, nonce: String? = nil,
                      withRefreshToken: Bool = true, accessTokenHashForIDToken: Bool = false, family: UUID = UUID(),
                      source: String = "TokenGeneration_Authentication", deviceKey: String? = nil) async throws -> IssuedTokens {
        // the trigger before anything is kept: its refusal leaves no refresh token behind
        let custom = try await customization(user: user, client: client, scopes: scopes, source: source)
        var refresh: String?
        if withRefreshToken {
            let token = newOpaqueToken()
            try await store.createRefreshToken(RefreshToken(
                tokenHash: SecretDigest.sha256Hex(token), familyId: family, poolId: user.poolId, clientId: client.clientId,
                userSub: user.sub, scopes: scopes, authTime: authTime, createdAt: now(),
                expiresAt: now().addingTimeInterval(Double(client.tokenValidity.refreshToken)), deviceKey: deviceKey))
            refresh = token
        }
        var tokens = try await signPair(user: user, client: client, scopes: scopes, authTime: authTime, originJTI: family,
                                        nonce: nonce, atHash: accessTokenHashForIDToken, custom: custom, deviceKey: deviceKey)
        tokens.refreshToken = refresh
        // the trigger source names the grant: TokenGeneration_HostedAuth → hostedauth
        CognateMetrics.tokensIssued(source.replacingOccurrences(of: "TokenGeneration_", with: "").lowercased())
        return tokens
    }

    /// REFRESH_TOKEN_AUTH and the refresh_token grant: new ID and access tokens; a new refresh
    /// token too when the client rotates them. Reusing a rotated token ends its whole family.
    /// `check` runs once the token and its user are known, before anything is rotated or
    /// issued (REFRESH_TOKEN_AUTH's SECRET_HASH names the user): a refused caller burns nothing.
    /// A token handed out with a device (a pool that remembers devices) is renewed only naming
    /// that device (`deviceKey`: DEVICE_KEY, DeviceKey), once the user confirmed it, as Cognito
    /// asks; its access tokens carry the device's key as the sign-in's did.
    public func refresh(_ token: String, client: AppClient, deviceKey: String? = nil, check: (User) throws -> Void = { _ in }) async throws
        -> (tokens: IssuedTokens, user: User)
    {
        let hash = SecretDigest.sha256Hex(token)
        // one read for the token, its user and the user's groups
        guard let (stored, found, groups) = try await store.refreshTokenWithUser(hash: hash), stored.clientId == client.clientId else {
            throw TokenError.invalidToken("unknown refresh token")
        }
        if stored.revokedAt != nil { throw TokenError.revoked }
        if stored.expiresAt <= now() { throw TokenError.expired }
        if stored.rotatedAt != nil {
            // A rotated token came back: it was stolen or replayed. End the family (RFC 9700 §4.14.2).
            try await revokeFamily(stored.familyId, poolId: stored.poolId)
            throw TokenError.revoked
        }
        let user = found
        guard user.enabled else { throw TokenError.invalidToken("the user no longer exists or is disabled") }
        try check(user)
        if let bound = stored.deviceKey {
            guard deviceKey == bound, let device = try await store.device(poolId: stored.poolId, key: bound), device.userSub == user.sub,
                device.isConfirmed
            else { throw TokenError.invalidToken("the refresh token's device was not named, or is not a confirmed device of the user") }
        }
        // the trigger before the token is rotated: its refusal burns nothing
        let custom = try await customization(user: user, client: client, scopes: stored.scopes, source: "TokenGeneration_RefreshTokens",
                                             groups: groups)
        var newRefresh: String?
        if client.refreshTokenRotation {
            let next = newOpaqueToken()
            let rotated = try await store.rotateRefreshToken(oldHash: hash, to: RefreshToken(
                tokenHash: SecretDigest.sha256Hex(next), familyId: stored.familyId, poolId: stored.poolId,
                clientId: client.clientId, userSub: user.sub, scopes: stored.scopes, authTime: stored.authTime,
                createdAt: now(), expiresAt: now().addingTimeInterval(Double(client.tokenValidity.refreshToken)), deviceKey: stored.deviceKey),
                at: now())
            guard rotated else {
                try await revokeFamily(stored.familyId, poolId: stored.poolId)
                throw TokenError.revoked
            }
            newRefresh = next
        }
        var tokens = try await signPair(user: user, client: client, scopes: stored.scopes, authTime: stored.authTime,
                                        originJTI: stored.familyId, nonce: nil, atHash: false, groups: groups, custom: custom,
                                        deviceKey: stored.deviceKey)
        tokens.refreshToken = newRefresh
        CognateMetrics.tokensIssued("refresh_token")
        return (tokens, user)
    }

    /// client_credentials (RFC 6749 §4.4): an access token for the client itself, no user, no refresh token.
    /// A pool's PreTokenGeneration trigger of version V3_0 may word it (TokenGeneration_ClientCredentials).
    public func issueForClient(_ client: AppClient, scopes: [String]) async throws -> IssuedTokens {
        var custom: TokenCustomization?
        if let triggers, let pool = try await store.pool(id: client.poolId) {
            custom = try await TokenCustomization.ask(triggers, pool: pool, user: nil, client: client, scopes: scopes, groups: [],
                                                      source: "TokenGeneration_ClientCredentials")
        }
        let issuedAt = Int(now().timeIntervalSince1970)
        var claims: [String: ClaimValue] = [
            "sub": .string(client.clientId), "iss": .string(issuer(client.poolId)), "client_id": .string(client.clientId),
            "token_use": .string("access"), "scope": .string((custom?.scopes(scopes) ?? scopes).joined(separator: " ")), "auth_time": .int(issuedAt),
            "iat": .int(issuedAt), "exp": .int(issuedAt + client.tokenValidity.accessToken),
            "jti": .string(UUID().uuidString.lowercased()), "version": .int(2),
        ]
        if let custom {
            for name in custom.accessSuppressed { claims[name] = nil }
            for (name, value) in custom.accessClaims { claims[name] = value }
        }
        let token = try await keyring.sign(TokenClaims(claims), poolId: client.poolId)
        CognateMetrics.tokensIssued("client_credentials")
        return IssuedTokens(idToken: nil, accessToken: token, refreshToken: nil, expiresIn: client.tokenValidity.accessToken)
    }

    /// Ends a token family: its refresh tokens and the access tokens they produced.
    public func revoke(family: UUID, poolId: String) async throws {
        try await revokeFamily(family, poolId: poolId)
    }

    /// Checks an access token of `poolId`: signature by a published key, issuer, use, expiry,
    /// and that neither it nor its origin has been revoked.
    public func verifyAccessToken(_ token: String, poolId: String? = nil) async throws -> TokenClaims {
        let claims = try await keyring.verify(token)
        guard let iss = claims["iss"]?.string, iss.hasPrefix(issuerBase + "/") else { throw TokenError.invalidToken("issuer") }
        let tokenPool = String(iss.dropFirst(issuerBase.count + 1))
        if let poolId, tokenPool != poolId { throw TokenError.invalidToken("issuer") }
        guard claims["token_use"]?.string == "access" else { throw TokenError.invalidToken("not an access token") }
        guard let exp = claims["exp"]?.int, Double(exp) > now().timeIntervalSince1970 else { throw TokenError.expired }
        if try await store.isRevoked(anyOf: [claims["jti"]?.string, claims["origin_jti"]?.string].compactMap { $0 }) {
            throw TokenError.revoked
        }
        return claims
    }

    /// RFC 7009 / Cognito's RevokeToken: ends the refresh token's family and the access tokens it produced.
    public func revokeRefreshToken(_ token: String, client: AppClient) async throws {
        guard let stored = try await store.refreshToken(hash: SecretDigest.sha256Hex(token)), stored.clientId == client.clientId else {
            return  // RFC 7009 §2.2: an unknown token is not an error
        }
        try await revokeFamily(stored.familyId, poolId: stored.poolId)
    }

    /// GlobalSignOut: every refresh token of the user, and every access token they produced.
    /// Ends every refresh token of the user and the access tokens they produced, but those of
    /// the family `except` (the caller's own sign-in, for ChangePassword).
    public func signOutEverywhere(_ user: User, except: UUID? = nil) async throws {
        let families = try await store.revokeRefreshTokens(poolId: user.poolId, userSub: user.sub, at: now(), except: except)
        for family in families { try await revokeOrigin(family, poolId: user.poolId) }
    }

    func revokeFamily(_ family: UUID, poolId: String) async throws {
        try await store.revokeRefreshTokenFamily(family, at: now())
        try await revokeOrigin(family, poolId: poolId)
    }

    /// Access tokens live at most 24 h; their revocation need not outlive that.
    func revokeOrigin(_ family: UUID, poolId: String) async throws {
        try await store.revoke(TokenRevocation(jti: family.uuidString.lowercased(), poolId: poolId,
                                               expiresAt: now().addingTimeInterval(Double(TokenValidity.idAccessRange.upperBound))))
    }

    /// The pool's PreTokenGeneration trigger's wishes for this pair; nil without the trigger.
    func customization(user: User, client: AppClient, scopes: [String], source: String, groups known: [Group]? = nil) async throws
        -> TokenCustomization?
    {
        guard let triggers, let pool = try await store.pool(id: user.poolId), Triggers.has("PreTokenGeneration", pool) else { return nil }
        var found = known
        if found == nil { found = try await store.groups(poolId: user.poolId, userSub: user.sub) }
        return try await TokenCustomization.ask(triggers, pool: pool, user: user, client: client, scopes: scopes,
                                                groups: Self.groupNames(found ?? []), roles: Self.roles(found ?? []), source: source)
    }

    /// `cognito:roles` and `cognito:preferred_role`, as Cognito derives them from the groups'
    /// RoleArn: every role, the groups ordered by precedence (0 first; none last); the preferred
    /// one is the role of the group that takes precedence, and none when groups tied for it name
    /// different roles.
    static func roles(_ groups: [Group]) -> (roles: [String], preferred: String?) {
        let ordered = groups.filter { $0.roleArn != nil }.sorted { ($0.precedence ?? Int.max, $0.name) < ($1.precedence ?? Int.max, $1.name) }
        var roles: [String] = []
        for group in ordered where !roles.contains(group.roleArn!) { roles.append(group.roleArn!) }
        guard let first = ordered.first else { return ([], nil) }
        let tied = Set(ordered.filter { $0.precedence == first.precedence }.compactMap(\.roleArn))
        return (roles, tied.count == 1 ? tied.first : nil)
    }

    static func groupNames(_ groups: [Group]) -> [String] {
        groups.sorted { ($0.precedence ?? Int.max, $0.name) < ($1.precedence ?? Int.max, $1.name) }.map(\.name)
    }

    func signPair(user: User, client: AppClient, scopes granted: [String], authTime: Date, originJTI: UUID,
                  nonce: String?, atHash: Bool, groups known: [Group]? = nil, custom: TokenCustomization? = nil,
                  deviceKey: String? = nil) async throws -> IssuedTokens {
        var found = known
        if found == nil { found = try await store.groups(poolId: user.poolId, userSub: user.sub) }
        let groups = custom?.groups ?? Self.groupNames(found ?? [])
        var (roles, preferredRole) = Self.roles(found ?? [])
        if let override = custom?.roles { roles = override }
        if let override = custom?.preferredRole { preferredRole = override }
        let scopes = custom?.scopes(granted) ?? granted
        let issuedAt = Int(now().timeIntervalSince1970)
        let eventID = UUID().uuidString.lowercased()
        var access: [String: ClaimValue] = [
            "sub": .string(user.sub.uuidString.lowercased()), "iss": .string(issuer(user.poolId)),
            "client_id": .string(client.clientId), "token_use": .string("access"), "scope": .string(scopes.joined(separator: " ")),
            "auth_time": .int(Int(authTime.timeIntervalSince1970)), "iat": .int(issuedAt),
            "exp": .int(issuedAt + client.tokenValidity.accessToken), "jti": .string(UUID().uuidString.lowercased()),
            "origin_jti": .string(originJTI.uuidString.lowercased()), "event_id": .string(eventID),
            "username": .string(user.username), "version": .int(2),
        ]
        if !groups.isEmpty { access["cognito:groups"] = .strings(groups) }
        if let deviceKey { access["device_key"] = .string(deviceKey) }
        if let custom {
            for name in custom.accessSuppressed { access[name] = nil }
            for (name, value) in custom.accessClaims { access[name] = value }
        }
        let accessToken = try await keyring.sign(TokenClaims(access), poolId: user.poolId)

        var idToken: String?
        if granted.contains("openid") || granted.contains("aws.cognito.signin.user.admin") || granted.isEmpty {
            var id: [String: ClaimValue] = [
                "sub": .string(user.sub.uuidString.lowercased()), "aud": .string(client.clientId), "iss": .string(issuer(user.poolId)),
                "token_use": .string("id"), "auth_time": .int(Int(authTime.timeIntervalSince1970)), "iat": .int(issuedAt),
                "exp": .int(issuedAt + client.tokenValidity.idToken), "jti": .string(UUID().uuidString.lowercased()),
                "origin_jti": .string(originJTI.uuidString.lowercased()), "event_id": .string(eventID),
                "cognito:username": .string(user.username),
            ]
            if !groups.isEmpty { id["cognito:groups"] = .strings(groups) }
            if !roles.isEmpty { id["cognito:roles"] = .strings(roles) }
            if let preferredRole { id["cognito:preferred_role"] = .string(preferredRole) }
            for (name, value) in Self.attributeClaims(user, scopes: granted, client: client) { id[name] = value }
            if let custom {
                for name in custom.idSuppressed { id[name] = nil }
                for (name, value) in custom.idClaims { id[name] = value }
            }
            if let nonce { id["nonce"] = .string(nonce) }
            if atHash { id["at_hash"] = .string(Self.atHash(accessToken)) }
            idToken = try await keyring.sign(TokenClaims(id), poolId: user.poolId)
        }
        return IssuedTokens(idToken: idToken, accessToken: accessToken, refreshToken: nil, expiresIn: client.tokenValidity.accessToken)
    }

    static let profileClaims: Set<String> = [
        "name", "family_name", "given_name", "middle_name", "nickname", "preferred_username", "profile", "picture",
        "website", "gender", "birthdate", "zoneinfo", "locale", "updated_at", "address",
    ]

    /// The user's attributes the scopes allow: all of them for the API flows (empty scopes or
    /// aws.cognito.signin.user.admin), else by OIDC scope (OIDC Core §5.4), and of those only
    /// what the client may read (its ReadAttributes). Verification flags are booleans.
    public static func attributeClaims(_ user: User, scopes: [String], client: AppClient) -> [String: ClaimValue] {
        let all = scopes.isEmpty || scopes.contains("aws.cognito.signin.user.admin")
        var result: [String: ClaimValue] = [:]
        for (name, value) in AttributePermissions.readable(user.attributes, client: client) {
            // Cognito puts a federated user's `identities` in every ID token
            let allowed = all || name == "identities" || (scopes.contains("email") && (name == "email" || name == "email_verified"))
                || (scopes.contains("phone") && (name == "phone_number" || name == "phone_number_verified"))
                || (scopes.contains("profile") && (profileClaims.contains(name) || name.hasPrefix("custom:")))
            guard allowed else { continue }
            if name == "identities", value.hasPrefix("[") {
                result[name] = .json(value)  // Cognito: the list itself, not its text
                continue
            }
            result[name] = name.hasSuffix("_verified") ? .bool(value == "true") : .string(value)
        }
        return result
    }

    /// OIDC Core §3.1.3.6: left half of SHA-256 of the access token, base64url.
    static func atHash(_ accessToken: String) -> String {
        Data(SHA256.hash(data: Data(accessToken.utf8)).prefix(16)).base64URLEncoded
    }

    /// 256 random bits, base64url: an opaque refresh token.
    func newOpaqueToken() -> String {
        Data(random.bytes(32)).base64URLEncoded
    }
}
