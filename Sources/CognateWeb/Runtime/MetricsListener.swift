import CognateCore
import Metrics
import NIOConcurrencyHelpers
import Prometheus
import Vapor

/// `/metrics` in Prometheus' text format on a listener of its own (COGNATE_METRICS_ADDRESS),
/// never on the public port: Vapor's request metrics (`http_requests_total`,
/// `http_request_duration_seconds` by method, route and status) and Cognate's own
/// (`CognateMetrics`, the store's timings).
final class MetricsListener: LifecycleHandler, Sendable {
    /// One registry per process: swift-metrics takes one factory, once.
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    let host: String
    let port: Int
    private let server = NIOLockedValueBox<HTTPServer?>(nil)

    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Starts listening (before the public server, so nothing it serves goes uncounted).
    func start(_ app: Application) async throws {
        let registry = Self.registry
        // the public server's settings (no request decompression, …) with this address, its own requests not counted
        let publicConfiguration = app.http.server.configuration
        var configuration = publicConfiguration
        configuration.hostname = host
        configuration.port = port
        configuration.reportMetrics = false
        let server = HTTPServer(application: app, responder: Scrape(registry: registry), configuration: configuration, on: app.eventLoopGroup)
        try await server.start(address: .hostname(host, port: port))
        // a started HTTPServer writes its configuration into the application's, which the public
        // server is made from next: put the public one back
        app.http.server.configuration = publicConfiguration
        self.server.withLockedValue { $0 = server }
        app.logger.notice("metrics at http://\(host.contains(":") ? "[\(host)]" : host):\(port)/metrics")
    }

    func shutdownAsync(_ application: Application) async {
        await server.withLockedValue { $0 }?.shutdown()
    }

    struct Scrape: Responder {
        let registry: PrometheusCollectorRegistry

        func respond(to request: Request) -> EventLoopFuture<Response> {
            guard request.url.path == "/metrics", request.method == .GET || request.method == .HEAD else {
                return request.eventLoop.makeSucceededFuture(Response(status: .notFound))
            }
            var headers = HTTPHeaders()
            headers.replaceOrAdd(name: .contentType, value: "text/plain; version=0.0.4; charset=utf-8")
            headers.replaceOrAdd(name: .cacheControl, value: "no-store")
            return request.eventLoop.makeSucceededFuture(
                Response(status: .ok, headers: headers, body: .init(buffer: ByteBuffer(bytes: registry.emitToBuffer()))))
        }
    }
}
