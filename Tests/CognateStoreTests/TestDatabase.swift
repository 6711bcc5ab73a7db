import CognateModel
import CognateStore
import FluentKit
import Foundation
import Logging
import NIOPosix
import StoreConformance

/// A migrated database for one test, on SQLite (a fresh file) or on PostgreSQL.
final class TestDatabase: Sendable {
    let databases: Databases
    let id: DatabaseID
    let store: FluentStore

    static func make(_ location: DatabaseLocation) async throws -> TestDatabase {
        let databases = Databases(threadPool: NIOThreadPool.singleton, on: MultiThreadedEventLoopGroup.singleton)
        databases.use(try location.configuration(), as: location.databaseID)
        let database = TestDatabase(databases: databases, location: location)
        let migrations = Migrations()
        migrations.add(CognateMigrations.all, to: location.databaseID)
        let migrator = Migrator(databases: databases, migrations: migrations, logger: Logger(label: "test"),
                                on: MultiThreadedEventLoopGroup.singleton.any())
        do {
            try await migrator.setupIfNeeded().get()
            try await migrator.prepareBatch().get()
        } catch {
            await database.shutdown()  // a pool dropped unshut traps
            throw error
        }
        return database
    }

    init(databases: Databases, location: DatabaseLocation) {
        self.databases = databases
        self.id = location.databaseID
        // The conformance cases run with the read cache on: a store must read its own writes.
        self.store = FluentStore.on(databases, location: location, logger: Logger(label: "cognate.store.test"), cacheSeconds: 60)
    }

    /// Runs one conformance case on a freshly opened and migrated database at `location`.
    static func run(_ conformance: ConformanceCase, on location: DatabaseLocation) async throws {
        let database = try await make(location)
        var failure: (any Error)?
        do { try await conformance.run(database.store) } catch { failure = error }
        await database.shutdown()
        if case .sqliteFile(let path) = location {
            for suffix in ["", "-journal", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        if let failure { throw failure }
    }

    func shutdown() async {
        await databases.shutdownAsync()
    }

    static func sqliteFile() -> DatabaseLocation {
        .sqliteFile(FileManager.default.temporaryDirectory.appendingPathComponent("cognate-test-\(UUID()).sqlite").path)
    }

    /// COGNATE_TEST_DATABASE_URL, when it names a PostgreSQL database.
    static var postgresURL: String? {
        guard let url = ProcessInfo.processInfo.environment["COGNATE_TEST_DATABASE_URL"],
            url.hasPrefix("postgres://") || url.hasPrefix("postgresql://")
        else { return nil }
        return url
    }
}
