import CognateCore
import CognateModel
import CognateStore
import Fluent
import Foundation
import Leaf
import LeafKit
import NIOConcurrencyHelpers
import Vapor

/// Registers everything that needs no database: drivers, middleware, routes, commands.
/// Reading the config file happens here, so a bad file stops start-up before anything is opened.
public func configure(
    _ app: Application, configuration: CognateConfiguration, port: Int = 8080,
    now: @escaping Now = { Date() }
) throws {
    let configFile = try configuration.configFile.map(ConfigFile.load(path:))
    app.cognateSettings = CognateSettings(configuration: configuration, configFile: configFile, port: port, now: now)

    let location = try DatabaseLocation(configuration.database)
    // The data dir holds the database and the master key: readable by this user only.
    var directories = [configuration.dataDirectory]
    if case .sqliteFile(let path) = location { directories.append((path as NSString).deletingLastPathComponent) }
    for directory in directories {
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw StartupError("cannot open the database: cannot create the directory \(directory)")
        }
    }

    let encoder = JSONEncoder()
    encoder.outputFormatting = [.withoutEscapingSlashes]
    ContentConfiguration.global.use(encoder: encoder, for: .json)
    app.databases.use(try location.configuration(configuration.databaseOptions), as: location.databaseID)
    app.migrations.add(CognateMigrations.all, to: location.databaseID)
    app.draining = NIOLockedValueBox(false)

    app.routes.defaultMaxBodySize = ByteCount(value: BodyLimitMiddleware.limit)
    app.middleware = Middlewares()
    app.middleware.use(RequestLogMiddleware(level: app.environment == .testing ? .debug : .info))
    if configuration.otelEndpoint != nil {
        // the request's span reaches its async handlers (and the store, hashing, outbound calls under them)
        app.traceAutoPropagation = true
        app.middleware.use(RequestTracingMiddleware())
    }
    app.middleware.use(SecurityHeadersMiddleware(strictTransport: configuration.publicURL?.scheme == "https"))
    app.middleware.use(JSONErrorMiddleware())
    app.middleware.use(BodyLimitMiddleware())
    app.middleware.use(ContentEncodingMiddleware())
    app.middleware.use(RequestOriginMiddleware())
    app.http.server.configuration.requestDecompression = .disabled
    let root = ResourceRoot.find()

    app.leaf.sources = .singleSource(NIOLeafFiles(
        fileio: app.fileio, limits: .default, sandboxDirectory: root, viewDirectory: root + "Templates/"))
    app.views.use(.leaf)
    let themes: ThemeLibrary
    do {
        themes = try ThemeLibrary(resourceRoot: root, directory: configuration.themesDirectory, development: configuration.development,
                                  fileio: app.fileio)
    } catch {
        throw StartupError("cannot read the hosted pages' themes or catalogs: \(error)")
    }
    // a pool or client of the config file naming a theme there is not stops start-up here
    for pool in configFile?.pools ?? [] {
        for (owner, name) in [("pool \(pool.pool.name)", pool.pool.theme)] + pool.clients.map({ ("client \($0.client.name)", $0.client.theme) }) {
            if let name, !themes.names.contains(name) {
                throw StartupError("\(owner) in \(configFile?.path ?? "the config file") names the theme \(name), which is not a folder of COGNATE_THEMES_DIR")
            }
        }
    }
    app.themes = themes
    app.pageLanguages = themes.builtIn.languages
    app.asyncCommands.use(CognateServeCommand(), as: "serve", isDefault: true)
    app.asyncCommands.use(KeysCommand(), as: "keys")
    app.asyncCommands.use(OutboxCommand(), as: "outbox")
    app.asyncCommands.use(AdminKeysCommand(), as: "admin-keys")
    app.asyncCommands.use(PreviewLinkCommand(), as: "preview-link")
    app.asyncCommands.use(TriggersCommand(), as: "triggers")
    app.asyncCommands.use(MigrateCommand(), as: "migrate")
    app.asyncCommands.use(BackupCommand(), as: "backup")
    app.asyncCommands.use(ExportCommand(), as: "export")
    app.asyncCommands.use(ImportCommand(), as: "import")
    try routes(app, publicDirectory: root + "Public/")
}

extension DatabaseLocation {
    init(_ database: CognateConfiguration.Database) throws {
        switch database {
        case .sqlite(let path): self = path == ":memory:" ? .sqliteMemory : .sqliteFile(path)
        case .postgres(let url): self = .postgres(url: url)
        }
    }
}

/// Where Templates/, Messages/ and Public/ are: COGNATE_RESOURCES_DIR, else the working directory, else the
/// checkout the binary was built in (`.build/<configuration>/cognate` three levels down).
enum ResourceRoot {
    static func find() -> String {
        var candidates: [String] = []
        if let configured = ProcessInfo.processInfo.environment["COGNATE_RESOURCES_DIR"], !configured.isEmpty {
            candidates.append(configured)
        }
        candidates.append(FileManager.default.currentDirectoryPath)
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        candidates.append(executable.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path)
        candidates.append(executable.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path)
        let found = candidates.first { FileManager.default.fileExists(atPath: ($0 as NSString).appendingPathComponent("Templates/layout.leaf")) }
        let root = found ?? FileManager.default.currentDirectoryPath
        return root.hasSuffix("/") ? root : root + "/"
    }
}

extension CognateConfiguration {
    /// The store's view of the database settings.
    var databaseOptions: DatabaseLocation.Options {
        .init(poolSize: databasePoolSize, statementTimeout: databaseStatementTimeout, caFile: databaseCAFile)
    }
}
