import CognateCore
import CognateModel
@testable import CognateWeb
import Foundation
import Testing

/// The README's "Page contexts" list every variable each template is given, and no other: the
/// preview's samples (every page in every state) are encoded as the pages encode them, and the
/// names compared with the documented ones, so a designer's theme can rely on them.
@Suite struct PageContextDocumentationTests {
    static let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("README.md")

    /// template → documented variable names, read from the README's section.
    static func documented() throws -> [String: Set<String>] {
        let text = try String(contentsOf: readme, encoding: .utf8)
        let start = try #require(text.range(of: "### Page contexts (version 1)"))
        let rest = text[start.upperBound...]
        let section = rest[..<(rest.range(of: "\nNot there yet")?.lowerBound ?? rest.range(of: "\n## ")!.lowerBound)]
        // each item's text, its continuation lines joined
        var items: [(template: String, text: String)] = []
        var open = false
        for line in section.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("- `"), let end = line.range(of: ".leaf`:") {
                items.append((String(line[line.index(line.startIndex, offsetBy: 3)..<end.lowerBound]), String(line[end.upperBound...])))
                open = true
            } else if line.hasPrefix("  "), open {
                items[items.count - 1].text += " " + line
            } else {
                open = false
            }
        }
        var result: [String: Set<String>] = [:]
        for item in items { add(item.text, to: item.template, in: &result) }
        return result
    }

    /// The backticked names of a line outside parentheses (which hold examples and members).
    static func add(_ line: String, to template: String, in result: inout [String: Set<String>]) {
        var depth = 0
        var outside = ""
        for character in line {
            if character == "(" { depth += 1 } else if character == ")" { depth = max(0, depth - 1) } else if depth == 0 { outside.append(character) }
        }
        let names = outside.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
        result[template, default: []].formUnion(names)
    }

    @Test func everyTemplatesVariablesAreDocumentedAndNoOthers() throws {
        let documented = try Self.documented()
        let pool = UserPool(id: "local_Docs12345", name: "Docs", autoVerifiedAttributes: ["email"],
                            schema: [SchemaAttribute(name: "email", required: true)], createdAt: Date(), updatedAt: Date())
        let data = PreviewController.SampleData(base: "/local_Docs12345", pool: pool, providers: ["Google"])
        var encoded: [String: Set<String>] = [:]
        for sample in PreviewController.samples {
            let json = try JSONEncoder().encode(sample.context(data))
            let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
            encoded[sample.template, default: []].formUnion(object.keys)
        }
        #expect(Set(encoded.keys) == Set(documented.keys), "templates: \(encoded.keys.sorted()) vs \(documented.keys.sorted())")
        for (template, names) in encoded {
            // `title` is every page's, documented once for all
            let own = names.subtracting(["title"])
            let undocumented = own.subtracting(documented[template] ?? []).sorted()
            let missing = (documented[template] ?? []).subtracting(own).sorted()
            #expect(own == documented[template], "\(template).leaf: undocumented \(undocumented), documented but not given \(missing)")
        }
        // and every template exists
        for template in encoded.keys {
            let file = Self.readme.deletingLastPathComponent().appendingPathComponent("Templates/\(template).leaf").path
            #expect(FileManager.default.fileExists(atPath: file), "\(file)")
        }
    }
}
