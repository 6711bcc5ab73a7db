import CognateCore
import CognateModel
import Vapor

/// OpenID Connect Discovery 1.0 and the JWKS of each pool.
struct WellKnownController: Sendable {
    /// Discovery changes only when the server's capabilities do; an hour is safe.
    static let discoveryCacheControl = "public, max-age=3600"
    /// Short, so a relying party sees a rotated key within minutes.
    static let jwksCacheControl = "public, max-age=300"

    func discovery(_ request: Request) async throws -> Response {
        let services = try request.services()
        let pool = try await Self.pool(request, services)
        var scopes: [String] = []
        var cursor: String?
        repeat {
            let page = try await services.store.listResourceServers(poolId: pool.id, limit: 60, after: cursor)
            scopes += page.items.flatMap(\.qualifiedScopes)
            cursor = page.next
        } while cursor != nil
        let issuer = services.issuer(poolId: pool.id)
        let base = services.domains.endpointBase(domains: try await services.store.domains(poolId: pool.id), issuer: issuer)
        let document = DiscoveryDocument(pool: pool, issuer: issuer, domain: base, resourceServerScopes: scopes)
        let response = Response(status: .ok)
        try response.content.encode(document, as: .json)
        response.headers.replaceOrAdd(name: .cacheControl, value: Self.discoveryCacheControl)
        return response
    }

    func jwks(_ request: Request) async throws -> Response {
        let services = try request.services()
        let pool = try await Self.pool(request, services)
        let body = try await services.keyring.jwks(poolId: pool.id)
        var headers = HTTPHeaders()
        headers.contentType = .json
        headers.replaceOrAdd(name: .cacheControl, value: Self.jwksCacheControl)
        return Response(status: .ok, headers: headers, body: .init(data: body))
    }

    /// The pool named in the path, or else by the request's host (a pool domain); 404 for a
    /// malformed or unknown id or host alike.
    static func pool(_ request: Request, _ services: CognateServices) async throws -> UserPool {
        guard let id = request.parameters.get("poolId") else {
            return try await PoolDomainResolver.pool(for: request, services)
        }
        guard PoolID.isValid(id), let pool = try await services.store.pool(id: id) else {
            throw Abort(.notFound, reason: "user pool \(id.prefix(64)) does not exist")
        }
        return pool
    }
}
