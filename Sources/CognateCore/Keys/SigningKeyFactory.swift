import CognateModel
import Crypto
import CryptoExtras
import Foundation
import NIOPosix

/// Makes new signing keys: the private half sealed with the master key, the public half as a JWK.
public struct SigningKeyFactory: Sendable {
    let masterKey: MasterKey

    public init(masterKey: MasterKey) {
        self.masterKey = masterKey
    }

    /// A new key for the pool. Generating an RSA key takes tens of milliseconds, so it runs on
    /// NIO's blocking pool rather than on the caller's thread (in the server, an event loop).
    public func make(poolId: String, algorithm: SigningAlgorithm, at date: Date) async throws -> SigningKey {
        try await NIOThreadPool.singleton.runIfActive { try makeHere(poolId: poolId, algorithm: algorithm, at: date) }
    }

    func makeHere(poolId: String, algorithm: SigningAlgorithm, at date: Date) throws -> SigningKey {
        let pem: String
        var jwk: [String: String]
        switch algorithm {
        case .rs256:
            let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
            let primitives = try key.publicKey.getKeyPrimitives()
            pem = key.pemRepresentation
            jwk = ["kty": "RSA", "n": primitives.modulus.base64URLEncoded, "e": primitives.publicExponent.base64URLEncoded]
        case .es256:
            let key = P256.Signing.PrivateKey()
            let raw = key.publicKey.rawRepresentation
            pem = key.pemRepresentation
            jwk = ["kty": "EC", "crv": "P-256", "x": raw.prefix(32).base64URLEncoded, "y": raw.suffix(32).base64URLEncoded]
        }
        let kid = Self.thumbprint(of: jwk)
        jwk["kid"] = kid
        jwk["alg"] = algorithm.rawValue
        jwk["use"] = "sig"
        let sealed = try masterKey.seal(Data(pem.utf8), context: Self.sealContext(poolId: poolId, kid: kid))
        return SigningKey(
            poolId: poolId, kid: kid, algorithm: algorithm, sealedPrivateKey: sealed,
            publicJWK: try Self.json(jwk), createdAt: date)
    }

    /// The associated data a key is sealed under: a sealed key copied to another row will not open.
    static func sealContext(poolId: String, kid: String) -> String {
        "signing-key:\(poolId):\(kid)"
    }

    /// RFC 7638 JWK thumbprint: SHA-256 over the required members in lexicographic order,
    /// base64url. The same public key always gets the same kid.
    static func thumbprint(of jwk: [String: String]) -> String {
        let required: [String] = jwk["kty"] == "EC" ? ["crv", "kty", "x", "y"] : ["e", "kty", "n"]
        let members = required.map { "\"\($0)\":\"\(jwk[$0] ?? "")\"" }.joined(separator: ",")
        return Data(SHA256.hash(data: Data("{\(members)}".utf8))).base64URLEncoded
    }

    static func json(_ object: [String: String]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(object), as: UTF8.self)
    }
}
