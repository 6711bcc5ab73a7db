import Foundation

/// A pool's configuration (the pool, its clients, signing keys, resource servers and domains)
/// is read on every request and written rarely, so the store keeps what it read for a few
/// seconds. The database stays the only truth:
///
/// - a write through this store drops the pool's entries at once, so one node always reads
///   its own writes;
/// - another node's write is seen once the entry expires (`ttl`, COGNATE_CACHE_SECONDS);
/// - a read that started before a write never stores its older answer after the write
///   (`generation`);
/// - misses are not kept, so unknown ids cannot fill memory, and the whole cache is bounded.
final class ReadCache: @unchecked Sendable {
    private struct Entry {
        let poolId: String
        let value: any Sendable
        let expires: Date
    }

    let ttl: TimeInterval
    let capacity: Int
    /// The clock expiries are read on (injected: tests move it instead of sleeping).
    let now: @Sendable () -> Date
    private let lock = NSLock()
    private var entries: [String: Entry] = [:]
    private var generation: UInt64 = 0

    init(seconds: Double, capacity: Int = 20_000, now: @escaping @Sendable () -> Date = { Date() }) {
        self.ttl = max(0, seconds)
        self.capacity = capacity
        self.now = now
    }

    var isEnabled: Bool { ttl > 0 }

    /// The cached value for `key`, or `load`'s answer (kept when it is not nil).
    func value<T: Sendable>(_ key: String, poolOf: (T) -> String, load: () async throws -> T?) async throws -> T? {
        guard isEnabled else { return try await load() }
        let now = self.now()
        let (cached, startedAt): (T?, UInt64) = lock.withLock {
            if let entry = entries[key], entry.expires > now, let value = entry.value as? T { return (value, generation) }
            return (nil, generation)
        }
        if let cached { return cached }
        guard let loaded = try await load() else { return nil }
        lock.withLock {
            guard generation == startedAt else { return }  // a write happened while we read
            if entries.count >= capacity {
                entries = entries.filter { $0.value.expires > now }
                if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            }
            entries[key] = Entry(poolId: poolOf(loaded), value: loaded, expires: now.addingTimeInterval(ttl))
        }
        return loaded
    }

    /// The cached value for `key` of pool `poolId`, or `load`'s answer (a list: never missing).
    func value<T: Sendable>(_ key: String, pool poolId: String, load: () async throws -> T) async throws -> T {
        // `load` never answers nil, so neither does the optional form
        try await value(key, poolOf: { _ in poolId }) { () async throws -> T? in try await load() }!
    }

    /// Drops everything kept about the pool; call after a write to its configuration.
    func invalidate(poolId: String) {
        guard isEnabled else { return }
        lock.withLock {
            generation &+= 1
            entries = entries.filter { $0.value.poolId != poolId }
        }
    }

    func invalidateAll() {
        guard isEnabled else { return }
        lock.withLock {
            generation &+= 1
            entries.removeAll(keepingCapacity: true)
        }
    }
}
