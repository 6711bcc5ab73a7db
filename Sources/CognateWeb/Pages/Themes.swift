import CognateCore
import CognateModel
import Crypto
import Foundation
import Leaf
import LeafKit
import Vapor

/// A theme of the hosted pages: a folder of COGNATE_THEMES_DIR holding any of
///
///     theme.json           {"parent": "<another theme>"} (optional; without it, the built-in theme)
///     templates/*.leaf     templates replacing the built-in ones of the same name (layout included)
///     css/theme.css        a style sheet linked after the built-in one (and after its parents')
///     css/…, images/…, fonts/…  files the templates and style sheets use, at /themes/<name>/…
///     messages/<locale>.json    catalog entries replacing or adding to the built-in ones
///
/// A theme overrides only the files it has: a template, a file or a catalog entry it lacks comes
/// from its parent, and in the end from the built-in theme (Templates/, Public/, Messages/).
/// (`@unchecked`: LeafKit's DefaultLeafCache guards its entries with a lock; `isEnabled` is set
/// once, before the theme is shared.)
struct Theme: @unchecked Sendable {
    /// The theme's name; "" for the built-in one.
    let name: String
    /// Its folders, the theme's own first, then its parents' (the built-in one not included).
    let folders: [(name: String, path: String)]
    let sources: LeafSources
    let cache: DefaultLeafCache
    let languages: PageLanguages
    /// The style sheets linked after the built-in one, parents' first.
    let stylesheets: [String]

    /// Its templates rendered for a request.
    func renderer(_ request: Request) -> LeafRenderer {
        var userInfo = request.application.leaf.userInfo
        userInfo["request"] = request
        userInfo["application"] = request.application
        return LeafRenderer(configuration: request.application.leaf.configuration, tags: request.application.leaf.tags, cache: cache,
                            sources: sources, eventLoop: request.eventLoop, userInfo: userInfo)
    }

    /// The first of its folders (then the built-in Public/) holding `path` under one of the
    /// folders files are served from; nil for anything else.
    func file(_ path: String) -> String? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 2, parts.count <= 6, ["css", "images", "fonts"].contains(String(parts[0])),
            parts.allSatisfy({ part in
                !part.isEmpty && part.count <= 100 && !part.hasPrefix(".")
                    && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
            })
        else { return nil }
        for folder in folders.map(\.path) {
            let candidate = (folder as NSString).appendingPathComponent(path)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue { return candidate }
        }
        return nil
    }
}

struct ThemeError: Error, CustomStringConvertible {
    var description: String
}

/// Every theme, read at start from COGNATE_THEMES_DIR (and read again for every page in
/// development mode, so a designer sees a change on reload).
final class ThemeLibrary: Sendable {
    let resourceRoot: String
    let directory: String?
    let development: Bool
    let builtIn: Theme
    private let themes: [String: Theme]

    init(resourceRoot: String, directory: String?, development: Bool, fileio: NonBlockingFileIO) throws {
        self.resourceRoot = resourceRoot
        self.directory = directory
        self.development = development
        builtIn = try Self.make(name: "", folders: [], root: resourceRoot, fileio: fileio, development: development)
        var themes: [String: Theme] = [:]
        for name in try Self.names(directory) {
            themes[name] = try Self.make(name: name, folders: try Self.chain(name, directory: directory!), root: resourceRoot, fileio: fileio,
                                         development: development)
        }
        self.themes = themes
        self.fileio = fileio
    }

    private let fileio: NonBlockingFileIO

    /// The theme names there are (folders of the themes directory).
    var names: [String] { themes.keys.sorted() }

    /// The theme `name` (nil or unknown: the built-in one); in development mode, read again.
    func theme(_ name: String?) -> Theme {
        guard let name, let known = themes[name] else { return development ? ((try? rebuilt("")) ?? builtIn) : builtIn }
        guard development else { return known }
        return (try? rebuilt(name)) ?? known
    }

    private func rebuilt(_ name: String) throws -> Theme {
        let folders = name.isEmpty ? [] : try Self.chain(name, directory: directory ?? "")
        return try Self.make(name: name, folders: folders, root: resourceRoot, fileio: fileio, development: development)
    }

    static func names(_ directory: String?) throws -> [String] {
        guard let directory else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: directory).filter { name in
            var isDirectory: ObjCBool = false
            return !name.hasPrefix(".") && FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent(name),
                                                                          isDirectory: &isDirectory) && isDirectory.boolValue
        }.sorted()
    }

    /// The theme's folder and its parents', each named in the one before's theme.json.
    static func chain(_ name: String, directory: String) throws -> [(name: String, path: String)] {
        var chain: [(name: String, path: String)] = []
        var next: String? = name
        while let current = next {
            guard current.count <= 64, current.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-" || $0 == "_") }) else {
                throw ThemeError(description: "theme \(name): \(current) is not a theme name (lowercase letters, digits, - and _)")
            }
            guard !chain.contains(where: { $0.name == current }) else {
                throw ThemeError(description: "theme \(name): its parents go round in a circle (\(chain.map(\.name).joined(separator: " → ")) → \(current))")
            }
            let path = (directory as NSString).appendingPathComponent(current)
            guard FileManager.default.fileExists(atPath: path) else {
                throw ThemeError(description: "theme \(chain.last?.name ?? name) names a parent that is not in \(directory): \(current)")
            }
            chain.append((current, path))
            next = nil
            let manifest = (path as NSString).appendingPathComponent("theme.json")
            if let data = FileManager.default.contents(atPath: manifest) {
                guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                    throw ThemeError(description: "\(manifest): not a JSON object")
                }
                if let parent = object["parent"] {
                    guard let parent = parent as? String else { throw ThemeError(description: "\(manifest): parent must be a theme's name") }
                    next = parent
                }
            }
        }
        return chain
    }

    static func make(name: String, folders: [(name: String, path: String)], root: String, fileio: NonBlockingFileIO, development: Bool) throws -> Theme {
        let sources = LeafSources()
        for (index, folder) in folders.enumerated() {
            let templates = (folder.path as NSString).appendingPathComponent("templates") + "/"
            guard FileManager.default.fileExists(atPath: templates) else { continue }
            try sources.register(source: "theme\(index)-\(folder.name)",
                                 using: NIOLeafFiles(fileio: fileio, limits: .default, sandboxDirectory: templates, viewDirectory: templates))
        }
        try sources.register(source: "built-in", using: NIOLeafFiles(fileio: fileio, limits: .default, sandboxDirectory: root,
                                                                    viewDirectory: root + "Templates/"))
        let cache = DefaultLeafCache()
        cache.isEnabled = !development
        // catalogs: the built-in ones, then each parent's, then the theme's own, entry by entry
        let catalogs = [root + "Messages"] + folders.reversed().map { ($0.path as NSString).appendingPathComponent("messages") }
        let languages = PageLanguages(try MessageCatalogs.load(directories: catalogs))
        let stylesheets = folders.reversed().compactMap { folder -> String? in
            FileManager.default.fileExists(atPath: (folder.path as NSString).appendingPathComponent("css/theme.css"))
                ? "/themes/\(folder.name)/css/theme.css" : nil
        }
        return Theme(name: name, folders: folders, sources: sources, cache: cache, languages: languages, stylesheets: stylesheets)
    }
}

extension Application {
    struct ThemeLibraryKey: StorageKey {
        typealias Value = ThemeLibrary
    }

    /// The themes, read by `configure`.
    var themes: ThemeLibrary {
        get {
            guard let library = storage[ThemeLibraryKey.self] else { fatalError("configure reads the themes before any page") }
            return library
        }
        set { storage[ThemeLibraryKey.self] = newValue }
    }
}

extension HostedPagesController {
    /// The theme of a client's pages: the client's, else the pool's, else the built-in one.
    static func theme(_ request: Request, pool: UserPool?, clientId: String?) async throws -> Theme {
        var name = pool?.theme
        if let pool, let clientId, let client = try await request.services().store.client(poolId: pool.id, clientId: clientId),
            let own = client.theme
        {
            name = own
        }
        return request.application.themes.theme(name)
    }

    /// GET /themes/{theme}/{css|images|fonts}/…: a theme's file, else its parent's; public,
    /// cached for an hour (not at all in development), revalidated by ETag.
    func themeFile(_ request: Request) async throws -> Response {
        let library = request.application.themes
        guard let name = request.parameters.get("theme"), library.names.contains(name) else { throw Abort(.notFound) }
        let path = request.parameters.getCatchall().joined(separator: "/")
        guard let file = library.theme(name).file(path), let data = FileManager.default.contents(atPath: file)
        else { throw Abort(.notFound) }
        let tag = "\"\(SHA256.hash(data: data).prefix(12).map { String(format: "%02x", $0) }.joined())\""
        let response: Response
        if request.headers.first(name: .ifNoneMatch) == tag {
            response = Response(status: .notModified)
        } else {
            response = Response(status: .ok, body: .init(data: data))
            let type = switch (file as NSString).pathExtension.lowercased() {
            case "css": "text/css; charset=utf-8"
            case "png": "image/png"
            case "jpg", "jpeg": "image/jpeg"
            case "svg": "image/svg+xml"
            case "webp": "image/webp"
            case "ico": "image/x-icon"
            case "woff2": "font/woff2"
            case "woff": "font/woff"
            default: "application/octet-stream"
            }
            response.headers.replaceOrAdd(name: .contentType, value: type)
        }
        response.headers.replaceOrAdd(name: .eTag, value: tag)
        response.headers.replaceOrAdd(name: .cacheControl, value: library.development ? "no-cache" : "public, max-age=3600")
        response.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        if file.hasSuffix(".svg") {
            response.headers.replaceOrAdd(name: "Content-Security-Policy", value: "default-src 'none'; style-src 'unsafe-inline'; sandbox")
        }
        return response
    }
}
