import FluentKit

/// Managed login branding styles, one per app client, and their assets' bytes apart, so a page
/// reads a style without its images.
struct M031_CreateManagedLoginBrandings: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("managed_login_brandings")
            .field("id", .string, .identifier(auto: false))
            .field("pool_id", .string, .required, .references("user_pools", "id", onDelete: .cascade))
            .field("client_id", .string, .required)
            .field("use_cognito_provided_values", .bool, .required)
            .field("settings", .string)
            .field("assets", .string, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "pool_id", "client_id")
            .create()
        try await database.schema("managed_login_assets")
            .id()
            .field("branding_id", .string, .required, .references("managed_login_brandings", "id", onDelete: .cascade))
            .field("category", .string, .required)
            .field("color_mode", .string, .required)
            .field("bytes", .data, .required)
            .unique(on: "branding_id", "category", "color_mode")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("managed_login_assets").delete()
        try await database.schema("managed_login_brandings").delete()
    }
}
