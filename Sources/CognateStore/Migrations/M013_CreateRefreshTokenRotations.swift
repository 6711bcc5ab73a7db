import FluentKit

struct M013_CreateRefreshTokenRotations: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("refresh_token_rotations")
            .id()
            .field("token_hash", .string, .required)
            .field("rotated_at", .datetime, .required)
            .unique(on: "token_hash")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("refresh_token_rotations").delete()
    }
}
