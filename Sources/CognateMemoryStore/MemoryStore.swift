import CognateModel
import Foundation

/// Every store protocol, kept in process memory. It passes the same conformance suite as the
/// SQLite and PostgreSQL stores (Tests/StoreConformance), so Core's services can be tested on
/// it in milliseconds, with an injected clock and no database. Not for serving: nothing
/// survives the process and a second node would not see it.
///
/// One actor holds everything, so each method is one atomic step: racing callers are ordered
/// as a database's unique indexes and conditional updates order them.
public actor MemoryStore {
    private var state = State()

    public init() {}

    /// When set, every call throws `StoreError.unavailable` (a database that does not answer).
    public private(set) var isDown = false

    public func setDown(_ down: Bool) { isDown = down }

    private func available() throws {
        if isDown { throw StoreError.unavailable("the memory store is switched off") }
    }

    struct State {
        var pools: [String: UserPool] = [:]
        var clients: [String: AppClient] = [:]
        var keys: [SigningKey] = []
        var resourceServers: [String: [String: ResourceServer]] = [:]
        var domains: [String: UserPoolDomain] = [:]
        var users: [UUID: User] = [:]
        /// pool id → identifier key → (holder, kind)
        var identifiers: [String: [String: (sub: UUID, kind: UserIdentifier.Kind)]] = [:]
        var groups: [String: [String: Group]] = [:]
        /// pool id → group name → members
        var members: [String: [String: Set<UUID>]] = [:]
        var codes: [String: AuthorizationCode] = [:]
        var sessions: [String: SignInSession] = [:]
        var requests: [String: PendingAuthorization] = [:]
        var refreshTokens: [String: RefreshToken] = [:]
        var revocations: [String: TokenRevocation] = [:]
        var admins: [String: AdminCredential] = [:]
        var settings: [String: String] = [:]
        var outbox: [UUID: OutboundMessage] = [:]
        var singleUses: [String: Date] = [:]
        var userCodes: [String: VerificationCode] = [:]
        var counters: [String: (count: Int, expiresAt: Date)] = [:]
        var events: [UUID: AuthEvent] = [:]
        /// pool id → provider name → provider
        var providers: [String: [String: IdentityProvider]] = [:]
        /// pool id → client id (or ALL) → customization
        var customizations: [String: [String: UICustomization]] = [:]
        var brandings: [String: ManagedLoginBranding] = [:]
        var brandingFiles: [String: [ManagedLoginAsset.Key: Data]] = [:]
        var identityPools: [String: IdentityPool] = [:]
        var identities: [String: Identity] = [:]
        var importJobs: [String: UserImportJob] = [:]
        var devices: [String: Device] = [:]
        /// pool id/credential id → passkey
        var passkeys: [String: WebAuthnCredential] = [:]
        var importFiles: [String: Data] = [:]
    }
}

// MARK: Cursors and pages (the last key of the previous page, base64url, as the SQL stores do)

enum Paging {
    static func cursor(_ key: String) -> String {
        Data(key.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func key(_ cursor: String?) -> String? {
        guard let cursor else { return nil }
        var text = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        return Data(base64Encoded: text).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    /// Items sorted by `key` ascending, after the cursor, `limit` at most.
    static func page<Item>(_ items: [Item], limit: Int, after cursor: String?, key: (Item) -> String) -> ListPage<Item> {
        var sorted = items.sorted { key($0) < key($1) }
        if let after = self.key(cursor) { sorted = sorted.filter { key($0) > after } }
        let items = Array(sorted.prefix(limit))
        return ListPage(items: items, next: sorted.count > limit ? items.last.map { Self.cursor(key($0)) } : nil)
    }
}

extension MemoryStore: UserPoolStore {
    public func createPool(_ pool: UserPool, signingKey: SigningKey) throws {
        try available()
        guard state.pools[pool.id] == nil, !state.pools.values.contains(where: { $0.name == pool.name }),
            !state.keys.contains(where: { $0.kid == signingKey.kid })
        else { throw StoreError.duplicate("user pool") }
        state.pools[pool.id] = pool
        state.keys.append(signingKey)
    }

    public func pool(id: String) throws -> UserPool? {
        try available()
        return state.pools[id]
    }

    public func pool(named name: String) throws -> UserPool? {
        try available()
        return state.pools.values.first { $0.name == name }
    }

    public func listPools(limit: Int, after cursor: String?) throws -> ListPage<UserPool> {
        try available()
        return Paging.page(Array(state.pools.values), limit: limit, after: cursor, key: \.id)
    }

    public func updatePool(id: String, _ change: @escaping @Sendable (inout UserPool) throws -> Void) throws -> UserPool {
        try available()
        guard var pool = state.pools[id] else { throw StoreError.notFound("user pool \(id)") }
        try change(&pool)
        pool.id = id
        guard !state.pools.values.contains(where: { $0.name == pool.name && $0.id != id }) else { throw StoreError.duplicate("user pool") }
        state.pools[id] = pool
        return pool
    }

    public func deletePool(id: String) throws {
        try available()
        guard state.pools.removeValue(forKey: id) != nil else { throw StoreError.notFound("user pool \(id)") }
        state.clients = state.clients.filter { $0.value.poolId != id }
        state.keys.removeAll { $0.poolId == id }
        state.resourceServers[id] = nil
        state.customizations[id] = nil
        for gone in state.brandings.values where gone.poolId == id { state.brandingFiles[gone.id] = nil }
        state.brandings = state.brandings.filter { $0.value.poolId != id }
        state.domains = state.domains.filter { $0.value.poolId != id }
        state.users = state.users.filter { $0.value.poolId != id }
        state.identifiers[id] = nil
        for gone in state.importJobs.values where gone.poolId == id { state.importFiles[gone.id] = nil }
        state.importJobs = state.importJobs.filter { $0.value.poolId != id }
        state.devices = state.devices.filter { $0.value.poolId != id }
        state.passkeys = state.passkeys.filter { $0.value.poolId != id }
        state.groups[id] = nil
        state.members[id] = nil
        state.codes = state.codes.filter { $0.value.poolId != id }
        state.sessions = state.sessions.filter { $0.value.poolId != id }
        state.requests = state.requests.filter { $0.value.poolId != id }
        state.refreshTokens = state.refreshTokens.filter { $0.value.poolId != id }
        state.revocations = state.revocations.filter { $0.value.poolId != id }
        state.outbox = state.outbox.filter { $0.value.poolId != id }
        state.userCodes = state.userCodes.filter { $0.value.poolId != id }
        state.events = state.events.filter { $0.value.poolId != id }
        state.providers[id] = nil
        for name in PoolSettings.names(poolId: id) { state.settings[name] = nil }
    }
}

extension MemoryStore: AppClientStore {
    public func createClient(_ client: AppClient) throws {
        try available()
        guard state.pools[client.poolId] != nil else { throw StoreError.notFound("user pool \(client.poolId)") }
        guard state.clients[client.clientId] == nil else { throw StoreError.duplicate("client id") }
        state.clients[client.clientId] = client
    }

    public func client(poolId: String, clientId: String) throws -> AppClient? {
        try available()
        return state.clients[clientId].flatMap { $0.poolId == poolId ? $0 : nil }
    }

    public func client(id clientId: String) throws -> AppClient? {
        try available()
        return state.clients[clientId]
    }

    public func listClients(poolId: String, limit: Int, after cursor: String?) throws -> ListPage<AppClient> {
        try available()
        return Paging.page(state.clients.values.filter { $0.poolId == poolId }, limit: limit, after: cursor, key: \.clientId)
    }

    public func updateClient(poolId: String, clientId: String, _ change: @escaping @Sendable (inout AppClient) throws -> Void) throws -> AppClient {
        try available()
        guard var client = state.clients[clientId], client.poolId == poolId else { throw StoreError.notFound("app client \(clientId)") }
        try change(&client)
        (client.poolId, client.clientId) = (poolId, clientId)
        state.clients[clientId] = client
        return client
    }

    public func deleteClient(poolId: String, clientId: String) throws {
        try available()
        guard let client = state.clients[clientId], client.poolId == poolId else { throw StoreError.notFound("app client \(clientId)") }
        state.clients[clientId] = nil
    }
}

extension MemoryStore: SigningKeyStore {
    public func signingKeys(poolId: String) throws -> [SigningKey] {
        try available()
        return state.keys.filter { $0.poolId == poolId }.sorted { $0.createdAt > $1.createdAt }
    }

    public func signingKey(kid: String) throws -> SigningKey? {
        try available()
        return state.keys.first { $0.kid == kid }
    }

    public func rotate(to key: SigningKey) throws {
        try available()
        guard state.pools[key.poolId] != nil else { throw StoreError.notFound("user pool \(key.poolId)") }
        guard !state.keys.contains(where: { $0.kid == key.kid }) else { throw StoreError.duplicate("signing key") }
        for index in state.keys.indices where state.keys[index].poolId == key.poolId && state.keys[index].retiredAt == nil {
            state.keys[index].retiredAt = key.createdAt
        }
        state.keys.append(key)
    }
}

extension MemoryStore: ResourceServerStore {
    public func createResourceServer(_ server: ResourceServer) throws {
        try available()
        guard state.pools[server.poolId] != nil else { throw StoreError.notFound("user pool \(server.poolId)") }
        guard state.resourceServers[server.poolId]?[server.identifier] == nil else { throw StoreError.duplicate("resource server") }
        state.resourceServers[server.poolId, default: [:]][server.identifier] = server
    }

    public func resourceServer(poolId: String, identifier: String) throws -> ResourceServer? {
        try available()
        return state.resourceServers[poolId]?[identifier]
    }

    public func listResourceServers(poolId: String, limit: Int, after cursor: String?) throws -> ListPage<ResourceServer> {
        try available()
        return Paging.page(Array((state.resourceServers[poolId] ?? [:]).values), limit: limit, after: cursor, key: \.identifier)
    }

    public func updateResourceServer(poolId: String, identifier: String,
                                     _ change: @escaping @Sendable (inout ResourceServer) throws -> Void) throws -> ResourceServer {
        try available()
        guard var server = state.resourceServers[poolId]?[identifier] else { throw StoreError.notFound("resource server \(identifier)") }
        try change(&server)
        (server.poolId, server.identifier) = (poolId, identifier)
        state.resourceServers[poolId]?[identifier] = server
        return server
    }

    public func deleteResourceServer(poolId: String, identifier: String) throws {
        try available()
        guard state.resourceServers[poolId]?.removeValue(forKey: identifier) != nil else {
            throw StoreError.notFound("resource server \(identifier)")
        }
    }
}

extension MemoryStore: DomainStore {
    public func createDomain(_ domain: UserPoolDomain) throws {
        try available()
        guard state.pools[domain.poolId] != nil else { throw StoreError.notFound("user pool \(domain.poolId)") }
        guard state.domains[domain.domain] == nil else { throw StoreError.duplicate("domain") }
        state.domains[domain.domain] = domain
    }

    public func domain(named name: String) throws -> UserPoolDomain? {
        try available()
        return state.domains[name]
    }

    public func domains(poolId: String) throws -> [UserPoolDomain] {
        try available()
        return state.domains.values.filter { $0.poolId == poolId }.sorted { $0.domain < $1.domain }
    }

    public func deleteDomain(named name: String) throws {
        try available()
        guard state.domains.removeValue(forKey: name) != nil else { throw StoreError.notFound("domain \(name)") }
    }
}

extension MemoryStore: UserStore {
    public func createUser(_ user: User, identifiers: Set<UserIdentifier>) throws {
        try available()
        guard state.pools[user.poolId] != nil else { throw StoreError.notFound("user pool \(user.poolId)") }
        guard state.users[user.sub] == nil else { throw StoreError.duplicate("user name or alias") }
        try checkFree(identifiers, poolId: user.poolId, except: nil)
        state.users[user.sub] = user
        for identifier in identifiers { state.identifiers[user.poolId, default: [:]][identifier.key] = (user.sub, identifier.kind) }
    }

    public func createUsers(_ users: [(user: User, identifiers: Set<UserIdentifier>)]) throws -> [StoreError?] {
        try available()
        if let poolId = users.first?.user.poolId, state.pools[poolId] == nil { throw StoreError.notFound("user pool \(poolId)") }
        return users.map { user, identifiers in
            do {
                try createUser(user, identifiers: identifiers)
                return nil
            } catch {
                return error as? StoreError ?? .unavailable("\(error)")
            }
        }
    }

    public func listUsers(poolId: String, matching filter: UserFilter, limit: Int, after cursor: String?) throws -> ListPage<User> {
        try available()
        let users = state.users.values.filter { $0.poolId == poolId && filter.matches($0) }
        return Paging.page(Array(users), limit: limit, after: cursor, key: { $0.sub.uuidString })
    }

    /// Names the first identifier (by key) another user holds, as the SQL stores do.
    private func checkFree(_ identifiers: Set<UserIdentifier>, poolId: String, except sub: UUID?) throws {
        for identifier in identifiers.sorted(by: { $0.key < $1.key }) {
            if let holder = state.identifiers[poolId]?[identifier.key], holder.sub != sub {
                throw StoreError.duplicate(identifier.kind == .username ? "user name" : "alias \(identifier.kind.rawValue)")
            }
        }
    }

    public func user(poolId: String, sub: UUID) throws -> User? {
        try available()
        return state.users[sub].flatMap { $0.poolId == poolId ? $0 : nil }
    }

    public func user(poolId: String, identifierKey key: String) throws -> User? {
        try available()
        return state.identifiers[poolId]?[key].flatMap { state.users[$0.sub] }
    }

    public func listUsers(poolId: String, limit: Int, after cursor: String?) throws -> ListPage<User> {
        try available()
        return Paging.page(state.users.values.filter { $0.poolId == poolId }, limit: limit, after: cursor, key: \.sub.uuidString)
    }

    public func updateUser(poolId: String, sub: UUID, identifiers: @escaping @Sendable (User) -> Set<UserIdentifier>,
                           _ change: @escaping @Sendable (inout User) throws -> Void) throws -> User {
        try available()
        guard var user = state.users[sub], user.poolId == poolId else { throw StoreError.notFound("user \(sub)") }
        try change(&user)
        (user.poolId, user.sub) = (poolId, sub)
        let wanted = identifiers(user)
        let held = Set((state.identifiers[poolId] ?? [:]).filter { $0.value.sub == sub }.map { UserIdentifier(kind: $0.value.kind, key: $0.key) })
        if wanted != held {
            try checkFree(wanted.subtracting(held), poolId: poolId, except: sub)
            for stale in held.subtracting(wanted) { state.identifiers[poolId]?[stale.key] = nil }
            for identifier in wanted.subtracting(held) { state.identifiers[poolId, default: [:]][identifier.key] = (sub, identifier.kind) }
        }
        state.users[sub] = user
        return user
    }

    public func deleteUser(poolId: String, sub: UUID) throws {
        try available()
        guard let user = state.users[sub], user.poolId == poolId else { throw StoreError.notFound("user \(sub)") }
        state.users[sub] = nil
        state.identifiers[poolId] = state.identifiers[poolId]?.filter { $0.value.sub != sub }
        for group in (state.members[poolId] ?? [:]).keys { state.members[poolId]?[group]?.remove(sub) }
        state.userCodes = state.userCodes.filter { !($0.value.poolId == poolId && $0.value.userSub == sub) }
        state.devices = state.devices.filter { !($0.value.poolId == poolId && $0.value.userSub == sub) }
        state.passkeys = state.passkeys.filter { !($0.value.poolId == poolId && $0.value.userSub == sub) }
    }
}

extension MemoryStore: GroupStore {
    public func createGroup(_ group: Group) throws {
        try available()
        guard state.pools[group.poolId] != nil else { throw StoreError.notFound("user pool \(group.poolId)") }
        guard state.groups[group.poolId]?[group.name] == nil else { throw StoreError.duplicate("group") }
        state.groups[group.poolId, default: [:]][group.name] = group
    }

    public func group(poolId: String, name: String) throws -> Group? {
        try available()
        return state.groups[poolId]?[name]
    }

    public func listGroups(poolId: String, limit: Int, after cursor: String?) throws -> ListPage<Group> {
        try available()
        return Paging.page(Array((state.groups[poolId] ?? [:]).values), limit: limit, after: cursor, key: \.name)
    }

    public func updateGroup(poolId: String, name: String, _ change: @escaping @Sendable (inout Group) throws -> Void) throws -> Group {
        try available()
        guard var group = state.groups[poolId]?[name] else { throw StoreError.notFound("group \(name)") }
        try change(&group)
        (group.poolId, group.name) = (poolId, name)
        state.groups[poolId]?[name] = group
        return group
    }

    public func deleteGroup(poolId: String, name: String) throws {
        try available()
        guard state.groups[poolId]?.removeValue(forKey: name) != nil else { throw StoreError.notFound("group \(name)") }
        state.members[poolId]?[name] = nil
    }

    public func addMember(poolId: String, group: String, userSub: UUID) throws {
        try available()
        guard state.groups[poolId]?[group] != nil else { throw StoreError.notFound("group \(group)") }
        guard state.users[userSub]?.poolId == poolId else { throw StoreError.notFound("user \(userSub)") }
        state.members[poolId, default: [:]][group, default: []].insert(userSub)
    }

    public func removeMember(poolId: String, group: String, userSub: UUID) throws {
        try available()
        guard state.groups[poolId]?[group] != nil else { throw StoreError.notFound("group \(group)") }
        state.members[poolId]?[group]?.remove(userSub)
    }

    public func groups(poolId: String, userSub: UUID) throws -> [Group] {
        try available()
        return (state.groups[poolId] ?? [:]).values.filter { state.members[poolId]?[$0.name]?.contains(userSub) == true }
            .sorted { $0.name < $1.name }
    }

    public func members(poolId: String, group: String, limit: Int, after cursor: String?) throws -> ListPage<User> {
        try available()
        guard state.groups[poolId]?[group] != nil else { throw StoreError.notFound("group \(group)") }
        let users = (state.members[poolId]?[group] ?? []).compactMap { state.users[$0] }
        return Paging.page(users, limit: limit, after: cursor, key: \.sub.uuidString)
    }
}

extension MemoryStore: AuthorizationCodeStore {
    public func createCode(_ code: AuthorizationCode) throws {
        try available()
        guard state.codes[code.codeHash] == nil else { throw StoreError.duplicate("authorization code") }
        var stored = code
        stored.consumedAt = nil
        state.codes[code.codeHash] = stored
    }

    public func consumeCode(hash: String, at date: Date) throws -> (code: AuthorizationCode, firstUse: Bool)? {
        try available()
        guard var code = state.codes[hash] else { return nil }
        if code.consumedAt != nil { return (code, false) }
        code.consumedAt = date
        state.codes[hash] = code
        return (code, true)
    }

    public func code(hash: String) throws -> AuthorizationCode? {
        try available()
        return state.codes[hash]
    }
}

extension MemoryStore: SessionStore {
    public func createSession(_ session: SignInSession) throws {
        try available()
        guard state.sessions[session.idHash] == nil else { throw StoreError.duplicate("session") }
        state.sessions[session.idHash] = session
    }

    public func session(idHash: String) throws -> SignInSession? {
        try available()
        return state.sessions[idHash]
    }

    public func revokeSession(idHash: String, at date: Date) throws {
        try available()
        if state.sessions[idHash]?.revokedAt == nil { state.sessions[idHash]?.revokedAt = date }
    }

    public func liveSessions(poolId: String, userSub: UUID, at date: Date) throws -> [SignInSession] {
        try available()
        return state.sessions.values.filter { $0.poolId == poolId && $0.userSub == userSub && $0.revokedAt == nil && $0.expiresAt > date }
            .sorted { $0.authTime < $1.authTime }
    }

    public func liveRefreshTokens(poolId: String, userSub: UUID, at date: Date) throws -> [RefreshToken] {
        try available()
        return state.refreshTokens.values.filter {
            $0.poolId == poolId && $0.userSub == userSub && $0.revokedAt == nil && $0.rotatedAt == nil && $0.expiresAt > date
        }.sorted { $0.createdAt < $1.createdAt }
    }

    public func revokeSessions(poolId: String, userSub: UUID, at date: Date) throws {
        try available()
        for (hash, session) in state.sessions where session.poolId == poolId && session.userSub == userSub && session.revokedAt == nil {
            state.sessions[hash]?.revokedAt = date
        }
    }
}

extension MemoryStore: AuthorizationRequestStore {
    public func createAuthorization(_ pending: PendingAuthorization) throws {
        try available()
        guard state.requests[pending.idHash] == nil else { throw StoreError.duplicate("authorization request") }
        state.requests[pending.idHash] = pending
    }

    public func authorization(idHash: String) throws -> PendingAuthorization? {
        try available()
        return state.requests[idHash]
    }

    private func isOpen(_ idHash: String, at date: Date) -> Bool {
        guard let request = state.requests[idHash] else { return false }
        return request.finishedAt == nil && request.expiresAt > date
    }

    public func advanceAuthorization(idHash: String, to step: PendingAuthorization.Step, userSub: UUID?, at date: Date) throws -> Bool {
        try available()
        guard isOpen(idHash, at: date) else { return false }
        state.requests[idHash]?.step = step
        if let userSub { state.requests[idHash]?.userSub = userSub }
        return true
    }

    public func finishAuthorization(idHash: String, at date: Date, session: SignInSession, code: AuthorizationCode?) throws -> Bool {
        try available()
        guard isOpen(idHash, at: date) else { return false }
        guard state.sessions[session.idHash] == nil else { throw StoreError.duplicate("authorization request") }
        if let code, state.codes[code.codeHash] != nil { throw StoreError.duplicate("authorization request") }
        state.requests[idHash]?.finishedAt = date
        state.requests[idHash]?.step = .finished
        state.sessions[session.idHash] = session
        if let code { try createCode(code) }
        return true
    }
}

extension MemoryStore: RefreshTokenStore {
    public func createRefreshToken(_ token: RefreshToken) throws {
        try available()
        guard state.refreshTokens[token.tokenHash] == nil else { throw StoreError.duplicate("refresh token") }
        state.refreshTokens[token.tokenHash] = token
    }

    public func refreshToken(hash: String) throws -> RefreshToken? {
        try available()
        return state.refreshTokens[hash]
    }

    public func refreshTokenWithUser(hash: String) throws -> (token: RefreshToken, user: User, groups: [Group])? {
        try available()
        guard let token = state.refreshTokens[hash], let user = try user(poolId: token.poolId, sub: token.userSub) else { return nil }
        return (token, user, try groups(poolId: token.poolId, userSub: user.sub))
    }

    public func rotateRefreshToken(oldHash: String, to new: RefreshToken, at date: Date) throws -> Bool {
        try available()
        guard let old = state.refreshTokens[oldHash], old.revokedAt == nil, old.rotatedAt == nil,
            state.refreshTokens[new.tokenHash] == nil
        else { return false }
        state.refreshTokens[oldHash]?.rotatedAt = date
        state.refreshTokens[new.tokenHash] = new
        return true
    }

    public func revokeRefreshTokenFamily(_ familyId: UUID, at date: Date) throws {
        try available()
        for (hash, token) in state.refreshTokens where token.familyId == familyId && token.revokedAt == nil {
            state.refreshTokens[hash]?.revokedAt = date
        }
    }

    public func revokeRefreshTokens(poolId: String, userSub: UUID, at date: Date, except: UUID?) throws -> Set<UUID> {
        try available()
        var families: Set<UUID> = []
        for (hash, token) in state.refreshTokens
        where token.poolId == poolId && token.userSub == userSub && token.revokedAt == nil && token.familyId != except {
            state.refreshTokens[hash]?.revokedAt = date
            families.insert(token.familyId)
        }
        return families
    }
}

extension MemoryStore: RevocationStore {
    public func revoke(_ revocation: TokenRevocation) throws {
        try available()
        if state.revocations[revocation.jti] == nil { state.revocations[revocation.jti] = revocation }
    }

    public func isRevoked(anyOf jtis: [String]) throws -> Bool {
        try available()
        return jtis.contains { state.revocations[$0] != nil }
    }
}

extension MemoryStore: AdminCredentialStore {
    public func adminCredential(accessKeyId: String) throws -> AdminCredential? {
        try available()
        return state.admins[accessKeyId]
    }

    public func adminCredentials() throws -> [AdminCredential] {
        try available()
        return state.admins.values.sorted { $0.createdAt < $1.createdAt }
    }

    public func saveAdminCredential(_ credential: AdminCredential) throws {
        try available()
        state.admins[credential.accessKeyId] = credential
    }

    public func deleteAdminCredential(accessKeyId: String) throws -> Bool {
        try available()
        return state.admins.removeValue(forKey: accessKeyId) != nil
    }
}

extension MemoryStore: SettingStore {
    public func setting(_ name: String) throws -> String? {
        try available()
        return state.settings[name]
    }

    public func setSettingIfAbsent(_ name: String, value: String) throws -> String {
        try available()
        if let existing = state.settings[name] { return existing }
        state.settings[name] = value
        return value
    }

    public func replaceSetting(_ name: String, expected: String?, value: String) throws -> Bool {
        try available()
        guard state.settings[name] == expected else { return false }
        state.settings[name] = value
        return true
    }
}

extension MemoryStore: OutboxStore {
    public func enqueue(_ message: OutboundMessage) throws {
        try available()
        guard state.pools[message.poolId] != nil else { throw StoreError.notFound("user pool \(message.poolId)") }
        guard state.outbox[message.id] == nil else { throw StoreError.duplicate("message") }
        state.outbox[message.id] = message
    }

    public func outbox(poolId: String?, limit: Int, after cursor: String?) throws -> ListPage<OutboundMessage> {
        try available()
        // newest first; the cursor is "<epoch seconds>|<id>" of the last message seen
        func key(_ message: OutboundMessage) -> (Double, String) { (message.createdAt.timeIntervalSince1970, message.id.uuidString) }
        var messages = state.outbox.values.filter { poolId == nil || $0.poolId == poolId }.sorted { key($0) > key($1) }
        if let after = Paging.key(cursor) {
            let parts = after.split(separator: "|")
            if parts.count == 2, let seconds = Double(parts[0]) {
                messages = messages.filter { key($0) < (seconds, String(parts[1])) }
            }
        }
        let items = Array(messages.prefix(limit))
        let next = messages.count > limit ? items.last.map { Paging.cursor("\(key($0).0)|\(key($0).1)") } : nil
        return ListPage(items: items, next: next)
    }

    public func recordAttempt(id: UUID, at date: Date, error: String?, retryAt: Date?) throws {
        try available()
        guard var message = state.outbox[id] else { throw StoreError.notFound("message \(id)") }
        message.attempts += 1
        message.claimedUntil = nil
        if let error {
            if message.deliveredAt == nil {
                message.lastError = error
                message.nextAttemptAt = retryAt
            }
        } else {
            message.deliveredAt = date
            message.lastError = nil
            message.nextAttemptAt = nil
            message.body = ""
        }
        state.outbox[id] = message
    }

    public func claimDue(channels: [OutboundMessage.Channel], at date: Date, leaseUntil: Date, limit: Int) throws -> [OutboundMessage] {
        try available()
        guard !channels.isEmpty, limit > 0 else { return [] }
        let due = state.outbox.values.filter { message in
            guard message.deliveredAt == nil, let next = message.nextAttemptAt, next <= date, channels.contains(message.channel) else { return false }
            return message.claimedUntil.map { $0 < date } ?? true
        }.sorted { $0.nextAttemptAt! < $1.nextAttemptAt! }.prefix(limit)
        return due.map { message in
            state.outbox[message.id]?.claimedUntil = leaseUntil
            return state.outbox[message.id]!
        }
    }
}

extension MemoryStore: SingleUseStore {
    public func claimOnce(_ key: String, until date: Date) throws -> Bool {
        try available()
        guard state.singleUses[key] == nil else { return false }
        state.singleUses[key] = date
        return true
    }
}

extension MemoryStore: VerificationCodeStore {
    private static func codeKey(_ poolId: String, _ sub: UUID, _ purpose: VerificationCode.Purpose) -> String {
        "\(poolId)|\(sub.uuidString)|\(purpose.rawValue)"
    }

    public func saveCode(poolId: String, userSub: UUID, purpose: VerificationCode.Purpose, message: CodeMessage?,
                         _ make: @escaping @Sendable (VerificationCode?) throws -> VerificationCode) throws -> VerificationCode {
        try available()
        guard state.pools[poolId] != nil else { throw StoreError.notFound("user pool \(poolId)") }
        let key = Self.codeKey(poolId, userSub, purpose)
        let current = state.userCodes[key]
        var code = try make(current)
        (code.poolId, code.userSub, code.purpose) = (poolId, userSub, purpose)
        if case .kept(let message)? = message { try enqueue(message) }
        state.userCodes[key] = code
        return code
    }

    public func code(poolId: String, userSub: UUID, purpose: VerificationCode.Purpose) throws -> VerificationCode? {
        try available()
        return state.userCodes[Self.codeKey(poolId, userSub, purpose)]
    }

    public func countAttempt(poolId: String, userSub: UUID, purpose: VerificationCode.Purpose, limit: Int) throws -> Int? {
        try available()
        let key = Self.codeKey(poolId, userSub, purpose)
        guard let code = state.userCodes[key], code.attempts < limit else { return nil }
        state.userCodes[key]?.attempts = code.attempts + 1
        return code.attempts + 1
    }

    public func deleteCode(poolId: String, userSub: UUID, purpose: VerificationCode.Purpose) throws {
        try available()
        state.userCodes[Self.codeKey(poolId, userSub, purpose)] = nil
    }
}

extension MemoryStore: RateLimitStore {
    public func hit(_ key: String, expiresAt: Date) throws -> Int {
        try available()
        let count = (state.counters[key]?.count ?? 0) + 1
        state.counters[key] = (count, state.counters[key]?.expiresAt ?? expiresAt)
        if count == 1 {
            // a new counter: forget those that ended a day before this one begins to matter
            let horizon = expiresAt.addingTimeInterval(-86_400)
            state.counters = state.counters.filter { $0.value.expiresAt >= horizon }
        }
        return count
    }

    public func release(_ key: String) throws {
        try available()
        if let counter = state.counters[key], counter.count > 0 { state.counters[key] = (counter.count - 1, counter.expiresAt) }
    }
}

extension MemoryStore: AuthEventStore {
    private static func micros(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1_000_000).rounded()) }

    public func recordAuthEvent(_ event: AuthEvent) throws {
        try available()
        guard state.pools[event.poolId] != nil else { throw StoreError.notFound("user pool \(event.poolId)") }
        guard state.events[event.id] == nil else { throw StoreError.duplicate("auth event") }
        state.events[event.id] = event
    }

    public func updateAuthEvent(id: UUID, poolId: String, response: AuthEvent.Response, steps: [AuthEvent.Step]) throws {
        try available()
        guard state.events[id]?.poolId == poolId, state.events[id]?.response != .pass else { return }
        state.events[id]?.response = response
        state.events[id]?.steps = steps
    }

    public func authEvents(poolId: String, userSub: UUID, limit: Int, after cursor: String?) throws -> ListPage<AuthEvent> {
        try available()
        // newest first; the cursor is "<microseconds>|<id>" of the last event seen
        func key(_ event: AuthEvent) -> (Int64, String) { (Self.micros(event.createdAt), event.id.uuidString) }
        var events = state.events.values.filter { $0.poolId == poolId && $0.userSub == userSub }.sorted { key($0) > key($1) }
        if let after = Paging.key(cursor) {
            let parts = after.split(separator: "|")
            // a token this store did not write ends the list
            guard parts.count == 2, let micros = Int64(parts[0]), UUID(uuidString: String(parts[1])) != nil else {
                return ListPage(items: [], next: nil)
            }
            events = events.filter { key($0) < (micros, String(parts[1])) }
        }
        let items = Array(events.prefix(limit))
        let next = events.count > limit ? items.last.map { Paging.cursor("\(key($0).0)|\(key($0).1)") } : nil
        return ListPage(items: items, next: next)
    }

    public func setAuthEventFeedback(poolId: String, userSub: UUID, id: UUID, value: String, at date: Date) throws -> Bool {
        try available()
        guard let event = state.events[id], event.poolId == poolId, event.userSub == userSub else { return false }
        state.events[id]?.feedback = value
        state.events[id]?.feedbackAt = date
        return true
    }
}

extension MemoryStore: PurgeStore {
    public func purgeExpired(at date: Date, limit: Int, outboxDays: Int) throws -> Int {
        try available()
        var deleted = 0
        /// Removes at most `limit` keys whose value `isExpired` says went.
        func purge<Key: Hashable, Value>(_ table: inout [Key: Value], _ isExpired: (Value) -> Bool) {
            let gone = table.filter { isExpired($0.value) }.keys.prefix(limit)
            for key in gone { table[key] = nil }
            deleted += gone.count
        }
        purge(&state.codes) { $0.expiresAt < date }
        purge(&state.sessions) { $0.expiresAt < date }
        purge(&state.singleUses) { $0 < date }
        purge(&state.refreshTokens) { $0.expiresAt < date }
        purge(&state.revocations) { $0.expiresAt < date }
        purge(&state.userCodes) { $0.expiresAt < date }
        purge(&state.counters) { $0.expiresAt < date }
        purge(&state.events) { $0.expiresAt < date }
        purge(&state.requests) { $0.expiresAt < date }
        let outboxHorizon = date.addingTimeInterval(-Double(outboxDays) * 86_400)
        purge(&state.outbox) { $0.createdAt < outboxHorizon }
        purge(&state.devices) { !$0.isConfirmed && $0.createdAt < date.addingTimeInterval(-86_400) }
        return deleted
    }
}

extension MemoryStore: IdentityProviderStore {
    /// Refuses identifiers another provider of the pool holds (without case).
    private func checkIdentifiers(_ provider: IdentityProvider) throws {
        let wanted = Set(provider.identifiers.map(IdentityProvider.identifierKey))
        for other in (state.providers[provider.poolId] ?? [:]).values where other.name != provider.name {
            if !wanted.isDisjoint(with: other.identifiers.map(IdentityProvider.identifierKey)) { throw StoreError.duplicate("idp identifier") }
        }
    }

    public func createIdentityProvider(_ provider: IdentityProvider) throws {
        try available()
        guard state.pools[provider.poolId] != nil else { throw StoreError.notFound("user pool \(provider.poolId)") }
        guard state.providers[provider.poolId]?[provider.name] == nil else { throw StoreError.duplicate("identity provider") }
        try checkIdentifiers(provider)
        state.providers[provider.poolId, default: [:]][provider.name] = provider
    }

    public func identityProvider(poolId: String, name: String) throws -> IdentityProvider? {
        try available()
        return state.providers[poolId]?[name]
    }

    public func identityProvider(poolId: String, identifier: String) throws -> IdentityProvider? {
        try available()
        let key = IdentityProvider.identifierKey(identifier)
        return (state.providers[poolId] ?? [:]).values.first { $0.identifiers.map(IdentityProvider.identifierKey).contains(key) }
    }

    public func listIdentityProviders(poolId: String, limit: Int, after cursor: String?) throws -> ListPage<IdentityProvider> {
        try available()
        return Paging.page(Array((state.providers[poolId] ?? [:]).values), limit: limit, after: cursor, key: \.name)
    }

    public func updateIdentityProvider(poolId: String, name: String, _ change: @escaping @Sendable (inout IdentityProvider) throws -> Void)
        throws -> IdentityProvider
    {
        try available()
        guard var provider = state.providers[poolId]?[name] else { throw StoreError.notFound("identity provider \(name)") }
        try change(&provider)
        (provider.poolId, provider.name) = (poolId, name)
        try checkIdentifiers(provider)
        state.providers[poolId]?[name] = provider
        return provider
    }

    public func deleteIdentityProvider(poolId: String, name: String) throws {
        try available()
        guard state.providers[poolId]?.removeValue(forKey: name) != nil else { throw StoreError.notFound("identity provider \(name)") }
    }
}

extension MemoryStore: UICustomizationStore {
    public func uiCustomization(poolId: String, clientId: String) throws -> UICustomization? {
        try available()
        return state.customizations[poolId]?[clientId]
    }

    public func saveUICustomization(_ customization: UICustomization) throws {
        try available()
        guard state.pools[customization.poolId] != nil else { throw StoreError.notFound("user pool \(customization.poolId)") }
        var saved = customization
        if let existing = state.customizations[customization.poolId]?[customization.clientId] { saved.createdAt = existing.createdAt }
        state.customizations[customization.poolId, default: [:]][customization.clientId] = saved
    }

    public func deleteUICustomization(poolId: String, clientId: String) throws {
        try available()
        state.customizations[poolId]?[clientId] = nil
    }
}

extension MemoryStore: ManagedLoginBrandingStore {
    public func managedLoginBranding(poolId: String, id: String) throws -> ManagedLoginBranding? {
        try available()
        return state.brandings[id].flatMap { $0.poolId == poolId ? $0 : nil }
    }

    public func managedLoginBranding(poolId: String, clientId: String) throws -> ManagedLoginBranding? {
        try available()
        return state.brandings.values.first { $0.poolId == poolId && $0.clientId == clientId }
    }

    public func createManagedLoginBranding(_ branding: ManagedLoginBranding, files: [ManagedLoginAsset.Key: Data]) throws {
        try available()
        guard state.pools[branding.poolId] != nil else { throw StoreError.notFound("user pool \(branding.poolId)") }
        guard !state.brandings.values.contains(where: { $0.poolId == branding.poolId && $0.clientId == branding.clientId }),
            state.brandings[branding.id] == nil
        else { throw StoreError.duplicate("managed login branding for \(branding.clientId)") }
        state.brandings[branding.id] = branding
        state.brandingFiles[branding.id] = files.filter { key, _ in branding.assets.contains { $0.key == key } }
    }

    public func updateManagedLoginBranding(poolId: String, id: String, files: [ManagedLoginAsset.Key: Data],
                                           _ change: @escaping @Sendable (inout ManagedLoginBranding) throws -> Void) throws -> ManagedLoginBranding {
        try available()
        guard var branding = state.brandings[id], branding.poolId == poolId else { throw StoreError.notFound("managed login branding \(id)") }
        try change(&branding)
        branding.id = id
        branding.poolId = poolId
        let listed = Set(branding.assets.map(\.key))
        var kept = (state.brandingFiles[id] ?? [:]).filter { listed.contains($0.key) }
        for (key, bytes) in files where listed.contains(key) { kept[key] = bytes }
        state.brandings[id] = branding
        state.brandingFiles[id] = kept
        return branding
    }

    public func deleteManagedLoginBranding(poolId: String, id: String) throws -> Bool {
        try available()
        guard state.brandings[id]?.poolId == poolId else { return false }
        state.brandings[id] = nil
        state.brandingFiles[id] = nil
        return true
    }

    public func managedLoginAssetFile(brandingId: String, key: ManagedLoginAsset.Key) throws -> Data? {
        try available()
        return state.brandingFiles[brandingId]?[key]
    }
}

extension MemoryStore: StoreHealth {
    public func ping() throws {
        try available()
    }
}

extension MemoryStore: IdentityPoolStore {
    public func createIdentityPool(_ pool: IdentityPool) throws {
        try available()
        guard state.identityPools[pool.id] == nil else { throw StoreError.duplicate("identity pool") }
        state.identityPools[pool.id] = pool
    }

    public func identityPool(id: String) throws -> IdentityPool? {
        try available()
        return state.identityPools[id]
    }

    public func listIdentityPools(limit: Int, after cursor: String?) throws -> ListPage<IdentityPool> {
        try available()
        return Paging.page(Array(state.identityPools.values), limit: limit, after: cursor, key: \.id)
    }

    public func updateIdentityPool(id: String, _ change: @escaping @Sendable (inout IdentityPool) throws -> Void) throws -> IdentityPool {
        try available()
        guard var pool = state.identityPools[id] else { throw StoreError.notFound("identity pool \(id)") }
        try change(&pool)
        pool.id = id
        state.identityPools[id] = pool
        return pool
    }

    public func deleteIdentityPool(id: String) throws {
        try available()
        guard state.identityPools.removeValue(forKey: id) != nil else { throw StoreError.notFound("identity pool \(id)") }
        state.identities = state.identities.filter { $0.value.poolId != id }
    }

    public func identity(id: String) throws -> Identity? {
        try available()
        return state.identities[id]
    }

    public func identity(poolId: String, login: IdentityLogin) throws -> Identity? {
        try available()
        return state.identities.values.first { $0.poolId == poolId && $0.logins.contains(login) }
    }

    public func listIdentities(poolId: String, limit: Int, after cursor: String?) throws -> ListPage<Identity> {
        try available()
        return Paging.page(state.identities.values.filter { $0.poolId == poolId }, limit: limit, after: cursor, key: \.id)
    }

    /// Refuses logins another identity of the pool holds.
    private func checkLogins(_ logins: [IdentityLogin], poolId: String, except identityId: String) throws {
        for other in state.identities.values where other.poolId == poolId && other.id != identityId {
            if !Set(logins).isDisjoint(with: other.logins) { throw StoreError.duplicate("identity login") }
        }
    }

    public func createIdentity(_ identity: Identity) throws {
        try available()
        guard state.identityPools[identity.poolId] != nil else { throw StoreError.notFound("identity pool \(identity.poolId)") }
        guard state.identities[identity.id] == nil else { throw StoreError.duplicate("identity") }
        try checkLogins(identity.logins, poolId: identity.poolId, except: identity.id)
        state.identities[identity.id] = Identity(id: identity.id, poolId: identity.poolId, logins: Array(Set(identity.logins)),
                                                 createdAt: identity.createdAt, updatedAt: identity.updatedAt)
    }

    public func changeLogins(identityId: String, add: [IdentityLogin], remove: [IdentityLogin], at date: Date) throws -> Identity {
        try available()
        guard var identity = state.identities[identityId] else { throw StoreError.notFound("identity \(identityId)") }
        try checkLogins(add, poolId: identity.poolId, except: identityId)
        identity.logins = Set(identity.logins).subtracting(remove).union(add).sorted()
        identity.updatedAt = date
        state.identities[identityId] = identity
        return identity
    }

    public func mergeIdentity(_ source: String, into destination: String, at date: Date) throws -> Identity {
        try available()
        guard var target = state.identities[destination] else { throw StoreError.notFound("identity \(destination)") }
        guard let from = state.identities[source], from.poolId == target.poolId else { throw StoreError.notFound("identity \(source)") }
        target.logins = Set(target.logins).union(from.logins).sorted()
        target.updatedAt = date
        state.identities[source] = nil
        state.identities[destination] = target
        return target
    }

    public func deleteIdentity(id: String) throws -> Bool {
        try available()
        return state.identities.removeValue(forKey: id) != nil
    }
}

extension MemoryStore: UserImportJobStore {
    public func createImportJob(_ job: UserImportJob) throws {
        try available()
        guard state.pools[job.poolId] != nil else { throw StoreError.notFound("user pool \(job.poolId)") }
        guard state.importJobs[job.id] == nil else { throw StoreError.duplicate("import job") }
        state.importJobs[job.id] = job
    }

    public func importJob(poolId: String, id: String) throws -> UserImportJob? {
        try available()
        return state.importJobs[id].flatMap { $0.poolId == poolId ? $0 : nil }
    }

    public func listImportJobs(poolId: String, limit: Int, after cursor: String?) throws -> ListPage<UserImportJob> {
        try available()
        // newest first: ids begin with their creation time
        var jobs = state.importJobs.values.filter { $0.poolId == poolId }.sorted { $0.id > $1.id }
        if let key = Paging.key(cursor) { jobs = jobs.filter { $0.id < key } }
        let items = Array(jobs.prefix(limit))
        return ListPage(items: items, next: jobs.count > limit ? items.last.map { Paging.cursor($0.id) } : nil)
    }

    public func updateImportJob(poolId: String, id: String, _ change: @escaping @Sendable (inout UserImportJob) throws -> Void) throws
        -> UserImportJob
    {
        try available()
        guard var job = state.importJobs[id], job.poolId == poolId else { throw StoreError.notFound("import job \(id)") }
        try change(&job)
        job.poolId = poolId
        job.id = id
        state.importJobs[id] = job
        return job
    }

    public func saveImportFile(poolId: String, id: String, data: Data) throws -> Bool {
        try available()
        guard var job = state.importJobs[id], job.poolId == poolId, job.status == .created else { return false }
        job.fileSize = data.count
        state.importJobs[id] = job
        state.importFiles[id] = data
        return true
    }

    public func importFile(poolId: String, id: String) throws -> Data? {
        try available()
        guard state.importJobs[id]?.poolId == poolId else { return nil }
        return state.importFiles[id]
    }

    public func deleteImportFile(poolId: String, id: String) throws {
        try available()
        if state.importJobs[id]?.poolId == poolId { state.importFiles[id] = nil }
    }

    public func claimImportJob(holder: UUID, at date: Date, until: Date) throws -> UserImportJob? {
        try available()
        guard var job = state.importJobs.values.sorted(by: { $0.id < $1.id })
            .first(where: { $0.status.isRunnable && ($0.heldUntil.map { $0 < date } ?? true) })
        else { return nil }
        job.holder = holder
        job.heldUntil = until
        state.importJobs[job.id] = job
        return job
    }
}

extension MemoryStore: DeviceStore {
    public func createDevice(_ device: Device) throws {
        try available()
        guard let user = state.users[device.userSub], user.poolId == device.poolId else { throw StoreError.notFound("user \(device.userSub)") }
        guard state.devices[device.key] == nil else { throw StoreError.duplicate("device") }
        state.devices[device.key] = device
    }

    public func device(poolId: String, key: String) throws -> Device? {
        try available()
        return state.devices[key].flatMap { $0.poolId == poolId ? $0 : nil }
    }

    public func updateDevice(poolId: String, key: String, _ change: @escaping @Sendable (inout Device) throws -> Void) throws -> Device {
        try available()
        guard var device = state.devices[key], device.poolId == poolId else { throw StoreError.notFound("device \(key)") }
        let kept = device
        try change(&device)
        device.key = key
        device.poolId = poolId
        device.userSub = kept.userSub
        device.createdAt = kept.createdAt
        state.devices[key] = device
        return device
    }

    public func devices(poolId: String, userSub: UUID?, limit: Int, after cursor: String?) throws -> ListPage<Device> {
        try available()
        var found = state.devices.values.filter { $0.poolId == poolId && (userSub == nil || $0.userSub == userSub) && $0.isConfirmed }.sorted { $0.key < $1.key }
        if let key = Paging.key(cursor) { found = found.filter { $0.key > key } }
        let items = Array(found.prefix(limit))
        return ListPage(items: items, next: found.count > limit ? items.last.map { Paging.cursor($0.key) } : nil)
    }

    public func deleteDevice(poolId: String, key: String) throws {
        try available()
        guard state.devices[key]?.poolId == poolId else { throw StoreError.notFound("device \(key)") }
        state.devices[key] = nil
    }
}

extension MemoryStore: WebAuthnCredentialStore {
    @discardableResult
    public func createWebAuthnCredential(_ credential: WebAuthnCredential, limit: Int?) throws -> Bool {
        try available()
        guard let user = state.users[credential.userSub], user.poolId == credential.poolId else { throw StoreError.notFound("user \(credential.userSub)") }
        let key = credential.poolId + "/" + credential.id
        guard state.passkeys[key] == nil else { throw StoreError.duplicate("passkey") }
        if let limit, state.passkeys.values.count(where: { $0.poolId == credential.poolId && $0.userSub == credential.userSub }) >= limit {
            return false
        }
        state.passkeys[key] = credential
        return true
    }

    public func webAuthnCredential(poolId: String, id: String) throws -> WebAuthnCredential? {
        try available()
        return state.passkeys[poolId + "/" + id]
    }

    public func webAuthnCredentials(poolId: String, userSub: UUID?, limit: Int, after cursor: String?) throws -> ListPage<WebAuthnCredential> {
        try available()
        var found = state.passkeys.filter { $0.value.poolId == poolId && (userSub == nil || $0.value.userSub == userSub) }.sorted { $0.key < $1.key }
        if let key = Paging.key(cursor) { found = found.filter { $0.key > key } }
        let items = Array(found.prefix(limit))
        return ListPage(items: items.map(\.value), next: found.count > limit ? items.last.map { Paging.cursor($0.key) } : nil)
    }

    public func recordWebAuthnUse(poolId: String, id: String, expected: UInt32, signCount: UInt32, at date: Date) throws -> Bool {
        try available()
        let key = poolId + "/" + id
        guard var credential = state.passkeys[key], credential.signCount == expected else { return false }
        credential.signCount = signCount
        credential.lastUsedAt = date
        state.passkeys[key] = credential
        return true
    }

    public func deleteWebAuthnCredential(poolId: String, userSub: UUID, id: String) throws {
        try available()
        let key = poolId + "/" + id
        guard state.passkeys[key]?.userSub == userSub else { throw StoreError.notFound("passkey \(id)") }
        state.passkeys[key] = nil
    }
}

extension MemoryStore {
    public func updateDomain(named name: String, poolId: String, certificateArn: String?, managedLoginVersion: Int?) throws -> UserPoolDomain {
        try available()
        guard var domain = state.domains[name], domain.poolId == poolId else { throw StoreError.notFound("domain \(name)") }
        domain.certificateArn = certificateArn
        domain.managedLoginVersion = managedLoginVersion
        state.domains[name] = domain
        return domain
    }
}
