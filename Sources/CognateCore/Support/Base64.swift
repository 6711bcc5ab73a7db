import Foundation

extension Data {
    /// Decodes base64 in any of the spellings password-hash formats use: standard, URL-safe,
    /// passlib's "adapted" alphabet (`.` for `+`), with or without padding.
    public init?(lenientBase64 text: some StringProtocol) {
        var normalized = text.replacingOccurrences(of: ".", with: "+")
            .replacingOccurrences(of: "-", with: "+")
            .replacingOccurrences(of: "_", with: "/")
        let remainder = normalized.count % 4
        if remainder == 1 { return nil }
        if remainder > 0 { normalized += String(repeating: "=", count: 4 - remainder) }
        self.init(base64Encoded: normalized)
    }

    /// RFC 4648 §5 base64url without padding, as JOSE uses.
    public var base64URLEncoded: String {
        base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
