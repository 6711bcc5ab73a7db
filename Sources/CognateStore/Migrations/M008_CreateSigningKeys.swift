import FluentKit

struct M008_CreateSigningKeys: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("signing_keys")
            .id()
            .field("pool_id", .string, .required, .references("user_pools", "id", onDelete: .cascade))
            .field("kid", .string, .required)
            .field("algorithm", .string, .required)
            .field("sealed_private_key", .data, .required)
            .field("public_jwk", .string, .required)
            .field("created_at", .datetime, .required)
            .field("retired_at", .datetime)
            .unique(on: "kid")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("signing_keys").delete()
    }
}
