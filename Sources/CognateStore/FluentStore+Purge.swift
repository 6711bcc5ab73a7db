import CognateModel
import Foundation
import SQLKit

extension FluentStore: PurgeStore {
    public func purgeExpired(at date: Date, limit: Int, outboxDays: Int) async throws -> Int {
        try await run("purge") {
            // One bounded statement per kind, the same text on SQLite and PostgreSQL:
            // DELETE … WHERE id IN (SELECT id … LIMIT n).
            func purge(_ table: String, where condition: SQLQueryString) async throws -> Int {
                let rows = try await sql.raw("""
                    DELETE FROM \(ident: table) WHERE id IN (SELECT id FROM \(ident: table) WHERE \(condition) LIMIT \(bind: limit)) RETURNING id
                    """).all()
                return rows.count
            }
            var deleted = 0
            for table in ["authorization_codes", "sessions", "single_uses", "refresh_tokens", "token_revocations", "user_codes", "rate_counters",
                          "auth_events", "authorization_requests"] {
                deleted += try await purge(table, where: "expires_at < \(bind: date)")
            }
            // a code is good for minutes: a use an hour old guards nothing
            deleted += try await purge("authorization_code_uses", where: "used_at < \(bind: date.addingTimeInterval(-3_600))")
            deleted += try await purge("refresh_token_rotations", where: """
                NOT EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.token_hash = refresh_token_rotations.token_hash)
                """)
            deleted += try await purge("devices", where: "confirmed = \(bind: false) AND created_at < \(bind: date.addingTimeInterval(-86_400))")
            deleted += try await purge("outbox", where: "created_at < \(bind: date.addingTimeInterval(-Double(outboxDays) * 86_400))")
            return deleted
        }
    }
}
