import FluentKit

struct M011_CreateSessions: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("sessions")
            .id()
            .field("id_hash", .string, .required)
            .field("pool_id", .string, .required, .references("user_pools", "id", onDelete: .cascade))
            .field("user_sub", .uuid, .required)
            .field("auth_time", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .field("revoked_at", .datetime)
            .unique(on: "id_hash")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("sessions").delete()
    }
}
