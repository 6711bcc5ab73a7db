import FluentKit

struct M015_CreateAdminCredentials: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("admin_credentials")
            .field("id", .string, .identifier(auto: false))
            .field("sealed_secret", .data, .required)
            .field("created_at", .datetime, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("admin_credentials").delete()
    }
}
