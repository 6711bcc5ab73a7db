import CognateCore
import Foundation
import Testing

/// The message catalogs: how a locale is matched, how catalogs are laid over English and over
/// each other, and that every shipped catalog says everything English says, keeping each
/// text's placeholders.
@Suite struct MessageCatalogTests {
    /// Messages/ of this checkout.
    static let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Messages").path

    static func directory(_ files: [String: String]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("catalogs-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for (name, text) in files { try Data(text.utf8).write(to: URL(fileURLWithPath: path).appendingPathComponent(name)) }
        return path
    }

    @Test func everyShippedCatalogSaysWhatEnglishSaysWithTheSamePlaceholders() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.shipped).filter { $0.hasSuffix(".json") }.sorted()
        #expect(files == ["ar.json", "de.json", "en.json", "es.json", "fr.json", "ja.json", "pt-BR.json"])
        let english = try Self.flat(Self.shipped + "/en.json")
        for file in files where file != "en.json" {
            let texts = try Self.flat(Self.shipped + "/" + file)
            #expect(Set(texts.keys) == Set(english.keys), "\(file): missing \(Set(english.keys).subtracting(texts.keys).sorted()), extra \(Set(texts.keys).subtracting(english.keys).sorted())")
            for (key, text) in english {
                guard let translated = texts[key] else { continue }
                #expect(MessageCatalog.placeholders(translated) == MessageCatalog.placeholders(text), "\(file) \(key)")
                #expect(!translated.isEmpty && !translated.contains("<"), "\(file) \(key) is plain text")
            }
        }
        let catalogs = try MessageCatalogs.load(directories: [Self.shipped])
        #expect(catalogs.locales == ["ar", "de", "en", "es", "fr", "ja", "pt-BR"])
        #expect(catalogs.catalog("ar").rightToLeft && !catalogs.catalog("ja").rightToLeft)
        #expect(catalogs.catalog("ja").text("language.name") == "日本語")
    }

    /// A catalog file's own texts by key path (read here, not by the code under test).
    static func flat(_ path: String) throws -> [String: String] {
        let data = try #require(FileManager.default.contents(atPath: path))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var texts: [String: String] = [:]
        func walk(_ node: [String: Any], _ prefix: String) {
            for (key, value) in node {
                let path = prefix.isEmpty ? key : "\(prefix).\(key)"
                if let nested = value as? [String: Any] { walk(nested, path) } else { texts[path] = value as? String }
            }
        }
        walk(object, "")
        return texts
    }

    @Test func localesAreMatchedByTagThenLanguage() throws {
        let catalogs = MessageCatalogs(["en", "de", "pt-BR", "ar"].map { MessageCatalog(locale: $0, texts: [:]) })
        #expect(catalogs.match(["de"]) == "de")
        #expect(catalogs.match(["DE-at"]) == "de", "a region falls back to its language")
        #expect(catalogs.match(["pt"]) == "pt-BR", "a language finds its regional catalog")
        #expect(catalogs.match(["pt-PT"]) == "pt-BR")
        #expect(catalogs.match(["tlh", "ar-EG", "de"]) == "ar", "the first that fits wins")
        #expect(catalogs.match(["tlh", "xx"]) == nil)
        for hostile in ["../en", "en/../../etc", "<b>", "", "en-", "-en", "e n", "123", "de\r\nX: y", String(repeating: "a", count: 9)] {
            #expect(catalogs.match([hostile]) == nil, "\(hostile)")
        }
        #expect(catalogs.catalog(nil).locale == "en" && catalogs.catalog("tlh").locale == "en")
    }

    @Test func acceptLanguageIsRankedByQuality() {
        #expect(MessageCatalogs.acceptLanguage("fr;q=0.1, ja;q=0.9, *;q=0.5, de") == ["de", "ja", "fr"])
        #expect(MessageCatalogs.acceptLanguage("en-US,en;q=0.9,es;q=0") == ["en-US", "en"], "q=0 means not wanted")
        #expect(MessageCatalogs.acceptLanguage(nil).isEmpty && MessageCatalogs.acceptLanguage("").isEmpty)
        #expect(MessageCatalogs.acceptLanguage(String(repeating: "de,", count: 1000)).count == 32, "a long header is cut short")
    }

    @Test func catalogsAreLaidOverEnglishAndOverEachOther() throws {
        let builtIn = try Self.directory([
            "en.json": #"{"login": {"title": "Sign in", "submit": "Sign in"}, "greeting": "Hello {name}"}"#,
            "de.json": #"{"login": {"title": "Anmelden"}}"#,
        ])
        let theme = try Self.directory(["de.json": #"{"login": {"submit": "Los"}}"#, "fr.json": #"{"login": {"title": "Connexion"}}"#])
        let catalogs = try MessageCatalogs.load(directories: [builtIn, theme])
        #expect(catalogs.catalog("de").texts == ["login.title": "Anmelden", "login.submit": "Los", "greeting": "Hello {name}"])
        #expect(catalogs.catalog("fr").text("login.submit") == "Sign in", "what a catalog lacks, English says")
        #expect(catalogs.catalog("de").text("greeting", ["name": "Ana"]) == "Hello Ana")
        #expect(catalogs.catalog("de").text("nothing.here", fallback: "Plain") == "Plain")
    }

    @Test(arguments: [
        #"["not", "an", "object"]"#,
        #"{"login": {"title": 3}}"#,
        #"{"login.title": "dots are paths, not names"}"#,
        #"{"login": "#,
    ])
    func aBrokenCatalogIsAnErrorNamingItsFile(_ text: String) throws {
        let directory = try Self.directory(["en.json": text])
        #expect(throws: CatalogError.self) { try MessageCatalogs.load(directories: [directory]) }
        do {
            _ = try MessageCatalogs.load(directories: [directory])
        } catch let error as CatalogError {
            #expect(error.description.contains("en.json"))
        }
    }

    @Test func placeholdersAreFound() {
        #expect(MessageCatalog.placeholders("Your username is {username} and temporary password is {####}.") == ["username", "####"])
        #expect(MessageCatalog.placeholders("no braces").isEmpty)
    }
}
