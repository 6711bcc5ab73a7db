import FluentKit
import SQLKit

/// Users' devices (a JSON document each, with the columns listing and sweeping read). A device
/// goes with its user, and so with its pool.
struct M036_CreateDevices: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("devices")
            .field("id", .string, .identifier(auto: false))
            .field("pool_id", .string, .required, .references("user_pools", "id", onDelete: .cascade))
            .field("user_sub", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("confirmed", .bool, .required)
            .field("created_at", .datetime, .required)
            .field("document", .string, .required)
            .create()
        let sql = database as! any SQLDatabase
        try await sql.create(index: "idx_devices_user").on("devices").column("pool_id").column("user_sub").column("id").run()
        try await sql.create(index: "idx_devices_unconfirmed").on("devices").column("confirmed").column("created_at").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("devices").delete()
    }
}
