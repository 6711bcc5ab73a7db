import Foundation

/// One page of a listing; `next` is an opaque cursor for the following page, `nil` at the end.
public struct ListPage<Item: Sendable>: Sendable {
    public var items: [Item]
    public var next: String?

    public init(items: [Item], next: String?) {
        self.items = items
        self.next = next
    }
}

extension ListPage {
    /// Every item of a listing, reading page after page of `size` with `load(limit, cursor)`.
    public static func all(size: Int = 60, _ load: (Int, String?) async throws -> ListPage<Item>) async throws -> [Item] {
        var items: [Item] = []
        var cursor: String?
        repeat {
            let page = try await load(size, cursor)
            items += page.items
            cursor = page.next
        } while cursor != nil
        return items
    }
}

public protocol UserPoolStore: Sendable {
    /// Creates the pool together with its first signing key, atomically.
    func createPool(_ pool: UserPool, signingKey: SigningKey) async throws
    func pool(id: String) async throws -> UserPool?
    func pool(named name: String) async throws -> UserPool?
    /// Pools ordered by id, `limit` at most, starting after the cursor.
    func listPools(limit: Int, after cursor: String?) async throws -> ListPage<UserPool>
    /// Reads, changes and writes the pool in one transaction.
    @discardableResult
    func updatePool(id: String, _ change: @escaping @Sendable (inout UserPool) throws -> Void) async throws -> UserPool
    /// Deletes the pool and everything in it.
    func deletePool(id: String) async throws
}

public protocol AppClientStore: Sendable {
    func createClient(_ client: AppClient) async throws
    func client(poolId: String, clientId: String) async throws -> AppClient?
    /// Client ids are unique across pools: the public API names a client without its pool.
    func client(id clientId: String) async throws -> AppClient?
    func listClients(poolId: String, limit: Int, after cursor: String?) async throws -> ListPage<AppClient>
    @discardableResult
    func updateClient(poolId: String, clientId: String, _ change: @escaping @Sendable (inout AppClient) throws -> Void) async throws -> AppClient
    func deleteClient(poolId: String, clientId: String) async throws
}

public protocol UserStore: Sendable {
    /// Creates the user and claims its identifiers; `StoreError.duplicate` if any is taken.
    func createUser(_ user: User, identifiers: Set<UserIdentifier>) async throws
    /// Creates many users in one transaction (an import's batch), each as `createUser` would:
    /// per user nil when it was kept, or the `StoreError.duplicate` that refused it (the others
    /// are kept). Throws `.notFound` for an unknown pool, keeping none.
    func createUsers(_ users: [(user: User, identifiers: Set<UserIdentifier>)]) async throws -> [StoreError?]
    func user(poolId: String, sub: UUID) async throws -> User?
    /// The user holding `key` as user name or alias.
    func user(poolId: String, identifierKey key: String) async throws -> User?
    func listUsers(poolId: String, limit: Int, after cursor: String?) async throws -> ListPage<User>
    /// The pool's users `filter` matches, by id in pages as `listUsers`; the database does the
    /// matching (email and phone number by an index).
    func listUsers(poolId: String, matching filter: UserFilter, limit: Int, after cursor: String?) async throws -> ListPage<User>
    /// Reads, changes and writes the user in one transaction, replacing its identifiers with
    /// those `identifiers` computes from the changed user.
    @discardableResult
    func updateUser(
        poolId: String, sub: UUID, identifiers: @escaping @Sendable (User) -> Set<UserIdentifier>,
        _ change: @escaping @Sendable (inout User) throws -> Void
    ) async throws -> User
    func deleteUser(poolId: String, sub: UUID) async throws
}

public protocol GroupStore: Sendable {
    func createGroup(_ group: Group) async throws
    func group(poolId: String, name: String) async throws -> Group?
    func listGroups(poolId: String, limit: Int, after cursor: String?) async throws -> ListPage<Group>
    @discardableResult
    func updateGroup(poolId: String, name: String, _ change: @escaping @Sendable (inout Group) throws -> Void) async throws -> Group
    func deleteGroup(poolId: String, name: String) async throws
    /// Idempotent: adding a member twice leaves one membership.
    func addMember(poolId: String, group: String, userSub: UUID) async throws
    func removeMember(poolId: String, group: String, userSub: UUID) async throws
    func groups(poolId: String, userSub: UUID) async throws -> [Group]
    func members(poolId: String, group: String, limit: Int, after cursor: String?) async throws -> ListPage<User>
}

public protocol ResourceServerStore: Sendable {
    func createResourceServer(_ server: ResourceServer) async throws
    func resourceServer(poolId: String, identifier: String) async throws -> ResourceServer?
    func listResourceServers(poolId: String, limit: Int, after cursor: String?) async throws -> ListPage<ResourceServer>
    @discardableResult
    func updateResourceServer(
        poolId: String, identifier: String, _ change: @escaping @Sendable (inout ResourceServer) throws -> Void
    ) async throws -> ResourceServer
    func deleteResourceServer(poolId: String, identifier: String) async throws
}

public protocol SigningKeyStore: Sendable {
    /// All keys of the pool, newest first.
    func signingKeys(poolId: String) async throws -> [SigningKey]
    /// The key a token's `kid` names, whichever pool it belongs to.
    func signingKey(kid: String) async throws -> SigningKey?
    /// Makes `key` the pool's active key and retires the previous one at `key.createdAt`, atomically.
    func rotate(to key: SigningKey) async throws
}

public protocol AuthorizationCodeStore: Sendable {
    func createCode(_ code: AuthorizationCode) async throws
    /// Marks the code used and returns it; `nil` if unknown. A code already used comes back
    /// with its first `consumedAt`, so the caller can tell a replay. Exactly one caller of many
    /// racing on one code sees it unconsumed.
    func consumeCode(hash: String, at: Date) async throws -> (code: AuthorizationCode, firstUse: Bool)?
    /// The code without using it (its `consumedAt` set if it was used); `nil` if unknown. The
    /// token endpoint checks the client, redirect_uri and PKCE on it before it burns the code.
    func code(hash: String) async throws -> AuthorizationCode?
}

public protocol SessionStore: Sendable {
    func createSession(_ session: SignInSession) async throws
    func session(idHash: String) async throws -> SignInSession?
    func revokeSession(idHash: String, at: Date) async throws
    func revokeSessions(poolId: String, userSub: UUID, at: Date) async throws
    /// The user's hosted sessions not revoked and not expired at `date` (ListUserSessions' SSO sessions).
    func liveSessions(poolId: String, userSub: UUID, at date: Date) async throws -> [SignInSession]
}

public protocol AuthorizationRequestStore: Sendable {
    func createAuthorization(_ pending: PendingAuthorization) async throws
    func authorization(idHash: String) async throws -> PendingAuthorization?
    /// Moves an unfinished request to `step` (and names its user once known); false if it is
    /// finished, expired at `date` or unknown.
    func advanceAuthorization(idHash: String, to step: PendingAuthorization.Step, userSub: UUID?, at date: Date) async throws -> Bool
    /// Finishes the request and stores what finishing it issues, in one transaction: the
    /// hosted session and the authorization code (nil for the implicit flow). True for exactly
    /// one of any number of racing callers; false, and nothing stored, when it was finished
    /// already, has expired at `date` or is unknown.
    func finishAuthorization(idHash: String, at date: Date, session: SignInSession, code: AuthorizationCode?) async throws -> Bool
}

public protocol RefreshTokenStore: Sendable {
    func createRefreshToken(_ token: RefreshToken) async throws
    func refreshToken(hash: String) async throws -> RefreshToken?
    /// The refresh token with its user and the user's groups, in one read (the refresh grant's
    /// hot path); nil if the token or its user is unknown.
    func refreshTokenWithUser(hash: String) async throws -> (token: RefreshToken, user: User, groups: [Group])?
    /// Marks `oldHash` rotated and stores `new`, only if `oldHash` was neither rotated nor
    /// revoked; returns whether it was. Exactly one of many racing rotations wins.
    func rotateRefreshToken(oldHash: String, to new: RefreshToken, at: Date) async throws -> Bool
    func revokeRefreshTokenFamily(_ familyId: UUID, at: Date) async throws
    /// The user's refresh tokens that can still be used at `date` (not revoked, rotated or
    /// expired): one per family, each a sign-in's token session (ListUserSessions).
    func liveRefreshTokens(poolId: String, userSub: UUID, at date: Date) async throws -> [RefreshToken]
    /// Revokes every live refresh token of the user but those of family `except`; returns the
    /// families that were live, so the access tokens they produced (`origin_jti` = family) can
    /// be revoked too.
    @discardableResult
    func revokeRefreshTokens(poolId: String, userSub: UUID, at: Date, except: UUID?) async throws -> Set<UUID>
}

extension RefreshTokenStore {
    @discardableResult
    public func revokeRefreshTokens(poolId: String, userSub: UUID, at date: Date) async throws -> Set<UUID> {
        try await revokeRefreshTokens(poolId: poolId, userSub: userSub, at: date, except: nil)
    }
}

public protocol RevocationStore: Sendable {
    func revoke(_ revocation: TokenRevocation) async throws
    /// Whether any of the token ids is revoked (a token's own jti and its origin_jti, in one read).
    func isRevoked(anyOf jtis: [String]) async throws -> Bool
}

extension RevocationStore {
    public func isRevoked(jti: String) async throws -> Bool { try await isRevoked(anyOf: [jti]) }
}

public protocol AdminCredentialStore: Sendable {
    func adminCredential(accessKeyId: String) async throws -> AdminCredential?
    func adminCredentials() async throws -> [AdminCredential]
    func saveAdminCredential(_ credential: AdminCredential) async throws
    /// Removes the key; false if there was none by that id.
    func deleteAdminCredential(accessKeyId: String) async throws -> Bool
}

/// Settings that belong to one pool, named `<kind>:<pool id>` (its trigger secrets, the Cognito
/// pool it migrates from, its SAML keys): deleting the pool deletes them with it.
public enum PoolSettings {
    public static let kinds = ["trigger-secrets", "migrate-from", "saml-sp-keys"]

    public static func name(_ kind: String, poolId: String) -> String { "\(kind):\(poolId)" }

    public static func names(poolId: String) -> [String] { kinds.map { name($0, poolId: poolId) } }
}

/// Small named values the server keeps for itself (the master-key check, the bootstrap mark).
public protocol SettingStore: Sendable {
    func setting(_ name: String) async throws -> String?
    /// Stores the value only if the name has none yet; returns the value now stored.
    func setSettingIfAbsent(_ name: String, value: String) async throws -> String
    /// Replaces the value, but only if it is still `expected` (nil: absent); false when another
    /// writer changed it first (read again and retry).
    func replaceSetting(_ name: String, expected: String?, value: String) async throws -> Bool
}

public protocol DomainStore: Sendable {
    /// Domains are unique across all pools; `StoreError.duplicate("domain")` when taken.
    func createDomain(_ domain: UserPoolDomain) async throws
    func domain(named name: String) async throws -> UserPoolDomain?
    func domains(poolId: String) async throws -> [UserPoolDomain]
    func deleteDomain(named name: String) async throws
    /// Changes the certificate and ManagedLoginVersion of the pool's domain; `StoreError.notFound` when it is not the pool's.
    func updateDomain(named name: String, poolId: String, certificateArn: String?, managedLoginVersion: Int?) async throws -> UserPoolDomain
}

public protocol OutboxStore: Sendable {
    func enqueue(_ message: OutboundMessage) async throws
    /// Messages newest first (of one pool, or all), `limit` at most, starting after the cursor.
    func outbox(poolId: String?, limit: Int, after cursor: String?) async throws -> ListPage<OutboundMessage>
    /// Records an attempt and lets go of the claim: delivered (its body is then blanked, so codes
    /// do not linger) or failed with `error`, to be tried again at `retryAt` (nil: never). A failure
    /// recorded after another node delivered the message leaves it delivered.
    func recordAttempt(id: UUID, at date: Date, error: String?, retryAt: Date?) async throws
    /// Claims up to `limit` undelivered messages of these channels that are due at `date` and
    /// held by no node (or by one whose claim lapsed), until `leaseUntil`. Racing claimers on
    /// any number of nodes never get the same message.
    func claimDue(channels: [OutboundMessage.Channel], at date: Date, leaseUntil: Date, limit: Int) async throws -> [OutboundMessage]
}

public protocol SingleUseStore: Sendable {
    /// Records the first use of `key`; returns false if it was used before. Exactly one of many
    /// racing callers gets true. The record may be forgotten after `until`.
    func claimOnce(_ key: String, until: Date) async throws -> Bool
}

public protocol VerificationCodeStore: Sendable {
    /// Replaces the user's code for `purpose` with what `make` returns from the code stored now
    /// (nil if none), in one transaction, so racing callers see each other's codes; what `make`
    /// throws is thrown unchanged and nothing is written. Returning the stored code unchanged
    /// writes nothing. Codes do not reference users: the code of a name no user holds (a
    /// phantom, see `PhantomUsers`) is kept like any other.
    /// `message` (the code's, sealed) is added to the outbox in the same transaction: a code is
    /// never stored without its message nor a message without its code. A withheld message (a
    /// phantom's) is written by the same statement, which then keeps no row: a name no one holds
    /// costs the database what an account does, so its answer takes as long.
    @discardableResult
    func saveCode(poolId: String, userSub: UUID, purpose: VerificationCode.Purpose, message: CodeMessage?,
                  _ make: @escaping @Sendable (VerificationCode?) throws -> VerificationCode) async throws -> VerificationCode
    func code(poolId: String, userSub: UUID, purpose: VerificationCode.Purpose) async throws -> VerificationCode?
    /// Counts one attempt at the code before it is judged, in one conditional update: returns
    /// the attempts now counted while fewer than `limit` were counted before; nil, counting
    /// nothing, once `limit` were (or when there is no code). Of many racing callers exactly
    /// `limit` are counted.
    func countAttempt(poolId: String, userSub: UUID, purpose: VerificationCode.Purpose, limit: Int) async throws -> Int?
    func deleteCode(poolId: String, userSub: UUID, purpose: VerificationCode.Purpose) async throws
}

/// The message that goes with a stored code (`VerificationCodeStore.saveCode`).
public enum CodeMessage: Sendable {
    /// Kept in the outbox, to be sent.
    case kept(OutboundMessage)
    /// Written as a kept one is and then not kept: the message a name no one holds would have had.
    case withheld(OutboundMessage)
}

extension VerificationCodeStore {
    @discardableResult
    public func saveCode(poolId: String, userSub: UUID, purpose: VerificationCode.Purpose,
                         _ make: @escaping @Sendable (VerificationCode?) throws -> VerificationCode) async throws -> VerificationCode {
        try await saveCode(poolId: poolId, userSub: userSub, purpose: purpose, message: nil, make)
    }

    /// Stores `code`, replacing the one before.
    public func saveCode(_ code: VerificationCode) async throws {
        try await saveCode(poolId: code.poolId, userSub: code.userSub, purpose: code.purpose) { _ in code }
    }
}

/// Counters shared by every node, for limits on what one client address may do.
public protocol RateLimitStore: Sendable {
    /// Adds one to the counter `key` (made with `expiresAt` if new) and returns its value;
    /// racing hits are all counted. Expired counters may be forgotten.
    func hit(_ key: String, expiresAt: Date) async throws -> Int
    /// Takes one off the counter `key`, never below zero; nothing if it does not exist.
    func release(_ key: String) async throws
}

/// Deletes what has expired, a bounded batch at a time, so a sweep never holds a long lock.
public protocol PurgeStore: Sendable {
    /// Deletes at most `limit` rows of each kind that no longer matter at `date`: expired
    /// authorization codes (and uses older than an hour), sessions, single-use marks, refresh
    /// tokens (and the rotation marks of tokens gone), revocations, codes and counters of
    /// `user_codes`, rate counters, auth events, pending authorization requests, outbox
    /// messages older than `outboxDays` days, and devices never confirmed a day after they were made. Returns
    /// how many rows went, so a caller can repeat until a pass deletes less than a full batch.
    func purgeExpired(at date: Date, limit: Int, outboxDays: Int) async throws -> Int
}

public protocol AuthEventStore: Sendable {
    func recordAuthEvent(_ event: AuthEvent) async throws
    /// A sign-in's outcome once its challenge is answered: the response and steps of the event
    /// with this id in this pool change; nothing happens if there is none (it expired), or if it
    /// passed already (a wrong answer racing the right one leaves the pass).
    func updateAuthEvent(id: UUID, poolId: String, response: AuthEvent.Response, steps: [AuthEvent.Step]) async throws
    /// A user's events, newest first, `limit` at most, starting after the cursor.
    func authEvents(poolId: String, userSub: UUID, limit: Int, after cursor: String?) async throws -> ListPage<AuthEvent>
    /// Sets the feedback of one of the user's events; false if the user has no such event.
    func setAuthEventFeedback(poolId: String, userSub: UUID, id: UUID, value: String, at date: Date) async throws -> Bool
}

public protocol IdentityProviderStore: Sendable {
    /// `StoreError.notFound` for an unknown pool; `.duplicate("identity provider")` when the
    /// pool has a provider of that name, `.duplicate("idp identifier")` when another of its
    /// providers holds one of the identifiers (compared without case).
    func createIdentityProvider(_ provider: IdentityProvider) async throws
    func identityProvider(poolId: String, name: String) async throws -> IdentityProvider?
    /// The pool's provider holding `identifier` (without case), if any.
    func identityProvider(poolId: String, identifier: String) async throws -> IdentityProvider?
    /// The pool's providers ordered by name, `limit` at most, starting after the cursor.
    func listIdentityProviders(poolId: String, limit: Int, after cursor: String?) async throws -> ListPage<IdentityProvider>
    /// Reads, changes and writes the provider in one transaction (its pool and name stay);
    /// the identifiers follow the changed provider, with the same duplicate rule as create.
    @discardableResult
    func updateIdentityProvider(poolId: String, name: String, _ change: @escaping @Sendable (inout IdentityProvider) throws -> Void)
        async throws -> IdentityProvider
    func deleteIdentityProvider(poolId: String, name: String) async throws
}

public protocol UICustomizationStore: Sendable {
    /// The customization of exactly this client id (or `ALL`), if set.
    func uiCustomization(poolId: String, clientId: String) async throws -> UICustomization?
    /// Sets it, replacing what that client id had (its creation date kept); `StoreError.notFound`
    /// for an unknown pool.
    func saveUICustomization(_ customization: UICustomization) async throws
    func deleteUICustomization(poolId: String, clientId: String) async throws
}

/// Managed login branding styles (Cognito's *ManagedLoginBranding operations): at most one per
/// app client; the assets' bytes apart from the style, read only when an asset is served.
public protocol ManagedLoginBrandingStore: Sendable {
    func managedLoginBranding(poolId: String, id: String) async throws -> ManagedLoginBranding?
    /// The client's style; read for every hosted page.
    func managedLoginBranding(poolId: String, clientId: String) async throws -> ManagedLoginBranding?
    /// Stores a new style with its assets' bytes; `StoreError.duplicate` when the client has one,
    /// `StoreError.notFound` without the pool.
    func createManagedLoginBranding(_ branding: ManagedLoginBranding, files: [ManagedLoginAsset.Key: Data]) async throws
    /// Changes a style in one transaction: `change` sees the current one; the bytes of `files`
    /// are written, and those of assets the changed style no longer lists are removed.
    func updateManagedLoginBranding(poolId: String, id: String, files: [ManagedLoginAsset.Key: Data],
                                    _ change: @escaping @Sendable (inout ManagedLoginBranding) throws -> Void) async throws -> ManagedLoginBranding
    /// Removes a style and its assets; false when there was none.
    func deleteManagedLoginBranding(poolId: String, id: String) async throws -> Bool
    /// An asset's bytes.
    func managedLoginAssetFile(brandingId: String, key: ManagedLoginAsset.Key) async throws -> Data?
}

public protocol StoreHealth: Sendable {
    /// Throws unless the database answers.
    func ping() async throws
}

/// Everything the server persists. Services ask for the narrow protocol they need.
public typealias CognateStore = UserPoolStore & AppClientStore & UserStore & GroupStore
    & ResourceServerStore & SigningKeyStore & AuthorizationCodeStore & SessionStore
    & RefreshTokenStore & RevocationStore & AdminCredentialStore & SettingStore & OutboxStore & DomainStore & SingleUseStore & VerificationCodeStore & RateLimitStore & PurgeStore & AuthEventStore & AuthorizationRequestStore & IdentityProviderStore & UICustomizationStore & ManagedLoginBrandingStore & IdentityPoolStore & UserImportJobStore & DeviceStore & WebAuthnCredentialStore & StoreHealth

public protocol IdentityPoolStore: Sendable {
    func createIdentityPool(_ pool: IdentityPool) async throws
    func identityPool(id: String) async throws -> IdentityPool?
    /// By id.
    func listIdentityPools(limit: Int, after cursor: String?) async throws -> ListPage<IdentityPool>
    func updateIdentityPool(id: String, _ change: @escaping @Sendable (inout IdentityPool) throws -> Void) async throws -> IdentityPool
    /// Deletes the pool with its identities.
    func deleteIdentityPool(id: String) async throws
    func identity(id: String) async throws -> Identity?
    /// The identity of the pool that `login` is linked to.
    func identity(poolId: String, login: IdentityLogin) async throws -> Identity?
    /// By id.
    func listIdentities(poolId: String, limit: Int, after cursor: String?) async throws -> ListPage<Identity>
    /// Keeps a new identity with its logins; `.duplicate` when another identity of the pool holds
    /// one of them (the unique index decides races), `.notFound` when the pool is gone.
    func createIdentity(_ identity: Identity) async throws
    /// Links `add` to the identity and unlinks `remove`, in one step; `.duplicate` when another
    /// identity of the pool holds one of `add`, `.notFound` when the identity is gone.
    func changeLogins(identityId: String, add: [IdentityLogin], remove: [IdentityLogin], at date: Date) async throws -> Identity
    /// Moves every login of `source` to `destination` and deletes `source`, in one step.
    func mergeIdentity(_ source: String, into destination: String, at date: Date) async throws -> Identity
    /// false when there was no such identity.
    func deleteIdentity(id: String) async throws -> Bool
}
