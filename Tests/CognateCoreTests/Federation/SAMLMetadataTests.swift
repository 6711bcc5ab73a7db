import CognateCore
import CognateSAML
import CryptoExtras
import Foundation
import Testing

/// An IdP's SAML metadata read safely: what Cognate needs from it, and the documents it refuses.
@Suite struct SAMLMetadataTests {
    /// A certificate as an IdP has one (self-signed), made `yearsAgo` for ten years.
    static func certificate(yearsAgo: Int = 0) -> String {
        let key = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
        return try! X509Certificate.selfSigned(privateKeyPEM: key.pemRepresentation, commonName: "idp.corp.example",
                                               now: Date().addingTimeInterval(-Double(yearsAgo) * 366 * 86_400)).base64
    }

    static let signing = certificate()
    static let other = certificate()

    static func metadata(_ inner: String, root: String = "md:EntityDescriptor") -> String {
        """
        <?xml version="1.0"?>
        <\(root) xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.corp.example/saml">
          \(inner)
        </\(root)>
        """
    }

    static let idp = """
        <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
          <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>
            \(signing)
          </ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
          <md:KeyDescriptor><ds:KeyInfo><ds:X509Data><ds:X509Certificate>\(other)</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
          <md:KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>QUJD</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
          <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.corp.example/slo"/>
          <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.corp.example/sso/post"/>
          <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.corp.example/sso"/>
        </md:IDPSSODescriptor>
        """

    @Test func theEntityItsServicesAndItsSigningCertificatesAreRead() throws {
        let read = try SAMLMetadata.read(Data(Self.metadata(Self.idp).utf8))
        #expect(read.entityId == "https://idp.corp.example/saml")
        #expect(read.ssoRedirect == "https://idp.corp.example/sso" && read.ssoPost == "https://idp.corp.example/sso/post")
        #expect(read.sloRedirect == "https://idp.corp.example/slo")
        #expect(read.signingCertificates == [Self.signing, Self.other], "the encryption key is no signing key")
        // inside an EntitiesDescriptor, the entity with an IdP role
        let wrapped = """
            <md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
              <md:EntityDescriptor entityID="https://sp.example"><md:SPSSODescriptor protocolSupportEnumeration="x"/></md:EntityDescriptor>
              <md:EntityDescriptor entityID="https://idp.corp.example/saml">\(Self.idp)</md:EntityDescriptor>
            </md:EntitiesDescriptor>
            """
        #expect(try SAMLMetadata.read(Data(wrapped.utf8)).entityId == "https://idp.corp.example/saml")
    }

    @Test(arguments: [
        ("an external entity (XXE)", """
            <?xml version="1.0"?><!DOCTYPE md [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
            <md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="&xxe;"><md:IDPSSODescriptor/></md:EntityDescriptor>
            """),
        ("an entity bomb", """
            <?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
            <md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="&lol2;"/>
            """),
        ("no identity provider", metadata("<md:SPSSODescriptor protocolSupportEnumeration=\"x\"/>")),
        ("no signing certificate", metadata("""
            <md:IDPSSODescriptor><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://i/sso"/></md:IDPSSODescriptor>
            """)),
        ("no sign-in service", metadata("""
            <md:IDPSSODescriptor><md:KeyDescriptor><ds:KeyInfo><ds:X509Data><ds:X509Certificate>QUJD</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor></md:IDPSSODescriptor>
            """)),
        ("not XML", "<html><body>Sign in</body>"),
        ("another namespace", metadata(idp).replacingOccurrences(of: "urn:oasis:names:tc:SAML:2.0:metadata", with: "urn:example:evil")),
    ])
    func unusableOrHostileMetadataIsRefused(_ why: String, _ text: String) {
        #expect(throws: XMLRefusal.self, "\(why)") { try SAMLMetadata.read(Data(text.utf8)) }
    }
}

@Suite struct SAMLProviderTests {
    @Test func aMetadataURLIsReadAtCreateAndItsBindingsShown() async throws {
        let world = try await CoreWorld.make()
        let url = "https://idp.corp.example/metadata"
        let http = ScriptedProvider([url: OutboundAnswer(status: 200, body: Data(SAMLMetadataTests.metadata(SAMLMetadataTests.idp).utf8))])
        let service = IdentityProviderService(store: world.store, masterKey: world.masterKey, http: http, now: world.clock.now)
        let made = try await service.create(poolId: world.pool.id, name: "Okta", type: .saml, details: ["MetadataURL": url],
                                            attributeMapping: ["email": "email"], identifiers: ["corp.example"])
        #expect(made.details["SSORedirectBindingURI"] == "https://idp.corp.example/sso" && made.details["IDPSignout"] == "false")
        #expect(!(try service.differs(made, details: ["MetadataURL": url, "IDPSignout": "false"], attributeMapping: ["email": "email"],
                                      identifiers: ["corp.example"], pool: world.pool)))
        // as Cognito: metadata whose signing certificates have all expired is not taken
        let expired = SAMLMetadataTests.metadata(SAMLMetadataTests.idp).replacingOccurrences(of: SAMLMetadataTests.signing, with: SAMLMetadataTests.certificate(yearsAgo: 11))
            .replacingOccurrences(of: SAMLMetadataTests.other, with: SAMLMetadataTests.certificate(yearsAgo: 12))
        await #expect(throws: ValidationError.self) {
            try await service.create(poolId: world.pool.id, name: "Old", type: .saml, details: ["MetadataFile": expired], attributeMapping: nil,
                                     identifiers: nil)
        }
        let missing = IdentityProviderService(store: world.store, masterKey: world.masterKey, http: ScriptedProvider(), now: world.clock.now)
        await #expect(throws: ValidationError.self) {
            try await missing.create(poolId: world.pool.id, name: "Gone", type: .saml, details: ["MetadataURL": url], attributeMapping: nil,
                                     identifiers: nil)
        }
    }
}
