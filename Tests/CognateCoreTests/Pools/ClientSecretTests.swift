import CognateCore
import CognateModel
import Foundation
import Testing

/// Two secrets at once while one is rotated out (AddUserPoolClientSecret and its kin).
@Suite struct ClientSecretTests {
    @Test func aSecondSecretMadeInTheSameMillisecondStillHasItsOwnId() async throws {
        let world = try await CoreWorld.make()  // its clock stands still
        let made = try await world.pools.createClient(poolId: world.pool.id, generateSecret: true) { $0.name = "confidential" }
        let (client, second) = try await world.pools.addSecret(poolId: world.pool.id, clientId: made.client.clientId)
        #expect(client.secretId != nil && client.additionalSecretId != nil && client.secretId != client.additionalSecretId)
        #expect(try world.pools.secrets(of: client) == [made.secret, second].compactMap { $0 })
        #expect(ClientAuthenticator.secretMatches(made.secret, client: client) && ClientAuthenticator.secretMatches(second, client: client))
        #expect(!ClientAuthenticator.secretMatches("another", client: client) && !ClientAuthenticator.secretMatches(nil, client: client))
    }

    @Test func deletingTheFirstPromotesTheSecondAndTheLastStays() async throws {
        let world = try await CoreWorld.make()
        let made = try await world.pools.createClient(poolId: world.pool.id, generateSecret: true) { $0.name = "confidential" }
        let firstId = try #require(made.client.secretId)
        world.clock.advance(5)
        let (added, second) = try await world.pools.addSecret(poolId: world.pool.id, clientId: made.client.clientId, secret: "GivenSecretOfTwentyFourChars")
        #expect(second == nil)  // a given secret is not echoed
        let secondId = try #require(added.additionalSecretId)
        await #expect(throws: ServiceRefusal("LimitExceededException", "An app client has at most 2 secrets; delete one first.")) {
            _ = try await world.pools.addSecret(poolId: world.pool.id, clientId: made.client.clientId)
        }
        try await world.pools.deleteSecret(poolId: world.pool.id, clientId: made.client.clientId, secretId: firstId)
        let now = try #require(try await world.store.client(poolId: world.pool.id, clientId: made.client.clientId))
        #expect(now.secretId == secondId && now.additionalSecret == nil)
        #expect(ClientAuthenticator.secretMatches("GivenSecretOfTwentyFourChars", client: now) && !ClientAuthenticator.secretMatches(made.secret, client: now))
        await #expect(throws: ServiceRefusal.self) {
            try await world.pools.deleteSecret(poolId: world.pool.id, clientId: made.client.clientId, secretId: secondId)
        }
        await #expect(throws: ServiceRefusal.self) {
            try await world.pools.deleteSecret(poolId: world.pool.id, clientId: made.client.clientId, secretId: firstId)
        }
        #expect(try await world.store.client(poolId: world.pool.id, clientId: made.client.clientId)?.isPublic == false)
    }
}
