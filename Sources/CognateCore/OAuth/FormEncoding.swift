/// application/x-www-form-urlencoded bodies (WHATWG URL §5.1), read the way OAuth 2.0 asks
/// (RFC 6749 §3.1 and Appendix B): a parameter sent without a value counts as omitted, and a
/// parameter may not be sent twice.
///
/// The token, revocation and userInfo endpoints read their bodies with it. Vapor's
/// URLEncodedFormDecoder goes through Codable and cost about as much as the rest of a refresh
/// grant's request handling together; a flat list of names and values needs none of that.
public enum FormEncoding {
    public enum Failure: Error, Equatable {
        case repeated(String)
    }

    /// The body's parameters by name. Throws `repeated` for a name sent twice with a value.
    public static func parameters(_ body: some Collection<UInt8>) throws(Failure) -> [String: String] {
        var parameters: [String: String] = [:]
        for (name, value) in pairs(body) where !value.isEmpty {
            guard parameters.updateValue(value, forKey: name) == nil else { throw .repeated(name) }
        }
        return parameters
    }

    /// The name–value pairs in order; a pair without `=` has an empty value, empty names are skipped.
    public static func pairs(_ body: some Collection<UInt8>) -> [(name: String, value: String)] {
        body.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true).compactMap { pair in
            let equals = pair.firstIndex(of: UInt8(ascii: "="))
            let name = decode(pair[pair.startIndex..<(equals ?? pair.endIndex)])
            guard !name.isEmpty else { return nil }
            let value = equals.map { decode(pair[pair.index(after: $0)...]) } ?? ""
            return (name, value)
        }
    }

    /// `+` is a space and `%XX` a byte; a `%` not followed by two hex digits stays as it is.
    /// Bytes that are not UTF-8 become U+FFFD.
    static func decode(_ encoded: some Collection<UInt8>) -> String {
        guard encoded.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) else {
            return String(decoding: encoded, as: UTF8.self)
        }
        let bytes = Array(encoded)
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                decoded.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), index + 2 < bytes.count, let high = hex(bytes[index + 1]), let low = hex(bytes[index + 2]) {
                decoded.append(high << 4 | low)
                index += 2
            } else {
                decoded.append(byte)
            }
            index += 1
        }
        return String(decoding: decoded, as: UTF8.self)
    }

    /// The pairs as a form body: unreserved characters as they are, the rest `%XX` (a space too).
    public static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }

    static func escape(_ text: String) -> String {
        var escaped = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                escaped.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                escaped += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return escaped
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension String {
    fileprivate func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}
