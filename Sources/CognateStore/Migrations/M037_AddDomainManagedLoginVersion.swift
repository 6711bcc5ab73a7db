import FluentKit

/// A domain's ManagedLoginVersion (1: the classic hosted UI, 2: managed login), as Cognito keeps it; null reads 1.
struct M037_AddDomainManagedLoginVersion: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("user_pool_domains").field("managed_login_version", .int).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("user_pool_domains").deleteField("managed_login_version").update()
    }
}
