import CognateModel
import FluentKit
import FluentPostgresDriver
import Foundation
import Logging
import Metrics
import SQLKit
import Tracing

/// The store on a Fluent database: SQLite or PostgreSQL.
public struct FluentStore: Sendable {
    let source: @Sendable () -> any Database
    let cache: ReadCache
    /// Reads outside transactions straight from a SQLite file (see `SQLiteDirectReads`).
    let direct: SQLiteDirectReads?
    /// `sqlite` or `postgresql` (the SQL dialect's name), for the spans' `db.system.name`.
    let databaseSystem: String

    /// - Parameters:
    ///   - database: hands out a database handle per operation, so work spreads over the event
    ///     loops' connection pools instead of queueing on one.
    ///   - cacheSeconds: how long pool configuration read from the database is kept (see
    ///     `ReadCache`); 0 reads it every time.
    ///   - sqliteFile: the database's file when it is SQLite; its hot reads then skip the driver.
    ///   - now: the clock the cache's expiries are read on.
    public init(cacheSeconds: Double = 0, sqliteFile: String? = nil, now: @escaping @Sendable () -> Date = { Date() },
                database: @escaping @Sendable () -> any Database) {
        self.source = database
        self.cache = ReadCache(seconds: cacheSeconds, now: now)
        self.direct = sqliteFile.map(SQLiteDirectReads.init(path:))
        self.databaseSystem = (database() as? any SQLDatabase)?.dialect.name ?? "unknown"
    }

    var database: any Database { source() }

    /// The store on `databases`. SQLite gets one connection, pinned to one event loop: SQLite
    /// serializes writers anyway, and several connections spinning in sqlite-nio's busy handler
    /// could occupy every thread of the blocking pool while the lock holder waits for one.
    /// PostgreSQL spreads over every loop's connection pool. Fluent's own span per query is off:
    /// each store operation is one span (`run`), and queries inside a transaction would start
    /// traces of their own (the transaction's task does not carry the request's).
    public static func on(_ databases: Databases, location: DatabaseLocation, logger: Logger, cacheSeconds: Double = 0,
                          now: @escaping @Sendable () -> Date = { Date() }) -> FluentStore {
        let id = location.databaseID
        let loop = databases.eventLoopGroup.any()
        // Once the databases have shut down they hand out nothing; work still finishing then gets
        // this handle, whose closed pool fails each query as "unavailable" instead of a crash.
        guard let opened = databases.database(id, logger: logger, on: loop, withTracing: false) else { preconditionFailure("the database \(id) is not configured") }
        if location.isSQLite {
            let file: String? = if case .sqliteFile(let path) = location { path } else { nil }
            return FluentStore(cacheSeconds: cacheSeconds, sqliteFile: file, now: now) { databases.database(id, logger: logger, on: loop, withTracing: false) ?? opened }
        }
        return FluentStore(cacheSeconds: cacheSeconds, now: now) {
            databases.database(id, logger: logger, on: databases.eventLoopGroup.any(), withTracing: false) ?? opened
        }
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .secondsSince1970
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return decoder
    }()

    static func encode(_ value: some Encodable) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try decoder.decode(type, from: Data(text.utf8))
    }

    /// Runs `body`, timed (`cognate_store_operation_seconds` by what it touches; a database that
    /// did not answer also counts in `cognate_store_unavailable_total`), and counted while it
    /// runs (`cognate_store_operations_in_flight`: the connections in use or waited for, against
    /// `cognate_database_connections`).
    /// Traced as a client span named by the store method (`store rotateRefreshToken`) when a
    /// tracer is set up (COGNATE_OTEL_ENDPOINT).
    func run<T>(_ what: String, function: StaticString = #function, _ body: () async throws -> T) async throws -> T {
        try await withSpan(Self.spanName(function), ofKind: .client) { span in
            span.attributes["db.system.name"] = databaseSystem
            span.attributes["cognate.store.record"] = what
            return try await measured(what, body)
        }
    }

    /// `store name` from a method's `#function` (`name(poolId:…)`).
    static func spanName(_ function: StaticString) -> String {
        let text = function.description
        return "store " + (text.firstIndex(of: "(").map { String(text[..<$0]) } ?? text)
    }

    private func measured<T>(_ what: String, _ body: () async throws -> T) async throws -> T {
        let started = DispatchTime.now().uptimeNanoseconds
        let inFlight = Meter(label: "cognate_store_operations_in_flight")
        inFlight.increment()
        defer {
            inFlight.decrement()
            Timer(label: "cognate_store_operation_seconds", dimensions: [("what", what)], preferredDisplayUnit: .seconds)
                .recordNanoseconds(Int64(clamping: DispatchTime.now().uptimeNanoseconds - started))
        }
        do {
            return try await mapped(what, body)
        } catch StoreError.unavailable(let reason) {
            Counter(label: "cognate_store_unavailable_total", dimensions: [("what", what)]).increment()
            throw StoreError.unavailable(reason)
        }
    }

    /// Runs `body`, turning driver errors into `StoreError`.
    func mapped<T>(_ what: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as StoreError {
            throw error
        } catch where Self.isUniqueViolation(error) {
            throw StoreError.duplicate(what)
        } catch let error as ValidationFailure {
            throw error.underlying
        } catch let error as any DatabaseError where error.isConnectionClosed {
            throw StoreError.unavailable(String(describing: error))
        } catch let error as SQLiteDirectReadError {
            throw StoreError.unavailable(error.description)
        } catch let error as PSQLError where Self.connectionCodes.contains(error.code) {
            // PostgreSQL down, unreachable or gone mid-query: the caller answers "try again later"
            throw StoreError.unavailable(String(describing: error.code))
        } catch is ConnectionPoolTimeoutError {
            throw StoreError.unavailable("no database connection came free in time")
        } catch let error as ConnectionPoolError {
            throw StoreError.unavailable(String(describing: error))
        } catch let error as DecodingError {
            throw StoreError.unavailable("corrupt \(what) record: \(error)")
        }
    }

    /// PostgreSQL errors that say the database could not be reached, not that the query was wrong.
    static let connectionCodes: [PSQLError.Code] = [.connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown,
                                                    .poolClosed]

    /// A unique index refused a row. Some driver errors say so only in their text
    /// (PostgreSQL's SQLSTATE 23505, SQLite's "UNIQUE constraint failed").
    static func isUniqueViolation(_ error: any Error) -> Bool {
        if let error = error as? any DatabaseError, error.isConstraintFailure { return true }
        let text = String(reflecting: error)
        return text.contains("23505") || text.contains("UNIQUE constraint failed") || text.contains("unique_violation")
    }

    /// A transaction that first takes the pool's write lock, so read-modify-write changes within
    /// a pool cannot lose each other's updates. On PostgreSQL it is a transaction-scoped advisory
    /// lock named by the pool (held until commit or rollback, on every node alike): the same
    /// exclusion a row lock would give, without writing a new version of the pool's row each
    /// time (two or three times a sign-in). On SQLite a no-op UPDATE of the pool row: the first
    /// write takes the database's write lock, so two transactions never both read and then
    /// deadlock on upgrading to write.
    func poolTransaction<T: Sendable>(_ poolId: String, _ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        try await database.transaction { db in
            if let sql = db as? any SQLDatabase {
                if sql.dialect.name == "postgresql" {
                    try await sql.raw("SELECT pg_advisory_xact_lock(\(unsafeRaw: String(Self.poolLockClass)), hashtext(\(bind: poolId)))").run()
                } else {
                    try await sql.update(PoolRow.schema)
                        .set(SQLIdentifier("name"), to: SQLIdentifier("name"))
                        .where(SQLIdentifier("id"), .equal, SQLBind(poolId))
                        .run()
                }
            }
            return try await body(db)
        }
    }

    /// The first half of the pool locks' advisory key ("pool" in ASCII); the second is the pool
    /// id's hash. StartupLock's single 64-bit key lives in another key space and never meets these.
    static let poolLockClass: Int32 = 0x706F_6F6C

    // MARK: Cursors

    /// Cursors are the last key of the previous page, base64url-encoded so callers treat them
    /// as opaque.
    static func cursor(_ key: String) -> String {
        Data(key.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func key(fromCursor cursor: String?) -> String? {
        guard let cursor else { return nil }
        var text = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        return Data(base64Encoded: text).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    static func page<Row, Item>(_ rows: [Row], limit: Int, key: (Row) -> String, map: (Row) throws -> Item) rethrows -> ListPage<Item> {
        let items = try rows.prefix(limit).map(map)
        let next = rows.count > limit ? rows.prefix(limit).last.map { cursor(key($0)) } : nil
        return ListPage(items: items, next: next)
    }
}

/// Carries an error thrown by a caller's change closure through Fluent's transaction untouched.
struct ValidationFailure: Error {
    let underlying: any Error
}

extension FluentStore: StoreHealth {
    /// A SQLite file is switched to write-ahead logging (it stays so): a commit appends to the
    /// log with one sync instead of rewriting a rollback journal, and readers of another
    /// process (a backup, `sqlite3`) do not block the server's writer. Nothing to do on PostgreSQL.
    public func prepare(_ location: DatabaseLocation) async throws {
        guard case .sqliteFile = location else { return }
        try await run("database") { _ = try await sql.raw("PRAGMA journal_mode=WAL").all() }
    }

    public func ping() async throws {
        do {
            guard let sql = database as? any SQLDatabase else { return }
            _ = try await sql.raw("SELECT 1").all()
        } catch {
            throw StoreError.unavailable(String(describing: error))
        }
    }
}
