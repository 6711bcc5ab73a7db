import FluentKit

struct M005_CreateGroups: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("groups")
            .id()
            .field("pool_id", .string, .required, .references("user_pools", "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("description", .string)
            .field("precedence", .int)
            .field("role_arn", .string)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "pool_id", "name")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("groups").delete()
    }
}
