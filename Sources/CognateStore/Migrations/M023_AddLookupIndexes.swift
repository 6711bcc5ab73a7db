import FluentKit
import SQLKit

/// Indexes for the lookups by user, family and pool that the unique constraints do not serve:
/// without them every refresh grant scanned all group memberships, and sign-out, family
/// revocation, alias changes and ListUsers scanned their whole tables.
struct M023_AddLookupIndexes: AsyncMigration {
    static let indexes: [(name: String, table: String, columns: [String])] = [
        ("idx_group_members_user", "group_members", ["user_id"]),
        ("idx_user_identifiers_user", "user_identifiers", ["user_id"]),
        ("idx_users_pool", "users", ["pool_id", "id"]),
        ("idx_sessions_user", "sessions", ["pool_id", "user_sub"]),
        ("idx_refresh_tokens_family", "refresh_tokens", ["family_id"]),
        ("idx_refresh_tokens_user", "refresh_tokens", ["pool_id", "user_sub"]),
        ("idx_token_revocations_expiry", "token_revocations", ["expires_at"]),
    ]

    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        for index in Self.indexes {
            var create = sql.create(index: index.name).on(index.table)
            for column in index.columns { create = create.column(column) }
            try await create.run()
        }
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        for index in Self.indexes { try await sql.drop(index: index.name).run() }
    }
}
