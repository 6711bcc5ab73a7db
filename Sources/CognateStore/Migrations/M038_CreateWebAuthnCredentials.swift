import FluentKit
import SQLKit

/// Users' passkeys (a JSON document each, with the columns lookups, listing and counting read).
/// The id is the pool's and the credential's together, so a credential id is unique in a pool.
/// A passkey goes with its user, and so with its pool.
struct M038_CreateWebAuthnCredentials: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("webauthn_credentials")
            .field("id", .string, .identifier(auto: false))
            .field("pool_id", .string, .required, .references("user_pools", "id", onDelete: .cascade))
            .field("user_sub", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("sign_count", .int64, .required)
            .field("created_at", .datetime, .required)
            .field("document", .string, .required)
            .create()
        let sql = database as! any SQLDatabase
        try await sql.create(index: "idx_webauthn_credentials_user").on("webauthn_credentials").column("pool_id").column("user_sub")
            .column("id").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("webauthn_credentials").delete()
    }
}
