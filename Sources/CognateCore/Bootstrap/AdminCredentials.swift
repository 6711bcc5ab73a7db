import CognateModel
import Foundation

/// The SigV4 key pair of the admin API (PRODUCT.md): taken from the environment, else generated
/// once and stored with the secret sealed by the master key.
public struct AdminCredentials: Sendable {
    public enum Origin: Sendable, Equatable {
        case environment
        /// Made on this start; the secret is shown this once.
        case generated(secret: String)
        case stored
    }

    let store: any AdminCredentialStore
    let masterKey: MasterKey
    let random: any RandomSource
    let now: Now

    public init(store: any AdminCredentialStore, masterKey: MasterKey, random: any RandomSource = SystemRandomSource(), now: @escaping Now) {
        self.store = store
        self.masterKey = masterKey
        self.random = random
        self.now = now
    }

    static func context(_ accessKeyId: String) -> String { "admin-secret:\(accessKeyId)" }

    public func ensure(configured: CognateConfiguration.AdminKey?) async throws -> (accessKeyId: String, origin: Origin) {
        if let configured {
            // The environment wins: a secret rotated there replaces the stored one for its key
            // id at the next start, so the old secret stops working.
            if try await secret(accessKeyId: configured.accessKeyId) != configured.secretAccessKey {
                try await save(accessKeyId: configured.accessKeyId, secret: configured.secretAccessKey)
            }
            return (configured.accessKeyId, .environment)
        }
        if let existing = try await store.adminCredentials().first {
            return (existing.accessKeyId, .stored)
        }
        let made = try await create()
        return (made.accessKeyId, .generated(secret: made.secret))
    }

    /// A new key pair beside the others (`cognate admin-keys create`), for a rotation without
    /// downtime: give callers the new one, then revoke the old.
    public func create() async throws -> (accessKeyId: String, secret: String) {
        let accessKeyId = "AKCG" + random.string(count: 16, alphabet: Alphabet.upperAlphanumeric)
        let secret = random.string(count: 40, alphabet: Alphabet.alphanumeric)
        try await save(accessKeyId: accessKeyId, secret: secret)
        return (accessKeyId, secret)
    }

    public enum RevokeError: Error, Equatable, CustomStringConvertible {
        case unknown(String)
        case last(String)
        public var description: String {
            switch self {
            case .unknown(let id): "no admin key \(id)"
            case .last(let id): "\(id) is the only admin key; create another first, or no one could call the admin API"
            }
        }
    }

    /// Removes a key at once, on every node (they read keys from the database); never the last one.
    public func revoke(accessKeyId: String) async throws {
        let all = try await store.adminCredentials()
        guard all.contains(where: { $0.accessKeyId == accessKeyId }) else { throw RevokeError.unknown(accessKeyId) }
        guard all.count > 1 else { throw RevokeError.last(accessKeyId) }
        _ = try await store.deleteAdminCredential(accessKeyId: accessKeyId)
    }

    public func list() async throws -> [AdminCredential] {
        try await store.adminCredentials().sorted { $0.createdAt < $1.createdAt }
    }

    /// The secret for a key id, for checking a signature; `nil` for an unknown key.
    public func secret(accessKeyId: String) async throws -> String? {
        guard let credential = try await store.adminCredential(accessKeyId: accessKeyId) else { return nil }
        let plain = try masterKey.open(credential.sealedSecret, context: Self.context(accessKeyId))
        return String(decoding: plain, as: UTF8.self)
    }

    func save(accessKeyId: String, secret: String) async throws {
        let sealed = try masterKey.seal(Data(secret.utf8), context: Self.context(accessKeyId))
        try await store.saveAdminCredential(.init(accessKeyId: accessKeyId, sealedSecret: sealed, createdAt: now()))
    }
}
