import CognateCore
import CognateModel
import Vapor

/// The /oauth2 endpoints' face of errors, in one place: an `OAuthError` as RFC 6749 §5.2 JSON
/// (RFC 6750's `WWW-Authenticate: Bearer` on userInfo, `Basic` for a client that failed to
/// authenticate); a database that does not answer, or a full hashing queue, as 503
/// `temporarily_unavailable`. Anything else goes on to JSONErrorMiddleware (an unknown pool is
/// its 404; a fault its 500, logged).
struct OAuthErrorMiddleware: AsyncMiddleware {
    /// userInfo: a bearer-token resource (RFC 6750), not a client-authenticated endpoint.
    let bearer: Bool

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch let error as OAuthError {
            return try Self.render(error, bearer: bearer)
        } catch let error as StoreError {
            guard case .unavailable(let reason) = error else { throw error }
            request.logger.error("\(request.method) \(request.url.path): the database did not answer: \(reason)")
            return try Self.render(Self.unavailable, bearer: false)
        } catch is PasswordHasherBusy {
            return try Self.render(Self.unavailable, bearer: false)
        } catch let error as TriggerError {
            // PreTokenGeneration refused or failed: the request fails, said as Cognito says it
            return try Self.render(OAuthError("invalid_request", error.message), bearer: false)
        }
    }

    static let unavailable = OAuthError("temporarily_unavailable", "the service is temporarily unavailable; try again shortly", status: 503)

    static func render(_ error: OAuthError, bearer: Bool) throws -> Response {
        let response = Response(status: HTTPResponseStatus(statusCode: error.status))
        try response.content.encode(["error": error.code, "error_description": error.description], as: .json)
        if error.status == 401 || error.status == 403 {
            response.headers.replaceOrAdd(name: .wwwAuthenticate, value: bearer
                ? "Bearer error=\"\(error.code)\", error_description=\"\(error.description)\""
                : "Basic realm=\"cognate\"")
        }
        if error.status == 503 { response.headers.replaceOrAdd(name: .retryAfter, value: "5") }
        OAuthController.noStore(response)
        return response
    }
}
