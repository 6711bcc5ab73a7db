import CZlib
import Foundation

/// The HTTP-Redirect binding (SAML 2.0 Bindings §3.4): a message DEFLATEd, base64'd and put in
/// the query, with RelayState, and signed over the query's own octets when the SP signs.
public enum SAMLRedirect {
    public static let rsaSHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"

    /// `SAMLRequest=…&RelayState=…[&SigAlg=…&Signature=…]` for `xml`; `sign` signs the octets
    /// with RSA-SHA256 when the request is to be signed.
    public static func query(_ parameter: String = "SAMLRequest", xml: String, relayState: String?,
                             sign: ((Data) throws -> Data)? = nil) throws -> String {
        var query = "\(parameter)=" + encode(deflate(Data(xml.utf8)).base64EncodedString())
        if let relayState { query += "&RelayState=" + encode(relayState) }
        guard let sign else { return query }
        query += "&SigAlg=" + encode(rsaSHA256)
        return query + "&Signature=" + encode(try sign(Data(query.utf8)).base64EncodedString())
    }

    /// A query value as application/x-www-form-urlencoded writes it (what IdPs recompute
    /// the signed octets with): letters, digits and `-._~` kept, space as `+`.
    static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(Character(UnicodeScalar(byte)))
            case UInt8(ascii: " "): out.append("+")
            default: out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    /// Raw DEFLATE (RFC 1951), as the binding carries messages.
    public static func deflate(_ data: Data) -> Data {
        var stream = z_stream()
        guard deflateInit2_(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK
        else { return Data() }
        defer { deflateEnd(&stream) }
        var input = [UInt8](data)
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 16)
        let produced: Int = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                stream.next_in = inBuffer.baseAddress
                stream.avail_in = uInt(inBuffer.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = uInt(outBuffer.count)
                return CZlib.deflate(&stream, Z_FINISH) == Z_STREAM_END ? outBuffer.count - Int(stream.avail_out) : 0
            }
        }
        return Data(output.prefix(produced))
    }

    /// Raw INFLATE of a message from the binding, refused past `limit` bytes (a deflate bomb).
    public static func inflate(_ data: Data, limit: Int = 1 << 20) throws -> Data {
        var stream = z_stream()
        guard inflateInit2_(&stream, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { throw XMLRefusal("zlib could not start") }
        defer { inflateEnd(&stream) }
        var input = [UInt8](data)
        var result = Data()
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        try input.withUnsafeMutableBufferPointer { inBuffer in
            stream.next_in = inBuffer.baseAddress
            stream.avail_in = uInt(inBuffer.count)
            while true {
                let status: Int32 = chunk.withUnsafeMutableBufferPointer { outBuffer in
                    stream.next_out = outBuffer.baseAddress
                    stream.avail_out = uInt(outBuffer.count)
                    return CZlib.inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk.count - Int(stream.avail_out)
                result.append(contentsOf: chunk.prefix(produced))
                guard result.count <= limit else { throw XMLRefusal("the message inflates past \(limit) bytes") }
                if status == Z_STREAM_END { return }
                guard status == Z_OK, produced > 0 || stream.avail_in > 0 else { throw XMLRefusal("the message is not DEFLATE data") }
            }
        }
        return result
    }
}

/// The messages Cognate sends an IdP as a SAML service provider.
public enum SAMLMessages {
    /// An AuthnRequest (Core §3.4.1) asking for a Response posted to `consumerURL`; `forceAuthn`:
    /// the IdP must authenticate the person afresh.
    public static func authnRequest(id: String, issuer: String, destination: String, consumerURL: String, forceAuthn: Bool = false,
                                    at date: Date) -> String {
        """
        <samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" \
        ID="\(escape(id))" Version="2.0" IssueInstant="\(instant(date))" Destination="\(escape(destination))"\(forceAuthn ? " ForceAuthn=\"true\"" : "") \
        AssertionConsumerServiceURL="\(escape(consumerURL))" ProtocolBinding="\(SAMLMetadata.postBinding)">\
        <saml:Issuer>\(escape(issuer))</saml:Issuer>\
        <samlp:NameIDPolicy AllowCreate="true"/>\
        </samlp:AuthnRequest>
        """
    }

    /// A LogoutRequest (Core §3.7.1) for the IdP session `sessionIndex` of `nameId`.
    public static func logoutRequest(id: String, issuer: String, destination: String, nameId: String, nameIdFormat: String?,
                                     sessionIndex: String?, at date: Date) -> String {
        let format = nameIdFormat.map { " Format=\"\(escape($0))\"" } ?? ""
        let session = sessionIndex.map { "<samlp:SessionIndex>\(escape($0))</samlp:SessionIndex>" } ?? ""
        return """
            <samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" \
            ID="\(escape(id))" Version="2.0" IssueInstant="\(instant(date))" Destination="\(escape(destination))">\
            <saml:Issuer>\(escape(issuer))</saml:Issuer>\
            <saml:NameID\(format)>\(escape(nameId))</saml:NameID>\(session)\
            </samlp:LogoutRequest>
            """
    }

    static func instant(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    public static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
