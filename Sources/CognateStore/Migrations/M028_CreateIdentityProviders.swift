import FluentKit

/// Outside identity providers of a pool, and the identifiers (email domains…) that route to
/// them: the unique (pool_id, key) index keeps an identifier to one provider of a pool.
struct M028_CreateIdentityProviders: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("identity_providers")
            .id()
            .field("pool_id", .string, .required, .references("user_pools", "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("type", .string, .required)
            .field("document", .string, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "pool_id", "name")
            .create()
        try await database.schema("identity_provider_identifiers")
            .id()
            .field("pool_id", .string, .required, .references("user_pools", "id", onDelete: .cascade))
            .field("provider_id", .uuid, .required, .references("identity_providers", "id", onDelete: .cascade))
            .field("key", .string, .required)
            .unique(on: "pool_id", "key")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("identity_provider_identifiers").delete()
        try await database.schema("identity_providers").delete()
    }
}
