import Foundation

/// What Cognate needs of a SAML 2.0 IdP's metadata (SAML 2.0 Metadata §2.4.3): its entity id,
/// where to send AuthnRequests and logout requests, and the certificates its signatures are
/// checked with.
public struct SAMLMetadata: Sendable, Equatable {
    public static let metadataNS = "urn:oasis:names:tc:SAML:2.0:metadata"
    public static let signatureNS = "http://www.w3.org/2000/09/xmldsig#"
    public static let redirectBinding = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
    public static let postBinding = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"

    public var entityId: String
    /// SingleSignOnService with the HTTP-Redirect binding (Cognito's SSORedirectBindingURI).
    public var ssoRedirect: String?
    /// SingleSignOnService with the HTTP-POST binding.
    public var ssoPost: String?
    /// SingleLogoutService with the HTTP-Redirect binding (Cognito's SLORedirectBindingURI).
    public var sloRedirect: String?
    /// The base64 DER of each signing certificate (KeyDescriptor use="signing" or without use).
    public var signingCertificates: [String]

    /// The signing certificates that are readable and within their validity at `date`.
    public func currentCertificates(at date: Date) -> [X509Certificate] {
        signingCertificates.compactMap { try? X509Certificate(base64: $0) }.filter { $0.isValid(at: date) }
    }

    public static func read(_ data: Data) throws -> SAMLMetadata {
        let xml = try SafeXML(data)
        // an EntityDescriptor, or the first one of an EntitiesDescriptor that has an IdP role
        let candidates = xml.root.namespace == metadataNS && xml.root.name == "EntityDescriptor"
            ? [xml.root] : xml.root.descendants(metadataNS, "EntityDescriptor")
        guard let entity = candidates.first(where: { !$0.descendants(metadataNS, "IDPSSODescriptor").isEmpty }) else {
            throw XMLRefusal("the metadata describes no identity provider (no IDPSSODescriptor)")
        }
        guard let entityId = entity.attribute("entityID"), !entityId.isEmpty else { throw XMLRefusal("the metadata has no entityID") }
        let idp = entity.descendants(metadataNS, "IDPSSODescriptor")[0]
        func service(_ name: String, _ binding: String) -> String? {
            idp.children.first { $0.namespace == metadataNS && $0.name == name && $0.attribute("Binding") == binding }?.attribute("Location")
        }
        let certificates = idp.children.filter { $0.namespace == metadataNS && $0.name == "KeyDescriptor" && ($0.attribute("use") ?? "signing") == "signing" }
            .flatMap { $0.descendants(signatureNS, "X509Certificate") }
            .map { $0.text.filter { !$0.isWhitespace } }
            .filter { Data(base64Encoded: $0) != nil && !$0.isEmpty }
        guard !certificates.isEmpty else { throw XMLRefusal("the metadata has no signing certificate") }
        let metadata = SAMLMetadata(entityId: entityId, ssoRedirect: service("SingleSignOnService", redirectBinding),
                                    ssoPost: service("SingleSignOnService", postBinding), sloRedirect: service("SingleLogoutService", redirectBinding),
                                    signingCertificates: certificates)
        guard metadata.ssoRedirect != nil || metadata.ssoPost != nil else {
            throw XMLRefusal("the metadata has no SingleSignOnService with the HTTP-Redirect or HTTP-POST binding")
        }
        return metadata
    }
}
