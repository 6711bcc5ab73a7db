import Foundation

/// Every setting the server reads from its environment, parsed and checked once at start.
public struct CognateConfiguration: Sendable {
    public enum Database: Sendable, Equatable {
        case sqlite(path: String)
        case postgres(url: String)
    }

    public struct AdminKey: Sendable, Equatable {
        public var accessKeyId: String
        public var secretAccessKey: String
    }

    public var dataDirectory: String
    public var database: Database
    /// `nil`: `http://127.0.0.1:<port>` of the running server.
    public var publicURL: URL?
    public var region: String
    public var adminKey: AdminKey?
    /// `nil`: read from, or generated into, `<data dir>/master.key`.
    public var masterKey: MasterKey?
    public var smtpURL: URL?
    public var mailFrom: String?
    /// Extra PEM trust roots for the SMTP server's certificate.
    public var smtpCAFile: String?
    /// Where SMS messages are POSTed as JSON, signed with `smsWebhookSecret` (HMAC-SHA256).
    public var smsWebhookURL: URL?
    public var smsWebhookSecret: String?
    /// Prefix domains become hosts under this name; default: the public URL's host name, else `localhost`.
    public var domainParent: String?
    public var configFile: String?
    public var argon2: Argon2Parameters
    public var hashWorkers: Int
    /// Password hashing jobs allowed to wait or run at once; beyond it, TooManyRequestsException / 429.
    public var hashQueueLimit: Int = 256
    /// How long a node keeps pool configuration it read (pools, clients, keys, resource
    /// servers, domains); another node's change to them is seen within this time. 0: no cache.
    public var cacheSeconds: Int = 2
    /// How long a node keeps a gateway check's decision (COGNATE_GATEWAY_CACHE_SECONDS); a
    /// revoked token is refused within this time. 0: no cache.
    public var gatewayCacheSeconds: Int = 5
    /// Sign-ups, and recovery or confirmation code requests, accepted per client address per hour (each); 0: no limit.
    public var addressLimitPerHour: Int = 30
    /// Failed password sign-ins accepted per client address (an IPv6 address counts per /64) per hour; 0: no limit.
    public var addressSignInFailuresPerHour: Int = 100
    /// Seconds between sweeps of expired records on this node; 0: no sweeping.
    public var sweepSeconds: Int = 300
    /// Days a user's auth events (AdminListUserAuthEvents) are kept; 0: none are recorded.
    public var authEventDays: Int = 90
    /// Peers whose X-Forwarded-For is believed (COGNATE_TRUSTED_PROXIES); empty: none, the peer is the client.
    public var trustedProxies = TrustedProxies([])
    /// Where the hosted pages' themes are (COGNATE_THEMES_DIR): one folder per theme.
    public var themesDirectory: String?
    /// COGNATE_DEVELOPMENT: theme files read again on every page, template errors shown with
    /// their file and line, the preview open without a signed link. Never on a server people use.
    public var development = false
    /// Where Lambda functions named by ARN in a pool's LambdaConfig are invoked
    /// (COGNATE_LAMBDA_ENDPOINT); nil: AWS's endpoint of the function's region.
    public var lambdaEndpoint: URL?
    /// Where the custom sender triggers' data keys come from (COGNATE_KMS_ENDPOINT); nil: AWS's
    /// KMS endpoint of the key's region.
    public var kmsEndpoint: URL?
    /// Where identity pools obtain credentials (STS AssumeRoleWithWebIdentity, COGNATE_STS_ENDPOINT);
    /// nil: AWS's global STS endpoint.
    public var stsEndpoint: URL?
    /// Where `/metrics` (Prometheus text format) is served (COGNATE_METRICS_ADDRESS, `host:port`),
    /// on a listener of its own; nil: no metrics are kept or served.
    public var metricsAddress: (host: String, port: Int)?
    /// COGNATE_LOG_FORMAT: `text` (Vapor's lines) or `json` (one JSON object per line).
    public var jsonLogs = false
    /// PostgreSQL: connections per event loop (COGNATE_DATABASE_POOL_SIZE; four, so a loop's
    /// requests overlap their round trips instead of queueing for one connection), seconds a statement
    /// may run (COGNATE_DATABASE_STATEMENT_TIMEOUT, 0: no limit), trust roots for the server's
    /// certificate (COGNATE_DATABASE_CA_FILE).
    public var databasePoolSize = 4
    public var databaseStatementTimeout = 0
    public var databaseCAFile: String?
    /// After SIGTERM, how long a node goes on serving while `/ready` answers 503, so a load
    /// balancer stops sending it requests before it stops taking them (COGNATE_SHUTDOWN_DRAIN_SECONDS).
    public var shutdownDrainSeconds = 0
    /// Where spans are sent (COGNATE_OTEL_ENDPOINT: an OTLP/HTTP collector's base URL, such as
    /// http://127.0.0.1:4318; spans go to `{it}/v1/traces`); nil: no tracing.
    public var otelEndpoint: URL?

    public var masterKeyFile: String { (dataDirectory as NSString).appendingPathComponent("master.key") }

    /// Reads the COGNATE_* variables; throws one error listing every bad value.
    public static func load(environment: [String: String], configFile: String? = nil) throws -> CognateConfiguration {
        var problems: [ConfigurationError.Problem] = []
        func fail(_ variable: String, _ message: String) { problems.append(.init(variable: variable, message: message)) }
        func value(_ name: String) -> String? {
            guard let raw = environment[name]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
            return raw
        }

        let dataDirectory = value("COGNATE_DATA_DIR") ?? "./data"

        var database = Database.sqlite(path: (dataDirectory as NSString).appendingPathComponent("cognate.sqlite"))
        if let url = value("COGNATE_DATABASE_URL") {
            if url.hasPrefix("sqlite://") {
                let path = String(url.dropFirst("sqlite://".count))
                if path.isEmpty { fail("COGNATE_DATABASE_URL", "sqlite:// needs a file path, e.g. sqlite:///var/lib/cognate/cognate.sqlite") }
                database = .sqlite(path: path)
            } else if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
                if URLComponents(string: url)?.host?.isEmpty ?? true {
                    fail("COGNATE_DATABASE_URL", "expected postgres://user:password@host:port/database")
                }
                database = .postgres(url: url)
            } else {
                fail("COGNATE_DATABASE_URL", "must start with sqlite:// or postgres://")
            }
        }

        var publicURL: URL?
        if let text = value("COGNATE_PUBLIC_URL") {
            let trimmed = text.hasSuffix("/") ? String(text.dropLast()) : text
            if let url = URL(string: trimmed), let scheme = url.scheme, ["http", "https"].contains(scheme),
                url.host?.isEmpty == false, url.query == nil, url.fragment == nil
            {
                publicURL = url
            } else {
                fail("COGNATE_PUBLIC_URL", "must be an absolute http(s) URL without query or fragment, e.g. https://id.example.com")
            }
        }

        let region = value("COGNATE_REGION") ?? "local"
        if region.count > 32 || !region.allSatisfy({ ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }) {
            fail("COGNATE_REGION", "must be lowercase letters, digits and '-', at most 32 characters (e.g. local, eu-west-1)")
        }

        var adminKey: AdminKey?
        switch (value("COGNATE_ADMIN_ACCESS_KEY_ID"), value("COGNATE_ADMIN_SECRET_ACCESS_KEY")) {
        case (nil, nil): break
        case (let id?, let secret?):
            if !(16...128).contains(id.count) || !id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) {
                fail("COGNATE_ADMIN_ACCESS_KEY_ID", "must be 16 to 128 letters or digits")
            }
            if secret.count < 16 { fail("COGNATE_ADMIN_SECRET_ACCESS_KEY", "must be at least 16 characters") }
            adminKey = AdminKey(accessKeyId: id, secretAccessKey: secret)
        case (nil, _): fail("COGNATE_ADMIN_ACCESS_KEY_ID", "is missing while COGNATE_ADMIN_SECRET_ACCESS_KEY is set; set both or neither")
        case (_, nil): fail("COGNATE_ADMIN_SECRET_ACCESS_KEY", "is missing while COGNATE_ADMIN_ACCESS_KEY_ID is set; set both or neither")
        }

        var masterKey: MasterKey?
        if let text = value("COGNATE_MASTER_KEY") {
            masterKey = MasterKey(base64: text)
            if masterKey == nil { fail("COGNATE_MASTER_KEY", "must be 32 bytes in base64 (e.g. from `openssl rand -base64 32`)") }
        }

        var smtpURL: URL?
        if let text = value("COGNATE_SMTP_URL") {
            if let url = URL(string: text), ["smtp", "smtps", "smtp+starttls"].contains(url.scheme ?? ""), url.host?.isEmpty == false {
                smtpURL = url
            } else {
                fail("COGNATE_SMTP_URL", "must be smtp://, smtps:// or smtp+starttls://[user:password@]host[:port]")
            }
        }
        let mailFrom = value("COGNATE_MAIL_FROM")
        if let mailFrom, !UserAttributeRules.isEmail(mailFrom) { fail("COGNATE_MAIL_FROM", "must be an email address") }
        if smtpURL != nil, mailFrom == nil { fail("COGNATE_MAIL_FROM", "is required when COGNATE_SMTP_URL is set") }
        let smtpCAFile = value("COGNATE_SMTP_CA_FILE")
        if let smtpCAFile, !FileManager.default.isReadableFile(atPath: smtpCAFile) {
            fail("COGNATE_SMTP_CA_FILE", "cannot read \(smtpCAFile)")
        }

        func number(_ name: String, default fallback: Int, range: ClosedRange<Int>) -> Int {
            guard let text = value(name) else { return fallback }
            guard let parsed = Int(text), range.contains(parsed) else {
                fail(name, "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
                return fallback
            }
            return parsed
        }
        let owasp = Argon2Parameters.owasp
        let argon2 = Argon2Parameters(
            memoryKiB: UInt32(number("COGNATE_ARGON2_MEMORY_KIB", default: Int(owasp.memoryKiB), range: 8_192...4_194_304)),
            iterations: UInt32(number("COGNATE_ARGON2_ITERATIONS", default: Int(owasp.iterations), range: 1...64)),
            parallelism: UInt32(number("COGNATE_ARGON2_PARALLELISM", default: Int(owasp.parallelism), range: 1...64)))
        let hashWorkers = number(
            "COGNATE_HASH_WORKERS", default: ProcessInfo.processInfo.activeProcessorCount, range: 1...256)

        let hashQueueLimit = number("COGNATE_HASH_QUEUE_LIMIT", default: hashWorkers * 64, range: 1...1_000_000)

        let cacheSeconds = number("COGNATE_CACHE_SECONDS", default: 2, range: 0...300)
        let gatewayCacheSeconds = number("COGNATE_GATEWAY_CACHE_SECONDS", default: 5, range: 0...300)
        let addressLimitPerHour = number("COGNATE_ADDRESS_LIMIT_PER_HOUR", default: 30, range: 0...1_000_000)
        let addressSignInFailuresPerHour = number("COGNATE_ADDRESS_SIGNIN_FAILURES_PER_HOUR", default: 100, range: 0...1_000_000)
        let sweepSeconds = number("COGNATE_SWEEP_SECONDS", default: 300, range: 0...86_400)
        let authEventDays = number("COGNATE_AUTH_EVENTS_DAYS", default: 90, range: 0...3_650)
        var trustedProxies = TrustedProxies([])
        if let text = value("COGNATE_TRUSTED_PROXIES") {
            if let parsed = TrustedProxies(parsing: text) {
                trustedProxies = parsed
            } else {
                fail("COGNATE_TRUSTED_PROXIES", "must be a comma-separated list of addresses or CIDR blocks, e.g. 10.0.0.0/8, ::1")
            }
        }

        var smsWebhookURL: URL?
        if let text = value("COGNATE_SMS_WEBHOOK_URL") {
            let url = URL(string: text)
            let loopback = ["127.0.0.1", "localhost", "::1"].contains(url?.host ?? "")
            if let url, url.host?.isEmpty == false, url.scheme == "https" || (url.scheme == "http" && loopback) {
                smsWebhookURL = url
            } else {
                fail("COGNATE_SMS_WEBHOOK_URL", "must be an https:// URL (http only on loopback)")
            }
        }
        let smsWebhookSecret = value("COGNATE_SMS_WEBHOOK_SECRET")
        if smsWebhookURL != nil, (smsWebhookSecret?.count ?? 0) < 32 {
            fail("COGNATE_SMS_WEBHOOK_SECRET", "is required with COGNATE_SMS_WEBHOOK_URL: at least 32 characters, used to sign each request")
        }

        let domainParent = value("COGNATE_DOMAIN_PARENT")?.lowercased()
        if let domainParent, domainParent.isEmpty || domainParent.count > 200
            || !domainParent.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "." || $0 == "-" })
        {
            fail("COGNATE_DOMAIN_PARENT", "must be a host name such as auth.example.com")
        }

        let themesDirectory = value("COGNATE_THEMES_DIR")
        var isDirectory: ObjCBool = false
        if let themesDirectory, !FileManager.default.fileExists(atPath: themesDirectory, isDirectory: &isDirectory) || !isDirectory.boolValue {
            fail("COGNATE_THEMES_DIR", "is not a directory: \(themesDirectory)")
        }
        var development = false
        if let text = value("COGNATE_DEVELOPMENT") {
            switch text.lowercased() {
            case "1", "true", "yes": development = true
            case "0", "false", "no": development = false
            default: fail("COGNATE_DEVELOPMENT", "must be true or false")
            }
        }

        /// An AWS service's endpoint: https, or http on loopback.
        func endpoint(_ variable: String) -> URL? {
            guard let text = value(variable) else { return nil }
            let url = URL(string: text)
            let loopback = ["127.0.0.1", "localhost", "::1"].contains(url?.host ?? "")
            if let url, url.host?.isEmpty == false, url.query == nil, url.user == nil, url.scheme == "https" || (url.scheme == "http" && loopback) {
                return url
            }
            fail(variable, "must be an https:// URL (http only on loopback)")
            return nil
        }
        let lambdaEndpoint = endpoint("COGNATE_LAMBDA_ENDPOINT")
        let kmsEndpoint = endpoint("COGNATE_KMS_ENDPOINT")
        let stsEndpoint = endpoint("COGNATE_STS_ENDPOINT")
        let databasePoolSize = number("COGNATE_DATABASE_POOL_SIZE", default: 4, range: 1...100)
        let databaseStatementTimeout = number("COGNATE_DATABASE_STATEMENT_TIMEOUT", default: 0, range: 0...86_400)
        let shutdownDrainSeconds = number("COGNATE_SHUTDOWN_DRAIN_SECONDS", default: 0, range: 0...300)
        var otelEndpoint: URL?
        if let text = value("COGNATE_OTEL_ENDPOINT") {
            // a collector is often on another host of a private network: http is allowed anywhere
            if let url = URL(string: text), url.scheme == "http" || url.scheme == "https", url.host?.isEmpty == false,
               url.query == nil, url.fragment == nil, url.user == nil
            {
                otelEndpoint = url
            } else {
                fail("COGNATE_OTEL_ENDPOINT", "must be an OTLP/HTTP collector's http:// or https:// base URL (for example http://127.0.0.1:4318)")
            }
        }
        let databaseCAFile = value("COGNATE_DATABASE_CA_FILE")
        if let databaseCAFile {
            if !FileManager.default.isReadableFile(atPath: databaseCAFile) { fail("COGNATE_DATABASE_CA_FILE", "cannot read \(databaseCAFile)") }
            if case .postgres(let url) = database {
                let mode = URLComponents(string: url)?.queryItems?.last { ["sslmode", "tlsmode", "ssl", "tls"].contains($0.name.lowercased()) }?.value
                if mode == "disable" || mode == "false" { fail("COGNATE_DATABASE_CA_FILE", "is set, but COGNATE_DATABASE_URL says sslmode=disable") }
            } else {
                fail("COGNATE_DATABASE_CA_FILE", "is for PostgreSQL; COGNATE_DATABASE_URL names SQLite")
            }
        }
        let logFormat = value("COGNATE_LOG_FORMAT") ?? "text"
        if logFormat != "text" && logFormat != "json" { fail("COGNATE_LOG_FORMAT", "must be text or json") }
        var metricsAddress: (host: String, port: Int)?
        if let text = value("COGNATE_METRICS_ADDRESS") {
            // host:port, the host an IPv4 address or a name, or [IPv6]:port
            let parts: (String, String)? = if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
                (String(text[text.index(after: text.startIndex)..<close]), String(text[close...].dropFirst().drop { $0 == ":" }))
            } else if let colon = text.lastIndex(of: ":") {
                (String(text[..<colon]), String(text[text.index(after: colon)...]))
            } else { nil }
            if let (host, portText) = parts, !host.isEmpty, let port = Int(portText), (1...65535).contains(port) {
                metricsAddress = (host, port)
            } else {
                fail("COGNATE_METRICS_ADDRESS", "must be host:port (for example 127.0.0.1:9464)")
            }
        }

        let file = configFile ?? value("COGNATE_CONFIG")
        if let file, !FileManager.default.isReadableFile(atPath: file) {
            fail(configFile == nil ? "COGNATE_CONFIG" : "--config", "cannot read \(file)")
        }

        if !problems.isEmpty { throw ConfigurationError(problems: problems) }
        var configuration = CognateConfiguration(
            dataDirectory: dataDirectory, database: database, publicURL: publicURL, region: region,
            adminKey: adminKey, masterKey: masterKey, smtpURL: smtpURL, mailFrom: mailFrom, smtpCAFile: smtpCAFile,
            smsWebhookURL: smsWebhookURL, smsWebhookSecret: smsWebhookSecret, domainParent: domainParent, configFile: file, argon2: argon2, hashWorkers: hashWorkers,
            hashQueueLimit: hashQueueLimit, cacheSeconds: cacheSeconds, gatewayCacheSeconds: gatewayCacheSeconds, addressLimitPerHour: addressLimitPerHour,
            addressSignInFailuresPerHour: addressSignInFailuresPerHour, sweepSeconds: sweepSeconds, authEventDays: authEventDays,
            trustedProxies: trustedProxies, themesDirectory: themesDirectory, development: development, lambdaEndpoint: lambdaEndpoint,
            kmsEndpoint: kmsEndpoint, stsEndpoint: stsEndpoint, metricsAddress: metricsAddress,
            jsonLogs: logFormat == "json", databasePoolSize: databasePoolSize, databaseStatementTimeout: databaseStatementTimeout,
            databaseCAFile: databaseCAFile)
        configuration.shutdownDrainSeconds = shutdownDrainSeconds
        configuration.otelEndpoint = otelEndpoint
        return configuration
    }
}

public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Problem: Sendable, Equatable {
        public var variable: String
        public var message: String
    }

    public var problems: [Problem]

    public var description: String {
        "invalid configuration:\n" + problems.map { "  \($0.variable) \($0.message)" }.joined(separator: "\n")
    }
}
