import FluentKit

/// Second-factor settings of each user (JSON: sealed TOTP secret, enabled and preferred factors).
struct M021_AddUserMFA: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("users").field("mfa", .string).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("users").deleteField("mfa").update()
    }
}
