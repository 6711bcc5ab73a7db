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
        let nodeA = FluentStore.on(database.databases, location: location, logger: logger, cacheSeconds: 0.4)
        let nodeB = FluentStore.on(database.databases, location: location, logger: logger, cacheSeconds: 0.4)

        let date = Date(timeIntervalSince1970: 1_700_000_000)
        let pool = UserPool(id: "us-east-1_Cache0001", name: "cache", createdAt: date, updatedAt: date)
        try await nodeA.createPool(pool, signingKey: SigningKey(
            poolId: pool.id, kid: "k1", algorithm: .rs256, sealedPrivateKey: Data([1]), publicJWK: "{}", createdAt: date))
        let client = AppClient(poolId: pool.id, clientId: "cacheclient00000000000000a", name: "before", createdAt: date, updatedAt: date)
        try await nodeA.createClient(client)
        #expect(try await nodeA.client(id: client.clientId)?.name == "before")

        _ = try await nodeB.updateClient(poolId: pool.id, clientId: client.clientId) { $0.name = "after" }
        #expect(try await nodeB.client(id: client.clientId)?.name == "after", "the writing node reads its own write")
        try await Task.sleep(for: .milliseconds(600))
        #expect(try await nodeA.client(id: client.clientId)?.name == "after", "the other node sees it after the expiry")

        try await nodeB.deleteClient(poolId: pool.id, clientId: client.clientId)
        try await Task.sleep(for: .milliseconds(600))
        #expect(try await nodeA.client(id: client.clientId) == nil, "a deleted client is gone on the other node too")
        await database.shutdown()
    }
}
