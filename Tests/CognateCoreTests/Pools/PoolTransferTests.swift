import CognateCore
import CognateMemoryStore
import CognateModel
import Foundation
import Testing

/// A pool exported from one store and imported into another with another master key: every
/// sealed value opens there (SRP verifier, client secret, trigger secrets, SAML keys, signing
/// key), and a cut-off or foreign file leaves nothing behind.
@Suite struct PoolTransferTests {
    struct Moved {
        let store = MemoryStore()
        let masterKey = MasterKey.generate()
    }

    func export(_ world: CoreWorld, for target: MasterKey?) async throws -> [String] {
        var lines: [String] = []
        _ = try await PoolExporter(store: world.store, masterKey: world.masterKey).export(poolId: world.pool.id, for: target, now: world.clock.now(),
                                                                                          write: { lines.append($0) })
        return lines
    }

    func importing(_ lines: [String], into moved: Moved, from source: MasterKey?) async throws -> (poolId: String, counts: PoolTransfer.Counts) {
        var remaining = lines[...]
        return try await PoolImporter(store: moved.store, masterKey: moved.masterKey).importPool(source: source, next: { remaining.popFirst() })
    }

    @Test func everySealedValueOpensUnderTheNewMasterKey() async throws {
        let world = try await CoreWorld.make()
        let user = try await world.user("ana")
        let client = try await world.pools.createClient(poolId: world.pool.id, generateSecret: true) { $0.name = "confidential" }
        let rotating = try await world.pools.addSecret(poolId: world.pool.id, clientId: client.client.clientId)
        let triggerSecrets = try await TriggerSecrets(store: world.store, masterKey: world.masterKey).secrets(poolId: world.pool.id)
        let saml = try await SAMLServiceProvider(store: world.store, masterKey: world.masterKey, now: world.clock.now).keys(poolId: world.pool.id)
        try await world.store.createGroup(Group(poolId: world.pool.id, name: "staff", createdAt: world.clock.now(), updatedAt: world.clock.now()))
        try await world.store.addMember(poolId: world.pool.id, group: "staff", userSub: user.sub)
        let passkey = WebAuthnCredential(id: "cred-ana", poolId: world.pool.id, userSub: user.sub, publicKey: Data([0xA5, 1, 2]), signCount: 7,
                                         relyingPartyId: "id.example", friendlyName: "laptop", attachment: "platform", transports: ["internal"],
                                         createdAt: world.clock.now())
        try await world.store.createWebAuthnCredential(passkey, limit: nil)
        var device = Device(key: "local_4a1f7c2e-0000-4000-8000-000000000001", poolId: world.pool.id, userSub: user.sub, groupKey: "g", createdAt: world.clock.now())
        let verifierContext = "device-verifier:" + device.key  // SignInService's context for a device's SRP verifier
        device.sealedVerifier = try world.masterKey.seal(Data("salt and verifier".utf8), context: verifierContext)
        device.remembered = true
        try await world.store.createDevice(device)
        var unconfirmed = Device(key: "local_4a1f7c2e-0000-4000-8000-000000000002", poolId: world.pool.id, userSub: user.sub, groupKey: "g",
                                 createdAt: world.clock.now())
        unconfirmed.remembered = false
        try await world.store.createDevice(unconfirmed)
        let lines = try await export(world, for: nil)

        let moved = Moved()
        await #expect(throws: PoolTransfer.Failure.self) { try await importing(lines, into: moved, from: nil) }
        await #expect(throws: PoolTransfer.Failure.self) { try await importing(lines, into: moved, from: MasterKey.generate()) }
        let (poolId, counts) = try await importing(lines, into: moved, from: world.masterKey)
        #expect(poolId == world.pool.id && counts.users == 1 && counts.clients == 2 && counts.memberships == 1 && counts.settings == 2)
        #expect(counts.passkeys == 1 && counts.devices == 1, "an unconfirmed device is not carried")
        #expect(try await moved.store.webAuthnCredential(poolId: poolId, id: "cred-ana") == passkey)
        let movedDevice = try #require(try await moved.store.device(poolId: poolId, key: device.key))
        #expect(movedDevice.remembered && movedDevice.userSub == user.sub)
        #expect(try moved.masterKey.open(try #require(movedDevice.sealedVerifier), context: verifierContext) == Data("salt and verifier".utf8))
        #expect(try await moved.store.device(poolId: poolId, key: unconfirmed.key) == nil)

        let ana = try #require(try await moved.store.user(poolId: poolId, sub: user.sub))
        #expect(ana.passwordHash == user.passwordHash)
        let verifier = try Credentials(hasher: world.hasher, masterKey: moved.masterKey).openVerifier(of: ana)
        #expect(verifier?.verifier == (try Credentials(hasher: world.hasher, masterKey: world.masterKey).openVerifier(of: user))?.verifier)
        let movedClient = try #require(try await moved.store.client(poolId: poolId, clientId: client.client.clientId))
        #expect(try PoolService(store: moved.store, masterKey: moved.masterKey, region: "local", now: world.clock.now).secrets(of: movedClient)
                == [client.secret, rotating.secret].compactMap { $0 })
        #expect(try await TriggerSecrets(store: moved.store, masterKey: moved.masterKey).secrets(poolId: poolId) == triggerSecrets)
        let movedSAML = try await SAMLServiceProvider(store: moved.store, masterKey: moved.masterKey, now: world.clock.now).keys(poolId: poolId)
        #expect(movedSAML.signing.privateKeyPEM == saml.signing.privateKeyPEM && movedSAML.encryption.certificate == saml.encryption.certificate)
        #expect(try await moved.store.groups(poolId: poolId, userSub: user.sub).map(\.name) == ["staff"])
        // the moved signing key signs, and the old store's keys verify what it signs
        let movedTokens = TokenService(store: moved.store, keyring: Keyring(store: moved.store, masterKey: moved.masterKey, now: world.clock.now),
                                       issuerBase: CoreWorld.issuerBase, now: world.clock.now)
        let issued = try await movedTokens.issue(user: ana, client: movedClient, scopes: ["openid"], authTime: world.clock.now())
        _ = try await world.keyring.verify(try #require(issued.idToken))
    }

    @Test func anExportSealedForTheTargetNeedsNoKeyAndACutOffOneLeavesNothing() async throws {
        let world = try await CoreWorld.make()
        for name in ["a", "b", "c"] { try await world.user(name) }
        let moved = Moved()
        let lines = try await export(world, for: moved.masterKey)
        await #expect(throws: PoolTransfer.Failure.self) { try await importing(Array(lines.dropLast()), into: moved, from: nil) }
        #expect(try await moved.store.pool(id: world.pool.id) == nil, "a cut-off file leaves no pool")
        var tampered = lines
        tampered[tampered.count - 2] = tampered[tampered.count - 2].replacingOccurrences(of: world.pool.id, with: "local_other")
        await #expect(throws: PoolTransfer.Failure.self) { try await importing(tampered, into: moved, from: nil) }
        #expect(try await moved.store.pool(id: world.pool.id) == nil, "a user of another pool leaves no pool")
        let (_, counts) = try await importing(lines, into: moved, from: nil)
        #expect(counts.users == 3)
        await #expect(throws: PoolTransfer.Failure.self) { try await importing(lines, into: moved, from: nil) }
        #expect(try await ListPage.all { try await moved.store.listUsers(poolId: world.pool.id, limit: $0, after: $1) }.count == 3,
                "a second import of the pool changes nothing")
    }
}
