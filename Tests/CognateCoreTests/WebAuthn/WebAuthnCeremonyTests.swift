import CognateCore
import Crypto
import Foundation
import Testing

/// The pieces of passkey verification: the CBOR reader's limits, the relying party's origins,
/// authenticator data, COSE keys, and an assertion checked end to end with a key made here.
@Suite struct WebAuthnCeremonyTests {
    @Test func cborReadsWhatAuthenticatorsSendAndRefusesTheRest() throws {
        // {1: 2, 3: -7, -1: h'0102', "fmt": "none", "ok": true}
        let value = try CBOR.decode([0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x42, 0x01, 0x02, 0x63, 0x66, 0x6d, 0x74, 0x64, 0x6e, 0x6f, 0x6e, 0x65,
                                     0x62, 0x6f, 0x6b, 0xf5])
        #expect(value[1]?.int == 2 && value[3]?.int == -7 && value[-1]?.data == Data([1, 2]) && value["fmt"]?.string == "none")
        #expect(value["ok"] == .bool(true))
        #expect(throws: CBOR.Malformed.self) { try CBOR.decode([0x42, 0x01]) }  // cut off
        #expect(throws: CBOR.Malformed.self) { try CBOR.decode([0x01, 0x02]) }  // something after
        #expect(throws: CBOR.Malformed.self) { try CBOR.decode([0x5f, 0x41, 0x00, 0xff]) }  // indefinite length
        #expect(throws: CBOR.Malformed.self) { try CBOR.decode([0xfb, 0, 0, 0, 0, 0, 0, 0, 0]) }  // a float
        #expect(throws: CBOR.Malformed.self) { try CBOR.decode([0xa2, 0x01, 0x01, 0x01, 0x02]) }  // a key twice
        #expect(throws: CBOR.Malformed.self) { try CBOR.decode([UInt8](repeating: 0x81, count: 40) + [0x01]) }  // too deep
        #expect(throws: CBOR.Malformed.self) { try CBOR.decode([0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) }  // a huge length
    }

    @Test func originsMustBeTheRelyingPartysOwn() {
        let rp = RelyingParty(id: "example.com", serverOrigin: "http://127.0.0.1:8080", userVerificationRequired: false)
        #expect(rp.allows(origin: "https://example.com") && rp.allows(origin: "https://login.example.com:8443"))
        #expect(!rp.allows(origin: "https://evilexample.com") && !rp.allows(origin: "https://example.com.evil.net"))
        #expect(!rp.allows(origin: "http://example.com") && !rp.allows(origin: "https://example.com/path") && !rp.allows(origin: "ftp://example.com"))
        #expect(!rp.allows(origin: "http://127.0.0.1:8080"))  // the server's origin, but not under the RP id
        let local = RelyingParty(id: "localhost", serverOrigin: "http://127.0.0.1:8080", userVerificationRequired: false)
        #expect(local.allows(origin: "http://localhost:5173") && !local.allows(origin: "http://127.0.0.1:8080"))
        let own = RelyingParty(id: "id.internal", serverOrigin: "http://id.internal:8080", userVerificationRequired: false)
        #expect(own.allows(origin: "http://id.internal:8080") && !own.allows(origin: "http://id.internal:9090"))
    }

    static func authenticatorData(rpId: String, flags: UInt8, count: UInt32) -> Data {
        Data(SHA256.hash(data: Data(rpId.utf8))) + Data([flags]) + withUnsafeBytes(of: count.bigEndian) { Data($0) }
    }

    static func assertion(key: P256.Signing.PrivateKey, challenge: String, origin: String, rpId: String, flags: UInt8 = 0x05, count: UInt32)
        throws -> JSONValue
    {
        let client = Data(#"{"type":"webauthn.get","challenge":"\#(challenge)","origin":"\#(origin)"}"#.utf8)
        let data = authenticatorData(rpId: rpId, flags: flags, count: count)
        let signature = try key.signature(for: data + Data(SHA256.hash(data: client))).derRepresentation
        return .object(["id": .string("AQID"), "type": .string("public-key"), "response": .object([
            "clientDataJSON": .string(client.base64URLEncoded), "authenticatorData": .string(data.base64URLEncoded),
            "signature": .string(signature.base64URLEncoded)])])
    }

    @Test func anAssertionVerifiesWithTheStoredKeyAndItsCounterMustRise() throws {
        let key = P256.Signing.PrivateKey()
        let raw = key.publicKey.x963Representation
        let cose = Data([0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20]) + raw[1..<33] + Data([0x22, 0x58, 0x20]) + raw[33..<65]
        #expect(try COSEKey(bytes: cose).algorithm == -7)
        let rp = RelyingParty(id: "example.com", serverOrigin: nil, userVerificationRequired: true)
        let good = try WebAuthnCeremony.assertion(try Self.assertion(key: key, challenge: "abc", origin: "https://example.com", rpId: "example.com",
                                                                     count: 7), rp: rp)
        #expect(good.challenge == "abc" && good.credentialId == "AQID")
        let verified = try WebAuthnCeremony.verify(good, publicKey: cose, storedCount: 6, rp: rp)
        #expect(verified.signCount == 7 && verified.userVerified)
        #expect(throws: WebAuthnError.counterRegressed) { try WebAuthnCeremony.verify(good, publicKey: cose, storedCount: 7, rp: rp) }
        let otherKey = P256.Signing.PrivateKey().publicKey.x963Representation
        let otherCose = Data([0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20]) + otherKey[1..<33] + Data([0x22, 0x58, 0x20]) + otherKey[33..<65]
        #expect(throws: WebAuthnError.self) { try WebAuthnCeremony.verify(good, publicKey: otherCose, storedCount: 0, rp: rp) }
        let unverified = try WebAuthnCeremony.assertion(try Self.assertion(key: key, challenge: "abc", origin: "https://example.com",
                                                                           rpId: "example.com", flags: 0x01, count: 8), rp: rp)
        #expect(throws: WebAuthnError.userVerificationRequired) { try WebAuthnCeremony.verify(unverified, publicKey: cose, storedCount: 0, rp: rp) }
        let elsewhere = try WebAuthnCeremony.assertion(try Self.assertion(key: key, challenge: "abc", origin: "https://example.com",
                                                                          rpId: "evil.com", count: 9), rp: rp)
        #expect(throws: WebAuthnError.relyingPartyMismatch) { try WebAuthnCeremony.verify(elsewhere, publicKey: cose, storedCount: 0, rp: rp) }
        #expect(throws: WebAuthnError.originNotAllowed("https://evil.com")) {
            try WebAuthnCeremony.assertion(try Self.assertion(key: key, challenge: "abc", origin: "https://evil.com", rpId: "example.com", count: 9), rp: rp)
        }
    }

    @Test func authenticatorDataMustEndWhereItsPartsEnd() throws {
        let plain = Self.authenticatorData(rpId: "example.com", flags: 0x01, count: 1)
        #expect(try AuthenticatorData(plain).signCount == 1)
        #expect(throws: WebAuthnError.self) { try AuthenticatorData(plain + Data([0x00])) }  // a byte too many
        #expect(throws: WebAuthnError.self) { try AuthenticatorData(plain.prefix(36)) }  // a byte short
        // extensions (ED flag) are read past: {"credProtect": 2}
        let withExtensions = Self.authenticatorData(rpId: "example.com", flags: 0x81, count: 2) + Data([0xa1, 0x6b]) + Data("credProtect".utf8) + Data([0x02])
        #expect(try AuthenticatorData(withExtensions).signCount == 2)
        // attested data claiming a longer credential id than there is
        let cut = Self.authenticatorData(rpId: "example.com", flags: 0x41, count: 0) + Data(count: 16) + Data([0x00, 0x40, 0x01])
        #expect(throws: WebAuthnError.self) { try AuthenticatorData(cut) }
    }
}
