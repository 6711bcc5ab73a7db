import FluentKit
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation

/// Where the store lives; the one place that knows the two drivers.
public enum DatabaseLocation: Sendable, Equatable {
    case sqliteFile(String)
    case sqliteMemory
    case postgres(url: String)

    public var isSQLite: Bool { if case .postgres = self { false } else { true } }

    public func configuration() throws -> DatabaseConfigurationFactory {
        switch self {
        // One SQLite connection serializes every query, so a burst queues: let it wait longer
        // than the driver's 10 s default rather than fail under load.
        case .sqliteFile(let path):
            return .sqlite(.file(path), maxConnectionsPerEventLoop: 1, connectionPoolTimeout: .seconds(60))
        case .sqliteMemory:
            return .sqlite(.memory, maxConnectionsPerEventLoop: 1, connectionPoolTimeout: .seconds(60))
        case .postgres(let url):
            return .postgres(configuration: try SQLPostgresConfiguration(url: url))
        }
    }

    public var databaseID: DatabaseID { isSQLite ? .sqlite : .psql }
}
