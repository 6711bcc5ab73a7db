import CognateModel
import Foundation

/// Creates pools and clients with their generated identifiers, keys and secrets.
public struct PoolService: Sendable {
    let store: any UserPoolStore & AppClientStore
    let factory: SigningKeyFactory
    let masterKey: MasterKey
    let region: String
    let random: any RandomSource
    let now: Now

    public init(
        store: any UserPoolStore & AppClientStore, masterKey: MasterKey, region: String,
        random: any RandomSource = SystemRandomSource(), now: @escaping Now
    ) {
        self.store = store
        self.factory = SigningKeyFactory(masterKey: masterKey)
        self.masterKey = masterKey
        self.region = region
        self.random = random
        self.now = now
    }

    /// `<region>_<9 letters or digits>`, as Cognito.
    public func newPoolId() -> String {
        "\(region)_\(random.string(count: 9, alphabet: Alphabet.alphanumeric))"
    }

    /// 26 lowercase letters and digits, as Cognito.
    public func newClientId() -> String {
        random.string(count: 26, alphabet: Alphabet.lowerAlphanumeric)
    }

    /// A client secret: 51 characters of base-36, about 263 bits.
    public func newClientSecret() -> String {
        random.string(count: 51, alphabet: Alphabet.lowerAlphanumeric)
    }

    /// Validates the settings and stores the pool with its first signing key.
    public func createPool(_ configure: (inout UserPool) -> Void, id: String? = nil) async throws -> UserPool {
        let date = now()
        var pool = UserPool(id: id ?? newPoolId(), name: "", createdAt: date, updatedAt: date)
        configure(&pool)
        if let error = PoolRules.validate(pool).first { throw error }
        let key = try await factory.make(poolId: pool.id, algorithm: pool.signingAlgorithm, at: date)
        try await store.createPool(pool, signingKey: key)
        return pool
    }

    /// Validates and stores a client; returns it with the secret in the clear when one was made
    /// (the only time it is ever seen).
    public func createClient(
        poolId: String, generateSecret: Bool, secret: String? = nil, clientId: String? = nil,
        _ configure: (inout AppClient) -> Void
    ) async throws -> (client: AppClient, secret: String?) {
        guard let pool = try await store.pool(id: poolId) else { throw StoreError.notFound("user pool \(poolId)") }
        let date = now()
        let plainSecret = secret ?? (generateSecret ? newClientSecret() : nil)
        var client = AppClient(
            poolId: poolId, clientId: clientId ?? newClientId(), name: "",
            secretHash: plainSecret.map(SecretDigest.sha256Hex), tokenValidity: pool.tokenValidity,
            createdAt: date, updatedAt: date)
        configure(&client)
        client.secretHash = plainSecret.map(SecretDigest.sha256Hex)
        client.sealedSecret = try plainSecret.map { try sealSecret($0, clientId: client.clientId) }
        if let error = PoolRules.validate(client).first { throw error }
        try await store.createClient(client)
        return (client, plainSecret)
    }

    public func sealSecret(_ secret: String, clientId: String) throws -> Data {
        try masterKey.seal(Data(secret.utf8), context: Self.secretContext(clientId))
    }

    static func secretContext(_ clientId: String) -> String { "client-secret:\(clientId)" }

    /// The client's (first) secret in the clear, for DescribeUserPoolClient.
    public func secret(of client: AppClient) throws -> String? {
        guard let sealed = client.sealedSecret else { return nil }
        return String(decoding: try masterKey.open(sealed, context: Self.secretContext(client.clientId)), as: UTF8.self)
    }

    /// AddUserPoolClientSecret: a second secret for a confidential client (the given one, or a
    /// new one), so apps can move to it before the first is deleted. At most two at once.
    /// Returns the client and the secret in the clear when it was made here.
    public func addSecret(poolId: String, clientId: String, secret given: String? = nil) async throws
        -> (client: AppClient, secret: String?)
    {
        let plain = given ?? newClientSecret()
        let sealed = try sealSecret(plain, clientId: clientId)
        let date = now()
        let client = try await store.updateClient(poolId: poolId, clientId: clientId) { client in
            guard !client.isPublic else {
                throw ServiceRefusal.invalidParameter("The app client \(clientId) has no secret: only a confidential client can have another.")
            }
            guard client.additionalSecret == nil else {
                throw ServiceRefusal("LimitExceededException", "An app client has at most 2 secrets; delete one first.")
            }
            // ids are the creation time in milliseconds: one made in the same millisecond as the first moves on by one
            let first = (client.secretCreatedAt ?? client.createdAt).timeIntervalSince1970
            let created = Date(timeIntervalSince1970: max(date.timeIntervalSince1970, first + 0.001))
            client.additionalSecret = AdditionalClientSecret(hash: SecretDigest.sha256Hex(plain), sealed: sealed, createdAt: created)
            client.updatedAt = date
        }
        return (client, given == nil ? plain : nil)
    }

    /// DeleteUserPoolClientSecret: the secret `id` names stops working at once; the last one a
    /// client has cannot go (a confidential client stays confidential).
    public func deleteSecret(poolId: String, clientId: String, secretId: String) async throws {
        let date = now()
        _ = try await store.updateClient(poolId: poolId, clientId: clientId) { client in
            if client.additionalSecret != nil, client.additionalSecretId == secretId {
                client.additionalSecret = nil
            } else if client.secretId == secretId, let second = client.additionalSecret {
                client.secretHash = second.hash
                client.sealedSecret = second.sealed
                client.secretCreatedAt = second.createdAt
                client.additionalSecret = nil
            } else if client.secretId == secretId {
                throw ServiceRefusal.invalidParameter("The last secret of an app client cannot be deleted.")
            } else {
                throw ServiceRefusal.notFound("The app client \(clientId) has no secret \(secretId).")
            }
            client.updatedAt = date
        }
    }

    /// Every secret the client has in the clear (two while one is rotated out), for SECRET_HASH.
    public func secrets(of client: AppClient) throws -> [String] {
        let second = try client.additionalSecret.map {
            String(decoding: try masterKey.open($0.sealed, context: Self.secretContext(client.clientId)), as: UTF8.self)
        }
        return try [secret(of: client), second].compactMap { $0 }
    }
}
