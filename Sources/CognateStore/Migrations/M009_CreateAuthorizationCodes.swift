import FluentKit

struct M009_CreateAuthorizationCodes: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("authorization_codes")
            .id()
            .field("code_hash", .string, .required)
            .field("pool_id", .string, .required, .references("user_pools", "id", onDelete: .cascade))
            .field("document", .string, .required)
            .field("expires_at", .datetime, .required)
            .unique(on: "code_hash")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("authorization_codes").delete()
    }
}
