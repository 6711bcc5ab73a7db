import CognateModel
import CognateStore
import Foundation
import Logging
import Testing

/// Two nodes on one database: each keeps pool configuration for a while, and a change made on
/// one is seen by the other once its entry expires.
@Suite struct ReadCacheTests {
    @Test func anotherNodesChangeIsSeenOnceTheEntryExpires() async throws {
        let location = TestDatabase.sqliteFile()
        let database = try await TestDatabase.make(location)
        defer { if case .sqliteFile(let path) = location { try? FileManager.default.removeItem(atPath: path) } }
        let logger = Logger(label: "cognate.store.test")
        let clock = Clock()
        let nodeA = FluentStore.on(database.databases, location: location, logger: logger, cacheSeconds: 2, now: clock.read)
        let nodeB = FluentStore.on(database.databases, location: location, logger: logger, cacheSeconds: 2, now: clock.read)

        let date = Date(timeIntervalSince1970: 1_700_000_000)
        let pool = UserPool(id: "us-east-1_Cache0001", name: "cache", createdAt: date, updatedAt: date)
        try await nodeA.createPool(pool, signingKey: SigningKey(
            poolId: pool.id, kid: "k1", algorithm: .rs256, sealedPrivateKey: Data([1]), publicJWK: "{}", createdAt: date))
        let client = AppClient(poolId: pool.id, clientId: "cacheclient00000000000000a", name: "before", createdAt: date, updatedAt: date)
        try await nodeA.createClient(client)
        #expect(try await nodeA.client(id: client.clientId)?.name == "before")

        _ = try await nodeB.updateClient(poolId: pool.id, clientId: client.clientId) { $0.name = "after" }
        #expect(try await nodeB.client(id: client.clientId)?.name == "after", "the writing node reads its own write")
        clock.advance(1.9)
        #expect(try await nodeA.client(id: client.clientId)?.name == "before", "the other node keeps what it read until the entry expires")
        clock.advance(0.2)
        #expect(try await nodeA.client(id: client.clientId)?.name == "after", "the other node sees it after the expiry")

        try await nodeB.deleteClient(poolId: pool.id, clientId: client.clientId)
        clock.advance(2.1)
        #expect(try await nodeA.client(id: client.clientId) == nil, "a deleted client is gone on the other node too")
        await database.shutdown()
    }
}

/// A clock the test moves by hand.
final class Clock: @unchecked Sendable {
    private let lock = NSLock()
    private var current = Date(timeIntervalSince1970: 1_800_000_000)
    var read: @Sendable () -> Date { { self.lock.withLock { self.current } } }
    func advance(_ seconds: TimeInterval) { lock.withLock { current = current.addingTimeInterval(seconds) } }
}
