import FluentKit
import SQLKit

/// Pending authorization requests: validated at /oauth2/authorize and kept, by the SHA-256 of
/// their id, while the person signs in on the hosted pages; swept at `expires_at`.
struct M027_CreateAuthorizationRequests: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("authorization_requests")
            .field("id", .string, .identifier(auto: false))
            .field("pool_id", .string, .required, .references("user_pools", "id", onDelete: .cascade))
            .field("browser_hash", .string, .required)
            .field("request", .string, .required)
            .field("step", .string, .required)
            .field("user_sub", .uuid)
            .field("created_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .field("finished_at", .datetime)
            .create()
        let sql = database as! any SQLDatabase
        try await sql.create(index: "idx_authorization_requests_expiry").on("authorization_requests").column("expires_at").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("authorization_requests").delete()
    }
}
