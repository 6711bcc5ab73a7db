import FluentKit
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import NIOSSL

/// Where the store lives; the one place that knows the two drivers.
public enum DatabaseLocation: Sendable, Equatable {
    case sqliteFile(String)
    case sqliteMemory
    case postgres(url: String)

    public var isSQLite: Bool { if case .postgres = self { false } else { true } }

    /// PostgreSQL's connection settings (COGNATE_DATABASE_POOL_SIZE, COGNATE_DATABASE_STATEMENT_TIMEOUT,
    /// COGNATE_DATABASE_CA_FILE); SQLite has none.
    public struct Options: Sendable, Equatable {
        /// Connections per event loop. One each left a loop's requests queueing for its
        /// connection: refresh grants on PostgreSQL rose from 0.46x to 0.58x the signing bound
        /// with four (eight gave no more; `make bench`, two cores).
        public var poolSize: Int
        /// Seconds a statement may run before PostgreSQL cancels it; 0: no limit.
        public var statementTimeout: Int
        /// PEM trust roots for the server's certificate; TLS is then required.
        public var caFile: String?

        public init(poolSize: Int = 4, statementTimeout: Int = 0, caFile: String? = nil) {
            self.poolSize = poolSize
            self.statementTimeout = statementTimeout
            self.caFile = caFile
        }
    }

    public func configuration(_ options: Options = Options()) throws -> DatabaseConfigurationFactory {
        switch self {
        // One SQLite connection serializes every query, so a burst queues: let it wait longer
        // than the driver's 10 s default rather than fail under load.
        case .sqliteFile(let path):
            return .sqlite(.file(path), maxConnectionsPerEventLoop: 1, connectionPoolTimeout: .seconds(60))
        case .sqliteMemory:
            return .sqlite(.memory, maxConnectionsPerEventLoop: 1, connectionPoolTimeout: .seconds(60))
        case .postgres(let url):
            return .postgres(configuration: try Self.postgres(url: url, options), maxConnectionsPerEventLoop: options.poolSize)
        }
    }

    /// The URL's settings (its `sslmode`: disable, prefer, require or verify-full, the last two
    /// with certificate and host name checked), the statement timeout, and the CA file's roots.
    public static func postgres(url: String, _ options: Options) throws -> SQLPostgresConfiguration {
        var configuration = try SQLPostgresConfiguration(url: url)
        // how an operator finds the nodes' connections in pg_stat_activity
        configuration.coreConfiguration.options.additionalStartupParameters.append(("application_name", "cognate"))
        if options.statementTimeout > 0 {
            configuration.coreConfiguration.options.additionalStartupParameters.append(("statement_timeout", "\(options.statementTimeout)s"))
        }
        if let caFile = options.caFile {
            guard configuration.coreConfiguration.tls.isAllowed else {
                throw DatabaseOptionsError("COGNATE_DATABASE_CA_FILE is set but COGNATE_DATABASE_URL says sslmode=disable")
            }
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .file(caFile)
            configuration.coreConfiguration.tls = .require(try NIOSSLContext(configuration: tls))
        }
        return configuration
    }

    public var databaseID: DatabaseID { isSQLite ? .sqlite : .psql }
}

public struct DatabaseOptionsError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
