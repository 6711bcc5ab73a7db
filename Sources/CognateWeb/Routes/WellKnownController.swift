import CognateCore
import CognateModel
import NIOConcurrencyHelpers
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
        // What the document is made from; while it is unchanged, the encoded document is reused.
        let inputs = "\(pool.signingAlgorithm.rawValue)|\(base)|\(scopes.joined(separator: " "))"
        let body = try Self.encoded(poolId: pool.id, inputs: inputs) {
            DiscoveryDocument(pool: pool, issuer: issuer, domain: base, resourceServerScopes: scopes)
        }
        var headers = HTTPHeaders()
        headers.contentType = .json
        headers.replaceOrAdd(name: .cacheControl, value: Self.discoveryCacheControl)
        return Response(status: .ok, headers: headers, body: .init(data: body))
    }

    /// The last document encoded for each pool, with what it was made from: encoding was most
    /// of discovery's cost, and the document changes only with the pool's settings, domains and
    /// resource servers. Derived from what the store said, so a change is encoded again at once.
    static let encodedDocuments = NIOLockedValueBox<[String: (inputs: String, body: Data)]>([:])

    static func encoded(poolId: String, inputs: String, document: () -> DiscoveryDocument) throws -> Data {
        if let last = encodedDocuments.withLockedValue({ $0[poolId] }), last.inputs == inputs { return last.body }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let body = try encoder.encode(document())
        encodedDocuments.withLockedValue { documents in
            if documents.count > 10_000 { documents.removeAll() }
            documents[poolId] = (inputs, body)
        }
        return body
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
