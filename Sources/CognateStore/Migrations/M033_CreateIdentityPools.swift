import FluentKit
import SQLKit

/// Identity pools (a JSON document each), their identities, and the logins linked to them: the
/// unique (pool_id, provider, subject) index keeps a login to one identity of a pool, so two
/// first sign-ins at once make one identity.
struct M033_CreateIdentityPools: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("identity_pools")
            .field("id", .string, .identifier(auto: false))
            .field("name", .string, .required)
            .field("document", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await database.schema("identities")
            .field("id", .string, .identifier(auto: false))
            .field("pool_id", .string, .required, .references("identity_pools", "id", onDelete: .cascade))
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .create()
        try await database.schema("identity_logins")
            .id()
            .field("pool_id", .string, .required, .references("identity_pools", "id", onDelete: .cascade))
            .field("identity_id", .string, .required, .references("identities", "id", onDelete: .cascade))
            .field("provider", .string, .required)
            .field("subject", .string, .required)
            .unique(on: "pool_id", "provider", "subject")
            .create()
        // ListIdentities pages by pool; an identity's logins are read by identity
        let sql = database as! any SQLDatabase
        try await sql.create(index: "idx_identities_pool").on("identities").column("pool_id").column("id").run()
        try await sql.create(index: "idx_identity_logins_identity").on("identity_logins").column("identity_id").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("identity_logins").delete()
        try await database.schema("identities").delete()
        try await database.schema("identity_pools").delete()
    }
}
