import FluentKit

/// The pools' classic hosted-page customizations (SetUICustomization): CSS and a logo per app
/// client or for ALL of them; one row per (pool, client).
struct M030_CreateUICustomizations: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("ui_customizations")
            .id()
            .field("pool_id", .string, .required, .references("user_pools", "id", onDelete: .cascade))
            .field("client_id", .string, .required)
            .field("css", .string)
            .field("image", .data)
            .field("image_type", .string)
            .field("version", .string, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "pool_id", "client_id")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("ui_customizations").delete()
    }
}
