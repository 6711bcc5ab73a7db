import FluentKit

struct M012_CreateRefreshTokens: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("refresh_tokens")
            .id()
            .field("token_hash", .string, .required)
            .field("family_id", .uuid, .required)
            .field("pool_id", .string, .required, .references("user_pools", "id", onDelete: .cascade))
            .field("client_id", .string, .required)
            .field("user_sub", .uuid, .required)
            .field("scopes", .string, .required)
            .field("auth_time", .datetime, .required)
            .field("created_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .field("rotated_at", .datetime)
            .field("revoked_at", .datetime)
            .unique(on: "token_hash")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("refresh_tokens").delete()
    }
}
