import FluentKit

struct M014_CreateTokenRevocations: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("token_revocations")
            .id()
            .field("jti", .string, .required)
            .field("pool_id", .string, .required, .references("user_pools", "id", onDelete: .cascade))
            .field("expires_at", .datetime, .required)
            .unique(on: "jti")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("token_revocations").delete()
    }
}
