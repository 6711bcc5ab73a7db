import FluentKit
import SQLKit

/// Cognito's user import jobs (a JSON document each, with the columns a claim reads) and their
/// uploaded files, apart, so reading a job never reads its file. Both go with their pool.
struct M034_CreateUserImportJobs: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("user_import_jobs")
            .field("id", .string, .identifier(auto: false))
            .field("pool_id", .string, .required, .references("user_pools", "id", onDelete: .cascade))
            .field("status", .string, .required)
            .field("held_until", .datetime)
            .field("document", .string, .required)
            .create()
        try await database.schema("user_import_files")
            .field("id", .string, .identifier(auto: false))
            .field("pool_id", .string, .required, .references("user_pools", "id", onDelete: .cascade))
            .field("data", .data, .required)
            .create()
        let sql = database as! any SQLDatabase
        try await sql.create(index: "idx_user_import_jobs_pool").on("user_import_jobs").column("pool_id").column("id").run()
        try await sql.create(index: "idx_user_import_jobs_status").on("user_import_jobs").column("status").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("user_import_files").delete()
        try await database.schema("user_import_jobs").delete()
    }
}
