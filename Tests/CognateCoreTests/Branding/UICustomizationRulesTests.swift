import CognateCore
import Foundation
import Testing

/// Cognito's classic customization rules: only the `-customizable` classes, only their
/// properties, plain values; what a page gets is written out again from what was read.
@Suite struct UICustomizationRulesTests {
    @Test func allowedRulesAreReadAndWrittenOutAgain() throws {
        let css = """
            /* brand colours */
            .submitButton-customizable { background-color: #0a7d3b; color: white; font-size: 16px }
            .submitButton-customizable:hover{background-color:rgb(8, 100, 48);}
            .label-customizable { font-weight: 700; }
            .inputField-customizable:focus { border-color: #0a7d3b; outline: 2px; }
            """
        let rules = try UICustomizationRules.rules(css)
        #expect(rules.map(\.selector) == [".submitButton-customizable", ".submitButton-customizable:hover", ".label-customizable",
                                          ".inputField-customizable:focus"])
        #expect(UICustomizationRules.written(rules) == """
            .submitButton-customizable { background-color: #0a7d3b; color: white; font-size: 16px; }
            .submitButton-customizable:hover { background-color: rgb(8, 100, 48); }
            .label-customizable { font-weight: 700; }
            .inputField-customizable:focus { border-color: #0a7d3b; outline: 2px; }
            """)
        #expect(try UICustomizationRules.rules("").isEmpty && UICustomizationRules.rules("  /* nothing */ ").isEmpty)
    }

    @Test(arguments: [
        ("@import", #"@import url("https://evil.example/x.css"); .label-customizable { font-weight: 700; }"#),
        ("@media", "@media (min-width: 1px) { .label-customizable { font-weight: 700; } }"),
        ("a class outside the list", ".card { background-color: red; }"),
        ("an element selector", "body { background-color: red; }"),
        ("a property the class may not set", ".label-customizable { color: red; }"),
        ("url()", ".background-customizable { background-color: url(https://evil.example/track.png); }"),
        ("expression()", ".background-customizable { background-color: expression(alert(1)); }"),
        ("leaving the style element", ".label-customizable { font-weight: 700; } </style><script>alert(1)</script>"),
        ("an escape", #".label-customizable { font-weight: \37 00; }"#),
        ("!important", ".label-customizable { font-weight: 700 !important; }"),
        ("an open comment", ".label-customizable { font-weight: 700; } /* never closed"),
        ("an unclosed rule", ".label-customizable { font-weight: 700;"),
        ("a declaration without a value", ".label-customizable { font-weight; }"),
    ])
    func disallowedCSSIsRefused(_ why: String, _ css: String) {
        #expect(throws: ValidationError.self, "\(why)") { try UICustomizationRules.rules(css) }
    }

    @Test func onlyPNGAndJPEGLogosOfAtMost100KBAreTaken() throws {
        let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) + Data(count: 64)
        #expect(try UICustomizationRules.imageType(png) == "image/png")
        #expect(try UICustomizationRules.imageType(Data([0xFF, 0xD8, 0xFF, 0xE0]) + Data(count: 64)) == "image/jpeg")
        #expect(throws: ValidationError.self) { try UICustomizationRules.imageType(Data(#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#.utf8)) }
        #expect(throws: ValidationError.self) { try UICustomizationRules.imageType(png + Data(count: 100 * 1024)) }
        #expect(throws: ValidationError.self) { try UICustomizationRules.imageType(Data("GIF89a".utf8)) }
    }
}
