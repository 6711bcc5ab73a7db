import Vapor

/// Refuses a body larger than `limit` before reading it, whatever the route. Streamed bodies
/// without a length are capped by `routes.defaultMaxBodySize`, set to the same limit.
///
/// The global middlewares are EventLoopFuture middlewares, not AsyncMiddleware: each
/// AsyncMiddleware starts a task and waits on the next responder's future, two thread hops per
/// middleware on every request.
struct BodyLimitMiddleware: Middleware {
    static let limit = 1 << 20

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        if let length = request.headers.first(name: .contentLength).flatMap(Int.init), length > Self.limit {
            return request.eventLoop.makeFailedFuture(Abort(.payloadTooLarge, reason: "request body exceeds \(Self.limit) bytes"))
        }
        return next.respond(to: request)
    }
}
