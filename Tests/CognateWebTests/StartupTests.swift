import CognateCore
import CognateModel
@testable import CognateWeb
import Foundation
import Testing
import VaporTesting

@Suite struct StartupTests {
    @Test func firstStartMakesDefaultPoolDemoClientAndBanner() async throws {
        try await withCognate { _, services, banner async throws in
            let pool = try await services.firstPool()
            #expect(pool.name == "default")
            #expect(PoolID.isValid(pool.id) && pool.id.hasPrefix("local_"))
            let client = try #require(try await services.store.listClients(poolId: pool.id, limit: 10, after: nil).items.first)
            #expect(client.isPublic)
            #expect(client.callbackURLs == ["http://localhost:3000/callback"])
            #expect(client.allowedOAuthScopes == ["openid", "email", "profile"])
            #expect(banner.contains("https://id.example.test/\(pool.id)/.well-known/openid-configuration"))
            #expect(banner.contains("COGNATE_ADMIN_ACCESS_KEY_ID="))
        }
    }

    @Test func restartKeepsPoolsKeysAndKidsAndMakesNoSecondDefaultPool() async throws {
        let dir = DataDir()
        let (poolId, kids) = try await withCognate(dataDir: dir) { _, services, _ async throws in
            let pool = try await services.firstPool()
            try await services.keyring.rotate(poolId: pool.id)
            return (pool.id, try await services.store.signingKeys(poolId: pool.id).map(\.kid))
        }
        try await withCognate(dataDir: dir) { app, services, banner async throws in
            #expect(try await services.store.listPools(limit: 10, after: nil).items.map(\.id) == [poolId])
            #expect(try await WellKnownTests.kids(app, poolId) == kids)
            #expect(!banner.contains("Created user pool"))
            #expect(banner.contains("stored sealed in the database"))
            #expect(!banner.contains("COGNATE_ADMIN_SECRET_ACCESS_KEY="), "the secret is printed once only")
        }
    }

    @Test func wrongMasterKeyRefusesToStartAndChangesNothing() async throws {
        let dir = DataDir()
        try await withCognate(dataDir: dir) { _, _, _ in }
        let keyBefore = try String(contentsOfFile: dir.masterKeyFile, encoding: .utf8)
        // when
        let error = await #expect(throws: MasterKeyError.mismatch) {
            try await withCognate(dataDir: dir, environment: ["COGNATE_MASTER_KEY": MasterKey.generate().base64]) { _, _, _ in }
        }
        // then
        #expect(error?.description.contains("COGNATE_MASTER_KEY") == true)
        #expect(try String(contentsOfFile: dir.masterKeyFile, encoding: .utf8) == keyBefore)
        try await withCognate(dataDir: dir) { _, services, _ async throws in
            #expect(try await services.store.listPools(limit: 10, after: nil).items.count == 1)
        }
    }

    @Test func lostMasterKeyFileIsNeverRegenerated() async throws {
        let dir = DataDir()
        try await withCognate(dataDir: dir) { _, _, _ in }
        try FileManager.default.removeItem(atPath: dir.masterKeyFile)
        await #expect(throws: MasterKeyLoaderError.missing(dir.masterKeyFile)) {
            try await withCognate(dataDir: dir) { _, _, _ in }
        }
        #expect(!FileManager.default.fileExists(atPath: dir.masterKeyFile))
    }

    @Test func masterKeyFileIsPrivateToTheUser() async throws {
        let dir = DataDir()
        try await withCognate(dataDir: dir) { _, _, _ in }
        let attributes = try FileManager.default.attributesOfItem(atPath: dir.masterKeyFile)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }

    @Test func unopenableDatabaseIsAClearError() async throws {
        let error = await #expect(throws: StartupError.self) {
            try await withCognate(environment: ["COGNATE_DATABASE_URL": "sqlite:///proc/cognate/none/db.sqlite"]) { _, _, _ in }
        }
        #expect(error?.description.contains("cannot open the database") == true)
    }

    @Test func aSecretRotatedInTheEnvironmentReplacesTheStoredOne() async throws {
        let dir = DataDir()
        try await withCognate(dataDir: dir, environment: adminEnvironment) { app, _, _ async throws in
            #expect(try await call(app, "ListUserPools", ["MaxResults": 10]).status == .ok)
        }
        let rotated = "R0tatedSecretKeyR0tatedSecretKeyR0tated1"
        try await withCognate(dataDir: dir, environment: ["COGNATE_ADMIN_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
                                                          "COGNATE_ADMIN_SECRET_ACCESS_KEY": rotated]) { app, _, _ async throws in
            #expect(try await call(app, "ListUserPools", ["MaxResults": 10], secret: rotated).status == .ok)
            let old = try await call(app, "ListUserPools", ["MaxResults": 10])
            #expect(old.status == .badRequest || old.status == .forbidden, "the old secret still signs")
            #expect(old.errorType == "InvalidSignatureException" || old.errorType == "UnrecognizedClientException", "\(old.json)")
        }
    }

    @Test func adminKeyFromEnvironmentIsUsedAndSealed() async throws {
        let environment = ["COGNATE_ADMIN_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
                           "COGNATE_ADMIN_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"]
        let dir = DataDir()
        try await withCognate(dataDir: dir, environment: environment) { _, services, banner async throws in
            #expect(banner.contains("AKIAIOSFODNN7EXAMPLE from COGNATE_ADMIN_ACCESS_KEY_ID"))
            #expect(try await services.adminCredentials.secret(accessKeyId: "AKIAIOSFODNN7EXAMPLE") == "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
            #expect(try await services.adminCredentials.secret(accessKeyId: "AKIAUNKNOWN000000000") == nil)
        }
        let database = try Data(contentsOf: URL(fileURLWithPath: "\(dir.path)/cognate.sqlite"))
        #expect(database.range(of: Data("wJalrXUtnFEMI".utf8)) == nil, "the admin secret must be stored sealed")
    }

    @Test func healthAndReadiness() async throws {
        try await withCognate { app, _, _ async throws in
            let health = try await app.testing().sendRequest(.GET, "/health")
            #expect(health.status == .ok && health.json["status"] as? String == "ok")
            let ready = try await app.testing().sendRequest(.GET, "/ready")
            #expect(ready.status == .ok && ready.json["status"] as? String == "ready")
        }
    }

    @Test func oversizedBodyIsRefusedWith413JSON() async throws {
        try await withCognate { app, _, _ async throws in
            let body = ByteBuffer(repeating: UInt8(ascii: "a"), count: BodyLimitMiddleware.limit + 1)
            let response = try await app.testing().sendRequest(.POST, "/health", body: body)
            #expect(response.status == .payloadTooLarge)
            #expect(response.json["error"] as? String == "request_too_large")
        }
    }

    @Test func responsesCarrySecurityHeaders() async throws {
        try await withCognate { app, _, _ async throws in
            let response = try await app.testing().sendRequest(.GET, "/nowhere")
            #expect(response.status == .notFound)
            #expect(response.headers.first(name: "X-Content-Type-Options") == "nosniff")
            #expect(response.json["error"] as? String == "not_found")
        }
    }

    @Test func styleSheetIsServedAndNothingElseOfTheDisk() async throws {
        try await withCognate { app, _, _ async throws in
            let css = try await app.testing().sendRequest(.GET, "/css/cognate.css")
            #expect(css.status == .ok)
            #expect(css.headers.contentType == .css)
            #expect(css.headers.first(name: "X-Content-Type-Options") == "nosniff")
            #expect(css.body.string.contains("{"))
            for path in ["/css/missing.css", "/css/../Templates/login.leaf", "/css/%2e%2e/Templates/login.leaf", "/Templates/login.leaf"] {
                let response = try await app.testing().sendRequest(.GET, path)
                #expect(response.status == .notFound || response.status == .forbidden, "\(path)")
                #expect(!response.body.string.contains("#extend"), "\(path)")
            }
        }
    }

    @Test func commandLineOptionsAreReadBeforeVapor() {
        var arguments = ["cognate", "serve", "--config", "/etc/cognate.yaml", "--port", "9000"]
        #expect(CognateMain.extract(option: "--config", from: &arguments) == "/etc/cognate.yaml")
        #expect(arguments == ["cognate", "serve", "--port", "9000"])
        #expect(CognateMain.port(in: arguments) == 9000)
        #expect(CognateMain.port(in: ["cognate", "serve", "--bind", "0.0.0.0:7000"]) == 7000)
        #expect(CognateMain.port(in: ["cognate", "serve"]) == 8080)
    }
}
