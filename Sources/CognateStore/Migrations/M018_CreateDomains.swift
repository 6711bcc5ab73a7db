import FluentKit

struct M018_CreateDomains: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("user_pool_domains")
            .field("id", .string, .identifier(auto: false))
            .field("pool_id", .string, .required, .references("user_pools", "id", onDelete: .cascade))
            .field("is_custom", .bool, .required)
            .field("certificate_arn", .string)
            .field("created_at", .datetime, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("user_pool_domains").delete()
    }
}
