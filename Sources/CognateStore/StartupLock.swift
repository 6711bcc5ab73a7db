import FluentPostgresDriver
import Foundation
import Logging

/// What nodes starting together on one database must do once: migrate, make the first pool and
/// the admin key. On PostgreSQL the step runs under a session advisory lock taken on a
/// connection of its own (not one of the pool's, which the step itself needs), so one node does
/// it while the others wait, then find it done. A SQLite file belongs to one node: the step just runs.
public enum StartupLock {
    /// Any fixed number: the lock's name among the database's advisory locks ("cognate" in ASCII).
    static let key: Int64 = 0x636F_676E_6174_65

    public static func exclusively<T: Sendable>(_ location: DatabaseLocation, options: DatabaseLocation.Options, logger: Logger,
                                                _ body: @Sendable () async throws -> T) async throws -> T {
        guard case .postgres(let url) = location else { return try await body() }
        // the lock waits as long as another node migrates: no statement timeout on this session
        var untimed = options
        untimed.statementTimeout = 0
        let configuration = try DatabaseLocation.postgres(url: url, untimed)
        let connection = try await PostgresConnection.connect(configuration: configuration.coreConfiguration, id: 0, logger: logger)
        // the session's end (closed here, or dropped with a node that dies) ends its lock
        do {
            _ = try await connection.query("SELECT pg_advisory_lock(\(key))", logger: logger)
            let result = try await body()
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }
}
