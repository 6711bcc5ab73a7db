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

    /// RFC 4648 §5 base64url without padding, as JOSE uses. Written out by hand: it runs three
    /// times for every token signed, and Foundation's string replacing was a visible cost.
    public var base64URLEncoded: String {
        let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        return withUnsafeBytes { (input: UnsafeRawBufferPointer) -> String in
            String(unsafeUninitializedCapacity: (input.count * 4 + 2) / 3) { output in
                var out = 0
                var index = 0
                while index + 3 <= input.count {
                    let value = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
                    output[out] = alphabet[Int(value >> 18 & 63)]
                    output[out + 1] = alphabet[Int(value >> 12 & 63)]
                    output[out + 2] = alphabet[Int(value >> 6 & 63)]
                    output[out + 3] = alphabet[Int(value & 63)]
                    out += 4
                    index += 3
                }
                let rest = input.count - index
                if rest > 0 {
                    let value = UInt32(input[index]) << 16 | (rest == 2 ? UInt32(input[index + 1]) << 8 : 0)
                    output[out] = alphabet[Int(value >> 18 & 63)]
                    output[out + 1] = alphabet[Int(value >> 12 & 63)]
                    out += 2
                    if rest == 2 {
                        output[out] = alphabet[Int(value >> 6 & 63)]
                        out += 1
                    }
                }
                return out
            }
        }
    }
}

extension Data {
    /// Strict base64url (RFC 4648 §5), as WebAuthn's JSON sends binary: only the URL-safe
    /// alphabet, padding allowed but not needed.
    public init?(base64URL text: some StringProtocol) {
        var body = Substring(text)
        while body.hasSuffix("=") { body = body.dropLast() }
        guard body.utf8.allSatisfy({ $0 == 45 || $0 == 95 || (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) }),
            body.count % 4 != 1
        else { return nil }
        var normalized = body.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        if normalized.count % 4 > 0 { normalized += String(repeating: "=", count: 4 - normalized.count % 4) }
        self.init(base64Encoded: normalized)
    }
}
