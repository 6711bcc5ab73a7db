import CXMLSec
import Foundation

/// Why XML from outside was not read.
public struct XMLRefusal: Error, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// XML from outside (SAML metadata, responses, logout messages), read by libxml2 safely: no network,
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

        /// Every attribute, by local name (a namespace prefix dropped: `xlink:href` is `href`), and its value.
        public var attributes: [(name: String, value: String)] {
            var result: [(String, String)] = []
            var attribute = node.pointee.properties
            while let current = attribute {
                let name = String(cString: current.pointee.name)
                var value = ""
                if let content = xmlNodeListGetString(node.pointee.doc, current.pointee.children, 1) {
                    value = String(cString: content)
                    cognate_xml_free(content)
                }
                result.append((name, value))
                attribute = current.pointee.next
            }
            return result
        }

        public var text: String {
            guard let content = xmlNodeGetContent(node) else { return "" }
            defer { cognate_xml_free(content) }
            return String(cString: content)
        }

        /// The parent element, if the parent is one.
        public var parent: Element? {
            guard let up = node.pointee.parent, up.pointee.type == XML_ELEMENT_NODE else { return nil }
            return Element(node: up)
        }

        public func isElement(_ namespace: String, _ name: String) -> Bool { self.namespace == namespace && self.name == name }

        /// The direct children with this namespace and name.
        public func children(_ namespace: String, _ name: String) -> [Element] { children.filter { $0.isElement(namespace, name) } }

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
        // libxml2 (and xmlsec) set up once, before any parse: its first initialisation is not safe to race
        guard XMLSecurity.ready else { throw XMLRefusal("libxml2 and xmlsec could not be set up") }
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

