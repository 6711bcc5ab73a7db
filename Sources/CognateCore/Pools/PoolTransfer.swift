import CognateModel
import Crypto
import Foundation

/// A whole pool as JSON lines (`cognate export` / `cognate import`): a header, the pool, its
/// signing keys (oldest first), its own settings, domains, resource servers, clients, page
/// customizations, brandings, identity providers, groups, then its users (password hashes, SRP
/// verifiers and MFA secrets with them, and their groups), and a closing line with the counts,
/// so a cut-off file is told from a whole one. Sealed values stay sealed: under the exporting
/// server's master key, or re-sealed for the target's (`for`), or on import (`from`).
public enum PoolTransfer {
    public static let format = "cognate-pool-export"
    public static let version = 1

    /// One line of the file.
    public struct Line: Codable, Sendable {
        public var type: String
        public var format: String?
        public var version: Int?
        public var poolId: String?
        public var exportedAt: Date?
        /// Which master key sealed the file's secrets (a MAC of a fixed text under it, not the key).
        public var sealedWith: String?
        public var pool: UserPool?
        public var key: SigningKey?
        public var name: String?
        public var value: String?
        public var domain: UserPoolDomain?
        public var resourceServer: ResourceServer?
        public var client: AppClient?
        public var uiCustomization: UICustomization?
        public var branding: ManagedLoginBranding?
        public var files: [String: Data]?
        public var identityProvider: IdentityProvider?
        public var group: Group?
        public var user: User?
        public var groups: [String]?
        public var passkey: WebAuthnCredential?
        public var device: Device?
        public var counts: Counts?

        init(_ type: String) { self.type = type }
    }

    public struct Counts: Codable, Sendable, Equatable {
        public var keys = 0, settings = 0, domains = 0, resourceServers = 0, clients = 0, customizations = 0, brandings = 0
        public var identityProviders = 0, groups = 0, users = 0, memberships = 0, passkeys = 0, devices = 0

        public init() {}

        /// Lenient: a file from before passkeys and devices were carried names none.
        public init(from decoder: any Decoder) throws {
            let values = try decoder.container(keyedBy: CodingKeys.self)
            func count(_ key: CodingKeys) throws -> Int { try values.decodeIfPresent(Int.self, forKey: key) ?? 0 }
            (keys, settings, domains, resourceServers) = (try count(.keys), try count(.settings), try count(.domains), try count(.resourceServers))
            (clients, customizations, brandings) = (try count(.clients), try count(.customizations), try count(.brandings))
            (identityProviders, groups, users, memberships) = (try count(.identityProviders), try count(.groups), try count(.users), try count(.memberships))
            (passkeys, devices) = (try count(.passkeys), try count(.devices))
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// A check of which key sealed a file: it names the key without revealing it.
    public static func keyCheck(_ key: MasterKey) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: Data("cognate pool export".utf8), using: key.derivedKey(purpose: "pool-export")))
            .base64URLEncoded
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return decoder
    }()

    static func branding(files: [ManagedLoginAsset.Key: Data]) -> [String: Data] {
        Dictionary(uniqueKeysWithValues: files.map { ("\($0.key.category)/\($0.key.colorMode)", $0.value) })
    }

    static func files(_ named: [String: Data]) -> [ManagedLoginAsset.Key: Data] {
        Dictionary(uniqueKeysWithValues: named.compactMap { name, data in
            let parts = name.split(separator: "/", maxSplits: 1).map(String.init)
            return parts.count == 2 ? (ManagedLoginAsset.Key(category: parts[0], colorMode: parts[1]), data) : nil
        })
    }
}

/// Opens what one master key sealed and seals it again under another, each value under the
/// context it was sealed with (they name pools, clients, users and keys, which keep their ids).
struct Resealer {
    let from: MasterKey
    let to: MasterKey

    var changes: Bool { from.base64 != to.base64 }

    func data(_ sealed: Data, _ context: String) throws -> Data {
        changes ? try to.seal(try from.open(sealed, context: context), context: context) : sealed
    }

    func text(_ sealed: String, _ context: String) throws -> String {
        guard changes, !sealed.isEmpty, let data = Data(lenientBase64: sealed) else { return sealed }
        return try self.data(data, context).base64URLEncoded
    }

    func key(_ key: SigningKey) throws -> SigningKey {
        var key = key
        key.sealedPrivateKey = try data(key.sealedPrivateKey, SigningKeyFactory.sealContext(poolId: key.poolId, kid: key.kid))
        return key
    }

    func client(_ client: AppClient) throws -> AppClient {
        var client = client
        client.sealedSecret = try client.sealedSecret.map { try data($0, PoolService.secretContext(client.clientId)) }
        if let second = client.additionalSecret {
            client.additionalSecret?.sealed = try data(second.sealed, PoolService.secretContext(client.clientId))
        }
        return client
    }

    func user(_ user: User) throws -> User {
        var user = user
        user.srpVerifier = try user.srpVerifier.map { try data($0, Credentials.context(user.sub)) }
        user.mfa.totpSecret = try user.mfa.totpSecret.map { try data($0, SignInService.totpContext(user.sub)) }
        user.mfa.pendingTotpSecret = try user.mfa.pendingTotpSecret.map { try data($0, SignInService.totpContext(user.sub)) }
        return user
    }

    func device(_ device: Device) throws -> Device {
        var device = device
        device.sealedVerifier = try device.sealedVerifier.map { try data($0, SignInService.deviceVerifierContextPrefix + device.key) }
        return device
    }

    func provider(_ provider: IdentityProvider) throws -> IdentityProvider {
        var provider = provider
        for (name, sealed) in provider.sealedSecrets {
            provider.sealedSecrets[name] = try data(sealed, IdentityProviderService.sealContext(name, provider))
        }
        return provider
    }

    /// A pool's own setting (see `PoolSettings`), by its kind.
    func setting(_ name: String, _ value: String, poolId: String) throws -> String {
        guard changes else { return value }
        switch name {
        case TriggerSecrets.name(poolId), MigrationSources.name(poolId):
            return try text(value, name)
        case PoolSettings.name("saml-sp-keys", poolId: poolId):
            var stored = try JSONDecoder().decode(SAMLServiceProvider.Stored.self, from: Data(value.utf8))
            stored.signing.sealedPrivateKey = try data(stored.signing.sealedPrivateKey, SAMLServiceProvider.keyContext("signing", poolId: poolId))
            stored.encryption.sealedPrivateKey = try data(stored.encryption.sealedPrivateKey,
                                                          SAMLServiceProvider.keyContext("encryption", poolId: poolId))
            return String(decoding: try JSONEncoder().encode(stored), as: UTF8.self)
        default:
            throw PoolTransfer.Failure("the setting \(name) is not one of the pool's")
        }
    }
}

/// Writes a pool's lines, a page at a time, however many users it has.
public struct PoolExporter: Sendable {
    let store: any CognateStore
    let masterKey: MasterKey

    public init(store: any CognateStore, masterKey: MasterKey) {
        self.store = store
        self.masterKey = masterKey
    }

    /// `target`: the master key of the server the file is for (its secrets are sealed for it);
    /// nil: this server's. `progress` is told the users written so far, now and then.
    public func export(poolId: String, for target: MasterKey?, now: Date, write: (String) throws -> Void,
                       progress: (Int) -> Void = { _ in }) async throws -> PoolTransfer.Counts {
        guard let pool = try await store.pool(id: poolId) else { throw PoolTransfer.Failure("no user pool \(poolId)") }
        let reseal = Resealer(from: masterKey, to: target ?? masterKey)
        var counts = PoolTransfer.Counts()
        func emit(_ line: PoolTransfer.Line) throws {
            try write(String(decoding: try PoolTransfer.encoder.encode(line), as: UTF8.self))
        }
        var header = PoolTransfer.Line("header")
        header.format = PoolTransfer.format
        header.version = PoolTransfer.version
        header.poolId = poolId
        header.exportedAt = now
        header.sealedWith = PoolTransfer.keyCheck(target ?? masterKey)
        try emit(header)
        var line = PoolTransfer.Line("pool")
        line.pool = pool
        try emit(line)
        for key in try await store.signingKeys(poolId: poolId).reversed() {
            var line = PoolTransfer.Line("signingKey")
            line.key = try reseal.key(key)
            try emit(line)
            counts.keys += 1
        }
        for name in PoolSettings.names(poolId: poolId) {
            guard let value = try await store.setting(name), !value.isEmpty else { continue }
            var line = PoolTransfer.Line("setting")
            line.name = name
            line.value = try reseal.setting(name, value, poolId: poolId)
            try emit(line)
            counts.settings += 1
        }
        for domain in try await store.domains(poolId: poolId) {
            var line = PoolTransfer.Line("domain")
            line.domain = domain
            try emit(line)
            counts.domains += 1
        }
        for server in try await ListPage.all({ try await store.listResourceServers(poolId: poolId, limit: $0, after: $1) }) {
            var line = PoolTransfer.Line("resourceServer")
            line.resourceServer = server
            try emit(line)
            counts.resourceServers += 1
        }
        let clients = try await ListPage.all { try await store.listClients(poolId: poolId, limit: $0, after: $1) }
        for client in clients {
            var line = PoolTransfer.Line("client")
            line.client = try reseal.client(client)
            try emit(line)
            counts.clients += 1
        }
        for clientId in [UICustomization.allClients] + clients.map(\.clientId) {
            if let customization = try await store.uiCustomization(poolId: poolId, clientId: clientId) {
                var line = PoolTransfer.Line("uiCustomization")
                line.uiCustomization = customization
                try emit(line)
                counts.customizations += 1
            }
            if clientId != UICustomization.allClients, let branding = try await store.managedLoginBranding(poolId: poolId, clientId: clientId) {
                var files: [ManagedLoginAsset.Key: Data] = [:]
                for asset in branding.assets {
                    files[asset.key] = try await store.managedLoginAssetFile(brandingId: branding.id, key: asset.key)
                }
                var line = PoolTransfer.Line("branding")
                line.branding = branding
                line.files = PoolTransfer.branding(files: files)
                try emit(line)
                counts.brandings += 1
            }
        }
        for provider in try await ListPage.all({ try await store.listIdentityProviders(poolId: poolId, limit: $0, after: $1) }) {
            var line = PoolTransfer.Line("identityProvider")
            line.identityProvider = try reseal.provider(provider)
            try emit(line)
            counts.identityProviders += 1
        }
        var memberOf: [UUID: [String]] = [:]
        for group in try await ListPage.all({ try await store.listGroups(poolId: poolId, limit: $0, after: $1) }) {
            var line = PoolTransfer.Line("group")
            line.group = group
            try emit(line)
            counts.groups += 1
            for member in try await ListPage.all(size: 500, { try await store.members(poolId: poolId, group: group.name, limit: $0, after: $1) }) {
                memberOf[member.sub, default: []].append(group.name)
            }
        }
        var cursor: String?
        repeat {
            let page = try await store.listUsers(poolId: poolId, limit: 500, after: cursor)
            for user in page.items {
                var line = PoolTransfer.Line("user")
                line.user = try reseal.user(user)
                line.groups = memberOf[user.sub]
                try emit(line)
                counts.users += 1
                counts.memberships += line.groups?.count ?? 0
            }
            progress(counts.users)
            cursor = page.next
        } while cursor != nil
        // after the users they belong to: passkeys (public keys and counters) and remembered devices
        // (a page at a time, as the users)
        cursor = nil
        repeat {
            let page = try await store.webAuthnCredentials(poolId: poolId, userSub: nil, limit: 500, after: cursor)
            for passkey in page.items {
                var line = PoolTransfer.Line("passkey")
                line.passkey = passkey
                try emit(line)
                counts.passkeys += 1
            }
            cursor = page.next
        } while cursor != nil
        repeat {
            let page = try await store.devices(poolId: poolId, userSub: nil, limit: 500, after: cursor)
            for device in page.items {
                var line = PoolTransfer.Line("device")
                line.device = try reseal.device(device)
                try emit(line)
                counts.devices += 1
            }
            cursor = page.next
        } while cursor != nil
        var end = PoolTransfer.Line("end")
        end.counts = counts
        try emit(end)
        return counts
    }
}

/// Reads a pool's lines into a server that does not have the pool. Anything wrong (a line out
/// of place, a cut-off file, a name taken) stops it and removes what it made: the pool is
/// there whole, or not at all.
public struct PoolImporter: Sendable {
    let store: any CognateStore
    let masterKey: MasterKey

    public init(store: any CognateStore, masterKey: MasterKey) {
        self.store = store
        self.masterKey = masterKey
    }

    /// `source`: the master key that sealed the file's secrets when it is not this server's.
    /// `next` gives the file's lines one at a time (nil at its end).
    public func importPool(source: MasterKey?, next: () throws -> String?, progress: (Int) -> Void = { _ in }) async throws
        -> (poolId: String, counts: PoolTransfer.Counts)
    {
        func read() throws -> PoolTransfer.Line? {
            while let text = try next() {
                if text.trimmingCharacters(in: .whitespaces).isEmpty { continue }
                do {
                    return try PoolTransfer.decoder.decode(PoolTransfer.Line.self, from: Data(text.utf8))
                } catch {
                    throw PoolTransfer.Failure("a line is not one of an export: \(String(text.prefix(80)))")
                }
            }
            return nil
        }
        guard let header = try read(), header.type == "header", header.format == PoolTransfer.format, let poolId = header.poolId else {
            throw PoolTransfer.Failure("not a Cognate pool export (its first line is not the header)")
        }
        guard header.version == PoolTransfer.version else { throw PoolTransfer.Failure("export version \(header.version ?? 0) is not \(PoolTransfer.version)") }
        let sealer: MasterKey
        if header.sealedWith == PoolTransfer.keyCheck(masterKey) {
            sealer = masterKey
        } else if let source {
            guard header.sealedWith == PoolTransfer.keyCheck(source) else {
                throw PoolTransfer.Failure("the master key given is not the one that sealed the file")
            }
            sealer = source
        } else {
            throw PoolTransfer.Failure("the file was sealed with another master key: give the exporting server's (--from-master-key FILE)")
        }
        let reseal = Resealer(from: sealer, to: masterKey)
        guard let first = try read(), first.type == "pool", var pool = first.pool, pool.id == poolId else {
            throw PoolTransfer.Failure("the pool's line is missing")
        }
        guard try await store.pool(id: poolId) == nil else { throw PoolTransfer.Failure("the pool \(poolId) is here already") }
        pool.id = poolId
        var keys: [SigningKey] = []
        var line = try read()
        while let current = line, current.type == "signingKey", let key = current.key {
            guard key.poolId == poolId else { throw PoolTransfer.Failure("a signing key of another pool") }
            keys.append(try reseal.key(key))
            line = try read()
        }
        guard let oldest = keys.first else { throw PoolTransfer.Failure("the pool has no signing key in the file") }
        try await store.createPool(pool, signingKey: oldest)
        do {
            var counts = PoolTransfer.Counts()
            counts.keys = keys.count
            for key in keys.dropFirst() { try await store.rotate(to: key) }
            var users: [(User, [String])] = []
            func flush() async throws {
                guard !users.isEmpty else { return }
                let refusals = try await store.createUsers(users.map { ($0.0, $0.0.identifiers(in: pool)) })
                if let index = refusals.firstIndex(where: { $0 != nil }) {
                    throw PoolTransfer.Failure("the user \(users[index].0.username) could not be kept: \(refusals[index]!)")
                }
                for (user, groups) in users {
                    for group in groups { try await store.addMember(poolId: poolId, group: group, userSub: user.sub) }
                    counts.memberships += groups.count
                }
                counts.users += users.count
                users.removeAll(keepingCapacity: true)
                progress(counts.users)
            }
            var ended: PoolTransfer.Counts?
            while let current = line {
                guard ended == nil else { throw PoolTransfer.Failure("lines after the end line") }
                /// The line's record, which must be there and be the pool's.
                func record<T>(_ value: T?, _ pool: KeyPath<T, String>) throws -> T {
                    guard let value else { throw PoolTransfer.Failure("an empty \(current.type) line") }
                    guard value[keyPath: pool] == poolId else { throw PoolTransfer.Failure("a \(current.type) of another pool") }
                    return value
                }
                switch current.type {
                case "setting":
                    guard let name = current.name, let value = current.value, PoolSettings.names(poolId: poolId).contains(name) else {
                        throw PoolTransfer.Failure("a setting that is not the pool's")
                    }
                    _ = try await store.setSettingIfAbsent(name, value: try reseal.setting(name, value, poolId: poolId))
                    counts.settings += 1
                case "domain":
                    let domain = try record(current.domain, \.poolId)
                    do {
                        try await store.createDomain(domain)
                    } catch StoreError.duplicate {
                        throw PoolTransfer.Failure("the domain \(domain.domain) belongs to another pool here")
                    }
                    counts.domains += 1
                case "resourceServer":
                    let server = try record(current.resourceServer, \.poolId)
                    try await store.createResourceServer(server)
                    counts.resourceServers += 1
                case "client":
                    let client = try record(current.client, \.poolId)
                    do {
                        try await store.createClient(try reseal.client(client))
                    } catch StoreError.duplicate {
                        throw PoolTransfer.Failure("the client id \(client.clientId) is another pool's here")
                    }
                    counts.clients += 1
                case "uiCustomization":
                    let customization = try record(current.uiCustomization, \.poolId)
                    try await store.saveUICustomization(customization)
                    counts.customizations += 1
                case "branding":
                    let branding = try record(current.branding, \.poolId)
                    try await store.createManagedLoginBranding(branding, files: PoolTransfer.files(current.files ?? [:]))
                    counts.brandings += 1
                case "identityProvider":
                    let provider = try record(current.identityProvider, \.poolId)
                    try await store.createIdentityProvider(try reseal.provider(provider))
                    counts.identityProviders += 1
                case "group":
                    let group = try record(current.group, \.poolId)
                    try await store.createGroup(group)
                    counts.groups += 1
                case "user":
                    let user = try record(current.user, \.poolId)
                    users.append((try reseal.user(user), current.groups ?? []))
                    if users.count >= 500 { try await flush() }
                case "passkey":
                    let passkey = try record(current.passkey, \.poolId)
                    try await flush()
                    do {
                        try await store.createWebAuthnCredential(passkey, limit: nil)
                    } catch let error as StoreError {
                        throw PoolTransfer.Failure("the passkey \(passkey.id) could not be kept: \(error)")
                    }
                    counts.passkeys += 1
                case "device":
                    let device = try record(current.device, \.poolId)
                    try await flush()
                    do {
                        try await store.createDevice(try reseal.device(device))
                    } catch let error as StoreError {
                        throw PoolTransfer.Failure("the device \(device.key) could not be kept: \(error)")
                    }
                    counts.devices += 1
                case "end":
                    try await flush()
                    ended = current.counts ?? PoolTransfer.Counts()
                default:
                    throw PoolTransfer.Failure("a line of an unknown kind: \(current.type)")
                }
                line = try read()
            }
            guard let ended else { throw PoolTransfer.Failure("the file ends before its end line: it was cut off") }
            guard ended == counts else { throw PoolTransfer.Failure("the file names \(ended.users) users and more; \(counts.users) were read") }
            return (poolId, counts)
        } catch {
            // nothing half-made: the pool goes with everything kept so far
            try? await store.deletePool(id: poolId)
            throw error
        }
    }
}
