import CognateModel
import FluentKit
import Foundation

extension FluentStore: IdentityProviderStore {
    public func createIdentityProvider(_ provider: IdentityProvider) async throws {
        defer { cache.invalidate(poolId: provider.poolId) }
        try await run("identity provider") {
            try await poolTransaction(provider.poolId) { db in
                guard try await PoolRow.find(provider.poolId, on: db) != nil else { throw StoreError.notFound("user pool \(provider.poolId)") }
                guard try await Self.providerRow(poolId: provider.poolId, name: provider.name, on: db) == nil else {
                    throw StoreError.duplicate("identity provider")
                }
                let row = IdentityProviderRow()
                row.id = UUID()
                try Self.fill(row, with: provider)
                try await row.create(on: db)
                try await Self.claimIdentifiers(provider, providerId: row.id!, on: db)
            }
        }
    }

    public func identityProvider(poolId: String, name: String) async throws -> IdentityProvider? {
        try await cache.value("idp:\(poolId):\(name)", poolOf: \.poolId) {
            try await run("identity provider") { try await Self.providerRow(poolId: poolId, name: name, on: database).map(Self.provider) }
        }
    }

    public func identityProvider(poolId: String, identifier: String) async throws -> IdentityProvider? {
        try await run("identity provider") {
            guard let held = try await IdentityProviderIdentifierRow.query(on: database).filter(\.$poolId == poolId)
                .filter(\.$key == IdentityProvider.identifierKey(identifier)).first()
            else { return nil }
            return try await IdentityProviderRow.find(held.providerId, on: database).map(Self.provider)
        }
    }

    public func listIdentityProviders(poolId: String, limit: Int, after cursor: String?) async throws -> ListPage<IdentityProvider> {
        try await cache.value("idps:\(poolId):\(limit):\(cursor ?? "")", pool: poolId) {
            try await run("identity provider") {
                let query = IdentityProviderRow.query(on: database).filter(\.$poolId == poolId).sort(\.$name).limit(limit + 1)
                if let key = Self.key(fromCursor: cursor) { query.filter(\.$name > key) }
                return try Self.page(try await query.all(), limit: limit, key: { $0.name }, map: Self.provider)
            }
        }
    }

    public func updateIdentityProvider(poolId: String, name: String, _ change: @escaping @Sendable (inout IdentityProvider) throws -> Void)
        async throws -> IdentityProvider
    {
        defer { cache.invalidate(poolId: poolId) }
        return try await run("identity provider") {
            try await poolTransaction(poolId) { db in
                guard let row = try await Self.providerRow(poolId: poolId, name: name, on: db), let id = row.id else {
                    throw StoreError.notFound("identity provider \(name)")
                }
                var provider = try Self.provider(row)
                do { try change(&provider) } catch { throw ValidationFailure(underlying: error) }
                (provider.poolId, provider.name) = (poolId, name)
                try Self.fill(row, with: provider)
                try await row.update(on: db)
                try await IdentityProviderIdentifierRow.query(on: db).filter(\.$providerId == id).delete()
                try await Self.claimIdentifiers(provider, providerId: id, on: db)
                return provider
            }
        }
    }

    public func deleteIdentityProvider(poolId: String, name: String) async throws {
        defer { cache.invalidate(poolId: poolId) }
        try await run("identity provider") {
            try await poolTransaction(poolId) { db in
                guard let row = try await Self.providerRow(poolId: poolId, name: name, on: db), let id = row.id else {
                    throw StoreError.notFound("identity provider \(name)")
                }
                try await IdentityProviderIdentifierRow.query(on: db).filter(\.$providerId == id).delete()
                try await row.delete(on: db)
            }
        }
    }

    static func providerRow(poolId: String, name: String, on db: any Database) async throws -> IdentityProviderRow? {
        try await IdentityProviderRow.query(on: db).filter(\.$poolId == poolId).filter(\.$name == name).first()
    }

    /// The identifiers, each once; one another provider holds is refused by name (the unique
    /// index still decides races).
    static func claimIdentifiers(_ provider: IdentityProvider, providerId: UUID, on db: any Database) async throws {
        for key in Set(provider.identifiers.map(IdentityProvider.identifierKey)).sorted() {
            if try await IdentityProviderIdentifierRow.query(on: db).filter(\.$poolId == provider.poolId).filter(\.$key == key).first() != nil {
                throw StoreError.duplicate("idp identifier")
            }
            let row = IdentityProviderIdentifierRow()
            row.poolId = provider.poolId
            row.providerId = providerId
            row.key = key
            do {
                try await row.create(on: db)
            } catch where isUniqueViolation(error) {
                throw StoreError.duplicate("idp identifier")
            }
        }
    }

    static func fill(_ row: IdentityProviderRow, with provider: IdentityProvider) throws {
        row.poolId = provider.poolId
        row.name = provider.name
        row.type = provider.type.rawValue
        row.document = try encode(provider)
        row.createdAt = provider.createdAt
        row.updatedAt = provider.updatedAt
    }

    static func provider(_ row: IdentityProviderRow) throws -> IdentityProvider {
        try decode(IdentityProvider.self, row.document)
    }
}
