import FluentKit

struct M019_CreateSingleUses: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("single_uses")
            .field("id", .string, .identifier(auto: false))
            .field("expires_at", .datetime, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("single_uses").delete()
    }
}
