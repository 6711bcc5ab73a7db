import FluentKit
import SQLKit

/// ListUsers' filters on email and phone number (the common ones) by index, the attribute read
/// out of the user's JSON as `FluentStore.attributeExpression` writes it; and user names. Each
/// ends with the id, the order pages are read in: without it SQLite's planner walks the pool's
/// users by id instead (idx_users_pool, no sort) and reads every one (399 ms at 100,000 users).
struct M035_AddUserFilterIndexes: AsyncMigration {
    static let attributes = ["email", "phone_number"]

    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        let postgres = sql.dialect.name == "postgresql"
        for name in Self.attributes {
            try await sql.raw("""
                CREATE INDEX \(ident: "idx_users_\(name)") ON users (pool_id, \(unsafeRaw: FluentStore.attributeExpression(name, postgres: postgres)), id)
                """).run()
        }
        try await sql.create(index: "idx_users_username").on("users").column("pool_id").column("username").column("id").run()
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        for name in Self.attributes { try await sql.drop(index: "idx_users_\(name)").run() }
        try await sql.drop(index: "idx_users_username").run()
    }
}
