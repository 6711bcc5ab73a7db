import CognateCore
import CognateModel
import Vapor

/// Renders every error on the JSON faces as `{"error": …, "error_description": …}` with a
/// fitting status. Unknown errors become a plain 500 with no detail; the detail goes to the log.
struct JSONErrorMiddleware: Middleware {
    struct Body: Content {
        var error: String
        var error_description: String
    }

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        next.respond(to: request).flatMapErrorThrowing { error in
            let (status, code, description) = Self.classify(error)
            if status == .internalServerError {
                request.logger.error("unhandled error on \(request.method) \(request.url.path): \(String(reflecting: error))")
            }
            let response = Response(status: status)
            try response.content.encode(Body(error: code, error_description: description), as: .json)
            response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
            if let abort = error as? any AbortError {
                for (name, value) in abort.headers where name.lowercased() != "content-type" {
                    response.headers.replaceOrAdd(name: name, value: value)
                }
            }
            return response
        }
    }

    static func classify(_ error: any Error) -> (HTTPResponseStatus, String, String) {
        switch error {
        case let error as StoreError:
            switch error {
            case .notFound(let what): return (.notFound, "not_found", "\(what) does not exist")
            case .duplicate(let what): return (.conflict, "conflict", "\(what) already exists")
            case .unavailable: return (.serviceUnavailable, "temporarily_unavailable", "the database is unavailable")
            }
        case let error as any AbortError:
            let code: String = switch error.status {
            case .notFound: "not_found"
            case .forbidden: "forbidden"
            case .payloadTooLarge: "request_too_large"
            case .methodNotAllowed: "method_not_allowed"
            case .serviceUnavailable: "temporarily_unavailable"
            case .internalServerError: "server_error"
            default: "invalid_request"
            }
            let reason = error.status == .internalServerError ? "internal error" : error.reason
            return (error.status, code, reason)
        default:
            return (.internalServerError, "server_error", "internal error")
        }
    }
}
