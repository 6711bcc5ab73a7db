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
        let authorizations = request.headers[.authorization]
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
        }
        return response
    }
}
