import FluentPostgresDriver
import Foundation
import SQLKit

/// A hot read that PostgreSQL keeps prepared on each connection: parsed and planned once per
/// connection instead of at every call. Under a load of refresh grants, planning the grant's
/// four-table read took more of the machine than executing it (perf: 8.8% planning, 2.8%
/// parsing, 1.1% executing). The read's rows are decoded as the driver's others are.
/// (A pooler in front of PostgreSQL must pass named prepared statements through: PgBouncer in
/// transaction mode needs `max_prepared_statements`.)
protocol PreparedRead: PostgresPreparedStatement where Row == PostgresRow {}

extension PreparedRead {
    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}

/// The refresh grant's read (`FluentStore.refreshGrantSelect`).
struct RefreshGrantRead: PreparedRead {
    static let name = "cognate_refresh_grant_read"
    static let sql = FluentStore.refreshGrantSelect + " $1"
    var hash: String

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(hash)
        return bindings
    }
}

extension FluentStore {
    /// `read`'s rows on PostgreSQL; nil on SQLite (its reads go `rows`' way).
    func preparedRows<Read: PreparedRead>(_ read: Read) async throws -> [any SQLRow]? {
        guard let postgres = database as? any PostgresDatabase else { return nil }
        let logger = postgres.logger
        let found = try await postgres.withConnection { connection in
            let promise = connection.eventLoop.makePromise(of: [PostgresRow].self)
            promise.completeWithTask {
                try await connection.execute(read, logger: logger).reduce(into: [PostgresRow]()) { $0.append($1) }
            }
            return promise.futureResult
        }.get()
        return found.map { $0.sql() }
    }
}
