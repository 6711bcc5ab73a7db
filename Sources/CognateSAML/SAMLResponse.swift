import CXMLSec
import Foundation

/// What a SAML Response must be to sign someone in (SAML 2.0 Core §2–3, Profiles §4.1.4.3).
public struct SAMLExpectation: Sendable {
    /// The SP's entity id: the Audience (Cognito's `urn:amazon:cognito:sp:<poolId>`).
    public var audience: String
    /// The assertion consumer service URL: the Response's Destination and the bearer's Recipient.
    public var consumerURL: String
    /// The IdP: its entity id (the Issuer) and its signing certificates.
    public var identityProvider: SAMLMetadata
    /// The AuthnRequest's ID the Response must answer; nil for an unsolicited (IdP-initiated) one,
    /// which must then answer none.
    public var requestId: String?
    /// The pool's decryption key (PEM), for EncryptedAssertion.
    public var decryptionKeyPEM: String?
    /// Whether the assertion must come encrypted (the provider's EncryptedResponses).
    public var requireEncryption: Bool
    public var now: Date

    /// How far the IdP's clock may be from ours.
    public static let skew: TimeInterval = 120

    public init(audience: String, consumerURL: String, identityProvider: SAMLMetadata, requestId: String?, decryptionKeyPEM: String?,
                requireEncryption: Bool, now: Date) {
        self.audience = audience
        self.consumerURL = consumerURL
        self.identityProvider = identityProvider
        self.requestId = requestId
        self.decryptionKeyPEM = decryptionKeyPEM
        self.requireEncryption = requireEncryption
        self.now = now
    }
}

/// Who the IdP signed in, read only from the element its signature covers.
public struct SAMLAssertion: Sendable, Equatable {
    /// The assertion's ID: accepted once.
    public var id: String
    public var issuer: String
    public var nameId: String
    public var nameIdFormat: String?
    /// The IdP's session (for single logout).
    public var sessionIndex: String?
    /// Each attribute's values by its Name.
    public var attributes: [String: [String]]
    /// Until when the assertion could be presented (kept that long to refuse a replay).
    public var usableUntil: Date
}

/// Why a SAML Response was not taken. `status` is the IdP's own non-success status code.
public struct SAMLRefusal: Error, Equatable, CustomStringConvertible {
    public var description: String
    public var status: String?
    public init(_ description: String, status: String? = nil) {
        self.description = description
        self.status = status
    }
}

public enum SAMLResponse {
    public static let protocolNS = "urn:oasis:names:tc:SAML:2.0:protocol"
    public static let assertionNS = "urn:oasis:names:tc:SAML:2.0:assertion"
    static let signatureNS = SAMLMetadata.signatureNS
    static let success = "urn:oasis:names:tc:SAML:2.0:status:Success"
    static let bearer = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
    /// Cognito takes SAML responses of up to 100,000 characters.
    public static let largest = 100_000

    /// The base64 `SAMLResponse` of an HTTP-POST, checked whole (XML Signature on the Response
    /// or the Assertion by a certificate of the IdP, Destination, InResponseTo, Issuer,
    /// Conditions, Audience, bearer SubjectConfirmation) before anything in it is believed.
    public static func read(base64 text: String, expecting expectation: SAMLExpectation) throws -> SAMLAssertion {
        guard text.utf8.count <= largest else { throw SAMLRefusal("the SAML response is longer than \(largest) characters") }
        guard let data = Data(base64Encoded: text.filter { !$0.isWhitespace }) else { throw SAMLRefusal("the SAML response is not base64") }
        let xml: SafeXML
        do {
            xml = try SafeXML(data)
        } catch let refusal as XMLRefusal {
            throw SAMLRefusal("the SAML response is not acceptable XML: \(refusal.description)")
        }
        return try check(xml, expectation)
    }

    static func check(_ xml: SafeXML, _ expected: SAMLExpectation) throws -> SAMLAssertion {
        let response = xml.root
        guard response.isElement(protocolNS, "Response"), response.attribute("Version") == "2.0" else {
            throw SAMLRefusal("the message is not a SAML 2.0 Response")
        }
        let status = response.children(protocolNS, "Status").first?.children(protocolNS, "StatusCode").first?.attribute("Value")
        guard status == success else {
            throw SAMLRefusal("the identity provider did not sign the user in (\(status ?? "no status"))", status: status ?? "none")
        }
        // the assertion: exactly one in the whole document, a child of the Response
        var assertions = all(response, assertionNS, "Assertion")
        let encrypted = all(response, assertionNS, "EncryptedAssertion")
        guard assertions.count + encrypted.count == 1, (assertions.first ?? encrypted.first)?.parent?.node == response.node else {
            throw SAMLRefusal("the response must hold exactly one assertion, its own")
        }
        if encrypted.isEmpty, expected.requireEncryption {
            throw SAMLRefusal("the assertion came unencrypted, and the provider is set to encrypt its responses")
        }
        try registerIDs(xml)
        let certificates = try usableCertificates(expected)
        // the Response's signature first: it covers the assertion as sent (encrypted or not)
        var signed = try verifySignature(of: response, certificates)
        if let wrapper = encrypted.first {
            try decrypt(wrapper, expected)
            assertions = all(response, assertionNS, "Assertion")
            guard assertions.count == 1, assertions[0].parent?.node == response.node else {
                throw SAMLRefusal("the encrypted assertion did not hold one assertion")
            }
            try registerIDs(xml)
        }
        let assertion = assertions[0]
        if try verifySignature(of: assertion, certificates) { signed = true }
        guard signed else { throw SAMLRefusal("neither the response nor the assertion is signed") }

        // the Response's own claims
        let now = expected.now
        if let destination = response.attribute("Destination"), destination != expected.consumerURL {
            throw SAMLRefusal("the response is addressed to \(destination)")
        }
        if let issuer = response.children(assertionNS, "Issuer").first?.text.trimmed, issuer != expected.identityProvider.entityId {
            throw SAMLRefusal("the response was issued by \(issuer)")
        }
        let answered = response.attribute("InResponseTo")
        try checkAnswer(answered, expected)

        // the assertion's
        guard assertion.attribute("Version") == "2.0", let id = assertion.attribute("ID"), !id.isEmpty else {
            throw SAMLRefusal("the assertion is not a SAML 2.0 assertion")
        }
        guard let issuer = assertion.children(assertionNS, "Issuer").first?.text.trimmed, issuer == expected.identityProvider.entityId else {
            throw SAMLRefusal("the assertion was not issued by the identity provider")
        }
        var until = now.addingTimeInterval(3600)
        if let conditions = assertion.children(assertionNS, "Conditions").first {
            if let start = try time(conditions.attribute("NotBefore")), start > now.addingTimeInterval(SAMLExpectation.skew) {
                throw SAMLRefusal("the assertion is not valid yet")
            }
            if let end = try time(conditions.attribute("NotOnOrAfter")) {
                guard end > now.addingTimeInterval(-SAMLExpectation.skew) else { throw SAMLRefusal("the assertion has expired") }
                until = min(until, end.addingTimeInterval(SAMLExpectation.skew))
            }
            // every AudienceRestriction must name this SP (Core §2.5.1.4)
            for restriction in conditions.children(assertionNS, "AudienceRestriction") {
                let audiences = restriction.children(assertionNS, "Audience").map { $0.text.trimmed }
                guard audiences.contains(expected.audience) else { throw SAMLRefusal("the assertion is for another audience") }
            }
            guard !conditions.children(assertionNS, "AudienceRestriction").isEmpty else { throw SAMLRefusal("the assertion names no audience") }
        } else {
            throw SAMLRefusal("the assertion has no conditions (no audience)")
        }
        guard let subject = assertion.children(assertionNS, "Subject").first,
            let nameId = subject.children(assertionNS, "NameID").first, !nameId.text.trimmed.isEmpty
        else { throw SAMLRefusal("the assertion names nobody (no NameID)") }
        // a bearer confirmation for this SP, still current, answering the request (Profiles §4.1.4.2)
        let confirmations = subject.children(assertionNS, "SubjectConfirmation").filter { $0.attribute("Method") == bearer }
        var confirmed = false
        for confirmation in confirmations {
            guard let data = confirmation.children(assertionNS, "SubjectConfirmationData").first else { continue }
            guard data.attribute("Recipient") == expected.consumerURL else { continue }
            guard let end = try time(data.attribute("NotOnOrAfter")), end > now.addingTimeInterval(-SAMLExpectation.skew) else { continue }
            if let start = try time(data.attribute("NotBefore")), start > now.addingTimeInterval(SAMLExpectation.skew) { continue }
            try checkAnswer(data.attribute("InResponseTo") ?? answered, expected)
            until = min(until, end.addingTimeInterval(SAMLExpectation.skew))
            confirmed = true
            break
        }
        guard confirmed else { throw SAMLRefusal("the assertion has no current bearer confirmation for \(expected.consumerURL)") }

        var attributes: [String: [String]] = [:]
        for statement in assertion.children(assertionNS, "AttributeStatement") {
            for attribute in statement.children(assertionNS, "Attribute") {
                guard let name = attribute.attribute("Name"), !name.isEmpty else { continue }
                attributes[name, default: []] += attribute.children(assertionNS, "AttributeValue").map(\.text)
            }
        }
        let session = assertion.children(assertionNS, "AuthnStatement").first?.attribute("SessionIndex")
        return SAMLAssertion(id: id, issuer: issuer, nameId: nameId.text.trimmed, nameIdFormat: nameId.attribute("Format"),
                             sessionIndex: session, attributes: attributes, usableUntil: max(until, now))
    }

    /// Whether `element` carries its own signature (one `ds:Signature` child) that verifies with
    /// an IdP certificate and covers exactly it: a signature over another element (moved here,
    /// or pointing elsewhere: signature wrapping) or one that does not verify is refused.
    static func verifySignature(of element: SafeXML.Element, _ certificates: [X509Certificate]) throws -> Bool {
        let signatures = element.children(signatureNS, "Signature")
        guard !signatures.isEmpty else { return false }
        guard signatures.count == 1, let id = element.attribute("ID"), !id.isEmpty else {
            throw SAMLRefusal("the \(element.name) carries a signature that is not one over it")
        }
        let uri: String?
        do {
            uri = try XMLSecurity.verifiedReference(signatures[0], certificates: certificates)
        } catch let refusal as XMLRefusal {
            throw SAMLRefusal("the \(element.name)'s signature is not acceptable: \(refusal.description)")
        }
        guard let uri else { throw SAMLRefusal("the \(element.name)'s signature does not verify with a certificate of the identity provider") }
        guard uri == "#" + id else { throw SAMLRefusal("the \(element.name)'s signature covers another element") }
        return true
    }

    /// An EncryptedAssertion decrypted with the pool's key; the assertion takes its place.
    static func decrypt(_ wrapper: SafeXML.Element, _ expected: SAMLExpectation) throws {
        guard let key = expected.decryptionKeyPEM else { throw SAMLRefusal("the assertion is encrypted, and the pool has no key for it") }
        guard let data = wrapper.children(XMLSecurity.encryptionNS, "EncryptedData").first else {
            throw SAMLRefusal("the encrypted assertion holds no EncryptedData")
        }
        guard let encryptedKey = data.children(signatureNS, "KeyInfo").first?.children(XMLSecurity.encryptionNS, "EncryptedKey").first
            ?? wrapper.children(XMLSecurity.encryptionNS, "EncryptedKey").first
        else { throw SAMLRefusal("the encrypted assertion carries no key") }
        do {
            try XMLSecurity.decrypt(data, encryptedKey: encryptedKey, privateKeyPEM: key)
        } catch let refusal as XMLRefusal {
            throw SAMLRefusal(refusal.description)
        }
        let decrypted = wrapper.children(assertionNS, "Assertion")
        guard decrypted.count == 1 else { throw SAMLRefusal("the encrypted assertion did not hold one assertion") }
        xmlUnlinkNode(decrypted[0].node)
        xmlReplaceNode(wrapper.node, decrypted[0].node)
        xmlFreeNode(wrapper.node)
    }

    /// InResponseTo: this sign-in's request, or none at all for an unsolicited response.
    static func checkAnswer(_ answered: String?, _ expected: SAMLExpectation) throws {
        switch (expected.requestId, answered) {
        case (nil, nil): return
        case (nil, .some): throw SAMLRefusal("the response answers a request this sign-in did not make")
        case (.some, nil): throw SAMLRefusal("the response answers no request")
        case (.some(let request), .some(let answer)):
            guard request == answer else { throw SAMLRefusal("the response answers another request") }
        }
    }

    /// The IdP's certificates that are within their validity now; none: the IdP cannot be trusted.
    static func usableCertificates(_ expected: SAMLExpectation) throws -> [X509Certificate] {
        let current = expected.identityProvider.currentCertificates(at: expected.now)
        guard !current.isEmpty else { throw SAMLRefusal("every signing certificate of the identity provider has expired") }
        return current
    }

    /// Every element of that namespace and name in the document, wherever it hides.
    static func all(_ root: SafeXML.Element, _ namespace: String, _ name: String) -> [SafeXML.Element] {
        (root.isElement(namespace, name) ? [root] : []) + root.descendants(namespace, name)
    }

    /// Marks each `ID` attribute as an XML ID, which `#id` references resolve through; an ID
    /// used twice (or also as an xml:id) is a wrapping attempt and refused.
    static func registerIDs(_ xml: SafeXML) throws {
        func visit(_ element: SafeXML.Element) throws {
            if let attribute = xmlHasProp(element.node, "ID") {
                guard let value = element.attribute("ID"), !value.isEmpty else { throw SAMLRefusal("an element has an empty ID") }
                if let existing = xmlGetID(xml.document, value) {
                    guard existing == attribute else { throw SAMLRefusal("the ID \(value) is used twice") }
                } else {
                    guard xmlAddID(nil, xml.document, value, attribute) != nil else { throw SAMLRefusal("the ID \(value) is used twice") }
                }
            }
            for child in element.children { try visit(child) }
        }
        try visit(xml.root)
    }

    /// An xs:dateTime (UTC, with or without fractions of a second).
    static func time(_ text: String?) throws -> Date? {
        guard let text else { return nil }
        let plain = ISO8601DateFormatter()
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let date = plain.date(from: text) ?? fractional.date(from: text) else { throw SAMLRefusal("\(text) is not a time") }
        return date
    }
}

extension String {
    var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
