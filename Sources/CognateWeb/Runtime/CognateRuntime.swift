import CognateCognitoAPI
import CognateCore
import CognateMail
import CognateModel
import CognateStore
import Crypto
import Fluent
import Foundation
import Vapor

/// Start-up in the order that keeps a bad start harmless: migrate, prove the master key,
/// then (for `serve`) make the first pool, apply the config file and print the banner.
public enum CognateRuntime {
    /// Opens and migrates the database and proves the master key; sets `app.cognate`.
    @discardableResult
    public static func prepare(_ app: Application) async throws -> CognateServices {
        if let services = app.cognate { return services }
        guard let settings = app.cognateSettings else { throw StartupError("configure(_:) was not called") }
        let configuration = settings.configuration
        let location = try DatabaseLocation(configuration.database)
        let store = FluentStore.on(
            app.databases, location: location, logger: app.logger, cacheSeconds: Double(configuration.cacheSeconds), now: settings.now)
        do {
            try await store.prepare(location)
            // nodes starting together on an empty or older database: one migrates, the others wait
            try await StartupLock.exclusively(location, options: configuration.databaseOptions, logger: app.logger) { try await app.autoMigrate() }
            try await store.ping()
        } catch {
            throw StartupError("cannot open the database (\(describe(configuration.database))): \(String(describing: error))")
        }
        let (masterKey, generated) = try await MasterKeyLoader.load(configuration, settings: store)
        if generated {
            app.logger.notice("generated a new master key at \(configuration.masterKeyFile) (mode 0600); back it up")
        }
        let publicURL = configuration.publicURL?.absoluteString ?? "http://127.0.0.1:\(settings.port)"
        let publicHost = URL(string: publicURL)?.host ?? "localhost"
        let isIP = publicHost.allSatisfy { $0.isNumber || $0 == "." || $0 == ":" }
        let domains = HostedDomains(
            parent: configuration.domainParent ?? (isIP ? "localhost" : publicHost),
            publicURL: URL(string: publicURL) ?? URL(string: "http://127.0.0.1")!)
        let keyring = Keyring(store: store, masterKey: masterKey, now: settings.now)
        let pools = PoolService(store: store, masterKey: masterKey, region: configuration.region, now: settings.now)
        let adminCredentials = AdminCredentials(store: store, masterKey: masterKey, now: settings.now)
        let hasher = CognateCore.PasswordHasher(parameters: configuration.argon2, workers: configuration.hashWorkers,
                                                 queueLimit: configuration.hashQueueLimit)
        let email = try configuration.smtpURL.map { url -> SMTPClient in
            guard let smtp = SMTPConfiguration(url: url, from: configuration.mailFrom ?? "", caFile: configuration.smtpCAFile) else {
                throw StartupError("COGNATE_SMTP_URL is not a usable SMTP URL")
            }
            let design = EmailDesign(themes: app.themes, store: store, configuration: app.leaf.configuration, eventLoopGroup: app.eventLoopGroup,
                                     logger: app.logger)
            return SMTPClient(configuration: smtp, group: app.eventLoopGroup, now: settings.now, design: { await design.html(for: $0) })
        }
        let sms = configuration.smsWebhookURL.map { url in
            WebhookSMSSender(client: app.client, url: URI(string: url.absoluteString),
                             secret: SymmetricKey(data: Data((configuration.smsWebhookSecret ?? "").utf8)), now: settings.now)
        }
        let outbound = VaporOutboundHTTP(client: app.client)
        let triggers = Triggers(http: outbound, secrets: TriggerSecrets(store: store, masterKey: masterKey), region: configuration.region,
                                lambda: LambdaInvocation(endpoint: configuration.lambdaEndpoint?.absoluteString, credentials: .fromEnvironment()),
                                now: settings.now)
        let customSenders = CustomSenders(
            triggers: triggers, kms: KMSDataKeys(http: outbound, endpoint: configuration.kmsEndpoint?.absoluteString, credentials: .fromEnvironment(),
                                                 now: settings.now),
            pool: { [store] id in try await store.pool(id: id) })
        let delivery = MessageDelivery(outbox: store, email: email, sms: sms, custom: customSenders, masterKey: masterKey, now: settings.now,
                                       logger: app.logger)
        let tokens = TokenService(store: store, keyring: keyring, issuerBase: publicURL, triggers: triggers, now: settings.now)
        let decoyHash = try await hasher.hash(MasterKey.generate().base64)
        let credentials = Credentials(hasher: hasher, masterKey: masterKey)
        let accounts = AccountService(store: store, credentials: credentials, hasher: hasher, delivery: delivery, tokens: tokens,
                                      masterKey: masterKey, events: AuthEvents(store: store, days: configuration.authEventDays, now: settings.now,
                                                                              logger: app.logger),
                                      catalogs: { [themes = app.themes] pool in themes.theme(pool.theme).languages.catalogs }, triggers: triggers,
                                      migration: CognitoMigration(store: store, credentials: credentials, masterKey: masterKey, http: outbound,
                                                                  now: settings.now),
                                      now: settings.now)
        let signIn = SignInService(store: store, hasher: hasher, credentials: credentials, tokens: tokens, accounts: accounts, masterKey: masterKey,
                                   decoyHash: decoyHash, now: settings.now)
        let limits = AddressLimits(store: store, perHour: configuration.addressLimitPerHour,
                                   signInFailuresPerHour: configuration.addressSignInFailuresPerHour, now: settings.now)
        let identityProviders = IdentityProviderService(store: store, masterKey: masterKey, http: outbound, now: settings.now)
        let hosted = HostedSignIn(store: store, signIn: signIn, tokens: tokens, limits: limits, now: settings.now)
        let saml = SAMLServiceProvider(store: store, masterKey: masterKey, now: settings.now)
        let api = CognitoAPI(
            context: APIContext(
                store: store, pools: pools, keyring: keyring, hasher: hasher, delivery: delivery,
                domains: domains, tokens: tokens, signIn: signIn, credentials: credentials, accounts: accounts,
                identityProviders: identityProviders, saml: saml,
                identityPools: IdentityPoolService(store: store, keyring: keyring,
                                                   sts: STSClient(http: outbound, endpoint: configuration.stsEndpoint?.absoluteString,
                                                                 credentials: .fromEnvironment(), now: settings.now),
                                                   http: outbound, issuerBase: publicURL, region: configuration.region, now: settings.now),
                imports: UserImports(store: store, creator: UserCreator(store: store, credentials: credentials, now: settings.now),
                                     masterKey: masterKey, publicURL: publicURL, now: settings.now, logger: app.logger),
                region: configuration.region, now: settings.now),
            adminSecret: { try await adminCredentials.secret(accessKeyId: $0) }, logger: app.logger)
        let services = CognateServices(
            configuration: configuration, store: store, masterKey: masterKey, hasher: hasher, credentials: credentials,
            keyring: keyring, pools: pools, adminCredentials: adminCredentials, api: api, domains: domains, tokens: tokens,
            hosted: hosted, federated: FederatedSignIn(store: store, hosted: hosted, providers: identityProviders, http: outbound, tokens: tokens,
                                                       masterKey: masterKey, saml: saml, now: settings.now), accounts: accounts,
            delivery: delivery, limits: limits,
            publicURL: publicURL, now: settings.now)
        app.cognate = services
        app.lifecycle.use(HasherShutdown(hasher: services.hasher))
        return services
    }

    /// What `serve` does before it listens: the first pool, the config file, the banner.
    public static func bootstrap(_ app: Application, output: @Sendable (String) -> Void = { FileHandle.standardOutput.write(Data(($0 + "\n").utf8)) }) async throws {
        let services = try await prepare(app)
        var lines: [String] = []
        // made once by the first of several nodes starting together; the others find them made
        let location = try DatabaseLocation(services.configuration.database)
        let (admin, created) = try await StartupLock.exclusively(location, options: services.configuration.databaseOptions, logger: app.logger) {
            (try await services.adminCredentials.ensure(configured: services.configuration.adminKey),
             try await DefaultPool.createIfFirstStart(service: services.pools, settings: services.store, store: services.store))
        }
        // every serving node sweeps and sends what is due; tests drive both themselves, with their own clock
        if app.environment != .testing {
            app.lifecycle.use(BackgroundWork(
                sweeper: Sweeper(store: services.store, now: services.now), sweepSeconds: services.configuration.sweepSeconds,
                delivery: services.delivery, imports: services.imports, logger: app.logger))
        }
        if let file = app.cognateSettings?.configFile {
            let applier = ConfigFileApplier(
                store: services.store, pools: services.pools, keyring: services.keyring, credentials: services.credentials,
                http: VaporOutboundHTTP(client: app.client),
                now: services.now)
            let report = try await StartupLock.exclusively(location, options: services.configuration.databaseOptions, logger: app.logger) { try await applier.apply(file) }
            for item in report.created { app.logger.info("config file: created \(item)") }
            for item in report.updated { app.logger.info("config file: updated \(item)") }
            if report.created.isEmpty && report.updated.isEmpty { lines.append("Config file \(file.path): already applied, nothing changed") }
            for secret in report.generatedSecrets { lines.append("Generated client secret (shown once): \(secret)") }
            for declaration in file.pools where declaration.triggerSecret != nil || declaration.migrateFrom != nil {
                let found = if let id = declaration.id { try await services.store.pool(id: id) } else {
                    try await services.store.pool(named: declaration.pool.name)
                }
                guard let found else { continue }
                if let secret = declaration.triggerSecret {
                    try await TriggerSecrets(store: services.store, masterKey: services.masterKey).set(poolId: found.id, secret: secret)
                }
                if let source = declaration.migrateFrom {
                    try await MigrationSources(store: services.store, masterKey: services.masterKey).set(poolId: found.id, source)
                }
            }
        }

        lines.insert("Cognate is ready at \(services.publicURL)", at: 0)
        if let (pool, client) = created {
            lines.append("Created user pool \(pool.id) (\"default\") with demo client \(client.clientId)")
            lines.append("  callback \(DefaultPool.demoCallbackURL), scopes openid email profile")
        }
        let pools = try await services.store.listPools(limit: 5, after: nil).items
        for pool in pools {
            let issuer = services.issuer(poolId: pool.id)
            lines.append("Pool \(pool.id) (\(pool.name))")
            lines.append("  issuer     \(issuer)")
            lines.append("  discovery  \(issuer)/.well-known/openid-configuration")
        }
        switch admin.origin {
        case .environment:
            lines.append("Admin API key \(admin.accessKeyId) from COGNATE_ADMIN_ACCESS_KEY_ID")
        case .generated(let secret):
            lines.append("Admin API key generated (the secret is shown only now; store it):")
            lines.append("  COGNATE_ADMIN_ACCESS_KEY_ID=\(admin.accessKeyId)")
            lines.append("  COGNATE_ADMIN_SECRET_ACCESS_KEY=\(secret)")
        case .stored:
            lines.append("Admin API key \(admin.accessKeyId): stored sealed in the database; its secret was shown at first start")
        }
        output(lines.joined(separator: "\n"))
    }

    static func describe(_ database: CognateConfiguration.Database) -> String {
        switch database {
        case .sqlite(let path):
            return "sqlite \(path)"
        case .postgres(let url):
            // Never print the password.
            guard var components = URLComponents(string: url) else { return "postgres" }
            if components.password != nil { components.password = "****" }
            return "postgres \(components.string ?? "")"
        }
    }
}

public struct StartupError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// What every serving node does in the background until shutdown: the Sweeper every
/// `sweepSeconds` (0: never), and every `outboxSeconds` the messages that are due (retries, and
/// those a stopped node held) and the import jobs waiting for a node. A failed round is logged and tried again next time.
final class BackgroundWork: LifecycleHandler, Sendable {
    static let outboxSeconds = 5
    let tasks: [Task<Void, Never>]

    init(sweeper: Sweeper, sweepSeconds: Int, delivery: MessageDelivery, imports: UserImports, logger: Logger) {
        func every(_ seconds: Int, _ name: String, _ work: @escaping @Sendable () async throws -> Int) -> Task<Void, Never> {
            Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(seconds))
                    guard !Task.isCancelled else { return }
                    do {
                        let count = try await work()
                        if count > 0 { logger.debug("\(name): \(count)") }
                    } catch {
                        logger.warning("\(name) failed: \(String(describing: error))")
                    }
                }
            }
        }
        var tasks = [every(Self.outboxSeconds, "outbox messages tried") { try await delivery.sendDue() },
                     // started import jobs, and those a stopped node held
                     every(Self.outboxSeconds, "user import jobs run") { try await imports.runDue() }]
        if sweepSeconds > 0 {
            tasks.append(every(sweepSeconds, "sweep: expired records deleted") { try await sweeper.sweep() })
        }
        self.tasks = tasks
    }

    func shutdownAsync(_ application: Application) async {
        for task in tasks { task.cancel() }
    }
}

struct HasherShutdown: LifecycleHandler {
    let hasher: CognateCore.PasswordHasher

    func shutdownAsync(_ application: Application) async {
        try? await hasher.shutdown()
    }
}
