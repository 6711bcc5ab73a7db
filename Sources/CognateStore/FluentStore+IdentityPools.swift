import CognateModel
import FluentKit
import Foundation
import SQLKit

extension FluentStore: IdentityPoolStore {
    public func createIdentityPool(_ pool: IdentityPool) async throws {
        try await run("identity pool") {
            let row = IdentityPoolRow()
            row.id = pool.id
            try Self.fill(row, with: pool)
            try await row.create(on: database)
        }
    }

    public func identityPool(id: String) async throws -> IdentityPool? {
        try await run("identity pool") { try await IdentityPoolRow.find(id, on: database).map(Self.identityPool) }
    }

    public func listIdentityPools(limit: Int, after cursor: String?) async throws -> ListPage<IdentityPool> {
        try await run("identity pool") {
            let query = IdentityPoolRow.query(on: database).sort(\.$id).limit(limit + 1)
            if let key = Self.key(fromCursor: cursor) { query.filter(\.$id > key) }
            return try Self.page(try await query.all(), limit: limit, key: { $0.id ?? "" }, map: Self.identityPool)
        }
    }

    public func updateIdentityPool(id: String, _ change: @escaping @Sendable (inout IdentityPool) throws -> Void) async throws -> IdentityPool {
        try await run("identity pool") {
            try await database.transaction { db in
                // the no-op write first: it takes the row's (PostgreSQL) or the file's (SQLite) write lock before the read
                if let sql = db as? any SQLDatabase {
                    try await sql.update(IdentityPoolRow.schema).set(SQLIdentifier("name"), to: SQLIdentifier("name"))
                        .where(SQLIdentifier("id"), .equal, SQLBind(id)).run()
                }
                guard let row = try await IdentityPoolRow.find(id, on: db) else { throw StoreError.notFound("identity pool \(id)") }
                var pool = try Self.identityPool(row)
                do { try change(&pool) } catch { throw ValidationFailure(underlying: error) }
                pool.id = id
                try Self.fill(row, with: pool)
                try await row.update(on: db)
                return pool
            }
        }
    }

    public func deleteIdentityPool(id: String) async throws {
        try await run("identity pool") {
            try await database.transaction { db in
                guard let row = try await IdentityPoolRow.find(id, on: db) else { throw StoreError.notFound("identity pool \(id)") }
                try await IdentityLoginRow.query(on: db).filter(\.$poolId == id).delete()
                try await IdentityRow.query(on: db).filter(\.$poolId == id).delete()
                try await row.delete(on: db)
            }
        }
    }

    public func identity(id: String) async throws -> Identity? {
        try await run("identity") { try await Self.identity(id: id, on: database) }
    }

    public func identity(poolId: String, login: IdentityLogin) async throws -> Identity? {
        try await run("identity") {
            guard let link = try await IdentityLoginRow.query(on: database).filter(\.$poolId == poolId)
                .filter(\.$provider == login.provider).filter(\.$subject == login.subject).first()
            else { return nil }
            return try await Self.identity(id: link.identityId, on: database)
        }
    }

    public func listIdentities(poolId: String, limit: Int, after cursor: String?) async throws -> ListPage<Identity> {
        try await run("identity") {
            let query = IdentityRow.query(on: database).filter(\.$poolId == poolId).sort(\.$id).limit(limit + 1)
            if let key = Self.key(fromCursor: cursor) { query.filter(\.$id > key) }
            let rows = try await query.all()
            let ids = rows.prefix(limit).compactMap(\.id)
            var logins: [String: [IdentityLogin]] = [:]
            if !ids.isEmpty {
                for link in try await IdentityLoginRow.query(on: database).filter(\.$identityId ~~ ids).all() {
                    logins[link.identityId, default: []].append(IdentityLogin(provider: link.provider, subject: link.subject))
                }
            }
            return Self.page(rows, limit: limit, key: { $0.id ?? "" }) { Self.identity($0, logins: logins[$0.id ?? ""] ?? []) }
        }
    }

    public func createIdentity(_ identity: Identity) async throws {
        try await run("identity login") {
            try await database.transaction { db in
                guard try await IdentityPoolRow.find(identity.poolId, on: db) != nil else {
                    throw StoreError.notFound("identity pool \(identity.poolId)")
                }
                let row = IdentityRow()
                row.id = identity.id
                row.poolId = identity.poolId
                row.createdAt = identity.createdAt
                row.updatedAt = identity.updatedAt
                try await row.create(on: db)
                try await Self.link(identity.logins, poolId: identity.poolId, identityId: identity.id, on: db)
            }
        }
    }

    public func changeLogins(identityId: String, add: [IdentityLogin], remove: [IdentityLogin], at date: Date) async throws -> Identity {
        try await run("identity login") {
            try await database.transaction { db in
                guard let row = try await IdentityRow.find(identityId, on: db) else { throw StoreError.notFound("identity \(identityId)") }
                row.updatedAt = date
                try await row.update(on: db)  // the write lock before the reads
                for login in remove {
                    try await IdentityLoginRow.query(on: db).filter(\.$identityId == identityId)
                        .filter(\.$provider == login.provider).filter(\.$subject == login.subject).delete()
                }
                let held = Set(try await Self.logins(identityId: identityId, on: db))
                try await Self.link(add.filter { !held.contains($0) }, poolId: row.poolId, identityId: identityId, on: db)
                return Self.identity(row, logins: try await Self.logins(identityId: identityId, on: db))
            }
        }
    }

    public func mergeIdentity(_ source: String, into destination: String, at date: Date) async throws -> Identity {
        try await run("identity login") {
            try await database.transaction { db in
                guard let target = try await IdentityRow.find(destination, on: db) else { throw StoreError.notFound("identity \(destination)") }
                target.updatedAt = date
                try await target.update(on: db)
                guard let from = try await IdentityRow.find(source, on: db), from.poolId == target.poolId else {
                    throw StoreError.notFound("identity \(source)")
                }
                try await IdentityLoginRow.query(on: db).filter(\.$identityId == source).set(\.$identityId, to: destination).update()
                try await from.delete(on: db)
                return Self.identity(target, logins: try await Self.logins(identityId: destination, on: db))
            }
        }
    }

    public func deleteIdentity(id: String) async throws -> Bool {
        try await run("identity") {
            try await database.transaction { db in
                guard let row = try await IdentityRow.find(id, on: db) else { return false }
                try await IdentityLoginRow.query(on: db).filter(\.$identityId == id).delete()
                try await row.delete(on: db)
                return true
            }
        }
    }

    static func link(_ logins: [IdentityLogin], poolId: String, identityId: String, on db: any Database) async throws {
        for login in Set(logins).sorted() {
            let link = IdentityLoginRow()
            link.id = UUID()
            link.poolId = poolId
            link.identityId = identityId
            link.provider = login.provider
            link.subject = login.subject
            do {
                try await link.create(on: db)
            } catch where isUniqueViolation(error) {
                throw StoreError.duplicate("identity login")
            }
        }
    }

    static func logins(identityId: String, on db: any Database) async throws -> [IdentityLogin] {
        try await IdentityLoginRow.query(on: db).filter(\.$identityId == identityId).all()
            .map { IdentityLogin(provider: $0.provider, subject: $0.subject) }
    }

    static func identity(id: String, on db: any Database) async throws -> Identity? {
        guard let row = try await IdentityRow.find(id, on: db) else { return nil }
        return identity(row, logins: try await logins(identityId: id, on: db))
    }

    static func identity(_ row: IdentityRow, logins: [IdentityLogin]) -> Identity {
        Identity(id: row.id ?? "", poolId: row.poolId, logins: logins, createdAt: row.createdAt, updatedAt: row.updatedAt)
    }

    static func fill(_ row: IdentityPoolRow, with pool: IdentityPool) throws {
        row.name = pool.name
        row.document = try encode(pool)
        row.createdAt = pool.createdAt
    }

    static func identityPool(_ row: IdentityPoolRow) throws -> IdentityPool {
        try decode(IdentityPool.self, row.document)
    }
}
