import CognateModel
import Foundation

extension StoreConformance {
    static func makeDevice(_ user: User, _ n: Int, confirmed: Bool = true) -> Device {
        var device = Device(key: "local_\(String(format: "%08d", n))-\(UUID().uuidString.lowercased().prefix(8))", poolId: user.poolId,
                            userSub: user.sub, groupKey: "-group\(n)", createdAt: t0)
        if confirmed { device.sealedVerifier = Data("sealed \(n)".utf8) }
        return device
    }

    static let devices: [ConformanceCase] = [
        test("devices are kept per user, listed by key once confirmed, changed in one step, and go with their user") { store in
            let pool = try await makePool(store)
            let ana = makeUser(pool, "ana")
            let bo = makeUser(pool, "bo")
            try await store.createUser(ana, identifiers: ana.identifiers(in: pool))
            try await store.createUser(bo, identifiers: bo.identifiers(in: pool))
            let hers = (0..<3).map { makeDevice(ana, $0) }
            for device in hers { try await store.createDevice(device) }
            let pending = makeDevice(ana, 7, confirmed: false)
            try await store.createDevice(pending)
            let his = makeDevice(bo, 9)
            try await store.createDevice(his)
            try check(try await store.device(poolId: pool.id, key: hers[1].key) == hers[1], "read back")
            try check(try await store.device(poolId: "local_other", key: hers[1].key) == nil, "not through another pool")
            let listed = try await ListPage.all(size: 2) { try await store.devices(poolId: pool.id, userSub: ana.sub, limit: $0, after: $1) }
            try check(listed.map(\.key) == hers.map(\.key).sorted(), "hers only, confirmed only, by key, in pages: \(listed.map(\.key))")
            let everyone = try await ListPage.all(size: 2) { try await store.devices(poolId: pool.id, userSub: nil, limit: $0, after: $1) }
            try check(everyone.map(\.key) == (hers + [his]).map(\.key).sorted(), "the pool's (an export): every user's confirmed ones, by key")
            var stranger = makeDevice(ana, 8)
            stranger.userSub = UUID()
            try await expectError(.notFound("user \(stranger.userSub)")) { try await store.createDevice(stranger) }
            let changed = try await store.updateDevice(poolId: pool.id, key: pending.key) { device in
                device.key = "local_moved"
                device.userSub = bo.sub
                device.sealedVerifier = Data("now".utf8)
                device.remembered = true
                device.name = "phone"
            }
            try check(changed.key == pending.key && changed.userSub == ana.sub && changed.remembered && changed.name == "phone",
                      "changed; key and user kept")
            try check(try await store.devices(poolId: pool.id, userSub: ana.sub, limit: 10, after: nil).items.count == 4, "confirmed now")
            struct Refused: Error {}
            do {
                _ = try await store.updateDevice(poolId: pool.id, key: pending.key) { device in
                    device.remembered = false
                    throw Refused()
                }
                try check(false, "the refusal is thrown")
            } catch is Refused {}
            try check(try await store.device(poolId: pool.id, key: pending.key)?.remembered == true, "a refused change writes nothing")
            try await expectError(.notFound("device local_nope")) { _ = try await store.updateDevice(poolId: pool.id, key: "local_nope") { _ in } }
            try await store.deleteDevice(poolId: pool.id, key: hers[0].key)
            try check(try await store.device(poolId: pool.id, key: hers[0].key) == nil, "forgotten")
            try await expectError(.notFound("device \(hers[0].key)")) { try await store.deleteDevice(poolId: pool.id, key: hers[0].key) }
            try await store.deleteUser(poolId: pool.id, sub: ana.sub)
            try check(try await store.device(poolId: pool.id, key: hers[1].key) == nil, "her devices go with her")
            try check(try await store.devices(poolId: pool.id, userSub: bo.sub, limit: 10, after: nil).items.count == 1, "his stay")
            try await store.deletePool(id: pool.id)
            try check(try await store.devices(poolId: pool.id, userSub: bo.sub, limit: 10, after: nil).items.isEmpty, "and all go with the pool")
        },
        test("a device never confirmed is swept a day after it was made; a confirmed one stays") { store in
            let pool = try await makePool(store)
            let ana = makeUser(pool, "ana")
            try await store.createUser(ana, identifiers: ana.identifiers(in: pool))
            let kept = makeDevice(ana, 1)
            let abandoned = makeDevice(ana, 2, confirmed: false)
            try await store.createDevice(kept)
            try await store.createDevice(abandoned)
            _ = try await store.purgeExpired(at: t0.addingTimeInterval(3_600), limit: 500, outboxDays: 7)
            try check(try await store.device(poolId: pool.id, key: abandoned.key) != nil, "an hour old: kept")
            _ = try await store.purgeExpired(at: t0.addingTimeInterval(86_401), limit: 500, outboxDays: 7)
            try check(try await store.device(poolId: pool.id, key: abandoned.key) == nil, "a day old and never confirmed: swept")
            try check(try await store.device(poolId: pool.id, key: kept.key) != nil, "confirmed: kept")
        },
    ]
}
