import FluentKit

struct M020_CreateVerificationCodes: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("verification_codes")
            .id()
            .field("pool_id", .string, .required, .references("user_pools", "id", onDelete: .cascade))
            .field("user_sub", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("purpose", .string, .required)
            .field("code_hash", .string, .required)
            .field("expires_at", .datetime, .required)
            .field("failed_attempts", .int, .required)
            .field("sent_in_window", .int, .required)
            .field("window_start", .datetime, .required)
            .field("created_at", .datetime, .required)
            .field("pending_value", .string)
            .unique(on: "pool_id", "user_sub", "purpose")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("verification_codes").delete()
    }
}
