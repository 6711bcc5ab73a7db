import CognateCore
import CognateModel
import Foundation
import Vapor

/// /oauth2/token, /oauth2/userInfo and /oauth2/revoke. Errors are RFC 6749 §5.2 JSON (RFC 6750
/// for the bearer-token endpoint) with `Cache-Control: no-store`.
struct OAuthController: Sendable {
    func token(_ request: Request) async throws -> Response {
        let services = try request.services()
        do {
            let pool = try await HostedPool.resolve(request, services)
            let form = try Self.form(request)
            let client = try await Self.authenticateClient(request, form: form, pool: pool, services)
            let tokens: IssuedTokens
            switch form["grant_type"] {
            case "authorization_code":
                guard client.allowedOAuthFlows.contains(.code) else { throw OAuthError.unauthorizedClient("the client may not use this grant") }
                guard let code = form["code"] else { throw OAuthError.invalidRequest("code is required") }
                tokens = try await services.hosted.exchange(code: code, redirectURI: form["redirect_uri"], verifier: form["code_verifier"], client: client)
            case "refresh_token":
                guard let token = form["refresh_token"] else { throw OAuthError.invalidRequest("refresh_token is required") }
                do {
                    tokens = try await services.tokens.refresh(token, client: client).tokens
                } catch is TokenError {
                    throw OAuthError.invalidGrant("the refresh token is invalid, expired or revoked")
                }
            case "client_credentials":
                guard !client.isPublic, client.allowedOAuthFlows.contains(.clientCredentials) else {
                    throw OAuthError.unauthorizedClient("the client may not use client_credentials")
                }
                let scopes = try CheckScopes.check(form["scope"], client: client)
                if let standard = scopes.first(where: { !$0.contains("/") }) {
                    throw OAuthError.invalidScope("\(standard) cannot be granted to a client; use resource server scopes")
                }
                tokens = try await services.tokens.issueForClient(client, scopes: scopes)
            case nil:
                throw OAuthError.invalidRequest("grant_type is required")
            case let other?:
                throw OAuthError.unsupportedGrantType("grant_type \(other) is not supported")
            }
            // RFC 6749 §5.1, written directly rather than through JSONEncoder (a hot path).
            var body: [String: ClaimValue] = [
                "access_token": .string(tokens.accessToken), "token_type": .string("Bearer"), "expires_in": .int(tokens.expiresIn),
            ]
            if let idToken = tokens.idToken { body["id_token"] = .string(idToken) }
            if let refreshToken = tokens.refreshToken { body["refresh_token"] = .string(refreshToken) }
            var headers = HTTPHeaders()
            headers.contentType = .json
            let response = Response(status: .ok, headers: headers, body: .init(data: Data(TokenClaims(body).json)))
            Self.noStore(response)
            return response
        } catch let error as OAuthError {
            return try Self.render(error, bearer: false)
        }
    }

    func userInfo(_ request: Request) async throws -> Response {
        let services = try request.services()
        do {
            let pool = try await HostedPool.resolve(request, services)
            guard let token = try request.headers.bearerAuthorization?.token ?? Self.form(request)["access_token"] else {
                throw OAuthError("invalid_request", "a bearer access token is required", status: 401)
            }
            let claims: TokenClaims
            do {
                claims = try await services.tokens.verifyAccessToken(token, poolId: pool.id)
            } catch {
                throw OAuthError.invalidToken("the access token is invalid, expired or revoked")
            }
            let scopes = (claims["scope"]?.string ?? "").split(separator: " ").map(String.init)
            guard scopes.contains("openid") else { throw OAuthError("insufficient_scope", "the token lacks the openid scope", status: 403) }
            guard let sub = claims["sub"]?.string.flatMap(UUID.init(uuidString:)), let user = try await services.store.user(poolId: pool.id, sub: sub),
                user.enabled
            else { throw OAuthError.invalidToken("the user no longer exists or is disabled") }
            guard let clientId = claims["client_id"]?.string, let client = try await services.store.client(poolId: pool.id, clientId: clientId) else {
                throw OAuthError.invalidToken("the access token's client no longer exists")
            }
            var body: [String: ClaimValue] = ["sub": .string(user.sub.uuidString.lowercased()), "username": .string(user.username)]
            for (name, value) in TokenService.attributeClaims(user, scopes: scopes, client: client) { body[name] = value }
            let response = Response(status: .ok)
            try response.content.encode(TokenClaims(body), as: .json)
            Self.noStore(response)
            return response
        } catch let error as OAuthError {
            return try Self.render(error, bearer: true)
        }
    }

    /// RFC 7009: the answer is 200 whether or not the token was known.
    func revoke(_ request: Request) async throws -> Response {
        let services = try request.services()
        do {
            let pool = try await HostedPool.resolve(request, services)
            let form = try Self.form(request)
            let client = try await Self.authenticateClient(request, form: form, pool: pool, services)
            guard let token = form["token"] else { throw OAuthError.invalidRequest("token is required") }
            if form["token_type_hint"] == "access_token" {
                throw OAuthError("unsupported_token_type", "only refresh tokens can be revoked; revoking one ends its access tokens")
            }
            try await services.tokens.revokeRefreshToken(token, client: client)
            let response = Response(status: .ok)
            Self.noStore(response)
            return response
        } catch let error as OAuthError {
            return try Self.render(error, bearer: false)
        }
    }

    /// The request's parameters (RFC 6749 §3.1, RFC 6750 §2.2): a form-encoded body, each
    /// parameter at most once; a body of another type carries none.
    static func form(_ request: Request) throws -> [String: String] {
        guard request.headers.contentType == .urlEncodedForm, let body = request.body.data else { return [:] }
        do {
            return try FormEncoding.parameters(body.readableBytesView)
        } catch .repeated(let name) {
            throw OAuthError.invalidRequest("\(name) is repeated")
        }
    }

    /// RFC 6749 §2.3.1: client_secret_basic or client_secret_post; public clients send only client_id.
    static func authenticateClient(_ request: Request, form: [String: String], pool: UserPool, _ services: CognateServices) async throws -> AppClient {
        var clientId = form["client_id"]
        var secret = form["client_secret"]
        if let basic = request.headers.basicAuthorization {
            clientId = basic.username.removingPercentEncoding ?? basic.username
            secret = basic.password.removingPercentEncoding ?? basic.password
        }
        guard let clientId, let client = try await services.store.client(poolId: pool.id, clientId: clientId) else {
            throw OAuthError.invalidClient("unknown client")
        }
        if let hash = client.secretHash {
            guard let secret, SecretDigest.matches(secret, hash: hash) else { throw OAuthError.invalidClient("client authentication failed") }
        }
        return client
    }

    static func render(_ error: OAuthError, bearer: Bool) throws -> Response {
        let response = Response(status: HTTPResponseStatus(statusCode: error.status))
        try response.content.encode(["error": error.code, "error_description": error.description], as: .json)
        if error.status == 401 || error.status == 403 {
            response.headers.replaceOrAdd(name: .wwwAuthenticate, value: bearer
                ? "Bearer error=\"\(error.code)\", error_description=\"\(error.description)\""
                : "Basic realm=\"cognate\"")
        }
        noStore(response)
        return response
    }

    static func noStore(_ response: Response) {
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        response.headers.replaceOrAdd(name: .pragma, value: "no-cache")
    }
}
