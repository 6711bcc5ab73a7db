import CognateCore
import Vapor

/// Refuses a body larger than `limit` before reading it, whatever the route (`apiLimit` for the
/// Cognito API: its managed login operations carry images of up to 1 MB, in base64, as
/// Cognito's own 2 MB request limit allows). Streamed bodies without a length are capped by
/// `routes.defaultMaxBodySize`, set to the same limit, and the API route by `apiLimit`.
///
/// The global middlewares are EventLoopFuture middlewares, not AsyncMiddleware: each
/// AsyncMiddleware starts a task and waits on the next responder's future, two thread hops per
/// middleware on every request.
struct BodyLimitMiddleware: Middleware {
    static let limit = 1 << 20
    static let apiLimit = 2 << 20

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let limit = request.method == .POST && request.url.path == "/" ? Self.apiLimit
            : request.method == .PUT && request.url.path.hasPrefix("/user-import/") ? UserImports.fileLimit : Self.limit
        if let length = request.headers.first(name: .contentLength).flatMap(Int.init), length > limit {
            return request.eventLoop.makeFailedFuture(Abort(.payloadTooLarge, reason: "request body exceeds \(limit) bytes"))
        }
        return next.respond(to: request)
    }
}
