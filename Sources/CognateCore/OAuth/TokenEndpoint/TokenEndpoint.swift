import CognateModel
import Foundation

/// The OAuth endpoints behind the hosted sign-in: /oauth2/token (a grant handler per
/// grant_type), /oauth2/revoke (RFC 7009) and /oauth2/userInfo (OIDC Core §5.3). Their
/// controllers only decode the request and encode what these return; every refusal is an
/// `OAuthError`, and a database that does not answer surfaces as the store's error (a 503).
public struct TokenEndpoint: Sendable {
    public typealias Store = UserStore & AppClientStore
    let authenticator: ClientAuthenticator
    let handlers: [String: any GrantHandler]
    let tokens: TokenService
    let store: any Store

    public init(authenticator: ClientAuthenticator, handlers: [any GrantHandler], tokens: TokenService, store: any Store) {
        self.authenticator = authenticator
        self.handlers = Dictionary(uniqueKeysWithValues: handlers.map { ($0.grantType, $0) })
        self.tokens = tokens
        self.store = store
    }

    /// The standard set: authorization_code, refresh_token, client_credentials.
    public init(hosted: HostedSignIn, tokens: TokenService, store: any Store) {
        self.init(authenticator: ClientAuthenticator(clients: store),
                  handlers: [AuthorizationCodeGrant(hosted: hosted), RefreshTokenGrant(tokens: tokens), ClientCredentialsGrant(tokens: tokens)],
                  tokens: tokens, store: store)
    }

    /// POST /oauth2/token: the client first (RFC 6749 §3.2.1), then its grant.
    public func token(poolId: String, parameters: [String: String], credentials: ClientCredentials) async throws -> IssuedTokens {
        let client = try await authenticator.authenticate(credentials, poolId: poolId)
        guard let grantType = parameters["grant_type"] else { throw OAuthError.invalidRequest("grant_type is required") }
        guard let handler = handlers[grantType] else { throw OAuthError.unsupportedGrantType("grant_type \(grantType) is not supported") }
        return try await handler.handle(TokenRequest(parameters: parameters, client: client))
    }

    /// POST /oauth2/revoke (RFC 7009): ends a refresh token's family and the access tokens it
    /// produced; an unknown token is not an error.
    public func revoke(poolId: String, parameters: [String: String], credentials: ClientCredentials) async throws {
        let client = try await authenticator.authenticate(credentials, poolId: poolId)
        guard let token = parameters["token"] else { throw OAuthError.invalidRequest("token is required") }
        if parameters["token_type_hint"] == "access_token" {
            throw OAuthError("unsupported_token_type", "only refresh tokens can be revoked; revoking one ends its access tokens")
        }
        try await tokens.revokeRefreshToken(token, client: client)
    }

    /// GET/POST /oauth2/userInfo: the claims the access token's scopes and client allow.
    /// Refusals are RFC 6750's (401 `invalid_token`, 403 `insufficient_scope`).
    public func userInfo(poolId: String, accessToken: String?) async throws -> TokenClaims {
        guard let accessToken else { throw OAuthError("invalid_request", "a bearer access token is required", status: 401) }
        let claims: TokenClaims
        do {
            claims = try await tokens.verifyAccessToken(accessToken, poolId: poolId)
        } catch is TokenError {
            throw OAuthError.invalidToken("the access token is invalid, expired or revoked")
        }
        let scopes = (claims["scope"]?.string ?? "").split(separator: " ").map(String.init)
        guard scopes.contains("openid") else { throw OAuthError("insufficient_scope", "the token lacks the openid scope", status: 403) }
        guard let sub = claims["sub"]?.string.flatMap(UUID.init(uuidString:)), let user = try await store.user(poolId: poolId, sub: sub),
            user.enabled
        else { throw OAuthError.invalidToken("the user no longer exists or is disabled") }
        guard let clientId = claims["client_id"]?.string, let client = try await store.client(poolId: poolId, clientId: clientId) else {
            throw OAuthError.invalidToken("the access token's client no longer exists")
        }
        var body: [String: ClaimValue] = ["sub": .string(user.sub.uuidString.lowercased()), "username": .string(user.username)]
        for (name, value) in TokenService.attributeClaims(user, scopes: scopes, client: client) { body[name] = value }
        return TokenClaims(body)
    }
}
