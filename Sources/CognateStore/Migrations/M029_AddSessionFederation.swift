import FluentKit

/// A hosted session remembers the SAML IdP session it came from (provider, NameID,
/// SessionIndex), so signing out can sign out there too (IDPSignout).
struct M029_AddSessionFederation: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("sessions").field("federation", .string).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("sessions").deleteField("federation").update()
    }
}
