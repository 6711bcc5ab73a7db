import CognateCore
import CognateModel
@testable import CognateWeb
import Foundation
import NIOConcurrencyHelpers
import Testing
import VaporTesting

/// A clock tests move by hand.
final class TestClock: Sendable {
    private let current = NIOLockedValueBox(Date(timeIntervalSince1970: 1_800_000_000))
    var now: Date { current.withLockedValue { $0 } }
    func advance(_ seconds: TimeInterval) { current.withLockedValue { $0.addingTimeInterval(seconds) } }
    var closure: Now { { self.now } }
}

extension NIOLockedValueBox where Value == Date {
    func withLockedValue(_ change: (Date) -> Date) { withLockedValue { $0 = change($0) } }
}

/// A data directory that outlives one server start, for restart tests; removed with the test.
final class DataDir: Sendable {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("cognate-web-\(UUID())").path
    var masterKeyFile: String { "\(path)/master.key" }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Starts Cognate as `serve` would, minus the listening socket: configure, migrate, prove the
/// master key, bootstrap. The banner it printed is passed to `body`.
func withCognate<T>(
    dataDir: DataDir = DataDir(), environment: [String: String] = [:], configYAML: String? = nil,
    clock: TestClock = TestClock(), _ body: (Application, CognateServices, String) async throws -> T
) async throws -> T {
    var env = [
        "COGNATE_DATA_DIR": dataDir.path,
        "COGNATE_PUBLIC_URL": "https://id.example.test",
        "COGNATE_ARGON2_MEMORY_KIB": "8192",
        "COGNATE_ARGON2_ITERATIONS": "1",
    ]
    env.merge(environment) { $1 }
    var configPath: String?
    if let configYAML {
        try FileManager.default.createDirectory(atPath: dataDir.path, withIntermediateDirectories: true)
        configPath = "\(dataDir.path)/cognate.yaml"
        try configYAML.write(toFile: configPath!, atomically: true, encoding: .utf8)
    }
    let configuration = try CognateConfiguration.load(environment: env, configFile: configPath)
    let app = try await Application.make(.testing)
    do {
        try configure(app, configuration: configuration, now: clock.closure)
        let banner = NIOLockedValueBox("")
        try await CognateRuntime.bootstrap(app) { text in banner.withLockedValue { $0 = text } }
        let result = try await body(app, app.cognate!, banner.withLockedValue { $0 })
        try await app.asyncShutdown()
        return result
    } catch {
        try? await app.asyncShutdown()
        throw error
    }
}

extension CognateServices {
    func firstPool() async throws -> UserPool {
        try #require(try await store.listPools(limit: 1, after: nil).items.first)
    }
}

extension TestingHTTPResponse {
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:]
    }
}
