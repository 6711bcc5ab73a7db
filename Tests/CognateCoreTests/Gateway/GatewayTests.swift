import CognateCore
import CognateModel
import Testing

/// The gateway's browser mode goes back only to a path on the app's own host.
@Suite struct GatewayTests {
    @Test func returnPathsStayOnTheAppsHost() {
        #expect(GatewayCheck.returnPath("/site/index.html?tab=2") == "/site/index.html?tab=2")
        for foreign in ["//evil.example/x", "/\\evil.example", "https://evil.example/", "evil", "", nil, "/a\r\nSet-Cookie: x=1",
                        "/" + String(repeating: "a", count: 3000)] as [String?] {
            #expect(GatewayCheck.returnPath(foreign) == "/", "\(String(describing: foreign))")
        }
    }
}

/// The check's decisions on the in-memory store with a clock the test moves: kept for the cache
/// time, seen to change after it, and never made (or kept) while the database does not answer.
@Suite struct GatewayCheckTests {
    func tokens(_ world: CoreWorld, _ name: String) async throws -> IssuedTokens {
        _ = try await world.user(name)
        guard case .tokens(let tokens) = try await world.signIn.signIn(pool: world.pool, client: world.client, username: name,
                                                                          password: "Correct-horse-1")
        else { throw WorldError("no tokens") }
        return tokens
    }

    @Test func decisionsAreKeptForTheCacheTimeAndNotWhileTheStoreIsDown() async throws {
        let world = try await CoreWorld.make()
        let gateway = GatewayCheck(tokens: world.tokens, keyring: world.keyring, store: world.store, masterKey: world.masterKey,
                                   cacheSeconds: 5, now: world.clock.now)
        let ada = try await tokens(world, "ada")
        func check(_ token: String) async -> GatewayCheck.Decision {
            await gateway.check(poolId: world.pool.id, authorization: "Bearer \(token)", scopes: [], groups: [])
        }
        guard case .allowed(let identity) = await check(ada.accessToken) else { Issue.record("ada's token refused"); return }
        #expect(identity.username == "ada" && !identity.data.isEmpty)
        // revoked: the kept decision stands until the cache time is over, then the token is refused
        try await world.tokens.revokeRefreshToken(try #require(ada.refreshToken), client: world.client)
        guard case .allowed = await check(ada.accessToken) else { Issue.record("the kept decision was not used"); return }
        world.clock.advance(6)
        #expect(await check(ada.accessToken) == .unauthorized(hadToken: true, reason: "the token has been revoked"))
        // a database that does not answer: 503, not a refusal of the token, and nothing kept
        let bea = try await tokens(world, "bea")
        await world.store.setDown(true)
        #expect(await check(bea.accessToken) == .unavailable)
        await world.store.setDown(false)
        guard case .allowed = await check(bea.accessToken) else { Issue.record("an outage's answer was kept"); return }
        // requirements: every scope, any group
        #expect(await gateway.check(poolId: world.pool.id, authorization: "Bearer \(bea.accessToken)", scopes: ["orders/read"], groups: [])
            == .insufficientScope(["orders/read"]))
        #expect(await gateway.check(poolId: world.pool.id, authorization: "Bearer \(bea.accessToken)", scopes: [], groups: ["admins"])
            == .notInGroup)
        #expect(await gateway.check(poolId: world.pool.id, authorization: "Basic \(bea.accessToken)", scopes: [], groups: [])
            == .unauthorized(hadToken: false, reason: "not a Bearer token"))
    }
}
