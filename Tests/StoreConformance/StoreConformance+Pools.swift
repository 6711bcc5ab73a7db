import CognateModel
import Foundation

extension StoreConformance {
    static let pools: [ConformanceCase] = [
        test("poolIsReadBackWithEverySetting") { store in
            var pool = UserPool(id: newPoolId(), name: "settings", createdAt: t0, updatedAt: t0)
            pool.passwordPolicy = PasswordPolicy(minimumLength: 12, requireUppercase: false, requireLowercase: true,
                                                 requireNumbers: false, requireSymbols: true, temporaryPasswordValidityDays: 3)
            pool.usernameAttributes = ["email"]
            pool.caseSensitive = true
            pool.autoVerifiedAttributes = ["email"]
            pool.mfaConfiguration = .optional
            pool.tokenValidity = TokenValidity(idToken: 600, accessToken: 900, refreshToken: 86_400)
            pool.schema = [SchemaAttribute(name: "custom:tenant", maxLength: 40)]
            pool.signingAlgorithm = .es256
            try await store.createPool(pool, signingKey: makeKey(pool.id))
            try check(try await store.pool(id: pool.id) == pool, "pool differs after a round trip")
            try check(try await store.pool(named: "settings")?.id == pool.id, "pool not found by name")
            try check(try await store.pool(id: "test_Missing00") == nil, "unknown pool should be nil")
        },
        test("poolNameIsUnique") { store in
            let pool = try await makePool(store)
            var twin = UserPool(id: newPoolId(), name: pool.name, createdAt: t0, updatedAt: t0)
            twin.name = pool.name
            try await expectError(.duplicate("user pool")) { try await store.createPool(twin, signingKey: makeKey(twin.id)) }
            try check(try await store.pool(id: twin.id) == nil, "a refused pool must leave no record")
            try check(try await store.signingKeys(poolId: twin.id).isEmpty, "a refused pool must leave no key")
        },
        test("poolsListInPagesWithoutGapsOrRepeats") { store in
            var made: Set<String> = []
            for _ in 0..<7 { made.insert(try await makePool(store).id) }
            var seen: [String] = []
            var cursor: String?
            repeat {
                let page = try await store.listPools(limit: 3, after: cursor)
                try check(page.items.count <= 3, "page larger than the limit")
                seen += page.items.map(\.id)
                cursor = page.next
            } while cursor != nil
            try check(Set(seen).count == seen.count, "a pool was listed twice")
            try check(made.isSubset(of: Set(seen)), "a pool was skipped")
        },
        test("updatePoolWritesTheChangedValue") { store in
            let pool = try await makePool(store)
            let updated = try await store.updatePool(id: pool.id) { $0.passwordPolicy.minimumLength = 20; $0.id = "hijack_000000000" }
            try check(updated.id == pool.id, "the id must not change")
            try check(try await store.pool(id: pool.id)?.passwordPolicy.minimumLength == 20, "change not stored")
            try await expectError(.notFound("user pool test_Missing00")) { try await store.updatePool(id: "test_Missing00") { _ in } }
        },
        test("failedChangeLeavesPoolUntouched") { store in
            struct Refused: Error {}
            let pool = try await makePool(store)
            do {
                try await store.updatePool(id: pool.id) { $0.name = "changed"; throw Refused() }
                try check(false, "the closure's error must surface")
            } catch is Refused {}
            try check(try await store.pool(id: pool.id)?.name == pool.name, "a failed change was written")
        },
        test("deletePoolRemovesEverythingInIt") { store in
            let pool = try await makePool(store)
            let user = makeUser(pool, "doomed", email: "doomed@example.com")
            try await store.createUser(user, identifiers: [.init(kind: .username, key: "doomed")])
            try await store.createClient(makeClient(pool, "app"))
            let other = try await makePool(store)
            for name in PoolSettings.names(poolId: pool.id) + PoolSettings.names(poolId: other.id) {
                _ = try await store.setSettingIfAbsent(name, value: "sealed")
            }
            try await store.deletePool(id: pool.id)
            for name in PoolSettings.names(poolId: pool.id) {
                try check(try await store.setting(name) == nil, "\(name) outlived its pool")
            }
            for name in PoolSettings.names(poolId: other.id) {
                try check(try await store.setting(name) == "sealed", "\(name) of another pool went too")
            }
            try check(try await store.pool(id: pool.id) == nil, "pool still there")
            try check(try await store.user(poolId: pool.id, sub: user.sub) == nil, "user outlived its pool")
            try check(try await store.listClients(poolId: pool.id, limit: 10, after: nil).items.isEmpty, "client outlived its pool")
            try check(try await store.signingKeys(poolId: pool.id).isEmpty, "key outlived its pool")
            try await expectError(.notFound("user pool \(pool.id)")) { try await store.deletePool(id: pool.id) }
        },
    ]

    static let clients: [ConformanceCase] = [
        test("clientIsReadBackAndScopedToItsPool") { store in
            let pool = try await makePool(store)
            let other = try await makePool(store)
            var client = makeClient(pool, "web")
            client.secretHash = String(repeating: "ab", count: 32)
            client.refreshTokenRotation = true
            try await store.createClient(client)
            try check(try await store.client(poolId: pool.id, clientId: client.clientId) == client, "client differs")
            try check(try await store.client(poolId: other.id, clientId: client.clientId) == nil, "client visible from another pool")
            try check(try await store.client(id: client.clientId) == client, "client not found by id alone")
            try check(try await store.client(id: "nosuchclient00000000000000") == nil, "unknown client id should be nil")
            try await expectError(.duplicate("client id")) { try await store.createClient(client) }
        },
        test("clientForUnknownPoolIsRefused") { store in
            var client = makeClient(try await makePool(store), "x")
            client.poolId = "test_Missing00"
            try await expectError(.notFound("user pool test_Missing00")) { try await store.createClient(client) }
        },
        test("clientsListInPagesUpdateAndDelete") { store in
            let pool = try await makePool(store)
            for index in 0..<5 { try await store.createClient(makeClient(pool, "c\(index)")) }
            let first = try await store.listClients(poolId: pool.id, limit: 2, after: nil)
            let rest = try await store.listClients(poolId: pool.id, limit: 10, after: first.next)
            try check(first.items.count == 2 && rest.items.count == 3 && rest.next == nil, "pagination is off")
            let target = first.items[0]
            try await store.updateClient(poolId: pool.id, clientId: target.clientId) { $0.logoutURLs = ["https://app.example/bye"] }
            try check(try await store.client(poolId: pool.id, clientId: target.clientId)?.logoutURLs == ["https://app.example/bye"], "update lost")
            try await store.deleteClient(poolId: pool.id, clientId: target.clientId)
            try check(try await store.client(poolId: pool.id, clientId: target.clientId) == nil, "client not deleted")
            try await expectError(.notFound("app client \(target.clientId)")) {
                try await store.deleteClient(poolId: pool.id, clientId: target.clientId)
            }
        },
    ]

    /// Pool configuration may be cached by a store; a store must still read its own writes at once.
    static let readYourWrites: [ConformanceCase] = [
        test("configurationReadsSeeTheStoresOwnWritesAtOnce") { store in
            let pool = try await makePool(store)
            let client = makeClient(pool, "first")
            try await store.createClient(client)
            // read everything once, so a caching store holds it
            _ = try await store.pool(id: pool.id)
            _ = try await store.client(id: client.clientId)
            let firstKeys = try await store.signingKeys(poolId: pool.id)
            try check(try await store.listResourceServers(poolId: pool.id, limit: 60, after: nil).items.isEmpty, "no resource servers yet")
            try check(try await store.domains(poolId: pool.id).isEmpty, "no domains yet")
            try check(try await store.listClients(poolId: pool.id, limit: 60, after: nil).items.count == 1, "one client")

            try await store.updatePool(id: pool.id) { $0.name = "renamed-\(pool.id)" }
            try check(try await store.pool(id: pool.id)?.name == "renamed-\(pool.id)", "pool rename not seen")
            try await store.updateClient(poolId: pool.id, clientId: client.clientId) { $0.name = "second" }
            try check(try await store.client(id: client.clientId)?.name == "second", "client update not seen")
            try check(try await store.client(poolId: pool.id, clientId: client.clientId)?.name == "second", "client update not seen by pool")
            let next = makeKey(pool.id, at: t0.addingTimeInterval(10))
            try await store.rotate(to: next)
            try check(try await store.signingKeys(poolId: pool.id).first?.kid == next.kid, "rotation not seen")
            try check(try await store.signingKey(kid: firstKeys[0].kid)?.retiredAt != nil, "retirement not seen")
            try await store.createResourceServer(ResourceServer(poolId: pool.id, identifier: "https://api.example", name: "API", scopes: []))
            try check(try await store.listResourceServers(poolId: pool.id, limit: 60, after: nil).items.count == 1, "new resource server not seen")
            try await store.createDomain(UserPoolDomain(domain: "d-\(pool.id.lowercased())", poolId: pool.id, isCustom: false, createdAt: t0))
            try check(try await store.domains(poolId: pool.id).count == 1, "new domain not seen")
            try await store.deleteDomain(named: "d-\(pool.id.lowercased())")
            try check(try await store.domain(named: "d-\(pool.id.lowercased())") == nil, "deleted domain still seen")
            try await store.deleteClient(poolId: pool.id, clientId: client.clientId)
            try check(try await store.client(id: client.clientId) == nil, "deleted client still seen")
            try await store.deletePool(id: pool.id)
            try check(try await store.pool(id: pool.id) == nil, "deleted pool still seen")
            try check(try await store.signingKey(kid: next.kid) == nil, "deleted pool's key still seen")
        },
    ]

    static let domains: [ConformanceCase] = [
        test("domainsAreUniqueAcrossPoolsAndLeaveWithTheirPool") { store in
            let pool = try await makePool(store)
            let other = try await makePool(store)
            let prefix = "shop-\(pool.id.suffix(9).lowercased())"
            try await store.createDomain(UserPoolDomain(domain: prefix, poolId: pool.id, isCustom: false, createdAt: t0))
            try await store.createDomain(UserPoolDomain(domain: "auth.\(prefix).example", poolId: pool.id, isCustom: true,
                                                        certificateArn: "arn:aws:acm:local:0:certificate/x", createdAt: t0))
            try await expectError(.duplicate("domain")) {
                try await store.createDomain(UserPoolDomain(domain: prefix, poolId: other.id, isCustom: false, createdAt: t0))
            }
            try check(try await store.domain(named: prefix)?.poolId == pool.id, "domain not found by name")
            try check(try await store.domains(poolId: pool.id).count == 2, "pool should have two domains")
            let custom = "auth.\(prefix).example"
            let updated = try await store.updateDomain(named: custom, poolId: pool.id, certificateArn: "arn:aws:acm:local:0:certificate/y",
                                                       managedLoginVersion: 2)
            try check(updated.certificateArn == "arn:aws:acm:local:0:certificate/y" && updated.managedLoginVersion == 2 && updated.isCustom,
                      "domain updated")
            try check(try await store.domain(named: custom) == updated, "the update is read back")
            try await expectError(.notFound("domain \(custom)")) {
                _ = try await store.updateDomain(named: custom, poolId: other.id, certificateArn: nil, managedLoginVersion: 1)
            }
            try await store.deleteDomain(named: prefix)
            try check(try await store.domain(named: prefix) == nil, "domain not deleted")
            try await store.deletePool(id: pool.id)
            try check(try await store.domain(named: "auth.\(prefix).example") == nil, "domain outlived its pool")
        },
    ]

    static let resourceServers: [ConformanceCase] = [
        test("resourceServerLifecycle") { store in
            let pool = try await makePool(store)
            let server = ResourceServer(poolId: pool.id, identifier: "https://api.example", name: "API",
                                        scopes: [.init(name: "read", description: "Read")])
            try await store.createResourceServer(server)
            try check(try await store.resourceServer(poolId: pool.id, identifier: "https://api.example") == server, "differs")
            try await expectError(.duplicate("resource server")) { try await store.createResourceServer(server) }
            try await store.updateResourceServer(poolId: pool.id, identifier: server.identifier) {
                $0.scopes.append(.init(name: "write", description: "Write"))
            }
            let listed = try await store.listResourceServers(poolId: pool.id, limit: 10, after: nil)
            try check(listed.items.first?.qualifiedScopes == ["https://api.example/read", "https://api.example/write"], "scopes lost")
            try await store.deleteResourceServer(poolId: pool.id, identifier: server.identifier)
            try check(try await store.resourceServer(poolId: pool.id, identifier: server.identifier) == nil, "not deleted")
        },
    ]

    static let keys: [ConformanceCase] = [
        test("rotationRetiresThePreviousKeyAtomically") { store in
            let pool = try await makePool(store)
            let first = try await store.signingKeys(poolId: pool.id)
            try check(first.count == 1 && first[0].isActive, "a new pool has one active key")
            let later = t0.addingTimeInterval(60)
            try await store.rotate(to: makeKey(pool.id, kid: "second-\(pool.id)", at: later))
            let keys = try await store.signingKeys(poolId: pool.id)
            try check(keys.map(\.kid) == ["second-\(pool.id)", first[0].kid], "keys must come newest first")
            try check(keys[0].isActive && keys[1].retiredAt == later, "old key must be retired at the rotation time")
            try check(keys.filter(\.isActive).count == 1, "exactly one active key")
            try check(keys[1].sealedPrivateKey == first[0].sealedPrivateKey, "sealed key bytes must round-trip")
            try check(try await store.signingKey(kid: first[0].kid) == keys[1], "key not found by kid")
            try check(try await store.signingKey(kid: "no-such-kid") == nil, "unknown kid should be nil")
        },
        test("rotationForUnknownPoolIsRefused") { store in
            try await expectError(.notFound("user pool test_Missing00")) { try await store.rotate(to: makeKey("test_Missing00")) }
        },
    ]
}
