import CognateCore
import CognateModel
import Foundation
import Testing

/// The token endpoint's rules in Core: the client authenticator, each grant handler, and
/// revocation (RFC 6749 §3.2.1, §4.4, §6; RFC 7009), with no HTTP in the way.
@Suite struct TokenEndpointTests {
    /// A confidential client allowed client_credentials for `https://api.example/read`.
    func confidential(_ world: CoreWorld) async throws -> (client: AppClient, secret: String) {
        try await world.store.createResourceServer(ResourceServer(poolId: world.pool.id, identifier: "https://api.example", name: "API",
                                                                  scopes: [.init(name: "read", description: "Read")]))
        let made = try await world.pools.createClient(poolId: world.pool.id, generateSecret: true) { client in
            client.name = "backend"
            client.allowedOAuthFlows = [.clientCredentials]
            client.allowedOAuthScopes = ["https://api.example/read"]
            client.allowedOAuthFlowsUserPoolClient = true
        }
        return (made.client, try #require(made.secret))
    }

    @Test func theClientIsProvenBeforeItsGrantIsLookedAt() async throws {
        let world = try await CoreWorld.make()
        let (client, secret) = try await confidential(world)
        func token(_ parameters: [String: String], id: String?, secret: String?) async throws -> IssuedTokens {
            try await world.tokenEndpoint.token(poolId: world.pool.id, parameters: parameters, credentials: ClientCredentials(clientId: id, secret: secret))
        }
        let grant = ["grant_type": "client_credentials", "scope": "https://api.example/read"]
        await #expect(throws: OAuthError.invalidClient("unknown client")) { try await token(grant, id: nil, secret: nil) }
        await #expect(throws: OAuthError.invalidClient("unknown client")) { try await token(grant, id: "nosuchclient", secret: secret) }
        await #expect(throws: OAuthError.invalidClient("client authentication failed")) { try await token(grant, id: client.clientId, secret: nil) }
        await #expect(throws: OAuthError.invalidClient("client authentication failed")) {
            try await token(grant, id: client.clientId, secret: secret + "x")
        }
        // a client of another pool is unknown here
        let other = try await world.pools.createPool { $0.name = "other" }
        await #expect(throws: OAuthError.invalidClient("unknown client")) {
            try await world.tokenEndpoint.token(poolId: other.id, parameters: grant, credentials: ClientCredentials(clientId: client.clientId, secret: secret))
        }

        await #expect(throws: OAuthError.invalidRequest("grant_type is required")) { try await token([:], id: client.clientId, secret: secret) }
        await #expect(throws: OAuthError.self) { try await token(["grant_type": "password"], id: client.clientId, secret: secret) }
        let issued = try await token(grant, id: client.clientId, secret: secret)
        let claims = try await world.tokens.verifyAccessToken(issued.accessToken, poolId: world.pool.id)
        #expect(claims["scope"]?.string == "https://api.example/read" && claims["client_id"]?.string == client.clientId)
        #expect(issued.idToken == nil && issued.refreshToken == nil)
    }

    @Test func clientCredentialsIsForConfidentialClientsAndResourceServerScopes() async throws {
        let world = try await CoreWorld.make()
        let (client, secret) = try await confidential(world)
        await #expect(throws: OAuthError.unauthorizedClient("the client may not use client_credentials")) {
            try await world.tokenEndpoint.token(poolId: world.pool.id, parameters: ["grant_type": "client_credentials"],
                                                credentials: ClientCredentials(clientId: world.client.clientId, secret: nil))
        }
        await #expect(throws: OAuthError.self) {
            try await world.tokenEndpoint.token(poolId: world.pool.id, parameters: ["grant_type": "client_credentials", "scope": "openid"],
                                                credentials: ClientCredentials(clientId: client.clientId, secret: secret))
        }
    }

    @Test func aRefreshTokenGivesNewTokensUntilItIsRevoked() async throws {
        let world = try await CoreWorld.make()
        try await world.user("ivy")
        let (request, _) = try await world.startSignIn()
        guard case .signedIn(_, let redirect) = try await world.hosted.login(pool: world.pool, request: request, username: "ivy",
                                                                             password: "Correct-horse-1")
        else { Issue.record("not signed in"); return }
        let first = try await world.redeem(CoreWorld.query(redirect)["code"]!)
        let refresh = try #require(first.refreshToken)
        let credentials = ClientCredentials(clientId: world.client.clientId, secret: nil)
        let grant = ["grant_type": "refresh_token", "refresh_token": refresh]

        await #expect(throws: OAuthError.invalidRequest("refresh_token is required")) {
            try await world.tokenEndpoint.token(poolId: world.pool.id, parameters: ["grant_type": "refresh_token"], credentials: credentials)
        }
        world.clock.advance(60)
        let renewed = try await world.tokenEndpoint.token(poolId: world.pool.id, parameters: grant, credentials: credentials)
        #expect(renewed.accessToken != first.accessToken)
        _ = try await world.tokens.verifyAccessToken(first.accessToken, poolId: world.pool.id)

        // RFC 7009: an unknown token is no error; the real one ends the family and its access tokens
        try await world.tokenEndpoint.revoke(poolId: world.pool.id, parameters: ["token": "not-a-token"], credentials: credentials)
        await #expect(throws: OAuthError.self) {
            try await world.tokenEndpoint.revoke(poolId: world.pool.id, parameters: ["token": refresh, "token_type_hint": "access_token"],
                                                 credentials: credentials)
        }
        try await world.tokenEndpoint.revoke(poolId: world.pool.id, parameters: ["token": refresh], credentials: credentials)
        await #expect(throws: OAuthError.invalidGrant("the refresh token is invalid, expired or revoked")) {
            try await world.tokenEndpoint.token(poolId: world.pool.id, parameters: grant, credentials: credentials)
        }
        await #expect(throws: TokenError.self) { try await world.tokens.verifyAccessToken(renewed.accessToken, poolId: world.pool.id) }
    }

    @Test func userInfoAnswersOnlyALiveTokenWithOpenID() async throws {
        let world = try await CoreWorld.make()
        try await world.user("jo")
        let (request, _) = try await world.startSignIn()
        guard case .signedIn(_, let redirect) = try await world.hosted.login(pool: world.pool, request: request, username: "jo",
                                                                             password: "Correct-horse-1")
        else { Issue.record("not signed in"); return }
        let issued = try await world.redeem(CoreWorld.query(redirect)["code"]!)
        let claims = try await world.tokenEndpoint.userInfo(poolId: world.pool.id, accessToken: issued.accessToken)
        #expect(claims["email"]?.string == "jo@example.com" && claims["username"]?.string == "jo")
        await #expect(throws: OAuthError.self) { try await world.tokenEndpoint.userInfo(poolId: world.pool.id, accessToken: nil) }
        await #expect(throws: OAuthError.invalidToken("the access token is invalid, expired or revoked")) {
            try await world.tokenEndpoint.userInfo(poolId: world.pool.id, accessToken: issued.idToken)
        }
        world.clock.advance(3_601)
        await #expect(throws: OAuthError.invalidToken("the access token is invalid, expired or revoked")) {
            try await world.tokenEndpoint.userInfo(poolId: world.pool.id, accessToken: issued.accessToken)
        }
    }
}
