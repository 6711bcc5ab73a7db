import FluentKit

struct M003_CreateUsers: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("users")
            .field("id", .uuid, .identifier(auto: false))
            .field("pool_id", .string, .required, .references("user_pools", "id", onDelete: .cascade))
            .field("username", .string, .required)
            .field("status", .string, .required)
            .field("enabled", .bool, .required)
            .field("attributes", .string, .required)
            .field("password_hash", .string)
            .field("temporary_password_expires_at", .datetime)
            .field("srp_verifier", .data)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("users").delete()
    }
}
