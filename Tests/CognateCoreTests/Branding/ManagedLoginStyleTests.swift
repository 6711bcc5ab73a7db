@testable import CognateCore
import Foundation
import Testing

/// A managed login style's Settings read into the pages' palettes, contrast checked the way
/// WCAG 2.2 computes it, and the images' checks.
@Suite struct ManagedLoginStyleTests {
    @Test func contrastIsComputedAsWCAGDoes() throws {
        let black = try #require(RGBA("#000000")), white = try #require(RGBA("#ffffff"))
        #expect(abs(RGBA.contrast(black, white) - 21) < 0.001)
        #expect(abs(RGBA.contrast(white, white) - 1) < 0.001)
        // #767676 on white is the classic 4.54:1
        #expect(abs(RGBA.contrast(try #require(RGBA("#767676")), white) - 4.54) < 0.01)
        // half-transparent black over white is mid grey
        let half = try #require(RGBA("#00000080")).over(white)
        #expect(abs(half.r - 0.498) < 0.01)
    }

    @Test func theBuiltInLookPassesItsOwnChecks() throws {
        #expect(ManagedLoginStyle.builtIn.contrastProblems().isEmpty)
        #expect(try ManagedLoginStyle.read(nil) == .builtIn)
        // and its Settings document reads back as itself
        let settings = String(decoding: try JSONSerialization.data(withJSONObject: ManagedLoginStyle.builtInSettings()), as: UTF8.self)
        let read = try ManagedLoginStyle.read(settings)
        // (written back as Cognito writes colours, RRGGBBAA)
        #expect(read.light.mapValues { $0.hasSuffix("px") ? $0 : String($0.prefix(7)) }
            == ManagedLoginStyle.builtInLight.merging(["radius-form": "8.0px", "radius-button": "4.0px", "radius-input": "4.0px"]) { $1 })
    }

    @Test func settingsBecomeThePalettes() throws {
        let style = try ManagedLoginStyle.read("""
            {"components": {"primaryButton": {"lightMode": {"defaults": {"backgroundColor": "0A7D3B", "textColor": "ffffffff"}}},
                            "pageBackground": {"darkMode": {"color": "101010ff"}}},
             "componentClasses": {"input": {"borderRadius": 2}},
             "categories": {"global": {"colorSchemeMode": "LIGHT", "spacingDensity": "COMPACT"}, "form": {"location": {"horizontal": "START"}}},
             "reservedForLater": {"anything": [1, 2, {"x": true}]}}
            """)
        #expect(style.light["accent"] == "#0a7d3b" && style.light["on-accent"] == "#ffffffff" && style.dark["background"] == "#101010ff")
        #expect(style.light["radius-input"] == "2.0px" && style.mode == .light && style.spacing == 0.75 && style.horizontal == "START")
        // a light-only style keeps its light palette in a dark system setting too
        #expect(style.css.contains("@media (prefers-color-scheme: dark) { :root {") && !style.css.contains("#101010ff"))
        #expect(style.css.contains("--cognate-accent: #0a7d3b;") && style.css.contains("margin-inline-start: 2rem"))
    }

    @Test(arguments: [
        (#"{"components": {"form": {"lightMode": {"backgroundColor": "white"}}}}"#, "hexadecimal"),
        (#"{"components": {"x": {"lightMode": {"someColor": "12345"}}}}"#, "hexadecimal"),
        (#"{"components": {"pageText": {"lightMode": {"bodyColor": "aaaaaa"}}}}"#, "contrast"),
        (#"{"components": {"pageText": {"darkMode": {"headingColor": "333333"}}}}"#, "3.0:1"),
        (#"{"categories": {"global": {"colorSchemeMode": "LIGHT"}}, "components": {"pageText": {"darkMode": {"bodyColor": "222222"}}}}"#, nil),
        (#"{"categories": {"global": {"pageHeader": {"enabled": "yes"}}}}"#, "true or false"),
        (#"[1, 2]"#, "JSON object"),
        (#"{"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": {"j": {"k": {"l": {"m": {"n": 1}}}}}}}}}}}}}}"#, "deeper"),
    ] as [(String, String?)])
    func badSettingsAreRefused(_ settings: String, _ reason: String?) {
        do {
            _ = try ManagedLoginStyle.read(settings)
            #expect(reason == nil, "read: \(settings)")
        } catch {
            #expect(reason.map { error.message.contains($0) } == true, "\(error.message)")
        }
    }

    @Test func imagesAreCheckedByTheirBytes() throws {
        let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0])
        let asset = try ManagedLoginAssets.check(category: "FORM_LOGO", colorMode: "DARK", fileExtension: "PNG", resourceId: "r1", bytes: png)
        #expect(asset.size == 12 && asset.digest.count == 64 && asset.resourceId == "r1")
        #expect(throws: ValidationError.self) {
            try ManagedLoginAssets.check(category: "FORM_LOGO", colorMode: "DARK", fileExtension: "JPEG", resourceId: nil, bytes: png)
        }
        #expect(throws: ValidationError.self) {
            try ManagedLoginAssets.check(category: "FAVICON_ICO", colorMode: "LIGHT", fileExtension: "PNG", resourceId: nil, bytes: png)
        }
        #expect(throws: ValidationError.self) {
            try ManagedLoginAssets.check(category: "FORM_LOGO", colorMode: "LIGHT", fileExtension: "PNG", resourceId: nil,
                                         bytes: png + Data(count: 1_000_000))
        }
        let webp = Data("RIFF\u{0}\u{0}\u{0}\u{0}WEBPVP8 ".utf8)
        #expect(throws: Never.self) {
            try ManagedLoginAssets.check(category: "PAGE_BACKGROUND", colorMode: "DYNAMIC", fileExtension: "WEBP", resourceId: nil, bytes: webp)
        }
    }

    @Test(arguments: [
        (##"<svg xmlns="http://www.w3.org/2000/svg"><circle r="4" fill="url(#g)"/><use href="#c"/></svg>"##, nil),
        (#"<svg xmlns="http://www.w3.org/2000/svg"><image href="data:image/png;base64,iVBORw0KGgo="/></svg>"#, nil),
        (#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#, "script"),
        (#"<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><div/></foreignObject></svg>"#, "foreignObject"),
        (#"<svg xmlns="http://www.w3.org/2000/svg"><rect onclick="alert(1)"/></svg>"#, "event attribute"),
        (#"<svg xmlns="http://www.w3.org/2000/svg"><image href="https://tracker.example/p.png"/></svg>"#, "image"),
        (#"<svg xmlns="http://www.w3.org/2000/svg"><a href="https://evil.example"><rect/></a></svg>"#, "links outside"),
        (#"<svg xmlns="http://www.w3.org/2000/svg"><set attributeName="href" to="javascript:alert(1)"/></svg>"#, "animates a link"),
        (#"<svg xmlns="http://www.w3.org/2000/svg"><style>@import url(https://evil.example/x.css);</style></svg>"#, "style"),
        (#"<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill: url(https://evil.example/x)"/></svg>"#, "style"),
        (#"<?xml-stylesheet href="https://evil.example/x.css"?><svg xmlns="http://www.w3.org/2000/svg"/>"#, "style sheet"),
        (#"<svg xmlns="http://www.w3.org/2000/svg"><rect"#, "cannot be read"),
        (#"<html/>"#, "root"),
    ] as [(String, String?)])
    func svgsThatCouldRunOrFetchAnythingAreRefused(_ svg: String, _ reason: String?) {
        let problem = ManagedLoginAssets.svgProblem(Data(svg.utf8))
        if let reason { #expect(problem?.contains(reason) == true, "\(svg): \(String(describing: problem))") } else { #expect(problem == nil, "\(svg)") }
    }

    @Test func settingsAreLaidOverEachOther() {
        let merged = ManagedLoginStyle.merged(["a": ["b": 1, "c": 2], "d": 3], ["a": ["c": 4], "e": 5])
        #expect((merged["a"] as? [String: Int]) == ["b": 1, "c": 4] && merged["d"] as? Int == 3 && merged["e"] as? Int == 5)
    }
}
