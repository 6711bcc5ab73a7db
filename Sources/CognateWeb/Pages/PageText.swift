import CognateCore
import CognateModel
import Foundation
import LeafKit
import Vapor

/// A text a page shows, said in the person's language when the page is rendered: a key of the
/// message catalogs (Messages/<locale>.json) with the values of its placeholders. In page
/// contexts it encodes as the translated string, so templates write it as `#(error)`.
/// A string literal is a key: `error: "login.incorrect"`.
struct PageText: Encodable, Sendable, Equatable, ExpressibleByStringLiteral {
    enum Part: Sendable, Equatable {
        /// A catalog key, its placeholders' values, and what to say where no catalog has it.
        case key(String, [String: PageText], fallback: String?)
        /// Said as given (a value typed by the person, a provider's name, an error from the
        /// protocol meant for the app's developer).
        case verbatim(String)
    }

    var parts: [Part]

    init(_ key: String, _ arguments: [String: String] = [:], fallback: String? = nil) {
        parts = [.key(key, arguments.mapValues(PageText.verbatim), fallback: fallback)]
    }

    /// A key whose placeholders are texts of the catalog themselves (`{label}` ← "Email").
    init(_ key: String, texts arguments: [String: PageText]) {
        parts = [.key(key, arguments, fallback: nil)]
    }

    init(stringLiteral key: String) { self.init(key) }

    static func verbatim(_ text: String) -> PageText { PageText(parts: [.verbatim(text)]) }

    private init(parts: [Part]) { self.parts = parts }

    /// This text, then `other`, a space between them.
    func then(_ other: PageText) -> PageText { PageText(parts: parts + other.parts) }

    /// The text in `catalog`'s language.
    func said(in catalog: MessageCatalog) -> String {
        parts.map { part in
            switch part {
            case .key(let key, let arguments, let fallback): catalog.text(key, arguments.mapValues { $0.said(in: catalog) }, fallback: fallback)
            case .verbatim(let text): text
            }
        }.joined(separator: " ")
    }

    /// The catalog texts are encoded with: set by `HostedPagesController.page` around the render
    /// (Leaf encodes the context at once, in the calling task).
    @TaskLocal static var catalog: MessageCatalog?

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(said(in: Self.catalog ?? MessageCatalog(locale: MessageCatalogs.base, texts: [:])))
    }
}

/// The catalogs the pages speak, loaded once from Messages/ (COGNATE_RESOURCES_DIR's, or the
/// checkout's), each also as the nested tree templates read as `#(t.login.title)`.
final class PageLanguages: Sendable {
    let catalogs: MessageCatalogs
    let trees: [String: CatalogNode]
    /// The language selector's choices: each locale named in its own language, by name.
    let choices: [(tag: String, name: String)]

    init(_ catalogs: MessageCatalogs) {
        self.catalogs = catalogs
        var trees: [String: CatalogNode] = [:]
        for catalog in catalogs.catalogs.values { trees[catalog.locale] = CatalogNode.tree(catalog.texts) }
        self.trees = trees
        choices = catalogs.locales.map { ($0, catalogs.catalog($0).text("language.name", fallback: $0)) }
            .sorted { $0.name.localizedStandardCompare($1.name) == .orderedAscending }
    }

    /// The cookie that keeps the language the person chose.
    static let cookie = "cognate-lang"

    /// The catalog for this page, the first that fits of: the language just chosen on the page
    /// (`lang` in the query of a GET), the app's `ui_locales` (or Cognito's `lang`; kept on the
    /// stored request), the person's earlier choice (the cookie), Accept-Language, the pool's
    /// default (`defaultLocale`), English.
    func choose(_ request: Request, pool: UserPool?, authorization: AuthorizationRequest?) -> MessageCatalog {
        var wanted: [String] = []
        if request.method == .GET, let chosen = try? request.query.get(String.self, at: "lang") { wanted.append(chosen) }
        wanted += authorization?.uiLocales ?? []
        if let cookie = request.cookies[Self.cookie]?.string { wanted.append(cookie) }
        wanted += MessageCatalogs.acceptLanguage(request.headers.first(name: .acceptLanguage))
        if let fallback = pool?.defaultLocale { wanted.append(fallback) }
        return catalogs.catalog(catalogs.match(wanted))
    }
}

/// A catalog as nested dictionaries of strings, for Leaf's dotted paths.
indirect enum CatalogNode: Encodable, Sendable {
    case text(String)
    case group([String: CatalogNode])

    static func tree(_ texts: [String: String]) -> CatalogNode {
        var root: [String: CatalogNode] = [:]
        func insert(_ path: ArraySlice<Substring>, _ text: String, into group: inout [String: CatalogNode]) {
            guard let head = path.first.map(String.init) else { return }
            if path.count == 1 {
                group[head] = .text(text)
                return
            }
            var child: [String: CatalogNode] = if case .group(let existing) = group[head] { existing } else { [:] }
            insert(path.dropFirst(), text, into: &child)
            group[head] = .group(child)
        }
        for (key, text) in texts { insert(key.split(separator: ".")[...], text, into: &root) }
        return .group(root)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .text(let text): try container.encode(text)
        case .group(let group): try container.encode(group)
        }
    }
}

/// A page's context with what every page has besides: `t` (the catalog, `#(t.login.title)`),
/// `lang` and `dir` for the html element, `languages` (the language selector, or nil where
/// the page cannot be opened again by a link) and `brand` (the client's PageLook, or nil). Encoded flat, so templates see the page's own
/// variables at the top level as before.
struct PageEnvelope<Context: Encodable>: Encodable {
    var context: Context
    var t: CatalogNode
    var lang: String
    var dir: String
    var languages: LanguageSelector?
    var brand: PageLook?
    var theme: ThemeLinks

    /// The page's theme: its name ("" for the built-in one) and the style sheets it links.
    struct ThemeLinks: Encodable {
        var name: String
        var stylesheets: [String]
    }

    enum Keys: String, CodingKey { case t, lang, dir, languages, brand, theme }

    func encode(to encoder: any Encoder) throws {
        try context.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(t, forKey: .t)
        try container.encode(lang, forKey: .lang)
        try container.encode(dir, forKey: .dir)
        try container.encodeIfPresent(languages, forKey: .languages)
        try container.encodeIfPresent(brand, forKey: .brand)
        try container.encode(theme, forKey: .theme)
    }
}

/// The language selector every page that can be opened again by a link shows (layout.leaf).
struct LanguageSelector: Encodable {
    struct Option: Encodable {
        /// The locale's tag, sent as `lang`.
        var tag: String
        /// Its name in its own language ("Deutsch", "日本語").
        var name: String
        /// Whether it is the page's language.
        var selected: Bool
    }
    /// Where the selector's GET form goes: this page's own address.
    var action: String
    /// The fields that open this page again (the stored request's id, or the query it came with).
    var hidden: [HostedPagesController.Hidden]
    var options: [Option]
}

extension Application {
    struct PageLanguagesKey: StorageKey {
        typealias Value = PageLanguages
    }

    /// The pages' catalogs, loaded by `configure` (none, so English fallbacks, before).
    var pageLanguages: PageLanguages {
        get { storage[PageLanguagesKey.self] ?? PageLanguages(.none) }
        set { storage[PageLanguagesKey.self] = newValue }
    }
}

/// A theme's template that could not be rendered: in development mode the page says where and
/// why (HostedPagesController.templateFailurePage).
struct TemplateFailure: Error, CustomStringConvertible {
    var theme: String
    var template: String
    var error: any Error

    var description: String {
        var cause = String(describing: error)
        if let lexer = error as? LexerError {
            cause = Self.where(lexer)
        } else if let leaf = error as? LeafError {
            let reason: LeafError.Reason = leaf.reason
            switch reason {
            case .lexerError(let lexer): cause = Self.where(lexer)
            default: cause = leaf.localizedDescription
            }
        }
        return "theme \(theme), template \(template).leaf: \(cause)"
    }

    /// The file, line and column a template could not be read at, and why.
    static func `where`(_ lexer: LexerError) -> String {
        let why = switch lexer.reason {
        case .invalidParameterToken(let character): "\(character == "\n" ? "a line break" : "'\(character)'") where a tag's parameters go on (a ')' missing?)"
        case .unterminatedStringLiteral: "a text in quotes is not closed"
        case .unknownError(let message): message
        }
        return "\(lexer.name).leaf, line \(lexer.line), column \(lexer.column): \(why)"
    }
}
