import FluentKit

struct M006_CreateGroupMembers: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("group_members")
            .id()
            .field("group_id", .uuid, .required, .references("groups", "id", onDelete: .cascade))
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .unique(on: "group_id", "user_id")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("group_members").delete()
    }
}
