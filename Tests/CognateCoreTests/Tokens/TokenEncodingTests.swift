@testable import CognateCore
import Foundation
import Testing

/// The hand-written encoders on the token hot path must say exactly what Foundation would.
@Suite struct TokenEncodingTests {
    @Test func base64URLMatchesFoundationForEveryLengthAndByte() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<70 {
            let data = Data((0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) })
            let expected = data.base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            #expect(data.base64URLEncoded == expected, "length \(length)")
        }
        #expect(Data([0xFB, 0xFF]).base64URLEncoded == "-_8")
    }

    @Test func claimsJSONParsesBackToTheSameClaims() throws {
        let claims = TokenClaims([
            "sub": .string("6f1c0a7e-1111-4222-8333-944445555666"), "iss": .string("http://127.0.0.1:8080/local_Ab3dE6gH9"),
            "quote": .string("say \"hi\" \\ back"), "control": .string("line\nbreak\ttab\u{01}\u{1F}"),
            "unicode": .string("Zoë 🚀 中文"), "email_verified": .bool(true), "exp": .int(1_800_000_000), "neg": .int(-5),
            "cognito:groups": .strings(["admins", "a \"quoted\" group"]), "empty": .strings([]),
        ])
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(claims.json)) as? [String: Any])
        #expect(parsed.count == claims.claims.count)
        let decoded = try JSONDecoder().decode(TokenClaims.self, from: Data(claims.json))
        #expect(decoded == claims)
        #expect(String(decoding: claims.json, as: UTF8.self).hasPrefix("{\"cognito:groups\":["), "keys are sorted")
    }
}
