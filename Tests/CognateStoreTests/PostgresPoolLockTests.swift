import CognateModel
@testable import CognateStore
import Foundation
import SQLKit
import Testing

/// How PostgreSQL takes a pool's write lock (the conformance cases check what the lock guards:
/// racing code senders, guesses and passkeys are all counted). In the conformance suite, whose
/// cases run one at a time: two suites migrating the one database at once would race.
extension PostgresConformanceTests {
    /// The pool row's version (its `xmin`): a new one for every write of the row.
    func rowVersion(_ store: FluentStore, _ poolId: String) async throws -> String {
        let rows = try await store.rows("SELECT xmin::text AS version FROM user_pools WHERE id = \(bind: poolId)")
        return try rows[0].decode(column: "version", as: String.self)
    }

    @Test func lockedStepsLeaveThePoolRowUnwrittenAndStillTakeTurns() async throws {
        let database = try await TestDatabase.make(.postgres(url: TestDatabase.postgresURL!))
        var failure: (any Error)?
        do {
            let store = database.store
            let poolId = "test_" + UUID().uuidString.prefix(9).replacingOccurrences(of: "-", with: "x")
            try await store.createPool(UserPool(id: poolId, name: "lock-\(poolId)", createdAt: Date(), updatedAt: Date()),
                                       signingKey: SigningKey(poolId: poolId, kid: UUID().uuidString, algorithm: .rs256,
                                                              sealedPrivateKey: Data([1]), publicJWK: "{}", createdAt: Date()))
            let before = try await rowVersion(store, poolId)
            let sub = UUID()
            // twenty read-modify-write steps at once, as a burst of password checks makes them
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        _ = try await store.saveCode(poolId: poolId, userSub: sub, purpose: .passwordAttempts) { previous in
                            var record = previous ?? VerificationCode(poolId: poolId, userSub: sub, purpose: .passwordAttempts, codeHash: "-",
                                                                      expiresAt: Date().addingTimeInterval(900), windowStart: Date(), createdAt: Date())
                            record.attempts += 1
                            return record
                        }
                    }
                }
                try await group.waitForAll()
            }
            let counted = try await store.code(poolId: poolId, userSub: sub, purpose: .passwordAttempts)?.attempts
            #expect(counted == 20, "a racing step was lost: \(String(describing: counted))")
            #expect(try await rowVersion(store, poolId) == before, "the pool's row was rewritten to take the lock")
            // a settings change still writes the row, under the same lock
            _ = try await store.updatePool(id: poolId) { $0.name = "renamed-\(poolId)" }
            #expect(try await rowVersion(store, poolId) != before)
        } catch { failure = error }
        await database.shutdown()
        if let failure { throw failure }
    }
}
