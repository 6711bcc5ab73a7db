import CognateModel
import Crypto
import Foundation

/// Cognito's classic hosted-page customization (SetUICustomization), with its rules: CSS only
/// for the pages' `-customizable` classes and, for each, only the properties Cognito lists;
/// no at-rule (`@import`, `@media`…), no `url()` or script; a PNG or JPEG logo of 100 KB at most.
/// What reaches a page is the CSS written out again from what was read, never the text as sent.
public enum UICustomizationRules {
    /// Each class (with its state) and the properties it may set, as Cognito documents them.
    public static let properties: [String: Set<String>] = [
        "background-customizable": ["background-color"],
        "banner-customizable": ["padding", "background-color"],
        "errorMessage-customizable": ["margin", "padding", "font-size", "width", "background", "border", "color", "box-sizing"],
        "idpButton-customizable": ["height", "width", "text-align", "margin-bottom", "color", "background-color", "border-color"],
        "idpButton-customizable:hover": ["color", "background-color"],
        "idpDescription-customizable": ["padding-top", "padding-bottom", "display", "font-size"],
        "inputField-customizable": ["width", "height", "color", "background-color", "border"],
        "inputField-customizable:focus": ["border-color", "outline"],
        "label-customizable": ["font-weight"],
        "legalText-customizable": ["color", "font-size"],
        "logo-customizable": ["max-width", "max-height"],
        "passwordCheck-notValid-customizable": ["color"],
        "passwordCheck-valid-customizable": ["color"],
        "socialButton-customizable": ["height", "text-align", "width", "margin-bottom"],
        "submitButton-customizable": ["font-size", "font-weight", "margin", "width", "height", "color", "background-color"],
        "submitButton-customizable:hover": ["color", "background-color"],
        "textDescription-customizable": ["padding-top", "padding-bottom", "display", "font-size"],
    ]

    /// The largest logo Cognito takes.
    public static let largestImage = 100 * 1024

    /// One rule as read: `.class[:state] { property: value; … }`.
    public struct Rule: Equatable, Sendable {
        public var selector: String
        public var declarations: [(property: String, value: String)]

        public static func == (lhs: Rule, rhs: Rule) -> Bool {
            lhs.selector == rhs.selector && lhs.declarations.elementsEqual(rhs.declarations) { $0 == $1 }
        }
    }

    /// The rules of `css`, or a ValidationError saying what is not allowed (Cognito's
    /// InvalidParameterException).
    public static func rules(_ css: String) throws(ValidationError) -> [Rule] {
        func refuse(_ message: String) -> ValidationError { ValidationError(field: "CSS", message: message) }
        // comments go first; what stays may hold nothing that leaves a style element or escapes a rule
        var text = css
        while let open = text.range(of: "/*") {
            guard let close = text.range(of: "*/", range: open.upperBound..<text.endIndex) else { throw refuse("a comment is not closed") }
            text.removeSubrange(open.lowerBound..<close.upperBound)
        }
        if text.contains("@") { throw refuse("at-rules (@import, @media, @supports, @page…) are not allowed") }
        if let bad = text.first(where: { "<>\\\"'`!&".contains($0) }) { throw refuse("the character \(bad) is not allowed") }
        var rules: [Rule] = []
        var rest = Substring(text)
        while true {
            rest = rest.drop(while: \.isWhitespace)
            guard !rest.isEmpty else { break }
            guard let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") else {
                throw refuse("a rule is not of the form .class { property: value; }")
            }
            let selector = rest[..<open].trimmingCharacters(in: .whitespacesAndNewlines)
            guard selector.hasPrefix("."), let allowed = properties[String(selector.dropFirst())] else {
                throw refuse("\(selector.isEmpty ? "a rule without a selector" : selector) is not one of the classes that may be customized")
            }
            var declarations: [(property: String, value: String)] = []
            for declaration in rest[rest.index(after: open)..<close].split(separator: ";") {
                let trimmed = declaration.trimmingCharacters(in: .whitespacesAndNewlines)
                guard !trimmed.isEmpty else { continue }
                guard let colon = trimmed.firstIndex(of: ":") else { throw refuse("\(trimmed) is not property: value") }
                let property = trimmed[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
                let value = trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                guard allowed.contains(property) else { throw refuse("\(property) may not be set on \(selector)") }
                try checkValue(value, property: property)
                declarations.append((property, value))
            }
            rules.append(Rule(selector: selector, declarations: declarations))
            rest = rest[rest.index(after: close)...]
        }
        return rules
    }

    static func checkValue(_ value: String, property: String) throws(ValidationError) {
        let lowered = value.lowercased()
        guard !value.isEmpty, value.count <= 200,
            value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || " #%.,()-".contains($0)) })
        else { throw ValidationError(field: "CSS", message: "\(property): \(value) is not a value that may be set") }
        for banned in ["url(", "expression(", "image(", "element(", "javascript", "attr("] where lowered.contains(banned) {
            throw ValidationError(field: "CSS", message: "\(property): \(banned) is not allowed")
        }
    }

    /// The CSS a page gets: the rules written out again, one per line.
    public static func written(_ rules: [Rule]) -> String {
        rules.map { rule in
            ".\(rule.selector.dropFirst()) { " + rule.declarations.map { "\($0.property): \($0.value);" }.joined(separator: " ") + " }"
        }.joined(separator: "\n")
    }

    /// The media type of a logo: PNG or JPEG by their signatures; anything else (SVG too, which
    /// could carry script) refused.
    public static func imageType(_ data: Data) throws(ValidationError) -> String {
        guard data.count <= largestImage else {
            throw ValidationError(field: "ImageFile", message: "The logo is larger than 100 KB.")
        }
        if data.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "image/png" }
        if data.starts(with: [0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        throw ValidationError(field: "ImageFile", message: "The logo must be a PNG or JPEG image.")
    }

    /// The customization a client's pages use: its own, else the pool's `ALL`, else none.
    public static func effective(poolId: String, clientId: String, store: any UICustomizationStore) async throws -> UICustomization? {
        if let own = try await store.uiCustomization(poolId: poolId, clientId: clientId) { return own }
        return try await store.uiCustomization(poolId: poolId, clientId: UICustomization.allClients)
    }

    /// A new version tag for a set customization (the pages' logo links carry it).
    public static func version(css: String?, image: Data?, at date: Date) -> String {
        var hasher = SHA256()
        hasher.update(data: Data((css ?? "").utf8))
        hasher.update(data: image ?? Data())
        hasher.update(data: Data(String(date.timeIntervalSince1970).utf8))
        return hasher.finalize().prefix(8).map { String(format: "%02x", $0) }.joined()
    }
}
