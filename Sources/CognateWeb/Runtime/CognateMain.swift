import CognateCore
import Foundation
import Logging
import Vapor

/// The executable's whole life: read the environment, configure, run the command, and turn
/// any start-up failure into one clear message and exit status 1.
public enum CognateMain {
    public static func run() async -> Int32 {
        var arguments = ProcessInfo.processInfo.arguments
        let configPath = Self.extract(option: "--config", from: &arguments)
        let port = Self.port(in: arguments)
        do {
            var env = try Environment.detect(arguments: arguments)
            if ProcessInfo.processInfo.environment["COGNATE_LOG_FORMAT"] == "json" {
                // one JSON object per line; the level as Vapor reads it (LOG_LEVEL), info by default
                let level = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info
                LoggingSystem.bootstrap { JSONLogHandler(label: $0, level: level) }
            } else {
                try LoggingSystem.bootstrap(from: &env)
            }
            let configuration: CognateConfiguration
            do {
                configuration = try CognateConfiguration.load(
                    environment: ProcessInfo.processInfo.environment, configFile: configPath)
            } catch {
                return fail(error)
            }
            let app = try await Application.make(env)
            do {
                try configure(app, configuration: configuration, port: port)
                try await app.execute()
                // first, while still serving, tell the load balancer (GET /ready: 503) to send no more
                if configuration.shutdownDrainSeconds > 0 {
                    app.draining.withLockedValue { $0 = true }
                    app.logger.notice("draining: /ready answers 503 for \(configuration.shutdownDrainSeconds) s before the server stops")
                    try? await Task.sleep(for: .seconds(configuration.shutdownDrainSeconds))
                }
                // SIGTERM or SIGINT: stop taking connections and let the requests under way finish
                // (up to the server's shutdown timeout, 10 s) while the hashing pool and the database
                // are still there; Vapor's own shutdown closes them before it stops the server
                await app.server.shutdown()
                try await app.asyncShutdown()
                return 0
            } catch {
                try? await app.asyncShutdown()
                return fail(error)
            }
        } catch {
            return fail(error)
        }
    }

    static func fail(_ error: any Error) -> Int32 {
        FileHandle.standardError.write(Data("cognate: \(String(describing: error))\n".utf8))
        return 1
    }

    /// Removes `--config FILE` (or `--config=FILE`) from the arguments; Vapor's commands do not know it.
    static func extract(option: String, from arguments: inout [String]) -> String? {
        if let index = arguments.firstIndex(of: option), index + 1 < arguments.count {
            let value = arguments[index + 1]
            arguments.removeSubrange(index...index + 1)
            return value
        }
        if let index = arguments.firstIndex(where: { $0.hasPrefix(option + "=") }) {
            let value = String(arguments[index].dropFirst(option.count + 1))
            arguments.remove(at: index)
            return value
        }
        return nil
    }

    /// The port `serve` will listen on (for the default public URL): `--port`, `-p` or `--bind`.
    static func port(in arguments: [String]) -> Int {
        for (index, argument) in arguments.enumerated() where index + 1 < arguments.count {
            if argument == "--port" || argument == "-p", let port = Int(arguments[index + 1]) { return port }
            if argument == "--bind" || argument == "-b", let port = arguments[index + 1].split(separator: ":").last.flatMap({ Int($0) }) {
                return port
            }
        }
        return 8080
    }
}
