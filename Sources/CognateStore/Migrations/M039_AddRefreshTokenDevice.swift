import FluentKit

/// The device a refresh token was handed out with (a pool that remembers devices); null for the rest.
struct M039_AddRefreshTokenDevice: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("refresh_tokens").field("device_key", .string).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("refresh_tokens").deleteField("device_key").update()
    }
}
