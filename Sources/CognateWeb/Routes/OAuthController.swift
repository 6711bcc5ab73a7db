import CognateCore
import CognateModel
import Foundation
import Vapor

/// /oauth2/token, /oauth2/userInfo and /oauth2/revoke: each decodes the request, asks Core's
/// TokenEndpoint, and encodes the answer. Refusals are thrown and written by OAuthErrorMiddleware
/// (RFC 6749 §5.2 JSON; RFC 6750 for userInfo) with `Cache-Control: no-store`.
struct OAuthController: Sendable {
    func token(_ request: Request) async throws -> Response {
        let services = try request.services()
        let pool = try await HostedPool.resolve(request, services)
        let form = try Self.form(request)
        let tokens = try await services.tokenEndpoint.token(poolId: pool.id, parameters: form, credentials: Self.credentials(request, form))
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
    }

    func userInfo(_ request: Request) async throws -> Response {
        let services = try request.services()
        let pool = try await HostedPool.resolve(request, services)
        let token = try request.headers.bearerAuthorization?.token ?? Self.form(request)["access_token"]
        let claims = try await services.tokenEndpoint.userInfo(poolId: pool.id, accessToken: token)
        let response = Response(status: .ok)
        try response.content.encode(claims, as: .json)
        Self.noStore(response)
        return response
    }

    /// RFC 7009: the answer is 200 whether or not the token was known.
    func revoke(_ request: Request) async throws -> Response {
        let services = try request.services()
        let pool = try await HostedPool.resolve(request, services)
        let form = try Self.form(request)
        try await services.tokenEndpoint.revoke(poolId: pool.id, parameters: form, credentials: Self.credentials(request, form))
        let response = Response(status: .ok)
        Self.noStore(response)
        return response
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

    /// RFC 6749 §2.3.1: HTTP Basic (its parts form-encoded, §2.3.1) wins over the form's client_id and client_secret.
    static func credentials(_ request: Request, _ form: [String: String]) -> ClientCredentials {
        if let basic = request.headers.basicAuthorization {
            return ClientCredentials(clientId: basic.username.removingPercentEncoding ?? basic.username,
                                     secret: basic.password.removingPercentEncoding ?? basic.password)
        }
        return ClientCredentials(clientId: form["client_id"], secret: form["client_secret"])
    }

    static func noStore(_ response: Response) {
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        response.headers.replaceOrAdd(name: .pragma, value: "no-cache")
    }
}
