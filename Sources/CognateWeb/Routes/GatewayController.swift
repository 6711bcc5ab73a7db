import CognateCore
import Foundation
import Vapor

/// `{base}/gateway/check`: asked by a proxy (nginx `auth_request`, Traefik forwardAuth, Envoy
/// ext_authz) with the original request's Authorization header and its requirements as query
/// parameters, repeatable: `scope=` (all needed) and `group=` (any one suffices). 200 with the
/// identity in headers; 401 with WWW-Authenticate (RFC 6750) for a missing or bad token; 403
/// for a missing scope (`insufficient_scope`) or group. Never cached by the proxy.
struct GatewayController: Sendable {
    func check(_ request: Request) async throws -> Response {
        let services = try request.services()
        let realm = "cognate"
        let response = Response(status: .ok)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        guard let pool = try? await HostedPool.resolve(request, services) else {
            response.status = .notFound
            return response
        }
        // the query's pairs in order, repeats kept (FormEncoding's rule); empty values ask nothing
        let query = FormEncoding.pairs(Array((request.url.query ?? "").utf8)).filter { !$0.value.isEmpty }
        var authorizations = request.headers[.authorization]
        // the browser mode: a session cookie on the app's host stands for its Bearer token
        if authorizations.isEmpty, let cookie = request.cookies[GatewayCheck.sessionCookie(poolId: pool.id)]?.string,
            let token = services.gateway.token(fromSession: cookie, poolId: pool.id)
        {
            authorizations = ["Bearer \(token)"]
        }
        guard authorizations.count <= 1 else {
            response.status = .unauthorized
            response.headers.replaceOrAdd(name: .wwwAuthenticate, value: #"Bearer realm="\#(realm)", error="invalid_request""#)
            return response
        }
        let decision = await services.gateway.check(poolId: pool.id, authorization: authorizations.first,
                                                    scopes: query.filter { $0.name == "scope" }.map(\.value),
                                                    groups: query.filter { $0.name == "group" }.map(\.value))
        switch decision {
        case .allowed(let identity):
            response.headers.replaceOrAdd(name: "X-Cognate-Sub", value: identity.sub)
            if let username = identity.username { response.headers.replaceOrAdd(name: "X-Cognate-Username", value: username) }
            response.headers.replaceOrAdd(name: "X-Cognate-Groups", value: identity.groups.joined(separator: ","))
            response.headers.replaceOrAdd(name: "X-Cognate-Scopes", value: identity.scopes.joined(separator: " "))
            response.headers.replaceOrAdd(name: "X-Cognate-Client-Id", value: identity.clientId)
            response.headers.replaceOrAdd(name: "X-Amzn-Oidc-Identity", value: identity.sub)
            if !identity.data.isEmpty { response.headers.replaceOrAdd(name: "X-Amzn-Oidc-Data", value: identity.data) }
        case .unauthorized(let hadToken, let reason):
            response.status = .unauthorized
            let challenge = hadToken ? #"Bearer realm="\#(realm)", error="invalid_token", error_description="\#(reason)""# : #"Bearer realm="\#(realm)""#
            response.headers.replaceOrAdd(name: .wwwAuthenticate, value: challenge)
        case .insufficientScope(let scopes):
            response.status = .forbidden
            response.headers.replaceOrAdd(name: .wwwAuthenticate,
                                          value: #"Bearer realm="\#(realm)", error="insufficient_scope", scope="\#(scopes.joined(separator: " "))""#)
        case .notInGroup:
            response.status = .forbidden
        case .unavailable:
            // not a refusal of the token: the proxy fails closed, and asks again next time
            response.status = .serviceUnavailable
            response.headers.replaceOrAdd(name: .retryAfter, value: "1")
        }
        return response
    }

    // MARK: The browser mode (reached through the app's host: the proxy maps a path of its own here)

    /// The proxy sends a turned-away browser here: `rd` is where it was going (the rest of the
    /// query: put it last), the app client and its callback on the app's host come from the
    /// proxy's `X-Cognate-Gateway-Client` / `X-Cognate-Gateway-Callback` (or `client_id` /
    /// `callback`); the callback must be one of the client's CallbackURLs.
    func signIn(_ request: Request) async throws -> Response {
        let services = try request.services()
        let pool = try await HostedPool.resolve(request, services)
        let parameters = Self.query(request)
        do {
            let start = try await services.gateway.startSignIn(
                pool: pool, clientId: request.headers.first(name: "X-Cognate-Gateway-Client") ?? parameters["client_id"],
                callback: request.headers.first(name: "X-Cognate-Gateway-Callback") ?? parameters["callback"], returnPath: Self.returnPath(request),
                issuer: services.issuer(poolId: pool.id))
            let response = Self.found(start.authorizeURL)
            response.cookies[GatewayCheck.stateCookie] = Self.cookie(start.stateCookie, maxAge: GatewayCheck.signInSeconds, secure: start.secure)
            return response
        } catch let refusal as GatewayCheck.BrowserRefusal {
            return Self.page(refusal.description)
        }
    }

    /// The hosted sign-in comes back here (the client's callback on the app's host): the code is
    /// redeemed, the session cookie set, and the browser goes where it was going.
    func callback(_ request: Request) async throws -> Response {
        let services = try request.services()
        let pool = try await HostedPool.resolve(request, services)
        let parameters = Self.query(request)
        do {
            let done = try await services.gateway.finishSignIn(pool: pool, code: parameters["code"], state: parameters["state"],
                                                               stateCookie: request.cookies[GatewayCheck.stateCookie]?.string,
                                                               tokenEndpoint: services.tokenEndpoint)
            let response = Self.found(done.returnPath)
            response.cookies[GatewayCheck.sessionCookie(poolId: pool.id)] = Self.cookie(done.session, maxAge: done.maxAge, secure: done.secure)
            response.cookies[GatewayCheck.stateCookie] = Self.cookie("", maxAge: 0, secure: done.secure)
            return response
        } catch let refusal as GatewayCheck.BrowserRefusal {
            return Self.page(refusal.description)
        }
    }

    /// Ends the app host's session (the hosted pages' own session is ended by `{base}/logout`).
    func signOut(_ request: Request) async throws -> Response {
        let services = try request.services()
        let pool = try await HostedPool.resolve(request, services)
        let response = Self.found(GatewayCheck.returnPath(Self.returnPath(request)))
        response.cookies[GatewayCheck.sessionCookie(poolId: pool.id)] = Self.cookie("", maxAge: 0, secure: false)
        return response
    }

    /// The query's parameters, the first of each name.
    static func query(_ request: Request) -> [String: String] {
        Dictionary(FormEncoding.pairs(Array((request.url.query ?? "").utf8)).map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    /// `rd`: the rest of the query after it (the proxy writes the original path and query
    /// there unencoded, so it comes last), decoded.
    static func returnPath(_ request: Request) -> String? {
        let query = "&" + (request.url.query ?? "")
        return query.range(of: "&rd=").map { String(query[$0.upperBound...]).removingPercentEncoding ?? "/" }
    }

    /// 302, as the hosted pages and the ALB redirect; never kept by a cache.
    static func found(_ location: String) -> Response {
        let response = Response(status: .found)
        response.headers.replaceOrAdd(name: .location, value: location)
        OAuthController.noStore(response)
        return response
    }

    static func cookie(_ value: String, maxAge: Int, secure: Bool) -> HTTPCookies.Value {
        HTTPCookies.Value(string: value, maxAge: maxAge, path: "/", isSecure: secure, isHTTPOnly: true, sameSite: .lax)
    }

    /// A short page for a sign-in that cannot go on (never a redirect elsewhere).
    static func page(_ message: String) -> Response {
        let escaped = message.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        let response = Response(status: .badRequest, body: .init(string: """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in could not go on</title></head>
            <body><main><h1>Sign-in could not go on</h1><p>\(escaped)</p></main></body></html>
            """))
        response.headers.contentType = .html
        OAuthController.noStore(response)
        return response
    }
}
