import FluentKit

struct M017_CreateOutbox: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("outbox")
            .field("id", .uuid, .identifier(auto: false))
            .field("pool_id", .string, .required, .references("user_pools", "id", onDelete: .cascade))
            .field("user_sub", .uuid)
            .field("channel", .string, .required)
            .field("destination", .string, .required)
            .field("subject", .string, .required)
            .field("body", .string, .required)
            .field("created_at", .datetime, .required)
            .field("attempts", .int, .required)
            .field("delivered_at", .datetime)
            .field("last_error", .string)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("outbox").delete()
    }
}
