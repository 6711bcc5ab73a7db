import CognateModel
import Foundation

/// Everything stored for a password, made in one place: the Argon2id hash for password sign-in
/// and the sealed SRP verifier for USER_SRP_AUTH.
public struct Credentials: Sendable {
    let hasher: PasswordHasher
    let masterKey: MasterKey
    let random: any RandomSource

    public init(hasher: PasswordHasher, masterKey: MasterKey, random: any RandomSource = SystemRandomSource()) {
        self.hasher = hasher
        self.masterKey = masterKey
        self.random = random
    }

    public func make(password: String, poolId: String, username: String, sub: UUID) async throws -> (hash: String, srpVerifier: Data) {
        let hash = try await hasher.hash(password)
        return (hash, try await srpVerifier(password: password, poolId: poolId, username: username, sub: sub))
    }

    public func srpVerifier(password: String, poolId: String, username: String, sub: UUID) async throws -> Data {
        let salt = random.bytes(16)
        let made = try await hasher.offload { CognitoSRP.verifier(poolId: poolId, username: username, password: password, salt: salt) }
        let plain = try JSONEncoder().encode(["salt": made.salt, "verifier": made.verifier])
        return try masterKey.seal(plain, context: Self.context(sub))
    }

    /// The user's salt and verifier, or nil when none was made yet.
    public func openVerifier(of user: User) throws -> (salt: String, verifier: String)? {
        guard let sealed = user.srpVerifier else { return nil }
        let values = try JSONDecoder().decode([String: String].self, from: try masterKey.open(sealed, context: Self.context(user.sub)))
        guard let salt = values["salt"], let verifier = values["verifier"] else { return nil }
        return (salt, verifier)
    }

    static func context(_ sub: UUID) -> String { "srp-verifier:\(sub.uuidString.lowercased())" }
}
