import Foundation
import SQLKit

extension FluentStore {
    /// A consistent copy of a SQLite database taken while it serves: `VACUUM INTO` reads one
    /// snapshot (a read transaction; in write-ahead logging the server's writers go on) and
    /// writes a compact database file. `path` must not exist or be empty.
    public func backupSQLite(to path: String) async throws {
        try await run("backup") { _ = try await sql.raw("VACUUM INTO \(bind: path)").all() }
    }
}
