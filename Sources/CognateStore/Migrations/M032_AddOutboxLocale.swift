import FluentKit

/// The language a message is written in, for the HTML part an email gets when it is sent.
struct M032_AddOutboxLocale: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("outbox").field("locale", .string).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("outbox").deleteField("locale").update()
    }
}
