@testable import CognateCore
import Foundation
import Testing

@Suite struct TOTPTests {
    static let secret = Data("12345678901234567890".utf8)

    /// RFC 6238 appendix B (SHA-1), last six digits of its eight.
    @Test(arguments: [(59, "287082"), (1_111_111_109, "081804"), (1_234_567_890, "005924"), (2_000_000_000, "279037")])
    func rfc6238Vectors(_ time: Int, _ expected: String) {
        #expect(TOTP.code(secret: Self.secret, step: TOTP.step(at: Date(timeIntervalSince1970: Double(time)))) == expected)
    }

    @Test func codesMatchOneStepEitherSideAndOnlyOnce() {
        let now = Date(timeIntervalSince1970: 1_800_000_015)
        let step = TOTP.step(at: now)
        for offset in [-1, 0, 1] {
            #expect(TOTP.matchingStep(TOTP.code(secret: Self.secret, step: step + offset), secret: Self.secret, at: now, after: nil) == step + offset)
        }
        #expect(TOTP.matchingStep(TOTP.code(secret: Self.secret, step: step - 2), secret: Self.secret, at: now, after: nil) == nil)
        #expect(TOTP.matchingStep(TOTP.code(secret: Self.secret, step: step), secret: Self.secret, at: now, after: step) == nil,
                "a code already used does not work again")
        #expect(TOTP.matchingStep("12345", secret: Self.secret, at: now, after: nil) == nil)
    }

    @Test func base32AndURIAreWhatAuthenticatorAppsRead() {
        #expect(TOTP.base32(Self.secret) == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
        #expect(TOTP.base32(Data([0xFF])) == "74")
        let uri = TOTP.uri(secret: Self.secret, issuer: "My Shop", account: "ana@example.com")
        #expect(uri == "otpauth://totp/My%20Shop:ana@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=My%20Shop")
    }

    @Test func qrCodeIsAnSVGWithDarkModules() throws {
        let svg = try #require(QRCode.svg(TOTP.uri(secret: Self.secret, issuer: "Cognate", account: "ana")))
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(svg.contains("<path d=\"M") && svg.hasSuffix("</svg>"))
    }
}
