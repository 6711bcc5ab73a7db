import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit
import VaporCSQLite

/// The hot reads of a SQLite file (`FluentStore+HotReads`: the refresh grant's token, user and
/// groups, revocations, users by name, admin keys), run straight through libsqlite3 where they
/// are asked for, without waiting: a read that meets a lock (SQLITE_BUSY) is tried again on NIO's
/// blocking thread pool, where it may wait, so no lock is ever waited for on an event loop or a
/// cooperative thread.
///
/// Through Fluent a query travels from the caller's task to the connection pool's event loop,
/// to sqlite-nio's blocking thread pool and back twice: four thread hops around a read that
/// takes microseconds, and the largest cost of a refresh grant after its two signatures (a hop
/// to the blocking pool for every read cost a signed admin call a quarter of its rate). Here
/// the read runs on a small pool of read-only connections with their statements prepared once. The file is in WAL mode, so these readers never wait for the
/// writer and see every committed write; reads inside a transaction still go through Fluent.
///
/// The library is sqlite-nio's own copy (`VaporCSQLite`): two copies of SQLite in one process
/// must not open the same file (their POSIX locks would not know of each other). Values are
/// bound and decoded by SQLiteKit's coders, so both paths read and write one format.
final class SQLiteDirectReads: Sendable {
    let path: String
    private let idle = NIOLockedValueBox<[Connection]>([])
    /// Connections kept open between reads; more are opened under load and closed after.
    static let keptConnections = 8

    init(path: String) {
        self.path = path
    }

    /// The rows of `query`, as the SQLite dialect writes it.
    func rows(_ query: some SQLExpression, dialect database: any SQLDatabase) async throws -> [SQLiteDirectRow] {
        var serializer = SQLSerializer(database: database)
        query.serialize(to: &serializer)
        let encoder = SQLiteDataEncoder()
        let binds = try serializer.binds.map { try encoder.encode($0) }
        let sql = serializer.sql
        let connection = try idle.withLockedValue { $0.popLast() } ?? Connection(path: path)
        let rows: [SQLiteDirectRow]
        do {
            rows = try connection.rows(sql, binds, waiting: false)
        } catch let error as SQLiteDirectReadError where error.busy {
            // locked (a checkpoint, a recovery): wait for it on the blocking pool, not here
            rows = try await NIOThreadPool.singleton.runIfActive { try connection.rows(sql, binds, waiting: true) }
        }  // a connection that failed otherwise is not kept
        idle.withLockedValue { connections in
            if connections.count < Self.keptConnections { connections.append(connection) }
        }
        return rows
    }

    /// Statements compiled again, over the idle connections (a statement should be compiled once).
    var reprepares: Int { idle.withLockedValue { $0.reduce(0) { $0 + $1.reprepares } } }

    /// One `sqlite3` handle, used by one thread at a time (it is taken from and returned to the
    /// idle list), with its prepared statements.
    final class Connection: @unchecked Sendable {
        private let handle: OpaquePointer
        private var statements: [String: (statement: OpaquePointer, columns: SQLiteDirectRow.Columns)] = [:]

        init(path: String) throws {
            var opened: OpaquePointer?
            let status = sqlite_nio_sqlite3_open_v2(path, &opened, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil)
            guard status == SQLITE_OK, let opened else {
                let message = opened.flatMap { sqlite_nio_sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "status \(status)"
                sqlite_nio_sqlite3_close(opened)
                throw SQLiteDirectReadError(message: "cannot open \(path): \(message)")
            }
            handle = opened
            // WAL readers meet a lock only in rare moments (recovery after a crash); wait a
            // little, then fail the request rather than hold the thread.
            sqlite_nio_sqlite3_busy_timeout(handle, 1_000)
            guard sqlite_nio_sqlite3_exec(handle, "PRAGMA query_only = ON", nil, nil, nil) == SQLITE_OK else {
                sqlite_nio_sqlite3_close(handle)
                throw SQLiteDirectReadError(message: "cannot make the connection read-only")
            }
        }

        deinit {
            for (statement, _) in statements.values { sqlite_nio_sqlite3_finalize(statement) }
            sqlite_nio_sqlite3_close(handle)
        }

        /// `waiting`: whether a lock is waited for (up to a second), or answered at once as busy.
        func rows(_ sql: String, _ binds: [SQLiteData], waiting: Bool) throws -> [SQLiteDirectRow] {
            sqlite_nio_sqlite3_busy_timeout(handle, waiting ? 1_000 : 0)
            let (statement, columns) = try prepared(sql)
            // Reset ends the statement's read transaction, so the next read sees newer writes.
            // Every parameter is bound again on each use; clearing the bindings would make
            // SQLite compile the statement again at the next step (it expires statements whose
            // plan took a bound value into account).
            defer { sqlite_nio_sqlite3_reset(statement) }
            for (offset, bind) in binds.enumerated() {
                try check(bind.bound(to: statement, at: Int32(offset + 1)))
            }
            var rows: [SQLiteDirectRow] = []
            while true {
                let status = sqlite_nio_sqlite3_step(statement)
                if status == SQLITE_DONE { return rows }
                guard status == SQLITE_ROW else { throw error(status) }
                var values: [SQLiteData] = []
                values.reserveCapacity(columns.names.count)
                for column in 0..<Int32(columns.names.count) { values.append(value(statement, column)) }
                rows.append(SQLiteDirectRow(columns: columns, values: values))
            }
        }

        /// How many times SQLite had to compile this connection's statements again.
        var reprepares: Int {
            statements.values.reduce(0) { $0 + Int(sqlite_nio_sqlite3_stmt_status($1.statement, SQLITE_STMTSTATUS_REPREPARE, 0)) }
        }

        private func prepared(_ sql: String) throws -> (statement: OpaquePointer, columns: SQLiteDirectRow.Columns) {
            if let known = statements[sql] { return known }
            var statement: OpaquePointer?
            let status = sqlite_nio_sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
            guard status == SQLITE_OK, let statement else { throw error(status) }
            let names = (0..<sqlite_nio_sqlite3_column_count(statement)).map { String(cString: sqlite_nio_sqlite3_column_name(statement, $0)) }
            // The queries are a fixed set; a bound keeps a caller with varying SQL from growing it without end.
            if statements.count >= 64 {
                for (old, _) in statements.values { sqlite_nio_sqlite3_finalize(old) }
                statements.removeAll()
            }
            let entry = (statement, SQLiteDirectRow.Columns(names: names))
            statements[sql] = entry
            return entry
        }

        /// A column as sqlite-nio reads it.
        private func value(_ statement: OpaquePointer, _ column: Int32) -> SQLiteData {
            switch sqlite_nio_sqlite3_column_type(statement, column) {
            case SQLITE_INTEGER:
                return .integer(Int(sqlite_nio_sqlite3_column_int64(statement, column)))
            case SQLITE_FLOAT:
                return .float(sqlite_nio_sqlite3_column_double(statement, column))
            case SQLITE_TEXT:
                guard let text = sqlite_nio_sqlite3_column_text(statement, column) else { return .null }
                return .text(String(cString: text))
            case SQLITE_BLOB:
                let length = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
                var buffer = ByteBufferAllocator().buffer(capacity: length)
                if let bytes = sqlite_nio_sqlite3_column_blob(statement, column) {
                    buffer.writeBytes(UnsafeRawBufferPointer(start: bytes, count: length))
                }
                return .blob(buffer)
            default:
                return .null
            }
        }

        private func check(_ status: Int32) throws {
            guard status == SQLITE_OK else { throw error(status) }
        }

        private func error(_ status: Int32) -> SQLiteDirectReadError {
            SQLiteDirectReadError(message: "\(String(cString: sqlite_nio_sqlite3_errmsg(handle))) (status \(status))",
                                  busy: status & 0xff == SQLITE_BUSY || status & 0xff == SQLITE_LOCKED)
        }
    }
}

struct SQLiteDirectReadError: Error, CustomStringConvertible {
    let message: String
    /// The database was locked: the read may succeed if it waits.
    var busy = false
    var description: String { "SQLite: \(message)" }
}

private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

extension SQLiteData {
    /// Binds the value as sqlite-nio does.
    fileprivate func bound(to statement: OpaquePointer, at index: Int32) -> Int32 {
        switch self {
        case .blob(let value):
            value.withUnsafeReadableBytes { sqlite_nio_sqlite3_bind_blob64(statement, index, $0.baseAddress, UInt64($0.count), transient) }
        case .float(let value):
            sqlite_nio_sqlite3_bind_double(statement, index, value)
        case .integer(let value):
            sqlite_nio_sqlite3_bind_int64(statement, index, Int64(value))
        case .null:
            sqlite_nio_sqlite3_bind_null(statement, index)
        case .text(let value):
            sqlite_nio_sqlite3_bind_text64(statement, index, value, UInt64(value.utf8.count), transient, UInt8(SQLITE_UTF8))
        }
    }
}

/// A row read by `SQLiteDirectReads`, decoded by SQLiteKit's decoder like a row of the driver.
struct SQLiteDirectRow: SQLRow {
    /// A statement's column names, shared by its rows.
    final class Columns: Sendable {
        let names: [String]
        let offsets: [String: Int]

        init(names: [String]) {
            self.names = names
            // the first of equal names, as sqlite-nio does
            var offsets: [String: Int] = [:]
            for (offset, name) in names.enumerated() where offsets[name] == nil { offsets[name] = offset }
            self.offsets = offsets
        }
    }

    let columns: Columns
    let values: [SQLiteData]

    var allColumns: [String] { columns.names }

    func contains(column: String) -> Bool { columns.offsets[column] != nil }

    func decodeNil(column: String) throws -> Bool {
        if case .null = try value(column) { return true }
        return false
    }

    func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
        try SQLiteDataDecoder().decode(D.self, from: try value(column))
    }

    private func value(_ column: String) throws -> SQLiteData {
        guard let offset = columns.offsets[column] else {
            throw DecodingError.keyNotFound(SQLCodingKey(column), .init(codingPath: [], debugDescription: "no column \(column)"))
        }
        return values[offset]
    }
}

private struct SQLCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
