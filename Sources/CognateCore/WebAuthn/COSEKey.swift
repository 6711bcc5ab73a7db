import Crypto
import CryptoExtras
import Foundation

/// A credential's public key as its authenticator gave it (a COSE_Key, RFC 9053), for the three
/// algorithms Cognate asks for: ES256 (P-256), RS256 (RSA PKCS#1 v1.5 with SHA-256) and EdDSA
/// (Ed25519).
public enum COSEKey: Sendable {
    case es256(P256.Signing.PublicKey)
    case rs256(_RSA.Signing.PublicKey)
    case edDSA(Curve25519.Signing.PublicKey)

    /// The COSE algorithm numbers, in the order Cognate offers them (pubKeyCredParams).
    public static let algorithms = [-7, -8, -257]

    public struct Unsupported: Error, Equatable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    public init(_ key: CBOR) throws {
        guard let kty = key[1]?.int, let alg = key[3]?.int else { throw Unsupported("the key names no type or algorithm") }
        switch (kty, alg) {
        case (2, -7):
            guard key[-1]?.int == 1, let x = key[-2]?.data, let y = key[-3]?.data, x.count == 32, y.count == 32 else {
                throw Unsupported("an ES256 key must be a P-256 point")
            }
            self = .es256(try P256.Signing.PublicKey(x963Representation: [0x04] + x + y))
        case (3, -257):
            guard let n = key[-1]?.data, let e = key[-2]?.data, n.count >= 256 else { throw Unsupported("an RS256 key needs n of 2048 bits or more, and e") }
            self = .rs256(try _RSA.Signing.PublicKey(n: n, e: e))
        case (1, -8):
            guard key[-1]?.int == 6, let x = key[-2]?.data, x.count == 32 else { throw Unsupported("an EdDSA key must be an Ed25519 key") }
            self = .edDSA(try Curve25519.Signing.PublicKey(rawRepresentation: x))
        default:
            throw Unsupported("COSE key type \(kty) with algorithm \(alg) is not one Cognate accepts (ES256, RS256, EdDSA)")
        }
    }

    public init(bytes: Data) throws {
        try self.init(try CBOR.decode(bytes))
    }

    public var algorithm: Int {
        switch self {
        case .es256: -7
        case .rs256: -257
        case .edDSA: -8
        }
    }

    /// Whether `signature` (DER for ECDSA, as WebAuthn sends it) signs `message`.
    public func verifies(_ signature: Data, over message: Data) -> Bool {
        switch self {
        case .es256(let key):
            guard let parsed = try? P256.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return key.isValidSignature(parsed, for: message)
        case .rs256(let key):
            return key.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature), for: message, padding: .insecurePKCS1v1_5)
        case .edDSA(let key):
            return key.isValidSignature(signature, for: message)
        }
    }

    /// The same verification with a certificate's key (packed attestation's x5c), given as
    /// its SubjectPublicKeyInfo DER and the statement's algorithm.
    public static func verifies(_ signature: Data, over message: Data, spki: Data, algorithm: Int) -> Bool {
        switch algorithm {
        case -7:
            guard let key = try? P256.Signing.PublicKey(derRepresentation: spki) else { return false }
            return COSEKey.es256(key).verifies(signature, over: message)
        case -257:
            guard let key = try? _RSA.Signing.PublicKey(derRepresentation: spki) else { return false }
            return COSEKey.rs256(key).verifies(signature, over: message)
        case -8:
            guard let key = try? Curve25519.Signing.PublicKey(derRepresentation: spki) else { return false }
            return COSEKey.edDSA(key).verifies(signature, over: message)
        default:
            return false
        }
    }
}
