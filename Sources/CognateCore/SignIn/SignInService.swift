import CognateModel
import Crypto
import Foundation

/// Why a sign-in did not produce tokens, in terms the API and the hosted pages each render.
public enum SignInError: Error, Equatable {
    /// Wrong password, unknown user (where the client hides that), disabled user.
    case notAuthorized(String)
    case userNotFound
    case userNotConfirmed
    case passwordResetRequired
    case invalidPassword(String)
    case invalidParameter(String)
    /// The challenge session is unknown, expired or already used.
    case invalidSession
    /// Refused without looking at the password: too many wrong ones (PasswordLockout).
    case lockedOut
    /// An administrator's temporary password was not changed in time.
    case temporaryPasswordExpired
    /// The app client allows outside providers only (no COGNITO in SupportedIdentityProviders).
    case poolUsersNotAllowed
}

public enum SignInOutcome: Sendable, Equatable {
    case tokens(IssuedTokens)
    /// The caller must answer a challenge (Cognito's names) quoting `session`.
    case challenge(name: String, session: String, parameters: [String: String])
}

/// Password sign-in and its challenges, shared by InitiateAuth and the hosted login form.
public struct SignInService: Sendable {
    /// What sign-in reads and writes: users, their codes and counters, single-use marks.
    public typealias Store = UserStore & VerificationCodeStore & SingleUseStore & DeviceStore & WebAuthnCredentialStore
    let store: any Store
    let hasher: PasswordHasher
    let credentials: Credentials
    let tokens: TokenService
    let masterKey: MasterKey
    let random: any RandomSource
    let now: Now
    /// An Argon2id hash at the deployment's cost, checked when the user does not exist, so an
    /// unknown name takes as long as a wrong password.
    let decoyHash: String
    /// Sends and checks the emailed or texted codes of EMAIL_OTP and SMS_MFA.
    let accounts: AccountService

    let lockout: PasswordLockout
    /// Derived from the master key once, not on every sign-in.
    let phantoms: PhantomUsers
    var events: AuthEvents { accounts.events }

    public init(store: any Store, hasher: PasswordHasher, credentials: Credentials, tokens: TokenService, accounts: AccountService,
                masterKey: MasterKey, decoyHash: String, random: any RandomSource = SystemRandomSource(), now: @escaping Now) {
        self.store = store
        self.accounts = accounts
        self.hasher = hasher
        self.credentials = credentials
        self.tokens = tokens
        self.masterKey = masterKey
        self.lockout = PasswordLockout(store: store, now: now)
        self.phantoms = PhantomUsers(masterKey: masterKey)
        self.decoyHash = decoyHash
        self.random = random
        self.now = now
    }

    /// `deviceKey`: the device the app names (DEVICE_KEY); a confirmed device of the user is asked to prove itself next.
    public func signIn(pool: UserPool, client: AppClient, username: String, password: String, scopes: [String] = [],
                       deviceKey: String? = nil) async throws -> SignInOutcome {
        let user = try await verifyPassword(pool: pool, client: client, username: username, password: password)
        return try await passwordProven(user: user, pool: pool, client: client, scopes: scopes, deviceKey: deviceKey)
    }

    /// Checks the password (equal work for unknown users), upgrades the stored hash and makes an
    /// SRP verifier when due; returns the user whatever its state.
    /// `hidingUsers` (the client's PreventUserExistenceErrors unless given; the hosted form
    /// always hides) makes a name no one holds locked out as a user would be (its phantom's
    /// count), so the lockout does not tell them apart.
    public func verifyPassword(pool: UserPool, client: AppClient, username: String, password: String, hidingUsers: Bool? = nil) async throws -> User {
        let hiding = hidingUsers ?? client.preventUserExistenceErrors
        // a name no one holds may be one the old system knows (UserMigration): then it is here now,
        // with this password, and the sign-in goes on as any other
        var found = try await store.user(in: pool, named: username)
        if found == nil { found = try await migrate(pool: pool, client: client, username: username, password: password) }
        if found == nil, let migration = accounts.migration {
            do {
                found = try await migration.signingIn(pool: pool, username: username, password: password)
                if let found { await events.record(.signUp, .pass, user: found, clientId: client.clientId) }
            } catch AccountError.usernameExists {
                // brought over meanwhile by another sign-in of the same person: checked against it
                found = try await store.user(in: pool, named: username)
            }
        }
        // PreAuthentication sees every password sign-in first; a name no one holds only where
        // the client hides users (`userNotFound`), as Cognito calls it
        if found != nil || hiding {
            _ = try await accounts.triggers?.call(
                "PreAuthentication", source: "PreAuthentication_Authentication", pool: pool, userName: found?.username ?? username,
                clientId: client.clientId, request: ["userAttributes": found.map(Triggers.attributes) ?? [:], "validationData": [String: String](),
                                                     "userNotFound": found == nil])
        }
        let counted = found?.sub ?? (hiding ? phantoms.sub(pool: pool, name: username) : nil)
        guard let user = found, let hash = user.passwordHash else {
            // the phantom's event is written as an account's would be, locked or not
            do {
                _ = try await lockout.attempt(poolId: pool.id, sub: counted) {
                    _ = try await hasher.verify(password, against: decoyHash)
                    return false
                }
            } catch where AuthEvents.isLockout(error) {
                if hiding, let counted {
                    await events.record(.signIn, .fail, poolId: pool.id, sub: counted, clientId: client.clientId,
                                        steps: [.init(.password, false)], blocked: true)
                }
                throw error
            }
            if hiding, let counted {
                await events.record(.signIn, .fail, poolId: pool.id, sub: counted, clientId: client.clientId, steps: [.init(.password, false)])
            }
            if hiding { throw SignInError.notAuthorized("Incorrect username or password.") }
            // an account without a password: one imported to set its password through a code is told so (as
            // Cognito tells a client that does not hide users); any other is not signed in by password
            if let user = found {
                throw user.status == .resetRequired ? SignInError.passwordResetRequired : SignInError.notAuthorized("Incorrect username or password.")
            }
            throw SignInError.userNotFound
        }
        var verification = PasswordVerification.mismatch
        let right: Bool
        do {
            right = try await lockout.attempt(poolId: pool.id, sub: counted) {
                if hash == CognitoMigration.pendingPassword {
                    // brought over ahead of time: the old pool still holds the password; once it
                    // takes it, it is hashed here like any other
                    let accepted = try await accounts.migration?.passwordAccepted(pool: pool, user: user, password: password) ?? false
                    verification = accepted ? .match(needsUpgrade: true) : .mismatch
                    return accepted
                }
                verification = try await hasher.verify(password, against: hash)
                return verification.isMatch
            }
        } catch where AuthEvents.isLockout(error) {
            await events.record(.signIn, .fail, user: user, clientId: client.clientId, steps: [.init(.password, false)], blocked: true)
            throw error
        }
        guard right, case .match(needsUpgrade: let upgrade) = verification else {
            await events.record(.signIn, .fail, user: user, clientId: client.clientId, steps: [.init(.password, false)])
            throw SignInError.notAuthorized("Incorrect username or password.")
        }
        guard user.enabled else {
            await events.record(.signIn, .fail, user: user, clientId: client.clientId, steps: [.init(.password, true)])
            throw SignInError.notAuthorized("User is disabled.")
        }
        var current = user
        if upgrade || user.srpVerifier == nil {
            // Imported or older hashes become Argon2id at today's cost, and users without an SRP
            // verifier get one, while the password is at hand.
            let made = try await credentials.make(password: password, poolId: pool.id, username: user.username, sub: user.sub)
            current = try await store.updateUser(poolId: pool.id, sub: user.sub, identifiers: { $0.identifiers(in: pool) }) { user in
                if upgrade { user.passwordHash = made.hash }
                user.srpVerifier = made.srpVerifier
            }
        }
        return current
    }

    /// UserMigration_Authentication: a name no one holds here, with a password, is offered to
    /// the pool's UserMigration trigger; if it answers with the user's attributes, the user is
    /// made here with that password (hashed as any other) and the sign-in goes on. A refusal, or
    /// no answer, is a name no one holds: the usual refusal follows, and nothing is made.
    func migrate(pool: UserPool, client: AppClient, username: String, password: String) async throws -> User? {
        guard Triggers.has("UserMigration", pool), !password.isEmpty else { return nil }
        return try await accounts.userMigration(pool: pool, username: username, clientId: client.clientId, source: "UserMigration_Authentication",
                                                request: ["password": password], password: .plain(password)) { answer in
            (answer["finalUserStatus"] as? String) == "RESET_REQUIRED" ? .resetRequired : .confirmed
        }
    }

    /// What follows a proven password: the account's state decides between tokens and a
    /// challenge. Recorded as a sign-in event: passed, failed, or in progress until its challenge
    /// is answered (the event's id travels in the challenge session).
    func passwordProven(user: User, pool: UserPool, client: AppClient, scopes: [String], deviceKey: String? = nil) async throws -> SignInOutcome {
        let eventId = UUID()
        let outcome: SignInOutcome
        do {
            outcome = try await proceed(user: user, pool: pool, client: client, scopes: scopes, eventId: eventId, deviceKey: deviceKey)
        } catch {
            await events.record(.signIn, .fail, user: user, clientId: client.clientId, steps: [.init(.password, true)], id: eventId)
            throw error
        }
        if case .tokens = outcome {
            await events.record(.signIn, .pass, user: user, clientId: client.clientId, steps: [.init(.password, true)], id: eventId)
        } else {
            await events.record(.signIn, .inProgress, user: user, clientId: client.clientId, steps: [.init(.password, true)], id: eventId)
        }
        return outcome
    }

    /// Where a proven password leads, by the account's state: the one rule for InitiateAuth,
    /// SRP and the hosted form (each renders it its own way).
    public enum AfterPassword: Sendable, Equatable {
        /// Confirmed: on to the second factor, if one is due, else signed in.
        case confirmed
        /// Not confirmed yet: the API refuses (UserNotConfirmedException), the hosted pages ask for the code.
        case unconfirmed
        /// A temporary password: a new one is due, answered with this NEW_PASSWORD_REQUIRED session.
        case newPassword(session: String)
    }

    /// Refuses the states no password gets past (disabled, reset required, a federated account,
    /// an expired temporary password); says where the others go.
    public func afterPassword(user: User, pool: UserPool, client: AppClient, eventId: UUID?) throws -> AfterPassword {
        guard user.enabled else { throw SignInError.notAuthorized("User is disabled.") }
        switch user.status {
        case .confirmed: return .confirmed
        case .unconfirmed: return .unconfirmed
        case .resetRequired: throw SignInError.passwordResetRequired
        case .externalProvider: throw SignInError.notAuthorized("Incorrect username or password.")
        case .forceChangePassword:
            if let expiry = user.temporaryPasswordExpiresAt, expiry <= now() { throw SignInError.temporaryPasswordExpired }
            return .newPassword(session: try newPasswordSession(user: user, pool: pool, client: client, eventId: eventId))
        }
    }

    func proceed(user: User, pool: UserPool, client: AppClient, scopes: [String], eventId: UUID, deviceKey: String? = nil) async throws
        -> SignInOutcome
    {
        switch try afterPassword(user: user, pool: pool, client: client, eventId: eventId) {
        case .unconfirmed: throw SignInError.userNotConfirmed
        case .newPassword(let session): return try newPasswordChallenge(user: user, pool: pool, client: client, session: session)
        case .confirmed:
            // a device the user confirmed proves its own secret next (and may then skip the second factor)
            if let device = try await knownDevice(deviceKey, user: user, pool: pool) {
                return try deviceChallenge(device: device, user: user, client: client, eventId: eventId)
            }
            if let challenge = try await mfaChallenge(user: user, pool: pool, client: client, eventId: eventId) { return challenge }
            return .tokens(try await tokensAfterSignIn(user: user, pool: pool, client: client, scopes: scopes))
        }
    }

    /// NEW_PASSWORD_REQUIRED as the API asks it: the attributes the client may read, and those still required.
    func newPasswordChallenge(user: User, pool: UserPool, client: AppClient, session: String) throws -> SignInOutcome {
        let visible = AttributePermissions.readable(user.attributes, client: client).filter { !UserAttributeRules.verificationFlags.contains($0.key) }
        let attributes = String(decoding: try JSONEncoder().encode(visible), as: UTF8.self)
        let required = pool.schema.filter { $0.required && (user.attributes[$0.name] ?? "").isEmpty }.map { "userAttributes.\($0.name)" }
        return .challenge(name: "NEW_PASSWORD_REQUIRED", session: session, parameters: [
            "USER_ID_FOR_SRP": user.username, "userAttributes": attributes,
            "requiredAttributes": String(decoding: try JSONEncoder().encode(required), as: UTF8.self),
        ])
    }

    /// The PostAuthentication trigger (its error ends the sign-in), then the tokens. `device`: the
    /// device the sign-in proved (its key goes in the access token); without one, a pool that
    /// tracks devices hands out a new one (NewDeviceMetadata).
    func tokensAfterSignIn(user: User, pool: UserPool, client: AppClient, scopes: [String],
                           source: String = "TokenGeneration_Authentication", device: String? = nil) async throws -> IssuedTokens {
        try await postAuthentication(user: user, pool: pool, client: client)
        let fresh = device == nil ? try await newDevice(user: user, pool: pool) : nil
        var issued = try await tokens.issue(user: user, client: client, scopes: scopes, authTime: now(), withRefreshToken: true, source: source,
                                            deviceKey: device ?? fresh?.key)
        issued.newDevice = fresh.map { IssuedTokens.NewDevice(key: $0.key, groupKey: $0.groupKey) }
        return issued
    }

    /// PostAuthentication_Authentication, once the user is proven, before anything is issued.
    public func postAuthentication(user: User, pool: UserPool, client: AppClient) async throws {
        _ = try await accounts.triggers?.call("PostAuthentication", source: "PostAuthentication_Authentication", pool: pool, userName: user.username,
                                              clientId: client.clientId, request: ["userAttributes": Triggers.attributes(user), "newDeviceUsed": false,
                                                                                   "clientMetadata": [String: String]()])
    }

    /// NEW_PASSWORD_REQUIRED: the new password (checked against the policy) and any required attributes.
    public func completeNewPassword(pool: UserPool, client: AppClient, session: String, newPassword: String,
                                    attributes: [String: String], scopes: [String] = []) async throws -> SignInOutcome {
        let (updated, eventId) = try await setNewPassword(pool: pool, client: client, session: session, newPassword: newPassword,
                                                          attributes: attributes)
        if let challenge = try await mfaChallenge(user: updated, pool: pool, client: client, eventId: eventId) { return challenge }
        let issued = try await tokensAfterSignIn(user: updated, pool: pool, client: client, scopes: scopes,
                                                 source: "TokenGeneration_NewPasswordChallenge")
        await events.settle(eventId, poolId: pool.id, .pass, steps: [.init(.password, true)])
        return .tokens(issued)
    }

    /// Answers NEW_PASSWORD_REQUIRED for the API and the hosted page alike; returns the confirmed
    /// user and the sign-in event the session carries.
    public func setNewPassword(pool: UserPool, client: AppClient, session: String, newPassword: String,
                               attributes: [String: String]) async throws -> (user: User, eventId: UUID?) {
        let state = try open(session, pool: pool, client: client, challenge: "NEW_PASSWORD_REQUIRED")
        guard let user = try await store.user(poolId: pool.id, sub: state.sub), user.status == .forceChangePassword,
            let hash = user.passwordHash, Self.fingerprint(hash) == state.passwordFingerprint, user.enabled
        else { throw SignInError.invalidSession }
        guard attributes.keys.allSatisfy({ AttributePermissions.canWrite($0, client: client) }) else {
            throw SignInError.notAuthorized(AttributePermissions.refusal)
        }
        if let problem = pool.passwordPolicy.problem(with: newPassword) { throw SignInError.invalidPassword(problem) }
        do {
            try UserAttributeRules.validate(attributes, pool: pool, existing: user)
        } catch {
            throw SignInError.invalidParameter(error.description)
        }
        for required in pool.schema where required.required && (attributes[required.name] ?? user.attributes[required.name] ?? "").isEmpty {
            throw SignInError.invalidParameter("Missing required attribute \(required.name)")
        }
        // A refused answer (weak password, missing attribute) may be corrected; an accepted one ends the session.
        guard try await store.claimOnce("challenge:" + SecretDigest.sha256Hex(session), until: state.expiresAt) else {
            throw SignInError.invalidSession
        }
        let made = try await credentials.make(password: newPassword, poolId: pool.id, username: user.username, sub: user.sub)
        let date = now()
        let updated = try await store.updateUser(poolId: pool.id, sub: user.sub, identifiers: { $0.identifiers(in: pool) }) { user in
            user.passwordHash = made.hash
            user.srpVerifier = made.srpVerifier
            user.status = .confirmed
            user.temporaryPasswordExpiresAt = nil
            user.attributes.merge(attributes) { $1 }
            user.updatedAt = date
        }
        return (updated, state.eventId)
    }

    /// A NEW_PASSWORD_REQUIRED session for a user whose password was just proven.
    func newPasswordSession(user: User, pool: UserPool, client: AppClient, eventId: UUID?) throws -> String {
        try seal(ChallengeSession(
            poolId: pool.id, clientId: client.clientId, sub: user.sub, challenge: "NEW_PASSWORD_REQUIRED",
            passwordFingerprint: Self.fingerprint(user.passwordHash ?? ""),
            expiresAt: now().addingTimeInterval(Double(client.authSessionValidity) * 60), eventId: eventId))
    }

    // MARK: Challenge sessions

    /// A challenge session is sealed with the master key: any node can open it, none has to
    /// remember it. It names the password it was issued against, so it dies with that password.
    struct ChallengeSession: Codable {
        var poolId: String
        var clientId: String
        var sub: UUID
        var challenge: String
        var passwordFingerprint: String
        var expiresAt: Date
        /// MFA_SETUP: set once VerifySoftwareToken accepted a code from the new authenticator.
        var setupVerified: Bool?
        /// The sign-in event this challenge settles (AuthEvents).
        var eventId: UUID?
        /// The device the sign-in proved or is proving (DEVICE_SRP_AUTH), carried through the second factor.
        var deviceKey: String?
        /// WEB_AUTHN: the challenge the passkey must sign (base64url).
        var webAuthnChallenge: String?
        /// A sign-in that began with a passkey or an emailed or texted code, not a password: its
        /// event records no password step.
        var withoutPassword: Bool?
    }

    static let sessionContext = "auth-challenge-session"

    func seal(_ session: ChallengeSession) throws -> String {
        try masterKey.sealToken(session, context: Self.sessionContext)
    }

    func open(_ text: String, pool: UserPool, client: AppClient, challenge: String) throws -> ChallengeSession {
        guard let session = unsealed(text), session.poolId == pool.id, session.clientId == client.clientId,
            session.challenge == challenge, session.expiresAt > now()
        else { throw SignInError.invalidSession }
        return session
    }

    /// The session a sealed text holds, whatever it is for; nil if it does not open.
    func unsealed(_ text: String) -> ChallengeSession? {
        masterKey.openToken(text, as: ChallengeSession.self, context: Self.sessionContext)
    }

    static func fingerprint(_ hash: String) -> String {
        String(SecretDigest.sha256Hex(hash).prefix(16))
    }
}

/// Cognito's SECRET_HASH: Base64(HMAC-SHA256(key: client secret, message: user name + client id)).
public enum SecretHash {
    public static func compute(secret: String, username: String, clientId: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data((username + clientId).utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return Data(mac).base64EncodedString()
    }

    /// Whether `presented` is the SECRET_HASH for any of `usernames` (a refresh may name the user by sub).
    public static func matches(_ presented: String, secret: String, usernames: [String], clientId: String) -> Bool {
        var matched = false
        for username in usernames {
            matched = constantTimeEquals(Array(compute(secret: secret, username: username, clientId: clientId).utf8), Array(presented.utf8)) || matched
        }
        return matched
    }
}
