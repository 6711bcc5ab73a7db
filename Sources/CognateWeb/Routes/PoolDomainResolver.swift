import CognateCore
import CognateModel
import Vapor

/// Finds the pool whose domain a request was sent to: `<prefix>.<COGNATE_DOMAIN_PARENT>` or a
/// custom domain, from the Host header. The hosted pages use it to serve each pool on its own host.
enum PoolDomainResolver {
    static func pool(for request: Request, _ services: CognateServices) async throws -> UserPool {
        let host = request.headers.first(name: .host) ?? ""
        let name = services.domains.domainName(forHost: host)
        guard !name.isEmpty, let domain = try await services.store.domain(named: name),
            services.domains.host(of: domain) == host.split(separator: ":").first.map({ $0.lowercased() }),
            let pool = try await services.store.pool(id: domain.poolId)
        else { throw Abort(.notFound, reason: "no user pool answers on \(host.prefix(100))") }
        return pool
    }
}
