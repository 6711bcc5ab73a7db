import CognateModel
import Foundation

/// A user about to be created, by SignUp, AdminCreateUser or the config file.
public struct NewUser: Sendable {
    public enum Password: Sendable {
        /// None yet (an admin-created user waiting for an invitation's password).
        case none
        /// In plain text: hashed at the deployment's cost, with its SRP verifier.
        case plain(String)
        /// An imported hash (bcrypt, PBKDF2, scrypt, Argon2), upgraded at the first sign-in.
        case hashed(String)
    }

    /// nil: the sub is the user name (pools that sign in by email or phone).
    public var username: String?
    public var status: UserStatus
    public var enabled: Bool
    public var attributes: [String: String]
    public var password: Password
    public var temporaryPasswordExpiresAt: Date?
    /// The sub to give the user (one brought from another pool); nil: a new one.
    public var sub: UUID?
    /// Second factors it starts with (a CSV import's `cognito:mfa_enabled`).
    public var mfa = UserMFA()

    public init(username: String?, status: UserStatus, enabled: Bool = true, attributes: [String: String], password: Password,
                temporaryPasswordExpiresAt: Date? = nil, sub: UUID? = nil) {
        self.sub = sub
        self.username = username
        self.status = status
        self.enabled = enabled
        self.attributes = attributes
        self.password = password
        self.temporaryPasswordExpiresAt = temporaryPasswordExpiresAt
    }
}

/// Creates users, the one place it is done: the sub, the credentials (hash and SRP verifier),
/// the record and its identifiers (the name and the verified aliases) in one store write.
public struct UserCreator: Sendable {
    let store: any UserStore
    /// Needed for a plain password only (a user of an outside provider has none).
    let credentials: Credentials?
    let now: Now

    public init(store: any UserStore, credentials: Credentials?, now: @escaping Now) {
        self.store = store
        self.credentials = credentials
        self.now = now
    }

    /// Throws `AccountError.usernameExists`, or `.aliasExists(attribute)` when a verified
    /// address is another account's alias; with `takeAliases` (ForceAliasCreation) the alias
    /// moves to the new user instead.
    public func create(_ new: NewUser, in pool: UserPool, takeAliases: Bool = false) async throws -> User {
        let user = try await make(new, in: pool)
        do {
            try await store.createUser(user, identifiers: user.identifiers(in: pool))
        } catch StoreError.duplicate(let what) where what.hasPrefix("alias") {
            let attribute = String(what.dropFirst("alias ".count))
            guard takeAliases else { throw AccountError.aliasExists(attribute) }
            try await store.releaseAliases(of: user, in: pool, at: now())
            try await store.createUser(user, identifiers: user.identifiers(in: pool))
        } catch StoreError.duplicate {
            throw AccountError.usernameExists
        }
        return user
    }

    /// Creates many users of one pool in one store write (an import's batch); per user, the
    /// user or what refused it (`AccountError.usernameExists`, `.aliasExists`).
    public func create(batch news: [NewUser], in pool: UserPool) async throws -> [Result<User, any Error>] {
        var users: [User] = []
        for new in news { users.append(try await make(new, in: pool)) }
        let refusals = try await store.createUsers(users.map { ($0, $0.identifiers(in: pool)) })
        return zip(users, refusals).map { user, refusal in
            switch refusal {
            case nil: .success(user)
            case .duplicate(let what) where what.hasPrefix("alias"): .failure(AccountError.aliasExists(String(what.dropFirst("alias ".count))))
            case .duplicate: .failure(AccountError.usernameExists)
            case let other?: .failure(other)
            }
        }
    }

    /// The record of a new user: its sub, credentials and dates.
    func make(_ new: NewUser, in pool: UserPool) async throws -> User {
        let sub = new.sub ?? UUID()
        let username = new.username ?? sub.uuidString.lowercased()
        var hash: String?
        var verifier: Data?
        switch new.password {
        case .none: break
        case .plain(let password):
            guard let credentials else { throw AccountError.invalidPassword("no password can be set here") }
            let made = try await credentials.make(password: password, poolId: pool.id, username: username, sub: sub)
            (hash, verifier) = (made.hash, made.srpVerifier)
        case .hashed(let imported): hash = imported
        }
        let date = now()
        var user = User(poolId: pool.id, sub: sub, username: username, status: new.status, enabled: new.enabled, attributes: new.attributes,
                        passwordHash: hash, temporaryPasswordExpiresAt: new.temporaryPasswordExpiresAt, createdAt: date, updatedAt: date)
        user.srpVerifier = verifier
        user.mfa = new.mfa
        return user
    }
}
