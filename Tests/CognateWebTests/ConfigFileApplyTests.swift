import CognateCore
import CognateModel
@testable import CognateWeb
import Foundation
import Testing
import VaporTesting

@Suite struct ConfigFileApplyTests {
    static let yaml = """
        pools:
          - id: local_Shop12345
            name: shop
            aliasAttributes: [email]
            resourceServers:
              - identifier: https://api.shop.example
                scopes: [{name: read, description: Read}]
            clients:
              - name: web
                callbackURLs: [https://shop.example/cb]
                allowedOAuthFlows: [code]
                allowedOAuthScopes: [openid, https://api.shop.example/read]
              - name: worker
                generateSecret: true
                allowedOAuthFlows: [client_credentials]
                allowedOAuthScopes: [https://api.shop.example/read]
            groups:
              - {name: admins, precedence: 1}
            users:
              - username: alice
                password: Correct-Horse-9
                attributes: {email: alice@shop.example, email_verified: "true"}
                groups: [admins]
              - username: imported
                passwordHash: $2b$06$0Yi3NkN2K7aQd6vOlmO9duXkqPvbR9d9rVEJzq0c3Yw0R0zYc1d1S
        """

    @Test func fileIsAppliedAndASecondStartChangesNothing() async throws {
        let dir = DataDir()
        let first = try await withCognate(dataDir: dir, configYAML: Self.yaml) { _, services, banner async throws in
            let pool = try #require(try await services.store.pool(id: "local_Shop12345"))
            let clients = try await services.store.listClients(poolId: pool.id, limit: 10, after: nil).items
            #expect(Set(clients.map(\.name)) == ["web", "worker"])
            #expect(clients.first { $0.name == "worker" }?.isPublic == false)
            #expect(banner.contains("Generated client secret (shown once): local_Shop12345"))
            let alice = try #require(try await services.store.user(poolId: pool.id, identifierKey: "alice@shop.example"))
            #expect(alice.status == .confirmed && alice.passwordHash?.hasPrefix("$argon2id$") == true)
            #expect(try await services.hasher.verify("Correct-Horse-9", against: alice.passwordHash!).isMatch)
            #expect(try await services.store.groups(poolId: pool.id, userSub: alice.sub).map(\.name) == ["admins"])
            #expect(try await services.store.user(poolId: pool.id, identifierKey: "imported")?.passwordHash?.hasPrefix("$2b$") == true)
            return (pool, clients.sorted { $0.name < $1.name }, alice)
        }
        // when the same file is applied again
        try await withCognate(dataDir: dir, configYAML: Self.yaml) { _, services, banner async throws in
            // then nothing changed, not even timestamps or password hashes
            #expect(banner.contains("already applied, nothing changed"))
            #expect(!banner.contains("Generated client secret"))
            #expect(try await services.store.pool(id: "local_Shop12345") == first.0)
            let clients = try await services.store.listClients(poolId: "local_Shop12345", limit: 10, after: nil).items
            #expect(clients.sorted { $0.name < $1.name } == first.1)
            #expect(try await services.store.user(poolId: "local_Shop12345", sub: first.2.sub) == first.2)
        }
    }

    @Test func changedFileUpdatesWhatChanged() async throws {
        let dir = DataDir()
        try await withCognate(dataDir: dir, configYAML: Self.yaml) { _, _, _ in }
        let changed = Self.yaml.replacingOccurrences(of: "callbackURLs: [https://shop.example/cb]",
                                                     with: "callbackURLs: [https://shop.example/cb, https://shop.example/cb2]")
        try await withCognate(dataDir: dir, configYAML: changed) { _, services, banner async throws in
            #expect(!banner.contains("nothing changed"))
            let clients = try await services.store.listClients(poolId: "local_Shop12345", limit: 10, after: nil).items
            #expect(clients.first { $0.name == "web" }?.callbackURLs == ["https://shop.example/cb", "https://shop.example/cb2"])
        }
    }

    @Test func invalidFileStopsStartupBeforeTheDatabaseIsTouched() async throws {
        let dir = DataDir()
        let error = await #expect(throws: ConfigFileError.self) {
            try await withCognate(dataDir: dir, configYAML: "pools:\n  - name: x\n    mfa: MAYBE\n") { _, _, _ in }
        }
        #expect(error?.line == 3 && error?.field == "pools[0].mfa")
        #expect(!FileManager.default.fileExists(atPath: "\(dir.path)/cognate.sqlite"))
    }
}
