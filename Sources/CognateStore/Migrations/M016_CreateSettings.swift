import FluentKit

struct M016_CreateSettings: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("settings")
            .field("id", .string, .identifier(auto: false))
            .field("value", .string, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("settings").delete()
    }
}
