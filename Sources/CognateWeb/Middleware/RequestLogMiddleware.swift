import Vapor

/// One log line per request, after its answer: the request id (also sent back as
/// `X-Request-Id`), method, route (its pattern, never the path or query as sent, which may
/// carry codes), pool, client, status, latency, and the trace id when tracing is on. Outermost, so it sees every answer,
/// errors already turned into pages or JSON.
struct RequestLogMiddleware: Middleware {
    /// `info` when serving; the Swift tests' thousands of requests log theirs at `debug`.
    let level: Logger.Level

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let started = DispatchTime.now().uptimeNanoseconds
        return next.respond(to: request).map { response in
            response.headers.replaceOrAdd(name: "X-Request-Id", value: request.id)
            return response
        }.always { result in
            guard request.logger.logLevel <= level else { return }  // nothing made for a line no one keeps
            let status: UInt = switch result {
            case .success(let response): response.status.code
            case .failure(let error): (error as? any AbortError)?.status.code ?? 500
            }
            var metadata: Logger.Metadata = [
                "method": .string(request.method.rawValue),
                "route": .string(request.route.map { "/" + $0.path.map(\.description).joined(separator: "/") } ?? "unmatched"),
                "status": .stringConvertible(status),
                "latency_ms": .string(String(format: "%.2f", Double(DispatchTime.now().uptimeNanoseconds - started) / 1_000_000)),
            ]
            if let traceID = request.storage[RequestTracingMiddleware.TraceIDKey.self] { metadata["trace_id"] = .string(traceID) }
            if let pool = request.parameters.get("poolId"), Self.isPlainId(pool) { metadata["pool"] = .string(pool) }
            if let client = request.query[String.self, at: "client_id"], Self.isPlainId(client) { metadata["client"] = .string(client) }
            request.logger.log(level: level, "request", metadata: metadata)
        }
    }

    /// Pool and client ids are letters, digits and `_`; anything else a caller sent is left out.
    static func isPlainId(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 128 && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }
}
