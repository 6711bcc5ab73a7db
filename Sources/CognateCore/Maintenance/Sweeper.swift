import CognateModel
import Foundation

/// Removes what has expired (codes, sessions, tokens, revocations, counters, old outbox
/// messages), in batches of `batch` rows per kind, until a pass comes back short or `maxPasses`
/// ran: each statement holds its locks briefly, and one sweep cannot run for ever. Every node
/// sweeps (COGNATE_SWEEP_SECONDS); two sweeping at once only delete the same rows once.
public struct Sweeper: Sendable {
    public static let outboxDays = 7
    let store: any PurgeStore
    let batch: Int
    let maxPasses: Int
    let now: Now

    public init(store: any PurgeStore, batch: Int = 500, maxPasses: Int = 20, now: @escaping Now) {
        self.store = store
        self.batch = batch
        self.maxPasses = maxPasses
        self.now = now
    }

    /// One sweep; returns the rows deleted.
    @discardableResult
    public func sweep() async throws -> Int {
        var total = 0
        for _ in 0..<maxPasses {
            let deleted = try await store.purgeExpired(at: now(), limit: batch, outboxDays: Self.outboxDays)
            total += deleted
            if deleted < batch { break }
        }
        return total
    }
}
