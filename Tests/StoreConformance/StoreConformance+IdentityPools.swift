import CognateModel
import Foundation

extension StoreConformance {
    static func makeIdentityPool(_ store: any CognateStore, name: String = "guests") async throws -> IdentityPool {
        let pool = IdentityPool(id: "local:\(UUID().uuidString.lowercased())", name: name, allowUnauthenticated: true,
                                userPoolProviders: [.init(providerName: "127.0.0.1/local_abc", clientId: "c1", serverSideTokenCheck: true)],
                                roles: ["authenticated": "arn:aws:iam::123456789012:role/auth"], createdAt: t0)
        try await store.createIdentityPool(pool)
        return pool
    }

    static func makeIdentity(_ pool: IdentityPool, _ logins: [IdentityLogin]) -> Identity {
        Identity(id: "local:\(UUID().uuidString.lowercased())", poolId: pool.id, logins: logins, createdAt: t0, updatedAt: t0)
    }

    static let identityPools: [ConformanceCase] = [
        test("identity pools are kept, listed by id in pages, changed and deleted") { store in
            let first = try await makeIdentityPool(store, name: "one")
            let second = try await makeIdentityPool(store, name: "two")
            try check(try await store.identityPool(id: first.id) == first, "read back")
            try check(try await store.identityPool(id: "local:nope") == nil, "unknown pool")
            let all = try await ListPage.all(size: 1) { try await store.listIdentityPools(limit: $0, after: $1) }.map(\.id)
            try check(all.contains(first.id) && all.contains(second.id) && all == all.sorted(), "listed in order: \(all)")
            let changed = try await store.updateIdentityPool(id: first.id) { pool in
                pool.id = "local:other"
                pool.roleMappings = ["127.0.0.1/local_abc:c1": .init(kind: .token, ambiguous: .deny)]
                pool.tags = ["team": "a"]
            }
            try check(changed.id == first.id && changed.tags == ["team": "a"], "the change is kept, the id is not")
            try check(try await store.identityPool(id: first.id) == changed, "the change is read back")
            try await expectError(.notFound("identity pool local:nope")) { try await store.updateIdentityPool(id: "local:nope") { _ in } }
            try await store.deleteIdentityPool(id: second.id)
            try check(try await store.identityPool(id: second.id) == nil, "deleted")
            try await expectError(.notFound("identity pool \(second.id)")) { try await store.deleteIdentityPool(id: second.id) }
        },
        test("a login belongs to one identity of a pool; logins are linked, unlinked and merged in one step") { store in
            let pool = try await makeIdentityPool(store)
            let other = try await makeIdentityPool(store)
            let alice = IdentityLogin(provider: "127.0.0.1/local_abc", subject: "alice-sub")
            let dev = IdentityLogin(provider: "login.app", subject: "alice@app")
            let first = makeIdentity(pool, [alice])
            try await store.createIdentity(first)
            try check(try await store.identity(poolId: pool.id, login: alice)?.id == first.id, "found by login")
            try check(try await store.identity(poolId: other.id, login: alice) == nil, "not in another pool")
            try await expectError(.duplicate("identity login")) { try await store.createIdentity(makeIdentity(pool, [alice])) }
            // the same login in another pool is another identity
            try await store.createIdentity(makeIdentity(other, [alice]))
            let guest = makeIdentity(pool, [])
            try await store.createIdentity(guest)
            try check(try await store.identity(id: guest.id)?.isAuthenticated == false, "a guest has no logins")
            // adding a login another identity holds changes nothing
            try await expectError(.duplicate("identity login")) {
                try await store.changeLogins(identityId: guest.id, add: [dev, alice], remove: [], at: t0)
            }
            try check(try await store.identity(id: guest.id)?.logins == [], "nothing half-linked")
            try check(try await store.identity(poolId: pool.id, login: dev) == nil, "the other login was not kept either")
            let linked = try await store.changeLogins(identityId: first.id, add: [dev, alice], remove: [], at: t0.addingTimeInterval(5))
            try check(linked.logins == [alice, dev].sorted() && linked.updatedAt == t0.addingTimeInterval(5), "linked: \(linked.logins)")
            let unlinked = try await store.changeLogins(identityId: first.id, add: [], remove: [alice], at: t0)
            try check(unlinked.logins == [dev], "unlinked: \(unlinked.logins)")
            try check(try await store.identity(poolId: pool.id, login: alice) == nil, "the unlinked login is free")
            let merged = try await store.mergeIdentity(first.id, into: guest.id, at: t0)
            try check(merged.id == guest.id && merged.logins == [dev], "merged: \(merged.logins)")
            try check(try await store.identity(id: first.id) == nil, "the source is gone")
            try check(try await store.identity(poolId: pool.id, login: dev)?.id == guest.id, "the login moved")
            try await expectError(.notFound("identity local:nope")) { try await store.changeLogins(identityId: "local:nope", add: [], remove: [], at: t0) }
            try await expectError(.notFound("identity pool local:nope")) {
                try await store.createIdentity(Identity(id: "local:x", poolId: "local:nope", logins: [], createdAt: t0, updatedAt: t0))
            }
        },
        test("identities are listed by id with their logins, deleted alone or with their pool") { store in
            let pool = try await makeIdentityPool(store)
            var made: [String] = []
            for index in 0..<5 {
                let identity = makeIdentity(pool, index % 2 == 0 ? [IdentityLogin(provider: "p", subject: "s\(index)")] : [])
                try await store.createIdentity(identity)
                made.append(identity.id)
            }
            let listed = try await ListPage.all(size: 2) { try await store.listIdentities(poolId: pool.id, limit: $0, after: $1) }
            try check(listed.map(\.id) == made.sorted(), "listed in order")
            try check(listed.filter(\.isAuthenticated).count == 3, "with their logins")
            try check(try await store.deleteIdentity(id: made[0]), "deleted")
            try check(try await !store.deleteIdentity(id: made[0]), "already gone")
            try check(try await store.identity(poolId: pool.id, login: IdentityLogin(provider: "p", subject: "s0")) == nil, "its login went with it")
            try await store.deleteIdentityPool(id: pool.id)
            try check(try await store.identity(id: made[2]) == nil, "the pool's identities went with it")
            try check(try await store.identity(poolId: pool.id, login: IdentityLogin(provider: "p", subject: "s2")) == nil, "and their logins")
        },
        test("first sign-ins at once with one login make one identity") { store in
            let pool = try await makeIdentityPool(store)
            let login = IdentityLogin(provider: "p", subject: "same")
            let made = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<8 {
                    group.addTask { (try? await store.createIdentity(makeIdentity(pool, [login]))) != nil }
                }
                return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            try check(made == 1, "\(made) identities made")
            let listed = try await store.listIdentities(poolId: pool.id, limit: 60, after: nil).items
            try check(listed.count == 1 && listed[0].logins == [login], "one identity kept: \(listed.count)")
        },
    ]
}
