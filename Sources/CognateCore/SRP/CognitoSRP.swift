import Crypto
import Foundation

/// Cognito's SRP-6a (USER_SRP_AUTH / PASSWORD_VERIFIER), server side, as amazon-cognito-identity-js
/// and pycognito compute it: the RFC 5054 3072-bit group with g = 2, k = H(00‖N‖02),
/// x = H(salt ‖ H(poolName ‖ username ‖ ":" ‖ password)), u = H(A ‖ B), the session key from
/// HKDF-SHA256(S, salt: u, info: "Caldera Derived Key"), 16 bytes, and the client's proof an
/// HMAC over poolName ‖ username ‖ secret block ‖ timestamp.
public enum CognitoSRP {
    static let nHex = "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
        + "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
        + "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
        + "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
        + "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
        + "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
        + "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C"
        + "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"
    static let n = BigNumber(hex: nHex)!
    static let g = BigNumber(hex: "2")!
    static let k = BigNumber(bytes: sha256([0] + n.bytes + [2]))

    /// The part of the pool id after the region, which Cognito mixes into x.
    public static func poolName(_ poolId: String) -> String {
        poolId.split(separator: "_").last.map(String.init) ?? poolId
    }

    /// A new salt and verifier v = g^x for the password: what the server keeps instead of it.
    public static func verifier(poolId: String, username: String, password: String, salt: [UInt8]) -> (salt: String, verifier: String) {
        let saltNumber = BigNumber(bytes: salt)
        let v = g.power(x(poolId: poolId, username: username, password: password, salt: saltNumber), modulo: n)
        return (saltNumber.hex, v.hex)
    }

    static func x(poolId: String, username: String, password: String, salt: BigNumber) -> BigNumber {
        let inner = sha256(Array("\(poolName(poolId))\(username):\(password)".utf8))
        let innerHex = inner.hexString
        // H(padHex(salt) ‖ hex(H(…))), both taken as bytes.
        return BigNumber(bytes: sha256(salt.paddedBytes + hexBytes(innerHex)))
    }

    /// The server's half of the exchange: B = k·v + g^b for a random b.
    public struct Exchange: Sendable {
        public let b: String
        public let bigB: String
    }

    public static func start(verifier: String, random: [UInt8]) -> Exchange? {
        guard let v = BigNumber(hex: verifier) else { return nil }
        let b = BigNumber(bytes: random)
        let bigB = k.multiplied(by: v, modulo: n).added(to: g.power(b, modulo: n), modulo: n)
        return Exchange(b: b.hex, bigB: bigB.hex)
    }

    /// The 16-byte key both sides derive; nil when A is unacceptable (A mod N = 0, or u = 0).
    public static func sessionKey(bigA: String, exchange: Exchange, verifier: String) -> [UInt8]? {
        guard let a = BigNumber(hex: bigA), !a.modulo(n).isZero, let bigB = BigNumber(hex: exchange.bigB),
            let b = BigNumber(hex: exchange.b), let v = BigNumber(hex: verifier)
        else { return nil }
        let u = BigNumber(bytes: sha256(a.paddedBytes + bigB.paddedBytes))
        guard !u.isZero else { return nil }
        let s = a.multiplied(by: v.power(u, modulo: n), modulo: n).power(b, modulo: n)
        let prk = HMAC<SHA256>.authenticationCode(for: s.paddedBytes, using: SymmetricKey(data: u.paddedBytes))
        let okm = HMAC<SHA256>.authenticationCode(for: Array("Caldera Derived Key".utf8) + [1], using: SymmetricKey(data: Data(prk)))
        return Array(Data(okm).prefix(16))
    }

    /// The proof the client must send: Base64(HMAC-SHA256(key, poolName ‖ userId ‖ secretBlock ‖ timestamp)).
    public static func signature(key: [UInt8], poolId: String, userId: String, secretBlock: [UInt8], timestamp: String) -> String {
        let message = Array(poolName(poolId).utf8) + Array(userId.utf8) + secretBlock + Array(timestamp.utf8)
        return Data(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key))).base64EncodedString()
    }

    /// Cognito's TIMESTAMP: "Tue Jan 5 09:07:03 UTC 2027" (day without a leading zero).
    public static func parseTimestamp(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE MMM d HH:mm:ss 'UTC' yyyy"
        return formatter.date(from: text)
    }

    static func sha256(_ bytes: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: bytes)) }

    static func hexBytes(_ hex: String) -> [UInt8] {
        var result: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            result.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        return result
    }
}
