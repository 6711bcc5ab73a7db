import Foundation

/// The texts of the hosted pages, emails and text messages in one language: a message catalog
/// (`Messages/<locale>.json`, nested objects of strings). Keys are paths (`login.title`);
/// `{name}` in a text is a placeholder filled when it is said. A catalog lacks nothing: what its
/// file does not say, English says (`MessageCatalogs.load` lays each locale over English).
public struct MessageCatalog: Sendable, Equatable {
    /// The BCP 47 tag it is for (`en`, `pt-BR`).
    public let locale: String
    /// Every text by its key path.
    public let texts: [String: String]

    public init(locale: String, texts: [String: String]) {
        self.locale = locale
        self.texts = texts
    }

    /// Whether the language is written right to left (Arabic, Hebrew, Persian, Urdu).
    public var rightToLeft: Bool {
        ["ar", "he", "fa", "ur", "yi", "ps", "ckb", "dv"].contains(Self.language(locale))
    }

    /// The text of `key` with its placeholders filled; `fallback` (or the key itself) where the
    /// catalog has none. Placeholder values are put in as given: the pages escape what they show.
    public func text(_ key: String, _ arguments: [String: String] = [:], fallback: String? = nil) -> String {
        var text = texts[key] ?? fallback ?? key
        for (name, value) in arguments {
            text = text.replacingOccurrences(of: "{\(name)}", with: value)
        }
        return text
    }

    /// The language subtag: `pt` of `pt-BR`.
    public static func language(_ tag: String) -> String {
        String(tag.split(separator: "-").first ?? "").lowercased()
    }

    /// The placeholders a text names (`{username}`, `{####}` is Cognito's code placeholder and
    /// counts too), so a translation can be checked to keep them all.
    public static func placeholders(_ text: String) -> Set<String> {
        var found = Set<String>()
        var rest = text[...]
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            found.insert(String(rest[rest.index(after: open)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return found
    }
}

/// Every catalog Cognate has: the built-in ones and those a theme adds.
public struct MessageCatalogs: Sendable {
    /// The locale used where nothing else is known, and the base every other catalog is laid over.
    public static let base = "en"
    public let catalogs: [String: MessageCatalog]

    public init(_ catalogs: [MessageCatalog]) {
        self.catalogs = Dictionary(catalogs.map { ($0.locale.lowercased(), $0) }, uniquingKeysWith: { _, last in last })
    }

    /// No catalogs: every text is its caller's fallback (Core's tests, a checkout without Messages/).
    public static let none = MessageCatalogs([])

    /// The locales there are catalogs for, as tagged (`pt-BR`), sorted.
    public var locales: [String] { catalogs.values.map(\.locale).sorted() }

    /// The catalog of `locale` (matched without regard to case), or English, or an empty one.
    public func catalog(_ locale: String?) -> MessageCatalog {
        if let locale, let found = catalogs[locale.lowercased()] { return found }
        return catalogs[Self.base] ?? MessageCatalog(locale: Self.base, texts: [:])
    }

    /// The first of `preferences` (BCP 47 tags, most wanted first) there is a catalog for:
    /// the tag itself, else a catalog of the same language (`de-AT` → `de`, `pt` → `pt-BR`);
    /// nil when none fits.
    public func match(_ preferences: [String]) -> String? {
        for wanted in preferences {
            let tag = wanted.trimmingCharacters(in: .whitespaces)
            guard Self.wellFormed(tag) else { continue }
            if let exact = catalogs[tag.lowercased()] { return exact.locale }
            let language = MessageCatalog.language(tag)
            if let same = catalogs[language] { return same.locale }
            if let sibling = locales.first(where: { MessageCatalog.language($0) == language }) { return sibling }
        }
        return nil
    }

    /// A tag of letters and digits in parts of 1 to 8, joined by hyphens (BCP 47's outline):
    /// anything else (a path, markup) is never looked up.
    public static func wellFormed(_ tag: String) -> Bool {
        let parts = tag.split(separator: "-", omittingEmptySubsequences: false)
        return !parts.isEmpty && parts.count <= 8 && parts.allSatisfy { part in
            (1...8).contains(part.count) && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
        } && parts[0].allSatisfy(\.isLetter)
    }

    /// Accept-Language's tags, most wanted first (q-values honoured, `q=0` and `*` left out).
    public static func acceptLanguage(_ header: String?) -> [String] {
        guard let header else { return [] }
        var ranked: [(tag: String, q: Double, order: Int)] = []
        for (order, item) in header.split(separator: ",").prefix(32).enumerated() {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = parts.first, !tag.isEmpty, tag != "*" else { continue }
            var q = 1.0
            for parameter in parts.dropFirst() where parameter.lowercased().hasPrefix("q=") {
                q = Double(parameter.dropFirst(2)) ?? 0
            }
            if q > 0 { ranked.append((tag, q, order)) }
        }
        return ranked.sorted { $0.q != $1.q ? $0.q > $1.q : $0.order < $1.order }.map(\.tag)
    }

    /// Reads `<directory>/<locale>.json` from each directory, later directories overriding
    /// earlier ones key by key (a theme's catalogs over the built-in ones); every locale is then
    /// laid over English. A file that is not a JSON object of strings (nested objects allowed)
    /// is an error naming it.
    public static func load(directories: [String]) throws -> MessageCatalogs {
        var merged: [String: (locale: String, texts: [String: String])] = [:]
        for directory in directories {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            for name in names.sorted() where name.hasSuffix(".json") {
                let locale = String(name.dropLast(5))
                guard wellFormed(locale) else { continue }
                let path = (directory as NSString).appendingPathComponent(name)
                let texts = try flatten(file: path)
                var entry = merged[locale.lowercased()] ?? (locale, [:])
                entry.texts.merge(texts) { _, new in new }
                merged[locale.lowercased()] = entry
            }
        }
        let english = merged[base]?.texts ?? [:]
        return MessageCatalogs(merged.values.map { entry in
            MessageCatalog(locale: entry.locale, texts: english.merging(entry.texts) { _, own in own })
        })
    }

    /// A catalog file's texts by key path.
    static func flatten(file path: String) throws -> [String: String] {
        guard let data = FileManager.default.contents(atPath: path),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { throw CatalogError(file: path, problem: "not a JSON object") }
        var texts: [String: String] = [:]
        func walk(_ object: [String: Any], _ prefix: String) throws {
            for (key, value) in object {
                let keyPath = prefix.isEmpty ? key : "\(prefix).\(key)"
                guard !key.isEmpty, key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                    throw CatalogError(file: path, problem: "the key \"\(keyPath)\" is not a name of letters, digits and _")
                }
                switch value {
                case let text as String: texts[keyPath] = text
                case let nested as [String: Any]: try walk(nested, keyPath)
                default: throw CatalogError(file: path, problem: "\"\(keyPath)\" is neither a text nor an object")
                }
            }
        }
        try walk(object, "")
        return texts
    }
}

public struct CatalogError: Error, CustomStringConvertible {
    public var file: String
    public var problem: String
    public var description: String { "message catalog \(file): \(problem)" }
}
