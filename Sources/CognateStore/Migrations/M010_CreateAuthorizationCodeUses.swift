import FluentKit

struct M010_CreateAuthorizationCodeUses: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("authorization_code_uses")
            .id()
            .field("code_hash", .string, .required)
            .field("used_at", .datetime, .required)
            .unique(on: "code_hash")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("authorization_code_uses").delete()
    }
}
