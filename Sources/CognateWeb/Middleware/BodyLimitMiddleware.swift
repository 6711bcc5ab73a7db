import Vapor

/// Refuses a body larger than `limit` before reading it, whatever the route. Streamed bodies
/// without a length are capped by `routes.defaultMaxBodySize`, set to the same limit.
struct BodyLimitMiddleware: AsyncMiddleware {
    static let limit = 1 << 20

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if let length = request.headers.first(name: .contentLength).flatMap(Int.init), length > Self.limit {
            throw Abort(.payloadTooLarge, reason: "request body exceeds \(Self.limit) bytes")
        }
        return try await next.respond(to: request)
    }
}
