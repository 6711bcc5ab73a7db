import Vapor

/// Headers every response carries: no MIME sniffing, no framing by other sites, no referrer
/// leaking codes or state in URLs; and where the public URL is https, HSTS (a year), so a
/// browser never again reaches the sign-in pages over plain http.
struct SecurityHeadersMiddleware: Middleware {
    var strictTransport = false

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        next.respond(to: request).map { [strictTransport] response in
            if strictTransport { response.headers.replaceOrAdd(name: "Strict-Transport-Security", value: "max-age=31536000") }
            response.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
            response.headers.replaceOrAdd(name: "X-Frame-Options", value: "DENY")
            response.headers.replaceOrAdd(name: "Referrer-Policy", value: "no-referrer")
            return response
        }
    }
}
