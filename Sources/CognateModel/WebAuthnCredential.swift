import Foundation

/// A passkey: a WebAuthn credential a user registered (StartWebAuthnRegistration,
/// CompleteWebAuthnRegistration) and signs in with (USER_AUTH, WEB_AUTHN). Only its public key
/// is kept; the private key never leaves the authenticator.
public struct WebAuthnCredential: Sendable, Equatable, Codable {
    /// The authenticator's credential id, base64url without padding (unique in the pool).
    public var id: String
    public var poolId: String
    public var userSub: UUID
    /// The COSE_Key the authenticator made, as it sent it.
    public var publicKey: Data
    /// The authenticator's signature counter at the last use (0: it keeps none).
    public var signCount: UInt32
    public var relyingPartyId: String
    /// Cognito's FriendlyCredentialName.
    public var friendlyName: String
    /// `platform` or `cross-platform`, when the browser said.
    public var attachment: String?
    public var transports: [String]
    public var createdAt: Date
    public var lastUsedAt: Date?

    public init(id: String, poolId: String, userSub: UUID, publicKey: Data, signCount: UInt32, relyingPartyId: String, friendlyName: String,
                attachment: String?, transports: [String], createdAt: Date) {
        self.id = id
        self.poolId = poolId
        self.userSub = userSub
        self.publicKey = publicKey
        self.signCount = signCount
        self.relyingPartyId = relyingPartyId
        self.friendlyName = friendlyName
        self.attachment = attachment
        self.transports = transports
        self.createdAt = createdAt
    }
}

public protocol WebAuthnCredentialStore: Sendable {
    /// `StoreError.notFound` when the user is not there, `.duplicate("passkey")` when the pool has the id already.
    /// With a `limit`, false (nothing kept) when the user holds that many passkeys already,
    /// counted in the insert's transaction: registrations finished at once cannot pass it.
    @discardableResult
    func createWebAuthnCredential(_ credential: WebAuthnCredential, limit: Int?) async throws -> Bool
    func webAuthnCredential(poolId: String, id: String) async throws -> WebAuthnCredential?
    /// The user's passkeys by id (nil: every user's in the pool, for an export), `limit` at most, starting after the cursor.
    func webAuthnCredentials(poolId: String, userSub: UUID?, limit: Int, after cursor: String?) async throws -> ListPage<WebAuthnCredential>
    /// Records a use: the new counter and time, only if the stored counter is still `expected`
    /// (two sign-ins with one counter value: one records). False when it was not.
    func recordWebAuthnUse(poolId: String, id: String, expected: UInt32, signCount: UInt32, at date: Date) async throws -> Bool
    /// `StoreError.notFound` for a passkey not there or not the user's.
    func deleteWebAuthnCredential(poolId: String, userSub: UUID, id: String) async throws
}
