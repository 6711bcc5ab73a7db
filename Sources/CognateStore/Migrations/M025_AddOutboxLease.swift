import FluentKit
import SQLKit

/// The outbox becomes a queue every node works: `next_attempt_at` says when a message is due
/// (null: never, as in the development outbox or after the last try), `claimed_until` which node
/// holds it for now. A node that dies mid-send leaves a claim that lapses; another node sends.
struct M025_AddOutboxLease: AsyncMigration {
    func prepare(on database: any Database) async throws {
        // one column per ALTER: SQLite adds only one at a time
        try await database.schema("outbox").field("next_attempt_at", .datetime).update()
        try await database.schema("outbox").field("claimed_until", .datetime).update()
        let sql = database as! any SQLDatabase
        try await sql.create(index: "idx_outbox_due").on("outbox").column("next_attempt_at").run()
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.drop(index: "idx_outbox_due").run()
        try await database.schema("outbox").deleteField("next_attempt_at").update()
        try await database.schema("outbox").deleteField("claimed_until").update()
    }
}
