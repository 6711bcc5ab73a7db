import Foundation

/// A pool's token-signing key. The private half is sealed with the master key; the public half
/// is kept as a JWK so the JWKS can be served without opening anything.
public struct SigningKey: Sendable, Equatable, Codable {
    public var poolId: String
    /// RFC 7638 thumbprint of the public key: stable for the key's whole life.
    public var kid: String
    public var algorithm: SigningAlgorithm
    /// AES-GCM sealed box (nonce ‖ ciphertext ‖ tag) of the PEM-encoded private key.
    public var sealedPrivateKey: Data
    /// The public key as a JSON Web Key (RFC 7517), including `kid`, `alg` and `use`.
    public var publicJWK: String
    public var createdAt: Date
    /// Set when a newer key took over; `nil` for the active key.
    public var retiredAt: Date?

    public init(
        poolId: String, kid: String, algorithm: SigningAlgorithm, sealedPrivateKey: Data,
        publicJWK: String, createdAt: Date, retiredAt: Date? = nil
    ) {
        self.poolId = poolId
        self.kid = kid
        self.algorithm = algorithm
        self.sealedPrivateKey = sealedPrivateKey
        self.publicJWK = publicJWK
        self.createdAt = createdAt
        self.retiredAt = retiredAt
    }

    public var isActive: Bool { retiredAt == nil }
}
