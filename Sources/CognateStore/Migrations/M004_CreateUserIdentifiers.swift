import FluentKit

struct M004_CreateUserIdentifiers: AsyncMigration {
    func prepare(on database: any Database) async throws {
        // The unique (pool_id, key) index is what keeps user names and aliases unique per pool;
        // keys are lower-cased by the caller unless the pool is case-sensitive.
        try await database.schema("user_identifiers")
            .id()
            .field("pool_id", .string, .required, .references("user_pools", "id", onDelete: .cascade))
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("kind", .string, .required)
            .field("key", .string, .required)
            .unique(on: "pool_id", "key")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("user_identifiers").delete()
    }
}
