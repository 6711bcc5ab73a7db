import CognateModel
import FluentKit
import SQLKit
import Foundation

extension FluentStore: UserPoolStore {
    public func createPool(_ pool: UserPool, signingKey: SigningKey) async throws {
        try await run("user pool") {
            try await database.transaction { db in
                let row = PoolRow()
                row.id = pool.id
                try Self.fill(row, with: pool)
                try await row.create(on: db)
                try await Self.keyRow(signingKey).create(on: db)
            }
        }
    }

    public func pool(id: String) async throws -> UserPool? {
        try await cache.value("pool:\(id)", poolOf: \.id) {
            try await run("user pool") { try await PoolRow.find(id, on: database).map(Self.pool) }
        }
    }

    public func pool(named name: String) async throws -> UserPool? {
        try await run("user pool") {
            try await PoolRow.query(on: database).filter(\.$name == name).first().map(Self.pool)
        }
    }

    public func listPools(limit: Int, after cursor: String?) async throws -> ListPage<UserPool> {
        try await run("user pool") {
            let query = PoolRow.query(on: database).sort(\.$id).limit(limit + 1)
            if let key = Self.key(fromCursor: cursor) { query.filter(\.$id > key) }
            return try Self.page(try await query.all(), limit: limit, key: { $0.id ?? "" }, map: Self.pool)
        }
    }

    public func updatePool(id: String, _ change: @escaping @Sendable (inout UserPool) throws -> Void) async throws -> UserPool {
        defer { cache.invalidate(poolId: id) }
        return try await run("user pool") {
            try await poolTransaction(id) { db in
                guard let row = try await PoolRow.find(id, on: db) else { throw StoreError.notFound("user pool \(id)") }
                var pool = try Self.pool(row)
                do { try change(&pool) } catch { throw ValidationFailure(underlying: error) }
                pool.id = id
                try Self.fill(row, with: pool)
                try await row.update(on: db)
                return pool
            }
        }
    }

    public func deletePool(id: String) async throws {
        defer { cache.invalidate(poolId: id) }
        try await run("user pool") {
            try await poolTransaction(id) { db in
                guard let row = try await PoolRow.find(id, on: db) else { throw StoreError.notFound("user pool \(id)") }
                try await row.delete(on: db)
                // its own settings (sealed secrets among them) go with it
                try await SettingRow.query(on: db).filter(\.$id ~~ PoolSettings.names(poolId: id)).delete()
            }
        }
    }

    static func fill(_ row: PoolRow, with pool: UserPool) throws {
        row.name = pool.name
        row.document = try encode(pool)
        row.createdAt = pool.createdAt
        row.updatedAt = pool.updatedAt
    }

    static func pool(_ row: PoolRow) throws -> UserPool {
        try decode(UserPool.self, row.document)
    }
}

extension FluentStore: AppClientStore {
    public func createClient(_ client: AppClient) async throws {
        defer { cache.invalidate(poolId: client.poolId) }
        try await run("client id") {
            guard try await PoolRow.find(client.poolId, on: database) != nil else {
                throw StoreError.notFound("user pool \(client.poolId)")
            }
            let row = ClientRow()
            row.id = client.clientId
            try Self.fill(row, with: client)
            try await row.create(on: database)
        }
    }

    public func client(poolId: String, clientId: String) async throws -> AppClient? {
        guard let client = try await client(id: clientId), client.poolId == poolId else { return nil }
        return client
    }

    public func client(id clientId: String) async throws -> AppClient? {
        try await cache.value("client:\(clientId)", poolOf: \.poolId) {
            try await run("app client") { try await ClientRow.find(clientId, on: database).map(Self.client) }
        }
    }

    public func listClients(poolId: String, limit: Int, after cursor: String?) async throws -> ListPage<AppClient> {
        try await cache.value("clients:\(poolId):\(limit):\(cursor ?? "")", pool: poolId) {
            try await run("app client") {
                let query = ClientRow.query(on: database).filter(\.$poolId == poolId).sort(\.$id).limit(limit + 1)
                if let key = Self.key(fromCursor: cursor) { query.filter(\.$id > key) }
                return try Self.page(try await query.all(), limit: limit, key: { $0.id ?? "" }, map: Self.client)
            }
        }
    }

    public func updateClient(poolId: String, clientId: String, _ change: @escaping @Sendable (inout AppClient) throws -> Void) async throws -> AppClient {
        defer { cache.invalidate(poolId: poolId) }
        return try await run("app client") {
            try await poolTransaction(poolId) { db in
                guard let row = try await ClientRow.find(clientId, on: db), row.poolId == poolId else {
                    throw StoreError.notFound("app client \(clientId)")
                }
                var client = try Self.client(row)
                do { try change(&client) } catch { throw ValidationFailure(underlying: error) }
                client.poolId = poolId
                client.clientId = clientId
                try Self.fill(row, with: client)
                try await row.update(on: db)
                return client
            }
        }
    }

    public func deleteClient(poolId: String, clientId: String) async throws {
        defer { cache.invalidate(poolId: poolId) }
        try await run("app client") {
            guard let row = try await ClientRow.find(clientId, on: database), row.poolId == poolId else {
                throw StoreError.notFound("app client \(clientId)")
            }
            try await row.delete(on: database)
        }
    }

    static func fill(_ row: ClientRow, with client: AppClient) throws {
        row.poolId = client.poolId
        row.name = client.name
        row.secretHash = client.secretHash
        row.document = try encode(client)
        row.createdAt = client.createdAt
        row.updatedAt = client.updatedAt
    }

    static func client(_ row: ClientRow) throws -> AppClient {
        try decode(AppClient.self, row.document)
    }
}

extension FluentStore: SigningKeyStore {
    public func signingKeys(poolId: String) async throws -> [SigningKey] {
        try await cache.value("keys:\(poolId)", pool: poolId) {
            try await run("signing key") {
                try await SigningKeyRow.query(on: database).filter(\.$poolId == poolId)
                    .sort(\.$createdAt, .descending).all().map(Self.signingKey)
            }
        }
    }

    public func signingKey(kid: String) async throws -> SigningKey? {
        try await cache.value("kid:\(kid)", poolOf: \.poolId) {
            try await run("signing key") {
                try await SigningKeyRow.query(on: database).filter(\.$kid == kid).first().map(Self.signingKey)
            }
        }
    }

    public func rotate(to key: SigningKey) async throws {
        defer { cache.invalidate(poolId: key.poolId) }
        try await run("signing key") {
            try await poolTransaction(key.poolId) { db in
                guard try await PoolRow.find(key.poolId, on: db) != nil else { throw StoreError.notFound("user pool \(key.poolId)") }
                try await SigningKeyRow.query(on: db).filter(\.$poolId == key.poolId).filter(\.$retiredAt == nil)
                    .set(\.$retiredAt, to: key.createdAt).update()
                try await Self.keyRow(key).create(on: db)
            }
        }
    }

    static func keyRow(_ key: SigningKey) -> SigningKeyRow {
        let row = SigningKeyRow()
        row.poolId = key.poolId
        row.kid = key.kid
        row.algorithm = key.algorithm.rawValue
        row.sealedPrivateKey = key.sealedPrivateKey
        row.publicJWK = key.publicJWK
        row.createdAt = key.createdAt
        row.retiredAt = key.retiredAt
        return row
    }

    static func signingKey(_ row: SigningKeyRow) throws -> SigningKey {
        guard let algorithm = SigningAlgorithm(rawValue: row.algorithm) else {
            throw StoreError.unavailable("unknown signing algorithm \(row.algorithm)")
        }
        return SigningKey(
            poolId: row.poolId, kid: row.kid, algorithm: algorithm, sealedPrivateKey: row.sealedPrivateKey,
            publicJWK: row.publicJWK, createdAt: row.createdAt, retiredAt: row.retiredAt)
    }
}

extension FluentStore: ResourceServerStore {
    public func createResourceServer(_ server: ResourceServer) async throws {
        defer { cache.invalidate(poolId: server.poolId) }
        try await run("resource server") {
            guard try await PoolRow.find(server.poolId, on: database) != nil else {
                throw StoreError.notFound("user pool \(server.poolId)")
            }
            let row = ResourceServerRow()
            try Self.fill(row, with: server)
            try await row.create(on: database)
        }
    }

    public func resourceServer(poolId: String, identifier: String) async throws -> ResourceServer? {
        try await run("resource server") {
            try await ResourceServerRow.query(on: database).filter(\.$poolId == poolId)
                .filter(\.$identifier == identifier).first().map(Self.resourceServer)
        }
    }

    public func listResourceServers(poolId: String, limit: Int, after cursor: String?) async throws -> ListPage<ResourceServer> {
        try await cache.value("resource-servers:\(poolId):\(limit):\(cursor ?? "")", pool: poolId) {
            try await run("resource server") {
                let query = ResourceServerRow.query(on: database).filter(\.$poolId == poolId).sort(\.$identifier).limit(limit + 1)
                if let key = Self.key(fromCursor: cursor) { query.filter(\.$identifier > key) }
                return try Self.page(try await query.all(), limit: limit, key: { $0.identifier }, map: Self.resourceServer)
            }
        }
    }

    public func updateResourceServer(
        poolId: String, identifier: String, _ change: @escaping @Sendable (inout ResourceServer) throws -> Void
    ) async throws -> ResourceServer {
        defer { cache.invalidate(poolId: poolId) }
        return try await run("resource server") {
            try await poolTransaction(poolId) { db in
                guard let row = try await ResourceServerRow.query(on: db).filter(\.$poolId == poolId)
                    .filter(\.$identifier == identifier).first()
                else { throw StoreError.notFound("resource server \(identifier)") }
                var server = try Self.resourceServer(row)
                do { try change(&server) } catch { throw ValidationFailure(underlying: error) }
                server.poolId = poolId
                server.identifier = identifier
                try Self.fill(row, with: server)
                try await row.update(on: db)
                return server
            }
        }
    }

    public func deleteResourceServer(poolId: String, identifier: String) async throws {
        defer { cache.invalidate(poolId: poolId) }
        try await run("resource server") {
            guard let row = try await ResourceServerRow.query(on: database).filter(\.$poolId == poolId)
                .filter(\.$identifier == identifier).first()
            else { throw StoreError.notFound("resource server \(identifier)") }
            try await row.delete(on: database)
        }
    }

    static func fill(_ row: ResourceServerRow, with server: ResourceServer) throws {
        row.poolId = server.poolId
        row.identifier = server.identifier
        row.name = server.name
        row.scopes = try encode(server.scopes)
    }

    static func resourceServer(_ row: ResourceServerRow) throws -> ResourceServer {
        ResourceServer(
            poolId: row.poolId, identifier: row.identifier, name: row.name,
            scopes: try decode([ResourceServer.Scope].self, row.scopes))
    }
}
