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

extension StoreConformance {
    static func makeBranding(_ pool: UserPool, client: String, assets: [ManagedLoginAsset] = []) -> ManagedLoginBranding {
        ManagedLoginBranding(id: UUID().uuidString.lowercased(), poolId: pool.id, clientId: client, useCognitoProvidedValues: false,
                             settings: #"{"components":{"primaryButton":{"lightMode":{"defaults":{"backgroundColor":"0a7d3bff"}}}}}"#,
                             assets: assets, createdAt: t0, updatedAt: t0)
    }

    static func asset(_ category: String, _ mode: String = "LIGHT", bytes: Data) -> ManagedLoginAsset {
        ManagedLoginAsset(category: category, colorMode: mode, fileExtension: "PNG", resourceId: nil, digest: "d\(bytes.count)", size: bytes.count)
    }

    static let managedLogin: [ConformanceCase] = [
        test("managedLoginBrandingsAreOnePerClientWithTheirAssetsApart") { store in
            let pool = try await makePool(store)
            let logo = Data(repeating: 1, count: 300), background = Data(repeating: 2, count: 500)
            let made = makeBranding(pool, client: "client1", assets: [asset("PAGE_HEADER_LOGO", bytes: logo), asset("PAGE_BACKGROUND", "DARK", bytes: background)])
            try await store.createManagedLoginBranding(made, files: [made.assets[0].key: logo, made.assets[1].key: background])
            try check(try await store.managedLoginBranding(poolId: pool.id, id: made.id) == made, "differs after a round trip")
            try check(try await store.managedLoginBranding(poolId: pool.id, clientId: "client1") == made, "not found by its client")
            try check(try await store.managedLoginAssetFile(brandingId: made.id, key: made.assets[1].key) == background, "asset bytes")
            try check(try await store.managedLoginBranding(poolId: pool.id, clientId: "client2") == nil, "another client's")
            let other = try await makePool(store)
            try check(try await store.managedLoginBranding(poolId: other.id, id: made.id) == nil, "seen from another pool")
            // a second style for the client is refused
            try await expectError(.duplicate("managed login branding for client1")) {
                try await store.createManagedLoginBranding(makeBranding(pool, client: "client1"), files: [:])
            }
            // an update keeps what it does not replace, writes new bytes, drops unlisted assets
            let newLogo = Data(repeating: 3, count: 100)
            let updated = try await store.updateManagedLoginBranding(poolId: pool.id, id: made.id, files: [made.assets[0].key: newLogo]) { branding in
                branding.assets = [asset("PAGE_HEADER_LOGO", bytes: newLogo)]
                branding.settings = nil
                branding.updatedAt = t0.addingTimeInterval(60)
            }
            try check(updated.settings == nil && updated.assets.count == 1 && updated.createdAt == t0, "update: \(updated)")
            try check(try await store.managedLoginBranding(poolId: pool.id, clientId: "client1") == updated, "update not read back")
            try check(try await store.managedLoginAssetFile(brandingId: made.id, key: made.assets[0].key) == newLogo, "bytes not replaced")
            try check(try await store.managedLoginAssetFile(brandingId: made.id, key: made.assets[1].key) == nil, "unlisted asset kept")
            try await expectError(.notFound("managed login branding \(made.id)")) {
                _ = try await store.updateManagedLoginBranding(poolId: other.id, id: made.id, files: [:]) { _ in }
            }
            try check(try await store.deleteManagedLoginBranding(poolId: other.id, id: made.id) == false, "deleted from another pool")
            try check(try await store.deleteManagedLoginBranding(poolId: pool.id, id: made.id), "not deleted")
            try check(try await store.managedLoginBranding(poolId: pool.id, clientId: "client1") == nil, "still found after delete")
            try check(try await store.managedLoginAssetFile(brandingId: made.id, key: made.assets[0].key) == nil, "bytes outlive the style")
            try check(try await store.deleteManagedLoginBranding(poolId: pool.id, id: made.id) == false, "deleted twice")
            // creates for one client at once: exactly one
            let outcomes = await withTaskGroup(of: Bool.self, returning: [Bool].self) { group in
                for _ in 0..<6 {
                    group.addTask { (try? await store.createManagedLoginBranding(makeBranding(pool, client: "racer"), files: [:])) != nil }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            try check(outcomes.filter { $0 }.count == 1, "racing creates: \(outcomes)")
            // a deleted pool takes its styles with it
            let doomed = try await makePool(store)
            let gone = makeBranding(doomed, client: "c", assets: [asset("FORM_LOGO", bytes: logo)])
            try await store.createManagedLoginBranding(gone, files: [gone.assets[0].key: logo])
            try await store.deletePool(id: doomed.id)
            try check(try await store.managedLoginAssetFile(brandingId: gone.id, key: gone.assets[0].key) == nil, "asset outlives its pool")
        },
    ]
}
