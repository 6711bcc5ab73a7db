import Tracing
import Vapor

/// A server span per request when tracing is on (COGNATE_OTEL_ENDPOINT), a child of the caller's
/// (W3C `traceparent`) when one is sent: named by route pattern, or by the Cognito operation for
/// `POST /`, with the pool and client as the log line has them. The path as sent and its query
/// are never recorded: they may carry codes, signatures or user names. The trace id goes to
/// the request's log line. Right inside the log middleware, so errors are already answers here.
struct RequestTracingMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        var parent = request.serviceContext
        InstrumentationSystem.instrument.extract(request.headers, into: &parent, using: HTTPHeadersExtractor())
        let route = request.route.map { "/" + $0.path.map(\.description).joined(separator: "/") }
        let operation = Self.operation(request.headers.first(name: "X-Amz-Target"))
        let name = operation.map { "\($0.service)/\($0.method)" } ?? "\(request.method.rawValue) \(route ?? "unmatched")"
        return try await withSpan(name, context: parent, ofKind: .server) { span in
            request.serviceContext = span.context
            defer { request.serviceContext = parent }
            var carrier = HTTPHeaders()
            InstrumentationSystem.instrument.inject(span.context, into: &carrier, using: HTTPHeadersInjector())
            if let traceID = Self.traceID(traceparent: carrier.first(name: "traceparent")) {
                request.storage[TraceIDKey.self] = traceID
            }
            span.updateAttributes { attributes in
                attributes["http.request.method"] = request.method.rawValue
                if let route { attributes["http.route"] = route }
                attributes["url.scheme"] = request.application.cognateSettings?.configuration.publicURL?.scheme ?? "http"
                attributes["network.protocol.version"] = "\(request.version.major).\(request.version.minor)"
                if let agent = request.headers.first(name: .userAgent) { attributes["user_agent.original"] = String(agent.prefix(256)) }
                if let operation {
                    attributes["rpc.system"] = "aws-api"
                    attributes["rpc.service"] = operation.service
                    attributes["rpc.method"] = operation.method
                }
                attributes["cognate.request_id"] = request.id
                if let pool = request.parameters.get("poolId"), RequestLogMiddleware.isPlainId(pool) { attributes["cognate.pool"] = pool }
                if let client = request.query[String.self, at: "client_id"], RequestLogMiddleware.isPlainId(client) {
                    attributes["cognate.client"] = client
                }
            }
            let response = try await next.respond(to: request)
            span.attributes["http.response.status_code"] = Int(response.status.code)
            if response.status.code >= 500 { span.setStatus(.init(code: .error)) }
            return response
        }
    }

    /// `Service.Operation` from X-Amz-Target when it is plainly one (letters and digits).
    static func operation(_ target: String?) -> (service: String, method: String)? {
        guard let target, target.count <= 100 else { return nil }
        let parts = target.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } }) else {
            return nil
        }
        return (String(parts[0]), String(parts[1]))
    }

    /// The trace id of a W3C `traceparent` (`00-<32 hex>-<16 hex>-<2 hex>`).
    static func traceID(traceparent: String?) -> String? {
        guard let parts = traceparent?.split(separator: "-"), parts.count == 4, parts[1].count == 32 else { return nil }
        return String(parts[1])
    }

    enum TraceIDKey: StorageKey { typealias Value = String }
}

/// Reads trace headers (`traceparent`, `tracestate`) from a request.
struct HTTPHeadersExtractor: Extractor {
    func extract(key name: String, from headers: HTTPHeaders) -> String? {
        let values = headers[name]
        return values.isEmpty ? nil : values.joined(separator: ",")
    }
}

/// Writes trace headers into a request Cognate sends.
struct HTTPHeadersInjector: Injector {
    func inject(_ value: String, forKey key: String, into headers: inout HTTPHeaders) {
        headers.replaceOrAdd(name: key, value: value)
    }
}
