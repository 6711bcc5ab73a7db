import CognateModel
import Foundation

/// A refusal of the identity pools' API, by Cognito Identity's exception name.
public typealias IdentityPoolError = ServiceRefusal

extension ServiceRefusal {
    static let badConfiguration = Self("InvalidIdentityPoolConfigurationException",
                                       "Invalid identity pool configuration. Check assigned IAM roles for this pool.")
    static let noLogins = notAuthorized("Logins don't match. Please include at least one valid login for this identity or identity pool.")
    static let unsupportedProvider = notAuthorized("Token is not from a supported provider of this identity pool.")
    static let guestsRefused = notAuthorized("Unauthenticated access is not supported for this identity pool.")
}

/// Identity pools at work: identities for sign-ins (GetId), Cognate's OpenID tokens for them
/// (GetOpenIdToken, developer-authenticated identities), and cloud credentials through STS
/// (GetCredentialsForIdentity) for the role the pool's roles and role mappings choose.
public struct IdentityPoolService: Sendable {
    public typealias Store = IdentityPoolStore & UserPoolStore & UserStore & RevocationStore & SettingStore

    let store: any Store
    let keyring: Keyring
    public let tokenKey: IdentityTokenKey
    let sts: STSClient
    /// Outside providers' ID tokens (SupportedLoginProviders), checked against their key sets.
    let providerTokens: ProviderIDTokens
    let issuerBase: String
    public let region: String
    let now: Now

    /// OpenID tokens of GetOpenIdToken live 10 minutes, as Cognito's.
    public static let openIdTokenSeconds = 600
    /// GetOpenIdTokenForDeveloperIdentity's TokenDuration: 15 minutes unless asked, at most a day.
    public static let developerTokenSeconds = 900
    public static let credentialSeconds = 3600
    /// Services a guest's credentials stay within, whatever the unauthenticated role allows
    /// (the session policy of Cognito's enhanced flow).
    public static let guestServices = [
        "appsync", "cognito-identity", "cognito-sync", "comprehend", "dynamodb", "execute-api", "firehose", "kinesis", "lambda", "lex",
        "logs", "mobileanalytics", "polly", "rekognition", "s3", "sagemaker", "ses", "sns", "sqs", "textract", "transcribe", "translate",
    ]

    public init(store: any Store, keyring: Keyring, sts: STSClient, http: any OutboundHTTP, issuerBase: String, region: String,
                now: @escaping Now) {
        self.providerTokens = ProviderIDTokens(http: http, keySets: KeySets(), now: now)
        self.store = store
        self.keyring = keyring
        self.tokenKey = IdentityTokenKey(store: store, keyring: keyring, now: now)
        self.sts = sts
        self.issuerBase = issuerBase
        self.region = region
        self.now = now
    }

    /// The issuer of identity pools' OpenID tokens; discovery and JWKS under it.
    public var issuer: String { issuerBase + "/identity" }
    /// Logins keys of Cognate's own OpenID tokens: its issuer without the scheme, and Cognito's name for SDKs that use it.
    public var ownProviderKeys: [String] { [Self.withoutScheme(issuer), "cognito-identity.amazonaws.com"] }
    /// The Logins key (and CognitoIdentityProviders ProviderName) of a user pool of this server.
    public func userPoolProviderName(_ poolId: String) -> String { Self.withoutScheme(issuerBase + "/" + poolId) }

    static func withoutScheme(_ url: String) -> String {
        for scheme in ["https://", "http://"] where url.hasPrefix(scheme) { return String(url.dropFirst(scheme.count)) }
        return url
    }

    public func newId() -> String { "\(region):\(UUID().uuidString.lowercased())" }

    public func arn(_ poolId: String) -> String { "arn:aws:cognito-identity:\(region):000000000000:identitypool/\(poolId)" }

    // MARK: Pools

    /// Refuses what Cognito refuses in a pool's settings beyond the model's shapes.
    public func validate(_ pool: IdentityPool) throws {
        for key in pool.roles.keys where key != "authenticated" && key != "unauthenticated" {
            throw IdentityPoolError.invalidParameter("Invalid role key '\(key)': roles are 'authenticated' or 'unauthenticated'.")
        }
        let providers = Self.mappingKeys(pool)
        for (key, mapping) in pool.roleMappings {
            guard providers.contains(key) else {
                throw IdentityPoolError.invalidParameter("Role mapping '\(key)' names no provider of this identity pool.")
            }
            guard mapping.ambiguous != nil else {
                throw IdentityPoolError.invalidParameter("AmbiguousRoleResolution is required for a role mapping of type \(mapping.kind.rawValue).")
            }
            if mapping.kind == .rules, mapping.rules.isEmpty {
                throw IdentityPoolError.invalidParameter("RulesConfiguration is required for a role mapping of type Rules.")
            }
        }
    }

    /// The keys a role mapping may be under: a user pool provider's `<name>:<clientId>`, an
    /// outside provider's domain, an OpenID Connect or SAML provider's name.
    public static func mappingKeys(_ pool: IdentityPool) -> Set<String> {
        Set(pool.userPoolProviders.map { "\($0.providerName):\($0.clientId)" }).union(pool.supportedLoginProviders.keys)
            .union(pool.openIdConnectProviderARNs.map(oidcProviderKey)).union(pool.samlProviderARNs.map(oidcProviderKey))
    }

    /// `arn:aws:iam::123456789012:oidc-provider/issuer.example/path` → `issuer.example/path`.
    static func oidcProviderKey(_ arn: String) -> String {
        guard let slash = arn.firstIndex(of: "/") else { return arn }
        return String(arn[arn.index(after: slash)...])
    }

    func pool(_ id: String) async throws -> IdentityPool {
        guard let pool = try await store.identityPool(id: id) else { throw IdentityPoolError.notFound("IdentityPool '\(id)' not found.") }
        return pool
    }

    public func identity(_ id: String) async throws -> Identity {
        guard let identity = try await store.identity(id: id) else { throw IdentityPoolError.notFound("Identity '\(id)' not found.") }
        return identity
    }

    // MARK: Logins

    /// A login checked: who it is, the key its role mapping is under, what the token said.
    struct VerifiedLogin {
        /// nil for Cognate's own OpenID token: it names an identity, not a login to link.
        var login: IdentityLogin?
        var identityId: String?
        var claims: TokenClaims
        var mappingKey: String
        var amr: [String]
    }

    func verify(_ logins: [String: String], pool: IdentityPool) async throws -> [VerifiedLogin] {
        var verified: [VerifiedLogin] = []
        for (key, token) in logins.sorted(by: { $0.key < $1.key }) { verified.append(try await verify(key: key, token: token, pool: pool)) }
        return verified
    }

    func verify(key: String, token: String, pool: IdentityPool) async throws -> VerifiedLogin {
        let invalid = IdentityPoolError.notAuthorized("Invalid login token. Couldn't verify signed token.")
        let date = now().timeIntervalSince1970
        if ownProviderKeys.contains(key) {
            guard let claims = try? await tokenKey.verify(token) else { throw invalid }
            guard claims["iss"]?.string == issuer, claims["aud"]?.string == pool.id, let sub = claims["sub"]?.string else { throw invalid }
            guard let exp = claims["exp"]?.int, Double(exp) > date else { throw IdentityPoolError.notAuthorized("Invalid login token. Token expired.") }
            // a guest's token is no login
            guard case .strings(let list) = claims["amr"], list.first == "authenticated" else { throw invalid }
            let amr = Array(list.dropFirst())
            return VerifiedLogin(login: nil, identityId: sub, claims: claims, mappingKey: key, amr: amr)
        }
        if let appIds = pool.supportedLoginProviders[key] {
            return try await verifyOutside(key: key, token: token, appIds: appIds)
        }
        let providers = pool.userPoolProviders.filter { $0.providerName == key }
        guard !providers.isEmpty, let poolId = key.split(separator: "/").last.map(String.init) else { throw IdentityPoolError.unsupportedProvider }
        let claims: TokenClaims
        do {
            claims = try await keyring.verify(token)
        } catch is StoreError {
            throw StoreError.unavailable("signing keys")
        } catch {
            throw invalid
        }
        guard let iss = claims["iss"]?.string, iss == issuerBase + "/" + poolId, Self.withoutScheme(iss) == key else {
            throw IdentityPoolError.notAuthorized("Invalid login token. Issuer doesn't match providerName")
        }
        guard claims["token_use"]?.string == "id", let sub = claims["sub"]?.string else {
            throw IdentityPoolError.notAuthorized("Invalid login token. Not an ID token.")
        }
        let audience: String? = switch claims["aud"] {
        case .string(let value): value
        case .strings(let values): values.first
        default: nil
        }
        guard let audience, let provider = providers.first(where: { $0.clientId == audience }) else { throw IdentityPoolError.unsupportedProvider }
        guard let exp = claims["exp"]?.int, Double(exp) > date else { throw IdentityPoolError.notAuthorized("Invalid login token. Token expired.") }
        if provider.serverSideTokenCheck {
            let revoked = try await store.isRevoked(anyOf: [claims["jti"]?.string, claims["origin_jti"]?.string].compactMap { $0 })
            guard !revoked else { throw IdentityPoolError.notAuthorized("Invalid login token. Token has been revoked.") }
            guard let id = UUID(uuidString: sub), let user = try await store.user(poolId: poolId, sub: id), user.enabled else {
                throw IdentityPoolError.notAuthorized("Invalid login token. The user is disabled or no longer exists.")
            }
        }
        return VerifiedLogin(login: IdentityLogin(provider: key, subject: sub), claims: claims, mappingKey: "\(key):\(audience)",
                             amr: [key, "\(key):CognitoSignIn:\(sub)"])
    }

    /// Providers whose tokens are no JWTs (an access token of Facebook's Graph API, of Login
    /// with Amazon, Twitter's keys): Cognate has no way to check them offline.
    static let opaqueTokenProviders: Set<String> = ["graph.facebook.com", "www.amazon.com", "api.twitter.com", "www.digits.com"]

    /// A login of an outside OpenID provider named in SupportedLoginProviders by its issuer
    /// without the scheme (`accounts.google.com`, `appleid.apple.com`, `login.example.com/tenant`):
    /// its ID token, checked against the provider's keys, for one of the app ids the pool names
    /// (separated by `;`, the one separator the model's pattern allows). The person is the token's `sub`.
    func verifyOutside(key: String, token: String, appIds: String) async throws -> VerifiedLogin {
        guard !Self.opaqueTokenProviders.contains(key) else {
            throw IdentityPoolError.notAuthorized("Logins through \(key) are not supported by Cognate: its tokens cannot be checked offline.")
        }
        let audiences = Set(appIds.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        let claims: [String: ClaimValue]
        do {
            let (jwksURI, issuers): (String, Set<String>)
            switch key {
            case "accounts.google.com": (jwksURI, issuers) = (FederatedSignIn.googleKeys, FederatedSignIn.googleIssuers)
            case "appleid.apple.com": (jwksURI, issuers) = (FederatedSignIn.appleKeys, [FederatedSignIn.appleIssuer])
            default:
                // https, or http for a provider on this machine's loopback (as federation allows)
                let issuer = IdentityProviderService.isProviderURL("http://" + key) ? "http://" + key : "https://" + key
                (jwksURI, issuers) = (try await providerTokens.jwksURI(issuer: issuer), [issuer])
            }
            claims = try await providerTokens.verify(token, jwksURI: jwksURI, issuers: issuers, clientIds: audiences, nonce: nil)
        } catch let refusal as FederatedSignIn.Refusal {
            throw IdentityPoolError.notAuthorized("Invalid login token. \(refusal.reason.prefix(1).uppercased() + refusal.reason.dropFirst()).")
        } catch is OutboundError {
            throw IdentityPoolError("ExternalServiceException", "The login provider \(key) could not be reached; try again.")
        }
        let sub = claims["sub"]?.string ?? ""
        let audience: String = switch claims["aud"] {
        case .string(let one): one
        case .strings(let many): many.first(where: audiences.contains) ?? ""
        default: ""
        }
        return VerifiedLogin(login: IdentityLogin(provider: key, subject: sub), claims: TokenClaims(claims), mappingKey: key,
                             amr: [key, "\(key):\(audience):\(sub)"])
    }

    /// The identity the logins belong to (and `identityId`, when given): found, linked to the
    /// logins not yet linked, or made. A guest identity whose login is already another's is
    /// merged into that one, as Cognito does; two authenticated identities are a conflict.
    func resolve(pool: IdentityPool, _ verified: [VerifiedLogin], extra: [IdentityLogin] = [], identityId: String? = nil) async throws -> Identity {
        let logins = verified.compactMap(\.login) + extra
        for attempt in 0..<3 {
            var found: [String: Identity] = [:]
            for id in verified.compactMap(\.identityId) + (identityId.map { [$0] } ?? []) {
                guard let identity = try await store.identity(id: id), identity.poolId == pool.id else {
                    throw IdentityPoolError.notFound("Identity '\(id)' not found.")
                }
                found[id] = identity
            }
            for login in logins {
                if let identity = try await store.identity(poolId: pool.id, login: login) { found[identity.id] = identity }
            }
            do {
                switch found.count {
                case 0:
                    let date = now()
                    let identity = Identity(id: newId(), poolId: pool.id, logins: logins, createdAt: date, updatedAt: date)
                    try await store.createIdentity(identity)
                    return identity
                case 1:
                    let identity = found.values.first!
                    let missing = logins.filter { !identity.logins.contains($0) }
                    if missing.isEmpty { return identity }
                    return try await store.changeLogins(identityId: identity.id, add: missing, remove: [], at: now())
                default:
                    let held = found.values.filter(\.isAuthenticated)
                    guard held.count == 1, let target = held.first else {
                        throw IdentityPoolError.conflict("The logins belong to different identities.")
                    }
                    var merged = target
                    for guest in found.values where guest.id != target.id {
                        merged = try await store.mergeIdentity(guest.id, into: target.id, at: now())
                    }
                    let missing = logins.filter { !merged.logins.contains($0) }
                    if missing.isEmpty { return merged }
                    return try await store.changeLogins(identityId: target.id, add: missing, remove: [], at: now())
                }
            } catch StoreError.duplicate where attempt < 2 {
                continue  // another request linked one of the logins meanwhile: read again
            } catch StoreError.notFound where attempt < 2 {
                continue  // an identity merged or deleted meanwhile
            }
        }
        throw IdentityPoolError.conflict("The logins belong to different identities.")
    }

    // MARK: Operations

    /// GetId: the identity of the logins, made if new; without logins a new guest identity.
    public func getId(poolId: String, logins: [String: String]) async throws -> Identity {
        let pool = try await pool(poolId)
        guard !logins.isEmpty else {
            guard pool.allowUnauthenticated else { throw IdentityPoolError.guestsRefused }
            let date = now()
            let identity = Identity(id: newId(), poolId: pool.id, logins: [], createdAt: date, updatedAt: date)
            try await store.createIdentity(identity)
            return identity
        }
        return try await resolve(pool: pool, try await verify(logins, pool: pool))
    }

    /// The identity and its pool, once the logins show the caller may speak for it: an
    /// authenticated identity needs a login of its own; a guest's logins link it (or merge it).
    func authorize(identityId: String, logins: [String: String]) async throws -> (Identity, IdentityPool, [VerifiedLogin]) {
        let identity = try await identity(identityId)
        let pool = try await pool(identity.poolId)
        guard !logins.isEmpty else {
            guard !identity.isAuthenticated else { throw IdentityPoolError.noLogins }
            guard pool.allowUnauthenticated else { throw IdentityPoolError.guestsRefused }
            return (identity, pool, [])
        }
        let verified = try await verify(logins, pool: pool)
        if identity.isAuthenticated {
            // one login at least must be this identity's already, and none another's; the others
            // (a new provider presented beside a known one) are linked
            var proven = false
            for login in verified {
                if let id = login.identityId {
                    guard id == identity.id else { throw IdentityPoolError.noLogins }
                    proven = true
                }
                if let link = login.login, let holder = try await store.identity(poolId: pool.id, login: link) {
                    guard holder.id == identity.id else { throw IdentityPoolError.noLogins }
                    proven = true
                }
            }
            guard proven else { throw IdentityPoolError.noLogins }
        }
        let resolved = try await resolve(pool: pool, verified, identityId: identity.id)
        return (resolved, pool, verified)
    }

    public struct OpenIdToken: Sendable {
        public var identityId: String
        public var token: String
    }

    /// Cognate's OpenID token for the identity; `tags` become the session's principal tags at
    /// STS (the `https://aws.amazon.com/tags` claim AssumeRoleWithWebIdentity reads).
    func openIdToken(_ identity: Identity, amr providers: [String], seconds: Int, tags: [String: String] = [:]) async throws -> String {
        let issued = Int(now().timeIntervalSince1970)
        var amr = [identity.isAuthenticated ? "authenticated" : "unauthenticated"]
        for value in providers where !amr.contains(value) { amr.append(value) }
        var claims: [String: ClaimValue] = [
            "iss": .string(issuer), "sub": .string(identity.id), "aud": .string(identity.poolId), "amr": .strings(amr),
            "iat": .int(issued), "exp": .int(issued + seconds),
        ]
        if !tags.isEmpty {
            let principal = tags.mapValues { [$0] }
            let text = String(decoding: try JSONSerialization.data(withJSONObject: ["principal_tags": principal], options: [.sortedKeys]),
                              as: UTF8.self)
            claims["https://aws.amazon.com/tags"] = .json(text)
        }
        return try await tokenKey.sign(TokenClaims(claims))
    }

    /// The principal tags the pool's maps take from the logins' claims (attributes for access control).
    static func principalTags(pool: IdentityPool, logins: [VerifiedLogin]) -> [String: String] {
        var tags: [String: String] = [:]
        for login in logins {
            guard let provider = login.login?.provider, let map = pool.principalTags?[provider] else { continue }
            for (tag, claim) in map.effective {
                switch login.claims[claim] {
                case .string(let value): tags[tag] = value
                case .int(let value): tags[tag] = String(value)
                case .bool(let value): tags[tag] = value ? "true" : "false"
                default: break  // lists and objects are no tag values
                }
            }
        }
        return tags
    }

    /// GetOpenIdToken (the basic flow: the app takes the token to STS itself).
    public func getOpenIdToken(identityId: String, logins: [String: String]) async throws -> OpenIdToken {
        let (identity, pool, verified) = try await authorize(identityId: identityId, logins: logins)
        guard pool.allowClassicFlow else {
            throw IdentityPoolError.invalidParameter("Basic (classic) flow is not enabled, please use enhanced flow.")
        }
        return OpenIdToken(identityId: identity.id, token: try await openIdToken(identity, amr: verified.flatMap(\.amr), seconds: Self.openIdTokenSeconds))
    }

    public struct IssuedCredentials: Sendable {
        public var identityId: String
        public var credentials: STSClient.Credentials
    }

    /// GetCredentialsForIdentity (the enhanced flow): the role chosen, its credentials from STS.
    public func credentials(identityId: String, logins: [String: String], customRoleArn: String?) async throws -> IssuedCredentials {
        let (identity, pool, verified) = try await authorize(identityId: identityId, logins: logins)
        let role = try RoleChoice.choose(pool: pool, authenticated: identity.isAuthenticated,
                                         logins: verified.map { ($0.mappingKey, $0.claims) }, customRoleArn: customRoleArn)
        let token = try await openIdToken(identity, amr: verified.flatMap(\.amr), seconds: Self.openIdTokenSeconds,
                                          tags: Self.principalTags(pool: pool, logins: verified))
        do {
            let credentials = try await sts.assumeRoleWithWebIdentity(
                roleArn: role, token: token, sessionName: "CognitoIdentityCredentials",
                policy: identity.isAuthenticated ? nil : Self.guestPolicy, seconds: Self.credentialSeconds)
            return IssuedCredentials(identityId: identity.id, credentials: credentials)
        } catch STSClient.Failure.refused {
            throw IdentityPoolError.badConfiguration
        } catch STSClient.Failure.unreachable {
            throw IdentityPoolError("ExternalServiceException", "The security token service could not be reached; try again.")
        }
    }

    static let guestPolicy: String = {
        let actions = guestServices.map { "\"\($0):*\"" }.joined(separator: ",")
        return "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\(actions)],\"Resource\":\"*\"}]}"
    }()

    // MARK: Developer-authenticated identities

    func developerProvider(_ pool: IdentityPool, named name: String? = nil) throws -> String {
        guard let provider = pool.developerProviderName else {
            throw IdentityPoolError.invalidParameter("This identity pool has no DeveloperProviderName.")
        }
        if let name, name != provider { throw IdentityPoolError.invalidParameter("DeveloperProviderName does not match the identity pool's.") }
        return provider
    }

    /// GetOpenIdTokenForDeveloperIdentity: the developer's user (and any other logins) to an
    /// identity, made or linked, and a token for it.
    public func developerToken(poolId: String, identityId: String?, logins: [String: String], seconds: Int?) async throws -> OpenIdToken {
        let pool = try await pool(poolId)
        let provider = try developerProvider(pool)
        guard let user = logins[provider] else {
            throw IdentityPoolError.invalidParameter("Logins must name the identity pool's developer provider, \(provider).")
        }
        var others = logins
        others[provider] = nil
        let verified = try await verify(others, pool: pool)
        let login = IdentityLogin(provider: provider, subject: user)
        if let identityId, let holder = try await store.identity(poolId: pool.id, login: login), holder.id != identityId {
            throw IdentityPoolError("DeveloperUserAlreadyRegisteredException", "The developer user is linked to another identity.")
        }
        let identity = try await resolve(pool: pool, verified, extra: [login], identityId: identityId)
        let token = try await openIdToken(identity, amr: [provider] + verified.flatMap(\.amr), seconds: seconds ?? Self.developerTokenSeconds)
        return OpenIdToken(identityId: identity.id, token: token)
    }

    public struct DeveloperLookup: Sendable {
        public var identityId: String
        public var userIdentifiers: [String]
    }

    public func lookupDeveloper(poolId: String, identityId: String?, userIdentifier: String?) async throws -> DeveloperLookup {
        let pool = try await pool(poolId)
        let provider = try developerProvider(pool)
        var identity: Identity
        if let userIdentifier {
            guard let found = try await store.identity(poolId: pool.id, login: IdentityLogin(provider: provider, subject: userIdentifier)) else {
                throw IdentityPoolError.notFound("No identity is linked to this developer user.")
            }
            if let identityId, identityId != found.id { throw IdentityPoolError.conflict("The developer user is linked to another identity.") }
            identity = found
        } else if let identityId {
            identity = try await self.identity(identityId)
            guard identity.poolId == pool.id else { throw IdentityPoolError.notFound("Identity '\(identityId)' not found.") }
        } else {
            throw IdentityPoolError.invalidParameter("Either IdentityId or DeveloperUserIdentifier is required.")
        }
        return DeveloperLookup(identityId: identity.id, userIdentifiers: identity.logins.filter { $0.provider == provider }.map(\.subject))
    }

    public func mergeDeveloper(poolId: String, providerName: String, source: String, destination: String) async throws -> String {
        let pool = try await pool(poolId)
        let provider = try developerProvider(pool, named: providerName)
        func holder(_ user: String) async throws -> Identity {
            guard let found = try await store.identity(poolId: pool.id, login: IdentityLogin(provider: provider, subject: user)) else {
                throw IdentityPoolError.notFound("No identity is linked to developer user '\(user)'.")
            }
            return found
        }
        let target = try await holder(destination)
        let from = try await holder(source)
        guard from.id != target.id else { return target.id }
        return try await store.mergeIdentity(from.id, into: target.id, at: now()).id
    }

    public func unlinkDeveloper(poolId: String, identityId: String, providerName: String, userIdentifier: String) async throws {
        let pool = try await pool(poolId)
        let provider = try developerProvider(pool, named: providerName)
        let identity = try await identity(identityId)
        let login = IdentityLogin(provider: provider, subject: userIdentifier)
        guard identity.poolId == pool.id, identity.logins.contains(login) else {
            throw IdentityPoolError.notFound("The developer user is not linked to this identity.")
        }
        _ = try await store.changeLogins(identityId: identity.id, add: [], remove: [login], at: now())
    }

    /// UnlinkIdentity: logins proved by `logins`, the providers named in `remove` unlinked.
    public func unlink(identityId: String, logins: [String: String], remove providers: [String]) async throws {
        let current = try await identity(identityId)
        guard current.isAuthenticated, !logins.isEmpty else { throw IdentityPoolError.noLogins }
        let (identity, pool, _) = try await authorize(identityId: identityId, logins: logins)
        if let developer = pool.developerProviderName, providers.contains(developer) {
            throw IdentityPoolError.invalidParameter("Use UnlinkDeveloperIdentity for the developer provider.")
        }
        let removed = identity.logins.filter { providers.contains($0.provider) }
        _ = try await store.changeLogins(identityId: identity.id, add: [], remove: removed, at: now())
    }
}
