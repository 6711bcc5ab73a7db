import FluentKit
import SQLKit

/// Auth events (AdminListUserAuthEvents): a user's sign-ins, sign-ups, code requests and
/// password changes, read newest first per user and swept at `expires_at`. No reference to
/// `users`: a deleted user's events stay (an operator may look into what happened) until they expire.
struct M026_CreateAuthEvents: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("auth_events")
            .field("id", .uuid, .identifier(auto: false))
            .field("pool_id", .string, .required, .references("user_pools", "id", onDelete: .cascade))
            .field("user_sub", .uuid, .required)
            .field("kind", .string, .required)
            .field("response", .string, .required)
            .field("steps", .string, .required)
            .field("blocked", .bool, .required)
            .field("created_at", .datetime, .required)
            // microseconds since 1970: the order and the list cursor (a Date does not survive a
            // round trip through text and the drivers exactly; an integer does)
            .field("created_us", .int64, .required)
            .field("expires_at", .datetime, .required)
            .field("client_id", .string)
            .field("ip_address", .string)
            .field("user_agent", .string)
            .field("feedback", .string)
            .field("feedback_at", .datetime)
            .create()
        let sql = database as! any SQLDatabase
        try await sql.create(index: "idx_auth_events_user").on("auth_events").column("pool_id").column("user_sub").column("created_us").run()
        try await sql.create(index: "idx_auth_events_expiry").on("auth_events").column("expires_at").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("auth_events").delete()
    }
}
