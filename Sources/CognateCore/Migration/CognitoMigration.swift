import CognateModel
import Crypto
import Foundation

/// An existing Cognito user pool a pool's users move from (the config file's `migrateFrom`).
public struct MigrationSource: Sendable, Equatable, Codable {
    /// The Cognito API's URL; nil: AWS's, `https://cognito-idp.<region>.amazonaws.com/`.
    public var endpoint: String?
    public var region: String
    public var userPoolId: String
    /// An app client of the old pool passwords are tried with (InitiateAuth USER_PASSWORD_AUTH).
    public var clientId: String
    public var clientSecret: String?
    /// For AdminGetUser, ListUsers and the groups; nil: the usual AWS_* variables when called.
    public var credentials: AWSCredentials?

    public init(endpoint: String?, region: String, userPoolId: String, clientId: String, clientSecret: String? = nil,
                credentials: AWSCredentials? = nil) {
        self.endpoint = endpoint
        self.region = region
        self.userPoolId = userPoolId
        self.clientId = clientId
        self.clientSecret = clientSecret
        self.credentials = credentials
    }

    public var url: String { endpoint ?? "https://cognito-idp.\(region).amazonaws.com/" }

    /// What is wrong with it, in the words of the field at fault; nil when it can be used.
    public var problem: (field: String, message: String)? {
        if let endpoint, !Self.isEndpoint(endpoint) {
            return ("endpoint", "must be an https:// URL (http only on a loopback host)")
        }
        if region.wholeMatch(of: /[a-z]{2}(-[a-z]+)+-\d{1,2}|[a-z][a-z0-9-]{0,31}/) == nil { return ("region", "must be a region name such as eu-west-1") }
        if userPoolId.wholeMatch(of: /[\w-]+_[0-9a-zA-Z]+/) == nil || userPoolId.count > 55 {
            return ("userPoolId", "must be a user pool id such as eu-west-1_Ab3dE6gH9")
        }
        if clientId.wholeMatch(of: /[\w+]{1,128}/) == nil { return ("clientId", "must be an app client id of the old pool") }
        if let secret = clientSecret, secret.isEmpty || secret.count > 128 { return ("clientSecret", "must be the app client's secret") }
        return nil
    }

    static func isEndpoint(_ text: String) -> Bool {
        guard text.count <= 2048, let url = URLComponents(string: text), let host = url.host, !host.isEmpty, url.user == nil,
            url.password == nil, url.query == nil
        else { return false }
        return url.scheme == "https" || (url.scheme == "http" && ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host))
    }
}

/// Each pool's `migrateFrom`, sealed with the master key in the settings store
/// (`migrate-from:<pool>`: it holds the old pool's client secret and credentials).
public struct MigrationSources: Sendable {
    let store: any SettingStore
    let masterKey: MasterKey

    public init(store: any SettingStore, masterKey: MasterKey) {
        self.store = store
        self.masterKey = masterKey
    }

    static func name(_ poolId: String) -> String { PoolSettings.name("migrate-from", poolId: poolId) }

    public func source(poolId: String) async throws -> MigrationSource? {
        guard let stored = try await store.setting(Self.name(poolId)), !stored.isEmpty, let sealed = Data(lenientBase64: stored) else { return nil }
        return try JSONDecoder().decode(MigrationSource.self, from: try masterKey.open(sealed, context: Self.name(poolId)))
    }

    /// Sets the source, or (nil) stops migrating.
    public func set(poolId: String, _ source: MigrationSource?) async throws {
        let value = try source.map { try masterKey.seal(try JSONEncoder().encode($0), context: Self.name(poolId)).base64URLEncoded } ?? ""
        for _ in 0..<10 {
            let stored = try await store.setting(Self.name(poolId))
            if stored == nil, source == nil { return }
            if let stored, let current = try? await self.source(poolId: poolId), current == source, !stored.isEmpty { return }
            if try await store.replaceSetting(Self.name(poolId), expected: stored, value: value) { return }
        }
        throw StoreError.unavailable("the migration source of \(poolId) kept changing")
    }
}

/// The old pool's answer that it refused something (its `__type` and message), or why it could
/// not be asked. Neither is ever shown to the person signing in.
public enum OldPoolError: Error, Equatable, CustomStringConvertible {
    case refused(type: String, message: String)
    case unavailable(String)

    public var description: String {
        switch self {
        case .refused(let type, let message): "the old pool answered \(type): \(message)"
        case .unavailable(let reason): "the old pool could not be asked: \(reason)"
        }
    }
}

/// A user as the old pool describes it (AdminGetUser, ListUsers).
public struct OldUser: Sendable, Equatable {
    public var username: String
    public var attributes: [String: String]
    public var status: String
    public var enabled: Bool
    public var mfaSettings: [String]
    public var preferredMfa: String?

    init(_ object: [String: Any]) throws(OldPoolError) {
        guard let username = object["Username"] as? String else { throw OldPoolError.unavailable("a user without a Username") }
        self.username = username
        var attributes: [String: String] = [:]
        for item in (object["UserAttributes"] ?? object["Attributes"]) as? [[String: Any]] ?? [] {
            if let name = item["Name"] as? String, let value = item["Value"] as? String { attributes[name] = value }
        }
        self.attributes = attributes
        status = object["UserStatus"] as? String ?? "CONFIRMED"
        enabled = object["Enabled"] as? Bool ?? true
        mfaSettings = object["UserMFASettingList"] as? [String] ?? []
        preferredMfa = object["PreferredMfaSetting"] as? String
    }
}

/// The old Cognito pool, asked through its own JSON API: passwords with the app client
/// (InitiateAuth USER_PASSWORD_AUTH, else AdminInitiateAuth ADMIN_USER_PASSWORD_AUTH), users and
/// groups with the credentials (SigV4).
public struct OldCognitoPool: Sendable {
    public let source: MigrationSource
    let http: any OutboundHTTP
    let now: Now
    static let timeout: TimeInterval = 10

    public init(source: MigrationSource, http: any OutboundHTTP, now: @escaping Now) {
        self.source = source
        self.http = http
        self.now = now
    }

    /// One operation of the old pool's API; `signed` ones need the credentials.
    func call(_ operation: String, _ input: [String: Any], signed: Bool) async throws(OldPoolError) -> [String: Any] {
        let body: Data
        do { body = try JSONSerialization.data(withJSONObject: input, options: [.sortedKeys]) } catch {
            throw .unavailable("the request could not be written")
        }
        var request = OutboundRequest(.post, source.url, headers: [
            "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AWSCognitoIdentityProviderService.\(operation)",
        ], body: body, timeout: Self.timeout)
        if signed {
            guard let credentials = source.credentials ?? AWSCredentials.fromEnvironment() else {
                throw .unavailable("\(operation) needs credentials: give migrateFrom credentials, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
            }
            SigV4.sign(&request, service: "cognito-idp", region: source.region, credentials: credentials, date: now())
        }
        let answer: OutboundAnswer
        do { answer = try await http.send(request) } catch let error as OutboundError { throw .unavailable(error.description) } catch {
            throw .unavailable("\(error)")
        }
        let object = (try? JSONSerialization.jsonObject(with: answer.body)) as? [String: Any]
        guard (200..<300).contains(answer.status) else {
            if let type = (object?["__type"] as? String).map({ String($0.split(separator: "#").last ?? "") }), !type.isEmpty, answer.status < 500 {
                throw .refused(type: type, message: object?["message"] as? String ?? object?["Message"] as? String ?? "")
            }
            throw .unavailable("\(operation) answered HTTP \(answer.status)")
        }
        guard let object else { throw .unavailable("\(operation) answered something that is not JSON") }
        return object
    }

    /// Whether the old pool takes this password for this name: tokens, or any challenge that
    /// comes after the password (NEW_PASSWORD_REQUIRED, the MFA ones), mean it does, and so does
    /// UserNotConfirmedException, which Cognito answers only once the password is right.
    /// Answers the challenge's name, if any (`UNCONFIRMED` for the latter); nil: refused.
    public func passwordAccepted(username: String, password: String) async throws(OldPoolError) -> (accepted: Bool, challenge: String?) {
        var parameters = ["USERNAME": username, "PASSWORD": password]
        if let secret = source.clientSecret {
            let mac = HMAC<SHA256>.authenticationCode(for: Data((username + source.clientId).utf8), using: SymmetricKey(data: Data(secret.utf8)))
            parameters["SECRET_HASH"] = Data(mac).base64EncodedString()
        }
        var answer: [String: Any]
        do {
            answer = try await call("InitiateAuth", ["AuthFlow": "USER_PASSWORD_AUTH", "ClientId": source.clientId, "AuthParameters": parameters],
                                    signed: false)
        } catch .refused(let type, let message) where type == "InvalidParameterException" && message.contains("USER_PASSWORD_AUTH") {
            // the client does not allow USER_PASSWORD_AUTH: the admin form, with the credentials
            do {
                answer = try await call("AdminInitiateAuth", ["AuthFlow": "ADMIN_USER_PASSWORD_AUTH", "UserPoolId": source.userPoolId,
                                                              "ClientId": source.clientId, "AuthParameters": parameters], signed: true)
            } catch .refused(let type, _) where type == "UserNotConfirmedException" {
                return (true, "UNCONFIRMED")
            } catch .refused {
                return (false, nil)
            }
        } catch .refused(let type, _) where type == "UserNotConfirmedException" {
            return (true, "UNCONFIRMED")
        } catch .refused {
            return (false, nil)
        }
        if answer["AuthenticationResult"] is [String: Any] { return (true, nil) }
        if let challenge = answer["ChallengeName"] as? String { return (true, challenge) }
        return (false, nil)
    }

    /// AdminGetUser; nil for a name the old pool does not hold.
    public func user(_ username: String) async throws(OldPoolError) -> OldUser? {
        do {
            return try OldUser(try await call("AdminGetUser", ["UserPoolId": source.userPoolId, "Username": username], signed: true))
        } catch .refused(let type, _) where type == "UserNotFoundException" {
            return nil
        }
    }

    /// AdminListGroupsForUser, every page.
    public func groups(of username: String) async throws(OldPoolError) -> [Group] {
        try await pages("AdminListGroupsForUser", ["UserPoolId": source.userPoolId, "Username": username, "Limit": 60], token: "NextToken") {
            ($0["Groups"] as? [[String: Any]] ?? []).compactMap(Self.group)
        }
    }

    /// ListGroups, every page.
    public func groups() async throws(OldPoolError) -> [Group] {
        try await pages("ListGroups", ["UserPoolId": source.userPoolId, "Limit": 60], token: "NextToken") {
            ($0["Groups"] as? [[String: Any]] ?? []).compactMap(Self.group)
        }
    }

    /// ListUsersInGroup, every page: the members' user names.
    public func members(of group: String) async throws(OldPoolError) -> [String] {
        try await pages("ListUsersInGroup", ["UserPoolId": source.userPoolId, "GroupName": group, "Limit": 60], token: "NextToken") {
            ($0["Users"] as? [[String: Any]] ?? []).compactMap { $0["Username"] as? String }
        }
    }

    /// One page of ListUsers (60 users at most) and the token of the next, nil after the last.
    public func users(after token: String?) async throws(OldPoolError) -> (users: [OldUser], next: String?) {
        var input: [String: Any] = ["UserPoolId": source.userPoolId, "Limit": 60]
        if let token { input["PaginationToken"] = token }
        let answer = try await call("ListUsers", input, signed: true)
        var users: [OldUser] = []
        for object in answer["Users"] as? [[String: Any]] ?? [] {
            users.append(try OldUser(object))
        }
        let next = (answer["PaginationToken"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        return (users, next)
    }

    func pages<T>(_ operation: String, _ input: [String: Any], token name: String,
                  _ read: ([String: Any]) -> [T]) async throws(OldPoolError) -> [T] {
        var all: [T] = []
        var input = input
        for _ in 0..<10_000 {
            let answer = try await call(operation, input, signed: true)
            all += read(answer)
            guard let next = answer[name] as? String, !next.isEmpty else { return all }
            input[name] = next
        }
        return all
    }

    static func group(_ object: [String: Any]) -> Group? {
        guard let name = object["GroupName"] as? String else { return nil }
        let date = Date(timeIntervalSince1970: 0)
        return Group(poolId: "", name: name, description: object["Description"] as? String, precedence: object["Precedence"] as? Int,
                     roleArn: object["RoleArn"] as? String, createdAt: date, updatedAt: date)
    }
}

/// Moving a pool's users over from the Cognito pool it names (`migrateFrom`), with nothing for
/// them to notice: a password sign-in for a name no one holds here is tried against the old
/// pool, and if it takes the password the user is made here (same name, sub, attributes,
/// groups, MFA preference) with that password, hashed as any other. Users copied ahead of time
/// (`cognate migrate`, a forgotten password) hold `pendingPassword` instead of a hash until their
/// first password sign-in, which the old pool checks. The old pool's refusals, and its silence,
/// are never shown: the person is told what anyone with a wrong password is told.
public struct CognitoMigration: Sendable {
    public typealias Store = UserStore & GroupStore & SettingStore
    let store: any Store
    let credentials: Credentials
    let sources: MigrationSources
    let http: any OutboundHTTP
    let now: Now

    /// The stored "hash" of a user whose password is still the old pool's.
    public static let pendingPassword = PasswordHashFormat.elsewhere

    public init(store: any Store, credentials: Credentials, masterKey: MasterKey, http: any OutboundHTTP, now: @escaping Now) {
        self.store = store
        self.credentials = credentials
        self.sources = MigrationSources(store: store, masterKey: masterKey)
        self.http = http
        self.now = now
    }

    /// The pool's `migrateFrom`, as set (the API's MigrateFrom and the config file).
    public func source(poolId: String) async throws -> MigrationSource? {
        try await sources.source(poolId: poolId)
    }

    /// Sets the pool's `migrateFrom`, or (nil) stops migrating.
    public func setSource(poolId: String, _ source: MigrationSource?) async throws {
        try await sources.set(poolId: poolId, source)
    }

    func oldPool(_ pool: UserPool) async throws -> OldCognitoPool? {
        try await sources.source(poolId: pool.id).map { OldCognitoPool(source: $0, http: http, now: now) }
    }

    /// A password sign-in for a name no one here holds: the user, made here, when the old pool
    /// takes the password; nil otherwise (nothing is made).
    public func signingIn(pool: UserPool, username: String, password: String) async throws -> User? {
        guard !password.isEmpty, let old = try await oldPool(pool) else { return nil }
        do {
            let (accepted, challenge) = try await old.passwordAccepted(username: username, password: password)
            guard accepted, let found = try await old.user(username) else { return nil }
            var status: UserStatus? = challenge == "NEW_PASSWORD_REQUIRED" ? .forceChangePassword : .confirmed
            if found.status == "FORCE_CHANGE_PASSWORD" { status = .forceChangePassword }
            // not confirmed there: not confirmed here either (the sign-in says so, and a code confirms it)
            if challenge == "UNCONFIRMED" || found.status == "UNCONFIRMED" { status = .unconfirmed }
            return try await adopt(found, groups: try await old.groups(of: found.username), pool: pool, password: .plain(password),
                                   status: status).user
        } catch is OldPoolError {
            return nil
        } catch is ValidationError {
            // the old pool's user does not fit this pool (an attribute it requires is missing)
            return nil
        }
    }

    /// A forgotten password for a name no one here holds: the user's profile, made here without a
    /// password (the old pool still checks one until the reset is done); nil when the old pool
    /// does not hold the name either.
    public func forgettingPassword(pool: UserPool, username: String) async throws -> User? {
        guard let old = try await oldPool(pool) else { return nil }
        do {
            guard let found = try await old.user(username) else { return nil }
            return try await adopt(found, groups: try await old.groups(of: found.username), pool: pool,
                                   password: .hashed(Self.pendingPassword), status: nil).user
        } catch is OldPoolError {
            return nil
        }
    }

    /// Whether the old pool holds the name (so no one else may sign up with it here); an old pool
    /// that cannot be asked is taken to hold it.
    public func holds(pool: UserPool, username: String) async throws -> Bool {
        guard let old = try await oldPool(pool) else { return false }
        do { return try await old.user(username) != nil } catch { return true }
    }

    /// The first password sign-in of a user copied ahead of time: whether the old pool takes it.
    public func passwordAccepted(pool: UserPool, user: User, password: String) async throws -> Bool {
        guard !password.isEmpty, let old = try await oldPool(pool) else { return false }
        do { return try await old.passwordAccepted(username: user.username, password: password).accepted } catch { return false }
    }

    /// What adopting a user made: the user, and the attributes left out (this pool's schema has
    /// no place for them).
    public struct Adopted: Sendable {
        public var user: User
        public var leftOut: [String]
    }

    /// Makes the old pool's user here: the same name and (when it is a UUID no one here has) sub,
    /// the attributes this pool knows, its status (`status` overrides), enabled or not, its SMS
    /// and email MFA, its groups (made here when missing). Throws `AccountError.usernameExists`
    /// when the name is taken meanwhile; nil status: the old pool's.
    public func adopt(_ old: OldUser, groups: [Group], pool: UserPool, password: NewUser.Password, status: UserStatus?) async throws -> Adopted {
        let oldSub = old.attributes["sub"].flatMap(UUID.init(uuidString:))
        var attributes: [String: String] = [:]
        var leftOut: [String] = []
        let schema = Set(pool.schema.map(\.name))
        for (name, value) in old.attributes where name != "sub" {
            if PoolRules.standardAttributeNames.contains(name) || UserAttributeRules.verificationFlags.contains(name) || schema.contains(name) {
                attributes[name] = value
            } else {
                leftOut.append(name)
            }
        }
        // pools that sign in by email or phone name users by their sub, as Cognito does
        let username: String? = pool.usernameAttributes.isEmpty ? old.username : nil
        var sub = oldSub
        if let candidate = sub, try await store.user(poolId: pool.id, sub: candidate) != nil { sub = nil }
        do {
            try UserAttributeRules.validate(attributes, pool: pool, existing: nil)
        } catch {
            throw ValidationError(field: error.field, message: "\(old.username): \(error.message)")
        }
        let state = status ?? UserStatus(rawValue: old.status).flatMap { $0 == .externalProvider ? nil : $0 } ?? .confirmed
        for group in groups where try await store.group(poolId: pool.id, name: group.name) == nil {
            var made = group
            made.poolId = pool.id
            (made.createdAt, made.updatedAt) = (now(), now())
            do { try await store.createGroup(made) } catch StoreError.duplicate {}
        }
        let creator = UserCreator(store: store, credentials: credentials, now: now)
        var new = NewUser(username: username, status: state, enabled: old.enabled, attributes: attributes, password: password, sub: sub)
        var user: User
        do {
            user = try await creator.create(new, in: pool)
        } catch AccountError.usernameExists where sub != nil && username != nil {
            // the sub may be taken in another pool here (subs are unique across pools): a new one then
            guard try await store.user(in: pool, named: username ?? "") == nil else { throw AccountError.usernameExists }
            new.sub = nil
            user = try await creator.create(new, in: pool)
        }
        for group in groups { try await store.addMember(poolId: pool.id, group: group.name, userSub: user.sub) }
        // SMS and email codes move with the phone number and address; a TOTP secret cannot be read from Cognito
        let factors = Set(old.mfaSettings).intersection([UserMFA.sms, UserMFA.email])
        if !factors.isEmpty {
            user = try await store.updateUser(poolId: pool.id, sub: user.sub, identifiers: { $0.identifiers(in: pool) }) { user in
                user.mfa.enabled = factors
                user.mfa.preferred = old.preferredMfa.flatMap { factors.contains($0) ? $0 : nil }
            }
        }
        return Adopted(user: user, leftOut: leftOut.sorted())
    }

    /// How far `copyAll` has come.
    public struct CopyProgress: Sendable, Equatable {
        public var copied = 0
        public var alreadyHere = 0
        public var skipped: [String] = []
        public var memberships = 0
        /// Attributes of the old pool this pool's schema has no place for, left out.
        public var leftOut: Set<String> = []
    }

    /// `cognate migrate`: every user of the old pool (ListUsers, page by page) made here ahead of
    /// their first sign-in, without a password (the old pool checks it then), and the groups with
    /// their members. Users already here are left as they are; `progress` hears after each page.
    public func copyAll(pool: UserPool, progress: @Sendable (CopyProgress) -> Void) async throws -> CopyProgress {
        guard let old = try await oldPool(pool) else { throw OldPoolError.unavailable("the pool \(pool.id) has no migrateFrom") }
        var done = CopyProgress()
        let groups = try await old.groups()
        for group in groups where try await store.group(poolId: pool.id, name: group.name) == nil {
            var made = group
            made.poolId = pool.id
            (made.createdAt, made.updatedAt) = (now(), now())
            do { try await store.createGroup(made) } catch StoreError.duplicate {}
        }
        var token: String?
        repeat {
            let page = try await old.users(after: token)
            for user in page.users {
                if user.status == UserStatus.externalProvider.rawValue {
                    done.skipped.append("\(user.username): a user of an outside provider (they sign in through it here too)")
                    continue
                }
                let name = pool.usernameAttributes.isEmpty ? user.username : (user.attributes["sub"] ?? user.username)
                if try await store.user(in: pool, named: name) != nil {
                    done.alreadyHere += 1
                    continue
                }
                do {
                    let adopted = try await adopt(user, groups: [], pool: pool, password: .hashed(Self.pendingPassword), status: nil)
                    done.copied += 1
                    done.leftOut.formUnion(adopted.leftOut)
                } catch AccountError.usernameExists {
                    done.alreadyHere += 1
                } catch let error as ValidationError {
                    done.skipped.append(error.message)
                } catch let error as AccountError {
                    done.skipped.append("\(user.username): \(error)")
                }
            }
            progress(done)
            token = page.next
        } while token != nil
        for group in groups {
            for name in try await old.members(of: group.name) {
                guard let user = try await store.user(in: pool, named: name) else { continue }
                try await store.addMember(poolId: pool.id, group: group.name, userSub: user.sub)
                done.memberships += 1
            }
        }
        progress(done)
        return done
    }
}
