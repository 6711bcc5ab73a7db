import CognateModel
import FluentKit
import Foundation
import SQLKit

extension FluentStore: RateLimitStore {
    public func hit(_ key: String, expiresAt: Date) async throws -> Int {
        try await run("rate counter") {
            // One statement on both databases (SQLite 3.35+, PostgreSQL): insert or add one, and read the result.
            guard let row = try await sql.raw("""
                INSERT INTO rate_counters (id, count, expires_at) VALUES (\(bind: key), 1, \(bind: expiresAt))
                ON CONFLICT (id) DO UPDATE SET count = rate_counters.count + 1 RETURNING count
                """).first()
            else { throw StoreError.unavailable("rate counter \(key) not returned") }
            // expired counters go with the sweeper (`purgeExpired`)
            return try row.decode(column: "count", as: Int.self)
        }
    }

    public func release(_ key: String) async throws {
        try await run("rate counter") {
            try await sql.raw("UPDATE rate_counters SET count = count - 1 WHERE id = \(bind: key) AND count > 0").run()
        }
    }
}
