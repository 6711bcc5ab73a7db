import Vapor

/// Refuses request bodies sent compressed (`Content-Encoding` other than `identity`), answered in
/// the error format of the face the request was for: Cognito's JSON for the API, OAuth's for
/// /oauth2, a page for the hosted pages. No client of these interfaces compresses what it sends
/// (AWS SDKs compress only for services that ask, and Cognito does not), and Vapor's own
/// decompression is off: it closed the connection without an answer on a body that was not
/// what its header said.
struct ContentEncodingMiddleware: Middleware {
    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        guard let encoding = request.headers.first(name: .contentEncoding)?.trimmingCharacters(in: .whitespaces).lowercased(),
            !encoding.isEmpty, encoding != "identity"
        else { return next.respond(to: request) }
        let reason = "request bodies are taken uncompressed; Content-Encoding \(encoding) is not accepted"
        if request.headers.first(name: "X-Amz-Target") != nil {
            return request.eventLoop.makeSucceededFuture(
                CognitoAPIController.errorResponse("SerializationException", "Request bodies are taken uncompressed."))
        }
        if request.url.path.contains("/oauth2/") || request.url.path.hasPrefix("/oauth2") {
            return request.eventLoop.makeFailedFuture(Abort(.badRequest, reason: reason))
        }
        return request.eventLoop.makeFutureWithTask {
            try await HostedPagesController.errorPage(request, status: .badRequest, heading: "This request could not be read",
                                                      message: "Go back and try again.")
        }
    }
}
