import CognateModel
import Foundation

extension StoreConformance {
    static func makePasskey(_ user: User, _ n: Int) -> WebAuthnCredential {
        WebAuthnCredential(id: "cred\(n)-\(UUID().uuidString.prefix(8))", poolId: user.poolId, userSub: user.sub, publicKey: Data([0xa5, UInt8(n)]),
                           signCount: 0, relyingPartyId: "example.com", friendlyName: "key \(n)", attachment: "platform", transports: ["internal"],
                           createdAt: t0)
    }

    static let passkeys: [ConformanceCase] = [
        test("passkeys are kept per user, unique in the pool, listed in pages, deleted by their owner only, and go with their user") { store in
            let pool = try await makePool(store)
            let ana = makeUser(pool, "ana")
            let bo = makeUser(pool, "bo")
            try await store.createUser(ana, identifiers: ana.identifiers(in: pool))
            try await store.createUser(bo, identifiers: bo.identifiers(in: pool))
            let hers = (0..<3).map { makePasskey(ana, $0) }
            for passkey in hers { try await store.createWebAuthnCredential(passkey, limit: nil) }
            let his = makePasskey(bo, 9)
            try await store.createWebAuthnCredential(his, limit: nil)
            try check(try await store.webAuthnCredential(poolId: pool.id, id: hers[1].id) == hers[1], "read back")
            try check(try await store.webAuthnCredential(poolId: "local_other", id: hers[1].id) == nil, "not through another pool")
            var twin = makePasskey(bo, 1)
            twin.id = hers[0].id
            try await expectError(.duplicate("passkey")) { try await store.createWebAuthnCredential(twin, limit: nil) }
            var stranger = makePasskey(ana, 8)
            stranger.userSub = UUID()
            try await expectError(.notFound("user \(stranger.userSub)")) { try await store.createWebAuthnCredential(stranger, limit: nil) }
            let listed = try await ListPage.all(size: 2) { try await store.webAuthnCredentials(poolId: pool.id, userSub: ana.sub, limit: $0, after: $1) }
            try check(listed.map(\.id).sorted() == hers.map(\.id).sorted() && listed.count == 3, "hers only, in pages: \(listed.map(\.id))")
            let everyone = try await ListPage.all(size: 2) { try await store.webAuthnCredentials(poolId: pool.id, userSub: nil, limit: $0, after: $1) }
            try check(everyone.map(\.id).sorted() == (hers + [his]).map(\.id).sorted() && everyone.count == 4, "the pool's (an export): every user's")
            try await expectError(.notFound("passkey \(hers[0].id)")) { try await store.deleteWebAuthnCredential(poolId: pool.id, userSub: bo.sub, id: hers[0].id) }
            try await store.deleteWebAuthnCredential(poolId: pool.id, userSub: ana.sub, id: hers[0].id)
            try check(try await store.webAuthnCredential(poolId: pool.id, id: hers[0].id) == nil, "deleted")
            try await expectError(.notFound("passkey \(hers[0].id)")) { try await store.deleteWebAuthnCredential(poolId: pool.id, userSub: ana.sub, id: hers[0].id) }
            try await store.deleteUser(poolId: pool.id, sub: ana.sub)
            try check(try await store.webAuthnCredential(poolId: pool.id, id: hers[1].id) == nil, "her passkeys go with her")
            try check(try await store.webAuthnCredential(poolId: pool.id, id: his.id) != nil, "his stay")
            try await store.deletePool(id: pool.id)
            try check(try await store.webAuthnCredential(poolId: pool.id, id: his.id) == nil, "and all go with the pool")
        },
        test("a user's passkey limit holds for registrations finished at once: at 17 of 20, of eight at once three are kept") { store in
            let pool = try await makePool(store)
            let ana = makeUser(pool, "ana")
            try await store.createUser(ana, identifiers: ana.identifiers(in: pool))
            for n in 0..<17 { try check(try await store.createWebAuthnCredential(makePasskey(ana, n), limit: 20), "passkey \(n) kept") }
            let kept = try await withThrowingTaskGroup(of: Bool.self) { group in
                for n in 0..<8 { group.addTask { try await store.createWebAuthnCredential(makePasskey(ana, 20 + n), limit: 20) } }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            try check(kept == 3, "\(kept) kept of eight at once")
            let held = try await store.webAuthnCredentials(poolId: pool.id, userSub: ana.sub, limit: 50, after: nil).items.count
            try check(held == 20, "the user holds \(held)")
            // without a limit (an import) the count is not asked
            try check(try await store.createWebAuthnCredential(makePasskey(ana, 40), limit: nil), "an import's passkey kept")
        },
        test("a passkey's counter moves only from the value the sign-in read: of eight uses with one value, one records") { store in
            let pool = try await makePool(store)
            let ana = makeUser(pool, "ana")
            try await store.createUser(ana, identifiers: ana.identifiers(in: pool))
            let passkey = makePasskey(ana, 1)
            try await store.createWebAuthnCredential(passkey, limit: nil)
            let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
                for n in 0..<8 {
                    group.addTask { try await store.recordWebAuthnUse(poolId: pool.id, id: passkey.id, expected: 0, signCount: UInt32(5 + n), at: t0) }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            try check(wins == 1, "one use recorded, not \(wins)")
            let stored = try await store.webAuthnCredential(poolId: pool.id, id: passkey.id)
            try check((5..<13).contains(stored?.signCount ?? 0) && stored?.lastUsedAt == t0, "the winner's counter and time: \(String(describing: stored))")
            try check(try await store.recordWebAuthnUse(poolId: pool.id, id: passkey.id, expected: stored!.signCount, signCount: 20, at: t0) == true,
                      "the next use from the new value")
            try check(try await store.recordWebAuthnUse(poolId: pool.id, id: "nope", expected: 0, signCount: 1, at: t0) == false, "no such passkey")
        },
    ]
}
