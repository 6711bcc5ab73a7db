import CognateModel
import Foundation

extension StoreConformance {
    static func makeCustomization(_ pool: UserPool, _ clientId: String, css: String?, at date: Date = t0) -> UICustomization {
        UICustomization(poolId: pool.id, clientId: clientId, css: css, image: Data([0x89, 0x50, 0x4E, 0x47]), imageType: "image/png",
                        version: "v-\(date.timeIntervalSince1970)", createdAt: date, updatedAt: date)
    }

    static let branding: [ConformanceCase] = [
        test("uiCustomizationsAreKeptPerClientReplacedAndDeleted") { store in
            let pool = try await makePool(store)
            try check(try await store.uiCustomization(poolId: pool.id, clientId: UICustomization.allClients) == nil, "none before any is set")
            let all = makeCustomization(pool, UICustomization.allClients, css: ".label-customizable { color: red; }")
            try await store.saveUICustomization(all)
            try check(try await store.uiCustomization(poolId: pool.id, clientId: UICustomization.allClients) == all, "differs after a round trip")
            try check(try await store.uiCustomization(poolId: pool.id, clientId: "client1") == nil, "ALL is not a client's own")
            // set again: replaced, its creation date kept
            var again = makeCustomization(pool, UICustomization.allClients, css: nil, at: t0.addingTimeInterval(60))
            again.image = nil
            again.imageType = nil
            try await store.saveUICustomization(again)
            let read = try await store.uiCustomization(poolId: pool.id, clientId: UICustomization.allClients)
            try check(read?.css == nil && read?.image == nil && read?.createdAt == t0 && read?.updatedAt == t0.addingTimeInterval(60),
                      "not replaced as set: \(String(describing: read))")
            try await store.saveUICustomization(makeCustomization(pool, "client1", css: nil))
            try await store.deleteUICustomization(poolId: pool.id, clientId: "client1")
            try check(try await store.uiCustomization(poolId: pool.id, clientId: "client1") == nil, "deleted")
            let other = try await makePool(store)
            try check(try await store.uiCustomization(poolId: other.id, clientId: UICustomization.allClients) == nil, "seen from another pool")
            var missing = all
            missing.poolId = "test_Missing00"
            try await expectError(.notFound("user pool test_Missing00")) { try await store.saveUICustomization(missing) }
            // sets of one client at once: one row, the last one's
            await withTaskGroup(of: Void.self) { group in
                for index in 0..<6 {
                    group.addTask { try? await store.saveUICustomization(makeCustomization(pool, "racer", css: ".x\(index) {}")) }
                }
            }
            try check(try await store.uiCustomization(poolId: pool.id, clientId: "racer")?.css?.hasPrefix(".x") == true, "racing sets left none")
        },
    ]
}
