import FluentKit

struct M002_CreateAppClients: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("app_clients")
            .field("id", .string, .identifier(auto: false))
            .field("pool_id", .string, .required, .references("user_pools", "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("secret_hash", .string)
            .field("document", .string, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("app_clients").delete()
    }
}
