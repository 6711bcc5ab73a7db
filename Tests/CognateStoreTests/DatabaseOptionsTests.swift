import CognateStore
import FluentPostgresDriver
import Testing

/// PostgreSQL's connection settings as the environment gives them.
@Suite struct DatabaseOptionsTests {
    static let url = "postgres://cognate@127.0.0.1:5432/cognate"

    @Test func aStatementTimeoutIsAStartupParameter() throws {
        let timed = try DatabaseLocation.postgres(url: Self.url + "?sslmode=disable", .init(statementTimeout: 30))
        #expect(timed.coreConfiguration.options.additionalStartupParameters.contains { $0.0 == "statement_timeout" && $0.1 == "30s" })
        let untimed = try DatabaseLocation.postgres(url: Self.url + "?sslmode=disable", .init())
        #expect(!untimed.coreConfiguration.options.additionalStartupParameters.contains { $0.0 == "statement_timeout" })
    }

    @Test func aCAFileRequiresTLSUnlessTheURLTurnsItOff() throws {
        #expect(throws: DatabaseOptionsError.self) { try DatabaseLocation.postgres(url: Self.url + "?sslmode=disable", .init(caFile: "/etc/ssl/certs/ca-certificates.crt")) }
        let required = try DatabaseLocation.postgres(url: Self.url, .init(caFile: "/etc/ssl/certs/ca-certificates.crt"))
        #expect(required.coreConfiguration.tls.isEnforced)
        #expect(try !DatabaseLocation.postgres(url: Self.url + "?sslmode=disable", .init()).coreConfiguration.tls.isAllowed)
    }
}
