import CognateCore
import Vapor

/// Sets `RequestOrigin.current` (the client's address, behind trusted proxies as configured,
/// and its user agent) for the rest of the request, so the auth events recorded while serving
/// it say where it came from.
struct RequestOriginMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let origin = RequestOrigin(address: request.clientAddress, userAgent: request.headers.first(name: .userAgent))
        return try await RequestOrigin.$current.withValue(origin) {
            try await next.respond(to: request)
        }
    }
}
