import CognateModel
import CognateSAML
import Crypto
import Foundation

/// A managed login style's Settings document (Cognito's JSON: `categories`, `components`,
/// `componentClasses`, colours as `RRGGBB` or `RRGGBBAA` hex) read into the pages' palette for
/// light and dark mode: CSS custom properties over the built-in look, written out by Cognate from
/// checked values only. What Cognate does not wear (Cognito's reserved or not yet built parts) is
/// kept as set, but every value that looks like a colour must be one.
public struct ManagedLoginStyle: Sendable, Equatable {
    public enum Mode: String, Sendable, CaseIterable { case light = "LIGHT", dark = "DARK", dynamic = "DYNAMIC" }

    /// The palette's variables, by name without `--cognate-`.
    public var light: [String: String]
    public var dark: [String: String]
    /// Which palette the pages use: light, dark, or the person's system setting.
    public var mode: Mode
    /// Scales the space between parts (COMPACT 0.75, REGULAR 1, SPACIOUS 1.25).
    public var spacing: Double
    /// Where the form sits across the page: START, CENTER, END.
    public var horizontal: String
    /// Whether the page header and footer bars are shown.
    public var header: Bool
    public var footer: Bool

    /// The built-in palette (Public/css/cognate.css says the same), every pair at WCAG AA contrast.
    public static let builtInLight: [String: String] = [
        "background": "#ffffff", "card": "#ffffff", "border": "#d0d7de", "text": "#1b1b1b", "heading": "#1b1b1b", "label": "#1b1b1b",
        "description": "#1b1b1b", "accent": "#1f5fbf", "accent-hover": "#174a96", "on-accent": "#ffffff", "link": "#1f5fbf",
        "error": "#b3261e", "notice": "#1b5e20", "focus": "#1f5fbf", "input-background": "#ffffff", "input-border": "#767676",
        "idp-background": "#ffffff", "idp-text": "#1f5fbf", "idp-border": "#1f5fbf", "header-background": "#f6f8fa", "footer-background": "#f6f8fa",
    ]
    public static let builtInDark: [String: String] = [
        "background": "#1f1f1f", "card": "#1f1f1f", "border": "#5f6368", "text": "#e8eaed", "heading": "#e8eaed", "label": "#e8eaed",
        "description": "#e8eaed", "accent": "#8ab4f8", "accent-hover": "#aecbfa", "on-accent": "#1b1b1b", "link": "#8ab4f8",
        "error": "#f28b82", "notice": "#81c995", "focus": "#8ab4f8", "input-background": "#2b2c2f", "input-border": "#9aa0a6",
        "idp-background": "#1f1f1f", "idp-text": "#8ab4f8", "idp-border": "#8ab4f8", "header-background": "#141414", "footer-background": "#141414",
    ]
    /// Radii in pixels.
    public static let builtInRadii: [String: Double] = ["radius-form": 8, "radius-button": 4, "radius-input": 4]

    /// Where each palette variable is read from in the Settings document, below `lightMode` /
    /// `darkMode` of the component named by the first part.
    static let colourPaths: [(variable: String, component: [String], inMode: [String])] = [
        ("background", ["components", "pageBackground"], ["color"]),
        ("card", ["components", "form"], ["backgroundColor"]),
        ("border", ["components", "form"], ["borderColor"]),
        ("text", ["components", "pageText"], ["bodyColor"]),
        ("heading", ["components", "pageText"], ["headingColor"]),
        ("description", ["components", "pageText"], ["descriptionColor"]),
        ("label", ["componentClasses", "inputLabel"], ["textColor"]),
        ("link", ["componentClasses", "link"], ["defaults", "textColor"]),
        ("input-background", ["componentClasses", "input"], ["defaults", "backgroundColor"]),
        ("input-border", ["componentClasses", "input"], ["defaults", "borderColor"]),
        ("focus", ["componentClasses", "focusState"], ["borderColor"]),
        ("accent", ["components", "primaryButton"], ["defaults", "backgroundColor"]),
        ("on-accent", ["components", "primaryButton"], ["defaults", "textColor"]),
        ("accent-hover", ["components", "primaryButton"], ["hover", "backgroundColor"]),
        ("error", ["components", "alert"], ["error", "borderColor"]),
        ("idp-background", ["components", "idpButton", "standard"], ["defaults", "backgroundColor"]),
        ("idp-text", ["components", "idpButton", "standard"], ["defaults", "textColor"]),
        ("idp-border", ["components", "idpButton", "standard"], ["defaults", "borderColor"]),
        ("header-background", ["components", "pageHeader"], ["background", "color"]),
        ("footer-background", ["components", "pageFooter"], ["background", "color"]),
    ]
    static let radiusPaths: [(variable: String, path: [String])] = [
        ("radius-form", ["components", "form", "borderRadius"]),
        ("radius-button", ["componentClasses", "buttons", "borderRadius"]),
        ("radius-input", ["componentClasses", "input", "borderRadius"]),
    ]

    /// The text and background pairs that must stay readable (WCAG 2.2 AA: 4.5:1; headings,
    /// large text, 3:1), in each palette the pages may show.
    static let readablePairs: [(text: String, background: String, ratio: Double)] = [
        ("text", "card", 4.5), ("description", "card", 4.5), ("label", "card", 4.5), ("link", "card", 4.5), ("error", "card", 4.5),
        ("heading", "card", 3), ("on-accent", "accent", 4.5), ("on-accent", "accent-hover", 4.5), ("idp-text", "idp-background", 4.5),
    ]

    /// The largest Settings document read, and how deep it may nest.
    public static let largestSettings = 100_000
    static let deepest = 12

    /// The built-in look (UseCognitoProvidedValues, or no settings).
    public static let builtIn = ManagedLoginStyle(light: builtInLight, dark: builtInDark, mode: .dynamic, spacing: 1, horizontal: "CENTER",
                                                  header: false, footer: false)

    /// Reads and checks a Settings document (JSON text); nil reads as the built-in look.
    /// Refusals name the setting: a wrong type, a colour that is not one, a value outside its set,
    /// or a pair of colours that would fail WCAG AA contrast.
    public static func read(_ settings: String?) throws(ValidationError) -> ManagedLoginStyle {
        guard let settings else { return .builtIn }
        guard settings.utf8.count <= largestSettings else { throw refuse("Settings is larger than \(largestSettings / 1000) KB.") }
        guard let object = try? JSONSerialization.jsonObject(with: Data(settings.utf8)) as? [String: Any] else {
            throw refuse("Settings must be a JSON object.")
        }
        try checkShape(object, path: [], depth: 0)
        var style = builtIn
        func text(_ path: [String]) -> Any? {
            var node: Any? = object
            for part in path { node = (node as? [String: Any])?[part] }
            return node
        }
        func choice(_ path: [String], _ allowed: [String]) throws(ValidationError) -> String? {
            guard let value = text(path) else { return nil }
            guard let chosen = value as? String, allowed.contains(chosen) else {
                throw refuse("\(path.joined(separator: ".")) must be one of \(allowed.joined(separator: ", ")).")
            }
            return chosen
        }
        func flag(_ path: [String]) throws(ValidationError) -> Bool? {
            guard let value = text(path) else { return nil }
            guard let on = value as? Bool else { throw refuse("\(path.joined(separator: ".")) must be true or false.") }
            return on
        }
        if let mode = try choice(["categories", "global", "colorSchemeMode"], Mode.allCases.map(\.rawValue)) { style.mode = Mode(rawValue: mode)! }
        if let density = try choice(["categories", "global", "spacingDensity"], ["COMPACT", "REGULAR", "SPACIOUS"]) {
            style.spacing = ["COMPACT": 0.75, "REGULAR": 1, "SPACIOUS": 1.25][density]!
        }
        if let place = try choice(["categories", "form", "location", "horizontal"], ["START", "CENTER", "END"]) { style.horizontal = place }
        style.header = try flag(["categories", "global", "pageHeader", "enabled"]) ?? false
        style.footer = try flag(["categories", "global", "pageFooter", "enabled"]) ?? false
        for (variable, component, inMode) in colourPaths {
            for (mode, key) in [(Mode.light, "lightMode"), (.dark, "darkMode")] {
                guard let value = text(component + [key] + inMode) as? String else { continue }
                let css = try colour(value, at: (component + [key] + inMode).joined(separator: "."))
                if mode == .light { style.light[variable] = css } else { style.dark[variable] = css }
            }
        }
        for (variable, path) in radiusPaths {
            guard let value = text(path) else { continue }
            guard let number = value as? Double, number >= 0, number <= 48 else {
                throw refuse("\(path.joined(separator: ".")) must be a number of pixels from 0 to 48.")
            }
            style.light[variable] = "\(number)px"
            style.dark[variable] = "\(number)px"
        }
        for problem in style.contrastProblems() { throw refuse(problem) }
        return style
    }

    /// Every colour-looking value anywhere (`…Color`, `color`) must be a colour; objects nest at
    /// most 12 deep; keys are names.
    static func checkShape(_ node: Any, path: [String], depth: Int) throws(ValidationError) {
        guard depth <= deepest else { throw refuse("Settings nests deeper than \(deepest) levels.") }
        if let object = node as? [String: Any] {
            for (key, value) in object {
                guard !key.isEmpty, key.count <= 64, key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                    throw refuse("\(key.prefix(64)) is not a setting name.")
                }
                if key.lowercased().hasSuffix("color"), let value = value as? String {
                    _ = try colour(value, at: (path + [key]).joined(separator: "."))
                }
                try checkShape(value, path: path + [key], depth: depth + 1)
            }
        } else if let list = node as? [Any] {
            guard list.count <= 100 else { throw refuse("\(path.joined(separator: ".")) has more than 100 items.") }
            for item in list { try checkShape(item, path: path, depth: depth + 1) }
        }
    }

    /// `RRGGBB` or `RRGGBBAA` (Cognito writes the latter) as CSS `#rrggbbaa`.
    static func colour(_ value: String, at path: String) throws(ValidationError) -> String {
        let hex = value.hasPrefix("#") ? String(value.dropFirst()) : value
        guard [6, 8].contains(hex.count), hex.allSatisfy(\.isHexDigit) else {
            throw refuse("\(path) must be a colour written as 6 or 8 hexadecimal digits (RRGGBBAA), not \(value.prefix(40)).")
        }
        return "#" + hex.lowercased()
    }

    static func refuse(_ message: String) -> ValidationError { ValidationError(field: "Settings", message: message) }

    /// The pairs of the palettes shown that fail their contrast, as sentences.
    public func contrastProblems() -> [String] {
        var problems: [String] = []
        let shown: [(String, [String: String])] = switch mode {
        case .light: [("light", light)]
        case .dark: [("dark", dark)]
        case .dynamic: [("light", light), ("dark", dark)]
        }
        for (name, palette) in shown {
            for (text, background, needed) in Self.readablePairs {
                guard let front = palette[text].flatMap(RGBA.init), let back = palette[background].flatMap(RGBA.init) else { continue }
                // a see-through background is seen over the card, and the card over the page
                let page = palette["background"].flatMap(RGBA.init)?.over(.white) ?? .white
                let card = palette["card"].flatMap(RGBA.init)?.over(page) ?? page
                let behind = back.over(background == "card" ? page : card)
                let ratio = RGBA.contrast(front.over(behind), behind)
                if ratio < needed {
                    problems.append(String(format: "In %@ mode, %@ (%@) on %@ (%@) has a contrast of %.2f:1; at least %.1f:1 is needed (WCAG 2.2 AA).",
                                           name, text, palette[text]!, background, palette[background]!, ratio, needed))
                }
            }
        }
        return problems
    }

    /// The palette as a CSS rule set over the built-in one: `:root` with the first palette, and
    /// for a style that follows the system, the dark one in a `prefers-color-scheme: dark` block.
    /// Values come only from checked colours and numbers.
    public var css: String {
        func block(_ palette: [String: String], scheme: String) -> String {
            var lines = palette.sorted { $0.key < $1.key }.map { "--cognate-\($0.key): \($0.value);" }
            lines.append("--cognate-spacing: \(spacing);")
            lines.append("color-scheme: \(scheme);")
            return ":root { " + lines.joined(separator: " ") + " }"
        }
        let place = switch horizontal {
        case "START": ".card { margin-inline-start: 2rem; margin-inline-end: auto; }"
        case "END": ".card { margin-inline-start: auto; margin-inline-end: 2rem; }"
        default: ""
        }
        switch mode {
        case .light:
            return block(light, scheme: "light") + "\n@media (prefers-color-scheme: dark) { " + block(light, scheme: "light") + " }\n" + place
        case .dark:
            return block(dark, scheme: "dark") + "\n@media (prefers-color-scheme: dark) { " + block(dark, scheme: "dark") + " }\n" + place
        case .dynamic:
            return block(light, scheme: "light") + "\n@media (prefers-color-scheme: dark) { " + block(dark, scheme: "dark") + " }\n" + place
        }
    }

    /// The built-in look as a Settings document, for DescribeManagedLoginBranding's
    /// ReturnMergedResources: what a style that sets nothing wears, in Cognito's shape.
    public static func builtInSettings() -> [String: Any] {
        var root: [String: Any] = [:]
        func put(_ path: [String], _ value: Any) {
            func insert(_ node: inout [String: Any], _ rest: ArraySlice<String>) {
                guard let head = rest.first else { return }
                if rest.count == 1 {
                    node[head] = value
                    return
                }
                var child = node[head] as? [String: Any] ?? [:]
                insert(&child, rest.dropFirst())
                node[head] = child
            }
            insert(&root, path[...])
        }
        func cognito(_ css: String) -> String { String(css.dropFirst()) + (css.count == 7 ? "ff" : "") }
        for (variable, component, inMode) in colourPaths {
            put(component + ["lightMode"] + inMode, cognito(builtInLight[variable]!))
            put(component + ["darkMode"] + inMode, cognito(builtInDark[variable]!))
        }
        for (variable, path) in radiusPaths { put(path, builtInRadii[variable]!) }
        put(["categories", "global", "colorSchemeMode"], "DYNAMIC")
        put(["categories", "global", "spacingDensity"], "REGULAR")
        put(["categories", "global", "pageHeader", "enabled"], false)
        put(["categories", "global", "pageFooter", "enabled"], false)
        put(["categories", "form", "location", "horizontal"], "CENTER")
        return root
    }

    /// `base` with `over` laid on it, object by object (what UpdateManagedLoginBranding keeps).
    public static func merged(_ base: [String: Any], _ over: [String: Any]) -> [String: Any] {
        var result = base
        for (key, value) in over {
            if let inner = value as? [String: Any], let existing = result[key] as? [String: Any] {
                result[key] = merged(existing, inner)
            } else {
                result[key] = value
            }
        }
        return result
    }
}

/// A colour with alpha, for contrast (WCAG 2.2 relative luminance).
struct RGBA: Equatable {
    var r: Double, g: Double, b: Double, a: Double
    static let white = RGBA(r: 1, g: 1, b: 1, a: 1)

    init(r: Double, g: Double, b: Double, a: Double) {
        (self.r, self.g, self.b, self.a) = (r, g, b, a)
    }

    /// `#rrggbb` or `#rrggbbaa`.
    init?(_ css: String) {
        let hex = Array(css.dropFirst())
        guard css.hasPrefix("#"), hex.count == 6 || hex.count == 8 else { return nil }
        func byte(_ at: Int) -> Double? { UInt8(String(hex[at..<at + 2]), radix: 16).map { Double($0) / 255 } }
        guard let r = byte(0), let g = byte(2), let b = byte(4) else { return nil }
        self.init(r: r, g: g, b: b, a: hex.count == 8 ? byte(6) ?? 1 : 1)
    }

    /// Seen over an opaque colour.
    func over(_ below: RGBA) -> RGBA {
        RGBA(r: r * a + below.r * (1 - a), g: g * a + below.g * (1 - a), b: b * a + below.b * (1 - a), a: 1)
    }

    var luminance: Double {
        func channel(_ c: Double) -> Double { c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4) }
        return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    }

    static func contrast(_ x: RGBA, _ y: RGBA) -> Double {
        let (light, dark) = (max(x.luminance, y.luminance), min(x.luminance, y.luminance))
        return (light + 0.05) / (dark + 0.05)
    }
}

/// The images of a managed login style: roles and modes as Cognito names them, each file at most
/// 1 MB and of the type it says (read from its first bytes); an SVG is refused if it could run
/// script or fetch anything when opened.
public enum ManagedLoginAssets {
    public static let categories = ["FAVICON_ICO", "FAVICON_SVG", "EMAIL_GRAPHIC", "SMS_GRAPHIC", "AUTH_APP_GRAPHIC", "PASSWORD_GRAPHIC",
                                    "PASSKEY_GRAPHIC", "PAGE_HEADER_LOGO", "PAGE_HEADER_BACKGROUND", "PAGE_FOOTER_LOGO", "PAGE_FOOTER_BACKGROUND",
                                    "PAGE_BACKGROUND", "FORM_BACKGROUND", "FORM_LOGO", "IDP_BUTTON_ICON"]
    public static let extensions = ["ICO", "JPEG", "PNG", "SVG", "WEBP"]
    public static let largest = 1_000_000

    /// The media type each file type is served with.
    public static func mediaType(_ fileExtension: String) -> String {
        switch fileExtension {
        case "ICO": "image/x-icon"
        case "JPEG": "image/jpeg"
        case "PNG": "image/png"
        case "SVG": "image/svg+xml"
        default: "image/webp"
        }
    }

    /// Checks one asset and describes it (its digest names its version).
    public static func check(category: String, colorMode: String, fileExtension: String, resourceId: String?, bytes: Data)
        throws(ValidationError) -> ManagedLoginAsset
    {
        func refuse(_ message: String) -> ValidationError { ValidationError(field: "Assets", message: message) }
        guard categories.contains(category) else { throw refuse("\(category.prefix(40)) is not an asset category.") }
        guard ManagedLoginStyle.Mode(rawValue: colorMode) != nil else { throw refuse("\(colorMode.prefix(40)) is not LIGHT, DARK or DYNAMIC.") }
        guard extensions.contains(fileExtension) else { throw refuse("\(fileExtension.prefix(40)) is not ICO, JPEG, PNG, SVG or WEBP.") }
        guard !bytes.isEmpty else { throw refuse("The \(category) asset has no bytes.") }
        guard bytes.count <= largest else { throw refuse("The \(category) asset is larger than 1 MB.") }
        if category == "FAVICON_ICO", fileExtension != "ICO" { throw refuse("FAVICON_ICO must be an ICO file.") }
        if category == "FAVICON_SVG", fileExtension != "SVG" { throw refuse("FAVICON_SVG must be an SVG file.") }
        let head = [UInt8](bytes.prefix(16))
        let fits = switch fileExtension {
        case "PNG": head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        case "JPEG": head.starts(with: [0xFF, 0xD8, 0xFF])
        case "ICO": head.starts(with: [0x00, 0x00, 0x01, 0x00])
        case "WEBP": head.count >= 12 && head.starts(with: Array("RIFF".utf8)) && Array(head[8..<12]) == Array("WEBP".utf8)
        default: true
        }
        guard fits else { throw refuse("The \(category) asset is not a \(fileExtension) file.") }
        if fileExtension == "SVG", let problem = svgProblem(bytes) { throw refuse("The \(category) SVG \(problem).") }
        return ManagedLoginAsset(category: category, colorMode: colorMode, fileExtension: fileExtension, resourceId: resourceId,
                                 digest: SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined(), size: bytes.count)
    }

    /// Why an SVG is refused, or nil: not well-formed XML (a DOCTYPE, so entities, included), a
    /// root that is not `svg`, or anything that runs script or reaches out: script, foreignObject
    /// and embedding elements, event attributes (`on…`), links other than to the file itself or
    /// to inline raster images, and animations that change a link.
    public static func svgProblem(_ bytes: Data) -> String? {
        let document: SafeXML
        do { document = try SafeXML(bytes) } catch { return "cannot be read (\(error))" }
        guard document.root.name == "svg" else { return "does not have svg as its root element" }
        if String(decoding: bytes, as: UTF8.self).contains("<?xml-stylesheet") { return "names a style sheet" }
        let banned: Set<String> = ["script", "foreignObject", "iframe", "embed", "object", "handler", "listener", "audio", "video", "image"]
        func problem(_ element: SafeXML.Element) -> String? {
            if banned.contains(element.name) {
                // an inline raster image is fine; anything else it could load is not
                guard element.name == "image", let link = element.attribute("href"),
                    link.hasPrefix("data:image/png") || link.hasPrefix("data:image/jpeg") || link.hasPrefix("data:image/webp")
                else { return "contains a \(element.name) element" }
            }
            for (name, value) in element.attributes {
                let lower = name.lowercased()
                if lower.hasPrefix("on") { return "has an event attribute (\(name))" }
                if lower == "href", element.name != "image", !value.hasPrefix("#") { return "links outside itself (\(value.prefix(40)))" }
                if ["attributename"].contains(lower), value.lowercased().hasSuffix("href") { return "animates a link" }
                if value.lowercased().contains("javascript:") { return "contains javascript:" }
                if lower == "style", value.lowercased().contains("url("), !value.contains("url(#") { return "loads a url in a style" }
            }
            let styleText = element.name == "style" ? element.text.lowercased() : ""
            if styleText.contains("@import") || (styleText.contains("url(") && !styleText.contains("url(#")) { return "loads a url in a style" }
            for child in element.children { if let found = problem(child) { return found } }
            return nil
        }
        return problem(document.root)
    }
}
