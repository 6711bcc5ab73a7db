import CognateCore
import Foundation
import Testing

@Suite struct CognateConfigurationTests {
    @Test func defaultsNeedNoVariables() throws {
        let configuration = try CognateConfiguration.load(environment: [:])
        #expect(configuration.dataDirectory == "./data")
        #expect(configuration.database == .sqlite(path: "./data/cognate.sqlite"))
        #expect(configuration.region == "local")
        #expect(configuration.publicURL == nil)
        #expect(configuration.adminKey == nil)
        #expect(configuration.masterKey == nil)
        #expect(configuration.argon2 == .owasp)
        #expect(configuration.otelEndpoint == nil)
    }

    @Test func readsEveryVariable() throws {
        let key = MasterKey.generate()
        let configuration = try CognateConfiguration.load(environment: [
            "COGNATE_DATA_DIR": "/var/lib/cognate",
            "COGNATE_DATABASE_URL": "postgres://cognate:pw@db.internal:5432/cognate",
            "COGNATE_PUBLIC_URL": "https://id.example.com/",
            "COGNATE_REGION": "eu-west-1",
            "COGNATE_ADMIN_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
            "COGNATE_ADMIN_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "COGNATE_MASTER_KEY": key.base64,
            "COGNATE_SMTP_URL": "smtp+starttls://user:pw@mail.example.com:587",
            "COGNATE_MAIL_FROM": "no-reply@example.com",
            "COGNATE_ARGON2_MEMORY_KIB": "65536",
            "COGNATE_HASH_WORKERS": "2",
            "COGNATE_HASH_QUEUE_LIMIT": "40",
            "COGNATE_ADDRESS_SIGNIN_FAILURES_PER_HOUR": "7",
            "COGNATE_TRUSTED_PROXIES": "10.0.0.0/8, ::1",
            "COGNATE_OTEL_ENDPOINT": "http://collector.internal:4318",
        ])
        #expect(configuration.otelEndpoint?.absoluteString == "http://collector.internal:4318")
        #expect(configuration.hashWorkers == 2 && configuration.hashQueueLimit == 40)
        #expect(configuration.addressSignInFailuresPerHour == 7)
        #expect(configuration.trustedProxies.trusts("10.2.3.4") && configuration.trustedProxies.trusts("::1"))
        #expect(configuration.database == .postgres(url: "postgres://cognate:pw@db.internal:5432/cognate"))
        #expect(configuration.publicURL?.absoluteString == "https://id.example.com")
        #expect(configuration.region == "eu-west-1")
        #expect(configuration.adminKey?.accessKeyId == "AKIAIOSFODNN7EXAMPLE")
        #expect(configuration.masterKey?.base64 == key.base64)
        #expect(configuration.smtpURL?.host == "mail.example.com")
        #expect(configuration.argon2.memoryKiB == 65_536)
        #expect(configuration.masterKeyFile == "/var/lib/cognate/master.key")
    }

    @Test(arguments: [
        ("COGNATE_DATABASE_URL", "mysql://localhost/db"),
        ("COGNATE_PUBLIC_URL", "not a url"),
        ("COGNATE_PUBLIC_URL", "ftp://example.com"),
        ("COGNATE_REGION", "EU_WEST"),
        ("COGNATE_MASTER_KEY", "c2hvcnQ="),
        ("COGNATE_SMTP_URL", "http://mail.example.com"),
        ("COGNATE_MAIL_FROM", "nobody"),
        ("COGNATE_ARGON2_MEMORY_KIB", "12"),
        ("COGNATE_ARGON2_ITERATIONS", "many"),
        ("COGNATE_ADMIN_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
        ("COGNATE_TRUSTED_PROXIES", "10.0.0.0/8, proxy.internal"),
        ("COGNATE_HASH_QUEUE_LIMIT", "0"),
        ("COGNATE_ADDRESS_SIGNIN_FAILURES_PER_HOUR", "-1"),
        ("COGNATE_SWEEP_SECONDS", "soon"),
        ("COGNATE_OTEL_ENDPOINT", "collector:4318"),
        ("COGNATE_OTEL_ENDPOINT", "grpc://collector:4317"),
        ("COGNATE_OTEL_ENDPOINT", "https://user:pw@collector:4318"),
    ])
    func badValueIsRefusedNamingTheVariable(variable: String, value: String) {
        // when
        let error = #expect(throws: ConfigurationError.self) {
            try CognateConfiguration.load(environment: [variable: value])
        }
        // then
        #expect(error?.problems.contains { $0.variable == variable || $0.variable.hasPrefix("COGNATE_ADMIN") } == true)
        #expect(error?.description.contains(variable) == true)
    }

    @Test func everyBadVariableIsListedAtOnce() {
        let error = #expect(throws: ConfigurationError.self) {
            try CognateConfiguration.load(environment: ["COGNATE_REGION": "BAD REGION", "COGNATE_MASTER_KEY": "nope"])
        }
        #expect(error?.problems.map(\.variable).sorted() == ["COGNATE_MASTER_KEY", "COGNATE_REGION"])
    }

    @Test func unreadableConfigFileIsRefused() {
        let error = #expect(throws: ConfigurationError.self) {
            try CognateConfiguration.load(environment: [:], configFile: "/nonexistent/cognate.yaml")
        }
        #expect(error?.problems.first?.variable == "--config")
    }
}
