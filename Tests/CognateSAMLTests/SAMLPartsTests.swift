@testable import CognateSAML
import CryptoExtras
import Foundation
import Testing

/// The parts of SAML Cognate does itself: the HTTP-Redirect binding's DEFLATE and query, the
/// pool's certificates, and the refusals a Response meets before any signature is checked.
@Suite struct SAMLPartsTests {
    @Test func deflateRoundTripsAndAnInflateBombIsRefused() throws {
        let xml = Data(String(repeating: "<samlp:AuthnRequest ID=\"_1\"/>", count: 50).utf8)
        let packed = SAMLRedirect.deflate(xml)
        #expect(packed.count < xml.count && packed.count > 0)
        #expect(try SAMLRedirect.inflate(packed) == xml)
        // a few KiB that would inflate to 8 MiB: stopped at the limit
        let bomb = SAMLRedirect.deflate(Data(count: 8 << 20))
        #expect(bomb.count < 16 * 1024)
        #expect(throws: XMLRefusal.self) { try SAMLRedirect.inflate(bomb) }
        #expect(throws: XMLRefusal.self) { try SAMLRedirect.inflate(Data("not deflate at all".utf8)) }
    }

    @Test func theQueryIsEncodedAsFormsAreSoIdPsRecomputeTheSignedOctets() throws {
        // as Python's urlencode (quote_plus) writes it: what pysaml2 and others check against
        #expect(SAMLRedirect.encode("a+b/c=d e~f_g.h-i") == "a%2Bb%2Fc%3Dd+e~f_g.h-i")
        var signed: Data?
        let query = try SAMLRedirect.query(xml: "<x/>", relayState: "r 1") { octets in
            signed = octets
            return Data([1, 2, 3])
        }
        #expect(query.hasPrefix("SAMLRequest=") && query.contains("&RelayState=r+1&SigAlg=http%3A%2F%2Fwww.w3.org%2F2001%2F04%2Fxmldsig-more%23rsa-sha256"))
        #expect(query.hasSuffix("&Signature=AQID"))
        #expect(signed.map { String(decoding: $0, as: UTF8.self) } == String(query[..<query.range(of: "&Signature=")!.lowerBound]))
        #expect(!(try SAMLRedirect.query(xml: "<x/>", relayState: nil)).contains("Signature"))
    }

    @Test func aSelfSignedCertificateIsGoodForTenYearsAndReadBack() throws {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let made = try X509Certificate.selfSigned(privateKeyPEM: key.pemRepresentation, commonName: "urn:amazon:cognito:sp:" + String(repeating: "x", count: 80), now: now)
        let read = try X509Certificate(base64: made.base64)
        #expect(read == made)
        #expect(read.isValid(at: now) && read.isValid(at: now.addingTimeInterval(9 * 365 * 86_400)))
        #expect(!read.isValid(at: now.addingTimeInterval(11 * 365 * 86_400)) && !read.isValid(at: now.addingTimeInterval(-7200)))
        #expect(throws: CertificateError.self) { try X509Certificate(base64: "QUJD") }
        #expect(throws: CertificateError.self) { try X509Certificate.selfSigned(privateKeyPEM: "nope", commonName: "x", now: now) }
    }

    static let idp = SAMLMetadata(entityId: "https://idp.example", ssoRedirect: "https://idp.example/sso", ssoPost: nil, sloRedirect: nil,
                                  signingCertificates: [])

    static func expectation(now: Date = Date()) -> SAMLExpectation {
        SAMLExpectation(audience: "urn:amazon:cognito:sp:p", consumerURL: "https://c.example/p/saml2/idpresponse", identityProvider: idp,
                        requestId: "_r", decryptionKeyPEM: nil, requireEncryption: false, now: now)
    }

    static func response(_ inner: String, status: String = "urn:oasis:names:tc:SAML:2.0:status:Success") -> String {
        let xml = """
            <samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_resp" Version="2.0">\
            <samlp:Status><samlp:StatusCode Value="\(status)"/></samlp:Status>\(inner)</samlp:Response>
            """
        return Data(xml.utf8).base64EncodedString()
    }

    @Test(arguments: [
        ("not base64", "%%%"),
        ("not XML", Data("<samlp:Response".utf8).base64EncodedString()),
        ("an external entity (XXE)", Data("""
            <?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
            <samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" Version="2.0">&xxe;</samlp:Response>
            """.utf8).base64EncodedString()),
        ("another message", Data("<samlp:LogoutResponse xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" Version=\"2.0\"/>".utf8).base64EncodedString()),
        ("no assertion", response("")),
        ("two assertions", response("<saml:Assertion ID=\"_a\" Version=\"2.0\"/><saml:Assertion ID=\"_b\" Version=\"2.0\"/>")),
        ("an assertion hidden in an extension", response("<samlp:Extensions><saml:Assertion ID=\"_a\" Version=\"2.0\"/></samlp:Extensions>")),
        ("an ID used twice", response("<saml:Assertion ID=\"_resp\" Version=\"2.0\"/>")),
        ("too long", String(repeating: "A", count: 100_004)),
    ])
    func aResponseThatIsNotOneIsRefusedBeforeAnySignature(_ why: String, _ text: String) {
        #expect(throws: SAMLRefusal.self, "\(why)") { try SAMLResponse.read(base64: text, expecting: Self.expectation()) }
    }

    @Test func theIdPsOwnRefusalIsReportedWithItsStatus() {
        do {
            _ = try SAMLResponse.read(base64: Self.response("", status: "urn:oasis:names:tc:SAML:2.0:status:Responder"), expecting: Self.expectation())
            Issue.record("a Responder status signed someone in")
        } catch let refusal as SAMLRefusal {
            #expect(refusal.status == "urn:oasis:names:tc:SAML:2.0:status:Responder")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func anUnsignedAssertionIsRefusedAndSoIsOneWithoutCurrentCertificates() throws {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let now = Date()
        let current = try X509Certificate.selfSigned(privateKeyPEM: key.pemRepresentation, commonName: "idp", now: now)
        var expected = Self.expectation(now: now)
        expected.identityProvider.signingCertificates = [current.base64]
        let unsigned = Self.response("<saml:Assertion ID=\"_a\" Version=\"2.0\"><saml:Issuer>https://idp.example</saml:Issuer></saml:Assertion>")
        #expect(throws: SAMLRefusal("neither the response nor the assertion is signed")) { try SAMLResponse.read(base64: unsigned, expecting: expected) }
        // eleven years on, the IdP's only certificate has expired: nothing it sends is believed
        expected.now = now.addingTimeInterval(11 * 366 * 86_400)
        #expect(throws: SAMLRefusal("every signing certificate of the identity provider has expired")) {
            try SAMLResponse.read(base64: unsigned, expecting: expected)
        }
    }

    @Test func timesAreReadWithAndWithoutFractions() throws {
        #expect(try SAMLResponse.time("2026-12-06T05:12:03Z") == Date(timeIntervalSince1970: 1_796_533_923))
        #expect(try SAMLResponse.time("2026-12-06T05:12:03.250Z") == Date(timeIntervalSince1970: 1_796_533_923.25))
        #expect(throws: SAMLRefusal.self) { try SAMLResponse.time("yesterday") }
    }
}
