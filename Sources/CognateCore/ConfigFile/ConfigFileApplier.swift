import CognateModel
import Foundation

/// Brings the store in line with a config file. Applying the same file twice changes nothing:
/// records are matched by id or name and written only when they differ. Passwords are set
/// only when a user is created, so a restart does not re-hash them.
public struct ConfigFileApplier: Sendable {
    public struct Report: Sendable, Equatable {
        public var created: [String] = []
        public var updated: [String] = []
        /// Client secrets generated now, shown this once: (pool id, client id, secret).
        public var generatedSecrets: [String] = []
    }

    /// What applying a file writes: pools, clients, resource servers, groups and users.
    public typealias Store = UserPoolStore & AppClientStore & UserStore & GroupStore & ResourceServerStore & IdentityProviderStore
        & UICustomizationStore & ManagedLoginBrandingStore
    let store: any Store
    let pools: PoolService
    let keyring: Keyring
    let credentials: Credentials
    /// Reads OIDC issuers' discovery documents for declared providers; nil: not read.
    let http: (any OutboundHTTP)?
    let now: Now

    public init(store: any Store, pools: PoolService, keyring: Keyring, credentials: Credentials, http: (any OutboundHTTP)? = nil,
                now: @escaping Now) {
        self.http = http
        self.store = store
        self.pools = pools
        self.keyring = keyring
        self.credentials = credentials
        self.now = now
    }

    public func apply(_ file: ConfigFile) async throws -> Report {
        var report = Report()
        for declaration in file.pools {
            let pool = try await applyPool(declaration, report: &report)
            if let custom = declaration.uiCustomization {
                try await applyUICustomization(custom, pool: pool, clientId: UICustomization.allClients, report: &report)
            }
            for server in declaration.resourceServers { try await applyResourceServer(server, pool: pool, report: &report) }
            // before the clients, which name them
            for provider in declaration.identityProviders { try await applyIdentityProvider(provider, pool: pool, report: &report) }
            for client in declaration.clients {
                let clientId = try await applyClient(client, pool: pool, report: &report)
                if let custom = client.uiCustomization { try await applyUICustomization(custom, pool: pool, clientId: clientId, report: &report) }
                if let style = client.managedLogin { try await applyManagedLogin(style, pool: pool, clientId: clientId, report: &report) }
            }
            for group in declaration.groups { try await applyGroup(group, pool: pool, report: &report) }
            for user in declaration.users { try await applyUser(user, pool: pool, report: &report) }
        }
        return report
    }

    func applyPool(_ declaration: ConfigFile.PoolDeclaration, report: inout Report) async throws -> UserPool {
        let existing: UserPool?
        if let id = declaration.id {
            existing = try await store.pool(id: id)
        } else {
            existing = try await store.pool(named: declaration.pool.name)
        }
        guard var current = existing else {
            let settings = declaration.pool
            let created = try await pools.createPool({ pool in
                let (id, createdAt) = (pool.id, pool.createdAt)
                pool = settings
                pool.id = id
                pool.createdAt = createdAt
                pool.updatedAt = createdAt
            }, id: declaration.id)
            report.created.append("pool \(created.id) (\(created.name))")
            return created
        }
        var desired = declaration.pool
        desired.id = current.id
        desired.createdAt = current.createdAt
        desired.updatedAt = current.updatedAt
        guard desired != current else { return current }
        let date = now()
        desired.updatedAt = date
        let final = desired
        current = try await store.updatePool(id: current.id) { $0 = final }
        if existing?.signingAlgorithm != final.signingAlgorithm {
            try await keyring.rotate(poolId: final.id, algorithm: final.signingAlgorithm)
        }
        report.updated.append("pool \(current.id) (\(current.name))")
        return current
    }

    func applyIdentityProvider(_ declaration: ConfigFile.IdentityProviderDeclaration, pool: UserPool, report: inout Report) async throws {
        let service = IdentityProviderService(store: store, masterKey: pools.masterKey, http: http, now: now)
        guard let current = try await store.identityProvider(poolId: pool.id, name: declaration.name) else {
            _ = try await service.create(poolId: pool.id, name: declaration.name, type: declaration.type, details: declaration.details,
                                         attributeMapping: declaration.attributeMapping, identifiers: declaration.identifiers)
            report.created.append("identity provider \(declaration.name) in \(pool.id)")
            return
        }
        guard current.type == declaration.type else {
            throw ValidationError(field: "identityProviders", message: "\(declaration.name) is a \(current.type.rawValue) provider already; delete it to change its type")
        }
        guard try service.differs(current, details: declaration.details, attributeMapping: declaration.attributeMapping,
                                  identifiers: declaration.identifiers, pool: pool) else { return }
        _ = try await service.update(poolId: pool.id, name: declaration.name, details: declaration.details,
                                     attributeMapping: declaration.attributeMapping, identifiers: declaration.identifiers)
        report.updated.append("identity provider \(declaration.name) in \(pool.id)")
    }

    /// Makes or updates the client; its id.
    @discardableResult
    func applyClient(_ declaration: ConfigFile.ClientDeclaration, pool: UserPool, report: inout Report) async throws -> String {
        let existing: AppClient?
        if let id = declaration.id {
            existing = try await store.client(poolId: pool.id, clientId: id)
        } else {
            existing = try await findClient(named: declaration.client.name, poolId: pool.id)
        }
        guard let current = existing else {
            let settings = declaration.client
            let (client, secret) = try await pools.createClient(
                poolId: pool.id, generateSecret: declaration.generateSecret, secret: declaration.secret,
                clientId: declaration.id
            ) { client in
                let (id, secretHash, createdAt) = (client.clientId, client.secretHash, client.createdAt)
                client = settings
                client.poolId = pool.id
                client.clientId = id
                client.secretHash = secretHash
                client.sealedSecret = nil
                client.createdAt = createdAt
                client.updatedAt = createdAt
            }
            report.created.append("client \(client.clientId) (\(client.name)) in \(pool.id)")
            if let secret, declaration.secret == nil {
                report.generatedSecrets.append("\(pool.id) \(client.clientId) \(secret)")
            }
            return client.clientId
        }
        var desired = declaration.client
        desired.poolId = pool.id
        desired.clientId = current.clientId
        desired.createdAt = current.createdAt
        desired.updatedAt = current.updatedAt
        desired.terms = current.terms  // set through the API (CreateTerms), not the file
        if let secret = declaration.secret {
            let keeps = current.secretHash.map { SecretDigest.matches(secret, hash: $0) } ?? false
            desired.secretHash = keeps ? current.secretHash : SecretDigest.sha256Hex(secret)
            desired.sealedSecret = keeps ? current.sealedSecret : try pools.sealSecret(secret, clientId: current.clientId)
            desired.secretCreatedAt = keeps ? current.secretCreatedAt : now()
            desired.additionalSecret = current.additionalSecret  // a rotation under way through the API goes on
        } else {
            let confidential = declaration.generateSecret
            desired.secretHash = confidential ? current.secretHash : nil
            desired.sealedSecret = confidential ? current.sealedSecret : nil
            desired.secretCreatedAt = confidential ? current.secretCreatedAt : nil
            desired.additionalSecret = confidential ? current.additionalSecret : nil
        }
        guard desired != current else { return current.clientId }
        desired.updatedAt = now()
        let final = desired
        try await store.updateClient(poolId: pool.id, clientId: current.clientId) { $0 = final }
        report.updated.append("client \(current.clientId) (\(current.name)) in \(pool.id)")
        return current.clientId
    }

    /// Sets a classic customization unless it is set as declared already.
    func applyUICustomization(_ declared: ConfigFile.UICustomizationDeclaration, pool: UserPool, clientId: String,
                              report: inout Report) async throws {
        let current = try await store.uiCustomization(poolId: pool.id, clientId: clientId)
        if let current, current.css == declared.css, current.image == declared.logo { return }
        let date = now()
        try await store.saveUICustomization(UICustomization(
            poolId: pool.id, clientId: clientId, css: declared.css, image: declared.logo, imageType: declared.logoType,
            version: UICustomizationRules.version(css: declared.css, image: declared.logo, at: date), createdAt: date, updatedAt: date))
        if current == nil {
            report.created.append("UI customization of \(clientId) in \(pool.id)")
        } else {
            report.updated.append("UI customization of \(clientId) in \(pool.id)")
        }
    }

    /// Makes the client's managed login style what the file says, unless it is already.
    func applyManagedLogin(_ declared: ConfigFile.ManagedLoginDeclaration, pool: UserPool, clientId: String, report: inout Report) async throws {
        let date = now()
        guard let current = try await store.managedLoginBranding(poolId: pool.id, clientId: clientId) else {
            try await store.createManagedLoginBranding(ManagedLoginBranding(
                id: UUID().uuidString.lowercased(), poolId: pool.id, clientId: clientId, useCognitoProvidedValues: false,
                settings: declared.settings, assets: declared.assets, createdAt: date, updatedAt: date), files: declared.files)
            report.created.append("managed login style of \(clientId) in \(pool.id)")
            return
        }
        if current.settings == declared.settings, current.assets == declared.assets, !current.useCognitoProvidedValues { return }
        _ = try await store.updateManagedLoginBranding(poolId: pool.id, id: current.id, files: declared.files) { branding in
            branding.useCognitoProvidedValues = false
            branding.settings = declared.settings
            branding.assets = declared.assets
            branding.updatedAt = date
        }
        report.updated.append("managed login style of \(clientId) in \(pool.id)")
    }

    func findClient(named name: String, poolId: String) async throws -> AppClient? {
        var cursor: String?
        repeat {
            let page = try await store.listClients(poolId: poolId, limit: 60, after: cursor)
            if let match = page.items.first(where: { $0.name == name }) { return match }
            cursor = page.next
        } while cursor != nil
        return nil
    }

    func applyResourceServer(_ declared: ResourceServer, pool: UserPool, report: inout Report) async throws {
        var desired = declared
        desired.poolId = pool.id
        if let current = try await store.resourceServer(poolId: pool.id, identifier: declared.identifier) {
            guard current != desired else { return }
            let final = desired
            try await store.updateResourceServer(poolId: pool.id, identifier: declared.identifier) { $0 = final }
            report.updated.append("resource server \(declared.identifier) in \(pool.id)")
        } else {
            try await store.createResourceServer(desired)
            report.created.append("resource server \(declared.identifier) in \(pool.id)")
        }
    }

    func applyGroup(_ declared: Group, pool: UserPool, report: inout Report) async throws {
        if let current = try await store.group(poolId: pool.id, name: declared.name) {
            guard current.description != declared.description || current.precedence != declared.precedence
                || current.roleArn != declared.roleArn
            else { return }
            let date = now()
            try await store.updateGroup(poolId: pool.id, name: declared.name) { group in
                group.description = declared.description
                group.precedence = declared.precedence
                group.roleArn = declared.roleArn
                group.updatedAt = date
            }
            report.updated.append("group \(declared.name) in \(pool.id)")
        } else {
            var group = declared
            group.poolId = pool.id
            group.createdAt = now()
            group.updatedAt = group.createdAt
            try await store.createGroup(group)
            report.created.append("group \(declared.name) in \(pool.id)")
        }
    }

    func applyUser(_ declared: ConfigFile.UserDeclaration, pool: UserPool, report: inout Report) async throws {
        let key = UserIdentifier.key(declared.username, caseSensitive: pool.caseSensitive)
        var user: User
        if let current = try await store.user(poolId: pool.id, identifierKey: key) {
            user = current
            var changed = false
            if current.enabled != declared.enabled { changed = true }
            if declared.attributes.contains(where: { current.attributes[$0.key] != $0.value }) { changed = true }
            if changed {
                let date = now()
                user = try await store.updateUser(poolId: pool.id, sub: current.sub, identifiers: { $0.identifiers(in: pool) }) { user in
                    user.enabled = declared.enabled
                    user.attributes.merge(declared.attributes) { $1 }
                    user.updatedAt = date
                }
                report.updated.append("user \(declared.username) in \(pool.id)")
            }
        } else {
            let (password, status): (NewUser.Password, UserStatus) = switch declared.password {
            case .none: (.none, .forceChangePassword)
            case .permanent(let password): (.plain(password), .confirmed)
            case .temporary(let password): (.plain(password), .forceChangePassword)
            case .imported(let imported): (.hashed(imported), .confirmed)
            }
            user = try await UserCreator(store: store, credentials: credentials, now: now).create(
                NewUser(username: declared.username, status: status, enabled: declared.enabled, attributes: declared.attributes,
                        password: password), in: pool)
            report.created.append("user \(declared.username) in \(pool.id)")
        }
        let memberOf = Set(try await store.groups(poolId: pool.id, userSub: user.sub).map(\.name))
        for group in declared.groups where !memberOf.contains(group) {
            try await store.addMember(poolId: pool.id, group: group, userSub: user.sub)
        }
    }
}
