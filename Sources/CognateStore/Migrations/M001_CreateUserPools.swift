import FluentKit

struct M001_CreateUserPools: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("user_pools")
            .field("id", .string, .identifier(auto: false))
            .field("name", .string, .required)
            .field("document", .string, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "name")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("user_pools").delete()
    }
}
