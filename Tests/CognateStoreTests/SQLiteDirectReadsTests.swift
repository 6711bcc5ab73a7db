import CognateModel
@testable import CognateStore
import FluentKit
import Foundation
import Logging
import SQLKit
import Testing

/// The reads a token request makes go straight to the SQLite file (`SQLiteDirectReads`); the
/// conformance suite checks what they answer, these check how.
@Suite struct SQLiteDirectReadsTests {
    /// Runs `body` on a migrated SQLite file and removes it after.
    func withFile(_ body: (TestDatabase, String) async throws -> Void) async throws {
        let location = TestDatabase.sqliteFile()
        guard case .sqliteFile(let path) = location else { return }
        let database = try await TestDatabase.make(location)
        var failure: (any Error)?
        do { try await body(database, path) } catch { failure = error }
        await database.shutdown()
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        if let failure { throw failure }
    }

    @Test func tokenRequestReadsUseIndexesNotScans() async throws {
        try await withFile { database, _ in
            #expect(database.store.direct != nil, "a SQLite file store reads directly")
            let reads: [(String, SQLQueryString)] = [
                ("refresh grant", FluentStore.refreshGrantQuery("hash")),
                ("revocation", "SELECT 1 AS hit FROM token_revocations WHERE jti IN (\(bind: "a"), \(bind: "b"))"),
                ("user", "SELECT u.id FROM users u WHERE u.id = \(bind: UUID()) AND u.pool_id = \(bind: "p")"),
                ("user by name", "SELECT u.id FROM user_identifiers i JOIN users u ON u.id = i.user_id WHERE i.pool_id = \(bind: "p") AND i.key = \(bind: "k")"),
                ("admin key", "SELECT id FROM admin_credentials WHERE id = \(bind: "AKIA")"),
            ]
            for (name, query) in reads {
                let plan = try await database.store.rows("EXPLAIN QUERY PLAN " + query)
                let steps = try plan.map { try $0.decode(column: "detail", as: String.self) }
                #expect(!steps.isEmpty)
                #expect(steps.allSatisfy { !$0.hasPrefix("SCAN") }, "\(name): \(steps)")
            }
            // ListUsers' filters as FluentStore sends them (pages by id): each by its own index, with no
            // sort, never by walking the pool's users (idx_users_pool)
            let filters: [(String, String)] = [
                ("idx_users_email", FluentStore.attributeExpression("email", postgres: false)),
                ("idx_users_phone_number", FluentStore.attributeExpression("phone_number", postgres: false)),
                ("idx_users_username", "username"),
            ]
            for (index, expression) in filters {
                let query: SQLQueryString = """
                    SELECT users.* FROM users WHERE users.pool_id = \(bind: "p") AND \(unsafeRaw: expression) = \(bind: "v") \
                    AND users.id > \(bind: UUID()) ORDER BY users.id ASC LIMIT 61
                    """
                let plan = try await database.store.rows("EXPLAIN QUERY PLAN " + query)
                let steps = try plan.map { try $0.decode(column: "detail", as: String.self) }
                #expect(steps.count == 1 && steps[0].contains("USING INDEX \(index) ("), "\(index): \(steps)")
            }
        }
    }

    @Test func statementsAreCompiledOnceAndSeeEveryCommittedWrite() async throws {
        try await withFile { database, _ in
            let store = database.store
            let direct = try #require(store.direct)
            let date = Date(timeIntervalSince1970: 1_700_000_000)
            let pool = UserPool(id: "us-east-1_Direct001", name: "direct", createdAt: date, updatedAt: date)
            try await store.createPool(pool, signingKey: SigningKey(
                poolId: pool.id, kid: "k1", algorithm: .rs256, sealedPrivateKey: Data([1]), publicJWK: "{}", createdAt: date))
            for round in 0..<5 {
                #expect(try await store.isRevoked(anyOf: ["jti-\(round)"]) == false)
                try await store.revoke(TokenRevocation(jti: "jti-\(round)", poolId: pool.id, expiresAt: Date().addingTimeInterval(60)))
                #expect(try await store.isRevoked(anyOf: ["jti-\(round)"]), "a revocation is seen by the next read")
                #expect(try await store.refreshTokenWithUser(hash: "hash-\(round)") == nil)
            }
            #expect(direct.reprepares == 0)
        }
    }

    @Test func directConnectionsAreReadOnly() async throws {
        try await withFile { database, _ in
            await #expect(throws: StoreError.self) {
                try await database.store.run("user") { try await database.store.rows("DELETE FROM users") }
            }
        }
    }

    @Test func aMissingFileIsAnUnavailableStoreNotACrash() async throws {
        try await withFile { database, _ in
            let databases = database.databases
            let broken = FluentStore(sqliteFile: "/nonexistent/cognate.sqlite") { databases.database(.sqlite, logger: Logger(label: "test"), on: databases.eventLoopGroup.any())! }
            await #expect(throws: StoreError.self) { try await broken.refreshTokenWithUser(hash: "x") }
            await #expect(throws: StoreError.self) { try await broken.isRevoked(anyOf: ["x"]) }
        }
    }
}
