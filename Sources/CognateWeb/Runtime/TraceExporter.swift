import CognateCore
import Foundation
import Logging
import NIOConcurrencyHelpers
import OTel
import ServiceLifecycle
import Tracing
import Vapor

/// Spans sent to an OpenTelemetry collector over OTLP/HTTP (COGNATE_OTEL_ENDPOINT): each
/// request (`RequestTracingMiddleware`), the store operations, password hashing and the requests
/// Cognate sends out under it, batched and exported in the background. The standard OTEL_*
/// variables (sampler, headers, timeouts, batch sizes) apply on top.
final class TraceExporter: LifecycleHandler, Sendable {
    /// The process-wide tracer can be set once; a second start (tests) keeps the first.
    private static let bootstrapped = NIOLockedValueBox(false)

    let endpoint: URL
    let serviceName: String
    private let running = NIOLockedValueBox<(group: ServiceGroup, task: Task<Void, Never>)?>(nil)

    init(endpoint: URL, serviceName: String = "cognate") {
        self.endpoint = endpoint
        self.serviceName = serviceName
    }

    /// The collector's traces URL: the base URL with `v1/traces`, as OTEL_EXPORTER_OTLP_ENDPOINT is read.
    static func tracesURL(_ endpoint: URL) -> String {
        let base = endpoint.absoluteString
        return base.hasSuffix("/") ? base + "v1/traces" : base + "/v1/traces"
    }

    func start(_ app: Application) async throws {
        let first = Self.bootstrapped.withLockedValue { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        var configuration = OTel.Configuration.default
        configuration.serviceName = serviceName
        configuration.diagnosticLogger = .custom(app.logger)
        configuration.diagnosticLogLevel = .warning
        configuration.traces.otlpExporter.endpoint = Self.tracesURL(endpoint)
        configuration.traces.otlpExporter.protocol = .httpProtobuf
        configuration.metrics.enabled = false
        configuration.logs.enabled = false
        let backend = try OTel.makeTracingBackend(configuration: configuration)
        InstrumentationSystem.bootstrap(backend.factory)
        let group = ServiceGroup(services: [backend.service], logger: app.logger)
        let logger = app.logger
        let task = Task {
            do { try await group.run() } catch where !Task.isCancelled { logger.warning("tracing stopped: \(String(describing: error))") } catch {}
        }
        running.withLockedValue { $0 = (group, task) }
        app.logger.notice("spans to \(Self.tracesURL(endpoint))")
    }

    /// Sends what is still batched after the server has stopped, for `flushSeconds` at most (a
    /// collector that is down must not hold up a stop): then what is left is dropped.
    func shutdownAsync(_ application: Application) async {
        guard let (group, task) = running.withLockedValue({ $0 }) else { return }
        await group.triggerGracefulShutdown()
        let flushSeconds = Self.flushSeconds
        let flushed = await withTaskGroup(of: Bool.self) { waiting in
            waiting.addTask { await task.value; return true }
            waiting.addTask {
                try? await Task.sleep(for: .seconds(flushSeconds))
                return false
            }
            let first = await waiting.next() ?? true
            if !first { task.cancel() }
            waiting.cancelAll()
            return first
        }
        if !flushed { application.logger.warning("spans not sent within \(flushSeconds) s of stopping were dropped") }
    }

    static let flushSeconds = 3
}
