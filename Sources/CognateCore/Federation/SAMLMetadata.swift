import CLibXML2
import Foundation

/// Why XML from outside was not read.
public struct XMLRefusal: Error, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// XML from outside (SAML metadata now; responses next), read by libxml2 safely: no network,
/// no entity expansion, and any document with a DOCTYPE refused outright — so no external
/// entity (XXE) and no entity bomb ever reaches the parser's expansion.
public final class SafeXML {
    /// The namespace and local name of an element, and the element itself.
    public struct Element {
        let node: xmlNodePtr

        public var name: String { String(cString: node.pointee.name) }
        public var namespace: String? { node.pointee.ns.flatMap { $0.pointee.href }.map { String(cString: $0) } }

        public func attribute(_ name: String) -> String? {
            guard let value = xmlGetProp(node, name) else { return nil }
            defer { cognate_xml_free(value) }
            return String(cString: value)
        }

        public var text: String {
            guard let content = xmlNodeGetContent(node) else { return "" }
            defer { cognate_xml_free(content) }
            return String(cString: content)
        }

        public var children: [Element] {
            var result: [Element] = []
            var child = node.pointee.children
            while let current = child {
                if current.pointee.type == XML_ELEMENT_NODE { result.append(Element(node: current)) }
                child = current.pointee.next
            }
            return result
        }

        /// Every descendant element with this namespace and name, in document order.
        public func descendants(_ namespace: String, _ name: String) -> [Element] {
            children.flatMap { child in (child.namespace == namespace && child.name == name ? [child] : []) + child.descendants(namespace, name) }
        }
    }

    let document: xmlDocPtr
    public let root: Element

    /// The largest document read (SAML metadata with many certificates stays well under it).
    public static let largest = 1 << 20

    public init(_ data: Data) throws {
        guard data.count <= Self.largest else { throw XMLRefusal("the document is larger than \(Self.largest) bytes") }
        let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue)
        guard let parsed = data.withUnsafeBytes({ bytes in
            xmlReadMemory(bytes.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(data.count), nil, nil, options)
        }) else { throw XMLRefusal("the document is not well-formed XML") }
        // a DOCTYPE is never needed in SAML and is how entities are declared: refused
        guard parsed.pointee.intSubset == nil, parsed.pointee.extSubset == nil else {
            xmlFreeDoc(parsed)
            throw XMLRefusal("the document declares a DOCTYPE")
        }
        guard let root = xmlDocGetRootElement(parsed) else {
            xmlFreeDoc(parsed)
            throw XMLRefusal("the document has no root element")
        }
        self.document = parsed
        self.root = Element(node: root)
    }

    deinit { xmlFreeDoc(document) }
}

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
