import FluentKit

struct M007_CreateResourceServers: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("resource_servers")
            .id()
            .field("pool_id", .string, .required, .references("user_pools", "id", onDelete: .cascade))
            .field("identifier", .string, .required)
            .field("name", .string, .required)
            .field("scopes", .string, .required)
            .unique(on: "pool_id", "identifier")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("resource_servers").delete()
    }
}
