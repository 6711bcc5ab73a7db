import Crypto
import Foundation

/// RFC 6238 time-based one-time passwords as authenticator apps make them: HMAC-SHA1,
/// 30-second steps, 6 digits, secrets shown in base32 (RFC 4648) and as an otpauth:// URI.
public enum TOTP {
    public static let period: TimeInterval = 30
    public static let digits = 6

    public static func step(at date: Date) -> Int { Int(floor(date.timeIntervalSince1970 / period)) }

    /// RFC 4226 §5.3: dynamic truncation of HMAC-SHA1 over the big-endian step counter.
    public static func code(secret: Data, step: Int) -> String {
        var counter = UInt64(step).bigEndian
        let message = withUnsafeBytes(of: &counter) { Data($0) }
        let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: secret)))
        let offset = Int(mac[mac.count - 1] & 0x0F)
        let value = (UInt32(mac[offset] & 0x7F) << 24) | (UInt32(mac[offset + 1]) << 16) | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        let code = String(value % 1_000_000)
        return String(repeating: "0", count: digits - code.count) + code
    }

    /// The step `code` belongs to, within one step either side of `date` (clock drift), and
    /// later than `after` (a code works once); nil when it matches none.
    public static func matchingStep(_ code: String, secret: Data, at date: Date, after: Int?) -> Int? {
        let presented = Array(code.trimmingCharacters(in: .whitespaces).utf8)
        let now = step(at: date)
        var found: Int?
        for candidate in [now - 1, now, now + 1] where candidate > (after ?? Int.min) {
            // compare every candidate, so timing does not tell which step matched
            if constantTimeEquals(Array(Self.code(secret: secret, step: candidate).utf8), presented), found == nil { found = candidate }
        }
        return found
    }

    /// RFC 4648 base32 without padding, as authenticator apps take secrets.
    public static func base32(_ data: Data) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var result = ""
        var buffer: UInt32 = 0
        var bits = 0
        for byte in data {
            buffer = (buffer << 8) | UInt32(byte)
            bits += 8
            while bits >= 5 {
                result.append(alphabet[Int((buffer >> UInt32(bits - 5)) & 31)])
                bits -= 5
            }
        }
        if bits > 0 { result.append(alphabet[Int((buffer << UInt32(5 - bits)) & 31)]) }
        return result
    }

    /// The otpauth URI authenticator apps scan (Google Authenticator's key URI format; SHA-1,
    /// six digits and 30 seconds are its defaults, so they are left out).
    public static func uri(secret: Data, issuer: String, account: String) -> String {
        func encode(_ text: String) -> String {
            text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~@"))) ?? text
        }
        return "otpauth://totp/\(encode(issuer)):\(encode(account))?secret=\(base32(secret))&issuer=\(encode(issuer))"
    }
}
