import FluentKit
import SQLKit

/// Codes move to a table that does not reference `users`: a name no user holds gets a phantom
/// code of its own (see `PhantomUsers` in CognateCore), so an unknown user's answers (expiry,
/// attempts, send limits) are the same as a real user's. Live codes are copied over; a deleted
/// user's codes are deleted with it by the store. The table also holds per-user counters without
/// a code (authenticator code attempts, password failures and the lockout's end).
struct M024_CreateUserCodes: AsyncMigration {
    static let columns = ["id", "pool_id", "user_sub", "purpose", "code_hash", "expires_at", "sent_in_window", "window_start",
                          "created_at", "pending_value"]

    func prepare(on database: any Database) async throws {
        try await database.schema("user_codes")
            .id()
            .field("pool_id", .string, .required, .references("user_pools", "id", onDelete: .cascade))
            .field("user_sub", .uuid, .required)
            .field("purpose", .string, .required)
            .field("code_hash", .string, .required)
            .field("expires_at", .datetime, .required)
            .field("attempts", .int, .required)
            .field("sent_in_window", .int, .required)
            .field("window_start", .datetime, .required)
            .field("created_at", .datetime, .required)
            .field("pending_value", .string)
            .field("locked_until", .datetime)
            .unique(on: "pool_id", "user_sub", "purpose")
            .create()
        let sql = database as! any SQLDatabase
        try await sql.create(index: "idx_user_codes_expiry").on("user_codes").column("expires_at").run()
        try await sql.raw("""
            INSERT INTO user_codes (\(idents: Self.columns, joinedBy: ", "), attempts)
            SELECT \(idents: Self.columns, joinedBy: ", "), failed_attempts FROM verification_codes
            """).run()
        try await database.schema("verification_codes").delete()
    }

    func revert(on database: any Database) async throws {
        try await M020_CreateVerificationCodes().prepare(on: database)
        try await database.schema("user_codes").delete()
    }
}
