import Crypto
import Foundation

public enum SecretDigest {
    /// SHA-256 of a high-entropy secret (codes, tokens, client secrets), as lower-case hex.
    /// These secrets carry 128 bits or more, so a fast hash is enough to keep them unusable at rest.
    public static func sha256Hex(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).hexString
    }

    /// Compares a presented secret with a stored SHA-256 in constant time.
    public static func matches(_ secret: String, hash: String) -> Bool {
        constantTimeEquals(Array(sha256Hex(secret).utf8), Array(hash.utf8))
    }
}

extension Sequence where Element == UInt8 {
    /// Lower-case hex, two digits a byte (digests, MACs, SigV4, SRP).
    public var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Compares two byte strings without an early exit, so timing does not reveal where they differ.
public func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    guard lhs.count == rhs.count else { return false }
    var difference: UInt8 = 0
    for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
    return difference == 0
}
