import CLibCrypto
import Foundation

/// A non-negative big integer on OpenSSL's BIGNUM, for the SRP arithmetic (3072-bit modular
/// exponentiation in constant-time C code). Values are immutable once made.
final class BigNumber: @unchecked Sendable {
    let pointer: OpaquePointer

    private init(_ pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        BN_clear_free(pointer)
    }

    convenience init?(hex: String) {
        var raw: OpaquePointer? = nil
        guard !hex.isEmpty, hex.allSatisfy(\.isHexDigit), BN_hex2bn(&raw, hex) > 0, let raw else { return nil }
        self.init(raw)
    }

    convenience init(bytes: [UInt8]) {
        self.init(BN_bin2bn(bytes, Int32(bytes.count), nil)!)
    }

    /// Minimal big-endian bytes (empty for zero).
    var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: Int((BN_num_bits(pointer) + 7) / 8))
        BN_bn2bin(pointer, &out)
        return out
    }

    /// Lower-case hex without leading zeros, as Cognito's clients print numbers.
    var hex: String {
        let text = bytes.hexString
        let trimmed = text.drop { $0 == "0" }
        return trimmed.isEmpty ? "0" : String(trimmed)
    }

    /// Cognito's `padHex`: even length, with a leading 00 when the top bit is set, so the number
    /// reads as positive.
    var paddedBytes: [UInt8] {
        let raw = bytes
        return (raw.first ?? 0) >= 0x80 || raw.isEmpty ? [0] + raw : raw
    }

    var isZero: Bool { BN_is_zero(pointer) == 1 }

    func isLess(than other: BigNumber) -> Bool { BN_cmp(pointer, other.pointer) < 0 }

    private static func result(_ body: (OpaquePointer, OpaquePointer) -> Int32) -> BigNumber {
        let out = BN_new()!
        let context = BN_CTX_new()!
        defer { BN_CTX_free(context) }
        precondition(body(out, context) == 1, "BIGNUM operation failed")
        return BigNumber(out)
    }

    /// self ^ exponent mod modulus, in constant time.
    func power(_ exponent: BigNumber, modulo modulus: BigNumber) -> BigNumber {
        Self.result { out, context in BN_mod_exp_mont_consttime(out, pointer, exponent.pointer, modulus.pointer, context, nil) }
    }

    func multiplied(by other: BigNumber, modulo modulus: BigNumber) -> BigNumber {
        Self.result { out, context in BN_mod_mul(out, pointer, other.pointer, modulus.pointer, context) }
    }

    func added(to other: BigNumber, modulo modulus: BigNumber) -> BigNumber {
        Self.result { out, context in BN_mod_add(out, pointer, other.pointer, modulus.pointer, context) }
    }

    func modulo(_ modulus: BigNumber) -> BigNumber {
        Self.result { out, context in BN_nnmod(out, pointer, modulus.pointer, context) }
    }
}
