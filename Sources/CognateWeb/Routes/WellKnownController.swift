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
        let body = try Self.discoveryBodies.body(poolId: pool.id, inputs: inputs) {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.withoutEscapingSlashes]
            return try encoder.encode(DiscoveryDocument(pool: pool, issuer: issuer, domain: base, resourceServerScopes: scopes))
        }
        return Self.document(body, cacheControl: Self.discoveryCacheControl)
    }

    func jwks(_ request: Request) async throws -> Response {
        let services = try request.services()
        let pool = try await Self.pool(request, services)
        let keys = try await services.keyring.publishedKeys(poolId: pool.id)
        let body = try Self.jwksBodies.body(poolId: pool.id, inputs: keys.map(\.kid).joined(separator: " ")) {
            Keyring.jwks(keys)
        }
        return Self.document(body, cacheControl: Self.jwksCacheControl)
    }

    /// Discovery of the identity pools' OpenID provider: what an STS (or any relying party)
    /// needs to trust GetOpenIdToken's tokens.
    func identityDiscovery(_ request: Request) async throws -> Response {
        let service = try request.services().api.identityPools
        let document: [String: Any] = [
            "issuer": service.issuer, "jwks_uri": service.issuer + "/.well-known/jwks.json",
            "response_types_supported": ["id_token"], "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"], "claims_supported": ["iss", "sub", "aud", "amr", "iat", "exp"],
        ]
        let body = try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])
        return Self.document(ByteBuffer(data: body), cacheControl: Self.discoveryCacheControl)
    }

    func identityJWKS(_ request: Request) async throws -> Response {
        let body = try await request.services().api.identityPools.tokenKey.jwks()
        return Self.document(ByteBuffer(data: body), cacheControl: Self.jwksCacheControl)
    }

    static func document(_ body: ByteBuffer, cacheControl: String) -> Response {
        var headers = HTTPHeaders()
        headers.contentType = .json
        headers.replaceOrAdd(name: .cacheControl, value: cacheControl)
        return Response(status: .ok, headers: headers, body: .init(buffer: body))
    }

    /// The last body made for each pool, with what it was made from. Encoding was most of the
    /// documents' cost, and they change only with the pool's settings, domains, resource
    /// servers and keys; the inputs come from what the store said for this request, so a
    /// change is encoded again at once.
    final class Bodies: Sendable {
        private let last = NIOLockedValueBox<[String: (inputs: String, body: ByteBuffer)]>([:])

        func body(poolId: String, inputs: String, make: () throws -> Data) rethrows -> ByteBuffer {
            if let known = last.withLockedValue({ $0[poolId] }), known.inputs == inputs { return known.body }
            let body = ByteBuffer(data: try make())
            last.withLockedValue { bodies in
                if bodies.count > 10_000 { bodies.removeAll() }
                bodies[poolId] = (inputs, body)
            }
            return body
        }
    }

    static let discoveryBodies = Bodies()
    static let jwksBodies = Bodies()

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
