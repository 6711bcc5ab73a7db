import CognateModel
import Foundation

extension StoreConformance {
    static func makeProvider(_ pool: UserPool, _ name: String, type: IdentityProvider.Kind = .oidc, identifiers: [String] = []) -> IdentityProvider {
        IdentityProvider(poolId: pool.id, name: name, type: type, details: ["client_id": "cid", "oidc_issuer": "https://idp.example"],
                         sealedSecrets: ["client_secret": Data([4, 5, 6])], attributeMapping: ["username": "sub", "email": "email"],
                         identifiers: identifiers, createdAt: t0, updatedAt: t0)
    }

    static let federation: [ConformanceCase] = [
        test("identityProviderIsReadBackByNameAndIdentifier") { store in
            let pool = try await makePool(store)
            let provider = makeProvider(pool, "Corp", identifiers: ["corp.example", "Corp-Two.example"])
            try await store.createIdentityProvider(provider)
            try check(try await store.identityProvider(poolId: pool.id, name: "Corp") == provider, "provider differs after a round trip")
            try check(try await store.identityProvider(poolId: pool.id, identifier: "CORP.example")?.name == "Corp", "identifier matched without case")
            try check(try await store.identityProvider(poolId: pool.id, identifier: "corp-two.example")?.name == "Corp", "second identifier")
            try check(try await store.identityProvider(poolId: pool.id, identifier: "other.example") == nil, "unknown identifier found")
            try check(try await store.identityProvider(poolId: pool.id, name: "corp") == nil, "names are exact")
            let other = try await makePool(store)
            try check(try await store.identityProvider(poolId: other.id, name: "Corp") == nil, "provider visible from another pool")
            try check(try await store.identityProvider(poolId: other.id, identifier: "corp.example") == nil, "identifier visible from another pool")
            // another pool may use the same name and identifiers
            try await store.createIdentityProvider(makeProvider(other, "Corp", identifiers: ["corp.example"]))
        },
        test("identityProviderNamesAndIdentifiersAreUniqueInAPool") { store in
            let pool = try await makePool(store)
            try await store.createIdentityProvider(makeProvider(pool, "First", identifiers: ["first.example"]))
            try await expectError(.duplicate("identity provider")) { try await store.createIdentityProvider(makeProvider(pool, "First")) }
            try await expectError(.duplicate("idp identifier")) {
                try await store.createIdentityProvider(makeProvider(pool, "Second", identifiers: ["FIRST.example"]))
            }
            try check(try await store.identityProvider(poolId: pool.id, name: "Second") == nil, "a refused provider must leave no record")
            var missing = makeProvider(pool, "Nowhere")
            missing.poolId = "test_Missing00"
            try await expectError(.notFound("user pool test_Missing00")) { try await store.createIdentityProvider(missing) }
            // racing creates of one name: exactly one
            let wins = await withTaskGroup(of: Bool.self) { group in
                for index in 0..<6 {
                    group.addTask { (try? await store.createIdentityProvider(makeProvider(pool, "Racer", identifiers: ["r\(index).example"]))) != nil }
                }
                return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            try check(wins == 1, "\(wins) creates of one name succeeded")
        },
        test("identityProviderUpdateMovesIdentifiersAndDeleteFreesThem") { store in
            let pool = try await makePool(store)
            try await store.createIdentityProvider(makeProvider(pool, "Mover", identifiers: ["old.example"]))
            try await store.createIdentityProvider(makeProvider(pool, "Holder", identifiers: ["held.example"]))
            let updated = try await store.updateIdentityProvider(poolId: pool.id, name: "Mover") {
                $0.identifiers = ["new.example"]
                $0.attributeMapping["name"] = "name"
                $0.name = "Renamed"
                $0.sealedSecrets = [:]
            }
            try check(updated.name == "Mover" && updated.attributeMapping["name"] == "name", "update not returned as stored")
            try check(try await store.identityProvider(poolId: pool.id, identifier: "old.example") == nil, "old identifier still held")
            try check(try await store.identityProvider(poolId: pool.id, identifier: "new.example")?.name == "Mover", "new identifier not held")
            try check(try await store.identityProvider(poolId: pool.id, name: "Mover")?.sealedSecrets.isEmpty == true, "change not stored")
            try await expectError(.duplicate("idp identifier")) {
                try await store.updateIdentityProvider(poolId: pool.id, name: "Mover") { $0.identifiers = ["held.example"] }
            }
            try check(try await store.identityProvider(poolId: pool.id, identifier: "new.example")?.name == "Mover", "a refused update moved identifiers")
            struct Refused: Error {}
            do {
                try await store.updateIdentityProvider(poolId: pool.id, name: "Mover") { $0.details = [:]; throw Refused() }
                try check(false, "the closure's error must surface")
            } catch is Refused {}
            try check(try await store.identityProvider(poolId: pool.id, name: "Mover")?.details.isEmpty == false, "a failed change was written")
            try await expectError(.notFound("identity provider Ghost")) { try await store.updateIdentityProvider(poolId: pool.id, name: "Ghost") { _ in } }

            try await store.deleteIdentityProvider(poolId: pool.id, name: "Holder")
            try check(try await store.identityProvider(poolId: pool.id, name: "Holder") == nil, "not deleted")
            try await store.createIdentityProvider(makeProvider(pool, "Taker", identifiers: ["held.example"]))
            try await expectError(.notFound("identity provider Holder")) { try await store.deleteIdentityProvider(poolId: pool.id, name: "Holder") }
            try await store.deletePool(id: pool.id)
            try check(try await store.identityProvider(poolId: pool.id, name: "Taker") == nil, "provider outlived its pool")
        },
        test("identityProvidersListInPagesByName") { store in
            let pool = try await makePool(store)
            for name in ["delta", "Alpha", "charlie", "Bravo", "echo"] { try await store.createIdentityProvider(makeProvider(pool, name)) }
            var seen: [String] = []
            var cursor: String?
            repeat {
                let page = try await store.listIdentityProviders(poolId: pool.id, limit: 2, after: cursor)
                try check(page.items.count <= 2, "page larger than the limit")
                seen += page.items.map(\.name)
                cursor = page.next
            } while cursor != nil && seen.count < 10
            try check(seen == ["Alpha", "Bravo", "charlie", "delta", "echo"].sorted(), "pages: \(seen)")
            try check(try await store.listIdentityProviders(poolId: try await makePool(store).id, limit: 5, after: nil).items.isEmpty, "another pool's list")
        },
    ]
}
