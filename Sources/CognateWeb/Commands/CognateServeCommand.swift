import Metrics
import Vapor

/// `cognate serve --hostname H --port P`: prepares the store (migrations, master key, first
/// pool, config file), prints the banner, then hands over to Vapor's server.
struct CognateServeCommand: AsyncCommand {
    typealias Signature = ServeCommand.Signature

    var help: String { "Starts the Cognate server (migrates the database and applies the config file first)." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        if app.cognateSettings?.configuration.jsonLogs == true {
            // the banner as log events too, so every line of the output is JSON
            let logger = app.logger
            try await CognateRuntime.bootstrap(app) { logger.notice("\($0)") }
        } else {
            try await CognateRuntime.bootstrap(app)
        }
        if let address = app.cognateSettings?.configuration.metricsAddress {
            let metrics = MetricsListener(host: address.host, port: address.port)
            try await metrics.start(app)
            app.lifecycle.use(metrics)
            if let configuration = app.cognateSettings?.configuration {
                // the connections the store may hold: a pool per event loop (SQLite: one connection each)
                let perLoop = if case .postgres = configuration.database { configuration.databaseOptions.poolSize } else { 1 }
                Gauge(label: "cognate_database_connections").record(perLoop * System.coreCount)
            }
        }
        if let endpoint = app.cognateSettings?.configuration.otelEndpoint {
            let tracing = TraceExporter(endpoint: endpoint)
            try await tracing.start(app)
            app.lifecycle.use(tracing)
        }
        try await app.servers.asyncCommand.run(using: context, signature: signature)
    }
}
