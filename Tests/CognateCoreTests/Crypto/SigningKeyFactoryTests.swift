@testable import CognateCore
import CognateModel
import Foundation
import JWTKit
import Testing

@Suite struct SigningKeyFactoryTests {
    @Test(arguments: SigningAlgorithm.allCases)
    func newKeyPublishesJWKWithThumbprintKid(_ algorithm: SigningAlgorithm) async throws {
        // given
        let factory = SigningKeyFactory(masterKey: .generate())
        // when
        let key = try await factory.make(poolId: "local_Abcdefgh1", algorithm: algorithm, at: fixedNow)
        // then
        let jwk = try JSONDecoder().decode([String: String].self, from: Data(key.publicJWK.utf8))
        #expect(jwk["kid"] == key.kid)
        #expect(jwk["alg"] == algorithm.rawValue)
        #expect(jwk["use"] == "sig")
        #expect(jwk["d"] == nil, "the private exponent must never be published")
        var publicOnly = jwk
        for member in ["kid", "alg", "use"] { publicOnly[member] = nil }
        #expect(SigningKeyFactory.thumbprint(of: publicOnly) == key.kid)
        #expect(key.kid.count == 43)
    }

    @Test func rsaKeysAre2048Bit() async throws {
        let key = try await SigningKeyFactory(masterKey: .generate()).make(poolId: "local_Abcdefgh1", algorithm: .rs256, at: fixedNow)
        let jwk = try JSONDecoder().decode([String: String].self, from: Data(key.publicJWK.utf8))
        #expect(Data(lenientBase64: jwk["n"] ?? "")?.count == 256)
        #expect(jwk["e"] == "AQAB")
    }

    @Test func privateKeyIsSealedAndBoundToItsRow() async throws {
        let master = MasterKey.generate()
        let key = try await SigningKeyFactory(masterKey: master).make(poolId: "local_Abcdefgh1", algorithm: .rs256, at: fixedNow)
        #expect(!String(decoding: key.sealedPrivateKey, as: UTF8.self).contains("PRIVATE KEY"))
        let pem = try master.open(key.sealedPrivateKey, context: SigningKeyFactory.sealContext(poolId: key.poolId, kid: key.kid))
        #expect(String(decoding: pem, as: UTF8.self).contains("PRIVATE KEY"))
        #expect(throws: MasterKeyError.self) {
            try master.open(key.sealedPrivateKey, context: SigningKeyFactory.sealContext(poolId: "local_Other0000", kid: key.kid))
        }
    }

    /// RFC 7638 §3.1's example key and thumbprint.
    @Test func thumbprintMatchesRFC7638Example() {
        let jwk = [
            "kty": "RSA", "e": "AQAB",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        ]
        #expect(SigningKeyFactory.thumbprint(of: jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
    }
}
