import CognateModel
import Crypto
import Foundation

/// Why an account operation was refused; each face (API, hosted pages) words it its own way.
public enum AccountError: Error, Equatable, Sendable {
    case signUpNotPermitted
    case usernameExists
    case aliasExists(String)
    case invalidPassword(String)
    case userNotFound
    case userDisabled
    case cannotConfirm(UserStatus)
    case alreadyConfirmed
    case noVerifiedChannel
    case codeMismatch
    case expiredCode
    case tooManyFailedAttempts
    /// An authenticator code that was accepted once already (Cognito: expired).
    case softwareTokenUsed
    case limitExceeded
    /// An attribute the app client may not write (its WriteAttributes; never a verification flag).
    case unauthorizedAttribute
}

/// Where a code went, masked as Cognito shows it (`j***@e***`, `+*******1234`).
public struct CodeDelivery: Sendable, Equatable {
    public var destination: String
    public var channel: OutboundMessage.Channel
    public var attribute: String
}

/// Sign-up, confirmation and password recovery: one domain service behind the Cognito API and
/// the hosted pages. Codes are six digits, stored as an HMAC keyed from the master key (a
/// stolen database does not give them away), expire, allow `maxFailedAttempts` wrong guesses,
/// are used once, and are sent at most `maxSendsPerWindow` times an hour per user and purpose.
public struct AccountService: Sendable {
    public typealias Store = UserStore & VerificationCodeStore & SingleUseStore & SessionStore
    let store: any Store
    let credentials: Credentials
    let hasher: PasswordHasher
    let delivery: MessageDelivery
    let tokens: TokenService
    let codeKey: SymmetricKey
    let phantoms: PhantomUsers
    /// The user's event history (AdminListUserAuthEvents).
    public let events: AuthEvents
    let random: any RandomSource
    let now: Now
    /// The pool's triggers (PreSignUp, PostConfirmation, CustomMessage); nil: none are called.
    public let triggers: Triggers?
    /// Users brought over from the Cognito pool a pool names (`migrateFrom`); nil: none are.
    public let migration: CognitoMigration?

    public static let maxFailedAttempts = 5
    public static let maxSendsPerWindow = 5
    public static let sendWindow: TimeInterval = 3_600
    /// Cognito: confirmation codes last 24 hours, password reset codes one hour.
    /// Sign-in codes (SMS_MFA, EMAIL_OTP) last five minutes.
    public static func lifetime(_ purpose: VerificationCode.Purpose) -> TimeInterval {
        switch purpose {
        case .resetPassword: 3_600
        case .mfaSMS, .mfaEmail, .mfaTOTPAttempts: 300
        default: 86_400
        }
    }

    /// The message catalogs a pool's codes and invitations are written from where the pool sets
    /// no text: the built-in ones, with its theme's over them.
    public let catalogs: @Sendable (UserPool) -> MessageCatalogs

    /// The language of a message to `user`: their `locale` attribute, else the pool's
    /// `defaultLocale`, else English.
    public func catalog(for user: User, pool: UserPool) -> MessageCatalog {
        let catalogs = catalogs(pool)
        return catalogs.catalog(catalogs.match([user.attributes["locale"], pool.defaultLocale].compactMap { $0 }))
    }

    public init(store: any Store, credentials: Credentials, hasher: PasswordHasher, delivery: MessageDelivery, tokens: TokenService,
                masterKey: MasterKey, events: AuthEvents, catalogs: @escaping @Sendable (UserPool) -> MessageCatalogs = { _ in .none }, triggers: Triggers? = nil,
                migration: CognitoMigration? = nil, random: any RandomSource = SystemRandomSource(), now: @escaping Now) {
        self.triggers = triggers
        self.migration = migration
        self.store = store
        self.catalogs = catalogs
        self.events = events
        self.credentials = credentials
        self.hasher = hasher
        self.delivery = delivery
        self.tokens = tokens
        self.codeKey = masterKey.derivedKey(purpose: "verification-codes")
        self.phantoms = PhantomUsers(masterKey: masterKey)
        self.random = random
        self.now = now
    }

    // MARK: Sign-up

    /// Creates an UNCONFIRMED user and sends a confirmation code by the pool's auto-verified
    /// channel (none when the pool verifies nothing: an administrator confirms).
    /// `locale`: the language the person signed up in on the hosted pages (one Cognate has a
    /// catalog for); kept as the standard `locale` attribute where none was given, so their
    /// messages, this sign-up's code first, speak it.
    /// The PreSignUp trigger sees the sign-up first (`validationData` and `clientMetadata` as
    /// given): its error refuses it, and it may confirm the user and verify their addresses.
    public func signUp(pool: UserPool, client: AppClient, username requested: String, password: String,
                       attributes requestedAttributes: [String: String], locale: String? = nil, validationData: [String: String] = [:],
                       clientMetadata: [String: String] = [:]) async throws -> (user: User, delivery: CodeDelivery?)
    {
        guard !pool.allowAdminCreateUserOnly else { throw AccountError.signUpNotPermitted }
        try AttributePermissions.checkWrite(requestedAttributes.keys, client: client)
        let (resolved, named) = try UserNaming.resolve(requested, pool: pool, attributes: requestedAttributes)
        try UserAttributeRules.validate(named, pool: pool, existing: nil)
        var attributes = named
        if let locale, attributes["locale"] == nil { attributes["locale"] = locale }
        if let problem = pool.passwordPolicy.problem(with: password) { throw AccountError.invalidPassword(problem) }
        // a name the old Cognito pool holds is its owner's, who has not come over yet
        if let migration, try await migration.holds(pool: pool, username: requested) { throw AccountError.usernameExists }
        var status = UserStatus.unconfirmed
        if let answer = try await triggers?.call("PreSignUp", source: "PreSignUp_SignUp", pool: pool, userName: resolved, clientId: client.clientId,
                                                 request: ["userAttributes": attributes, "validationData": validationData,
                                                           "clientMetadata": clientMetadata]) {
            if answer["autoConfirmUser"] as? Bool == true {
                status = .confirmed
                if answer["autoVerifyEmail"] as? Bool == true, attributes["email"] != nil { attributes["email_verified"] = "true" }
                if answer["autoVerifyPhone"] as? Bool == true, attributes["phone_number"] != nil { attributes["phone_number_verified"] = "true" }
            }
        }
        let user: User
        do {
            user = try await UserCreator(store: store, credentials: credentials, now: now)
                .create(NewUser(username: resolved, status: status, attributes: attributes, password: .plain(password)), in: pool)
        } catch AccountError.aliasExists {
            throw AccountError.usernameExists
        }
        await events.record(.signUp, .pass, user: user, clientId: client.clientId)
        guard status == .unconfirmed, let channel = Self.confirmationChannel(user, pool: pool) else { return (user, nil) }
        return (user, try await sendCode(.signUp, to: user, pool: pool, via: channel))
    }

    /// Checks the code and confirms the user; the attribute the code went to becomes verified.
    /// `hidingUsers`: a name no one holds is answered by its phantom's code (see `phantomGuess`).
    public func confirmSignUp(pool: UserPool, username: String, code: String, forceAliasCreation: Bool = false,
                              hidingUsers: Bool = true) async throws -> User {
        guard let user = try await store.user(in: pool, named: username) else {
            if hidingUsers { throw await phantomGuess(code, .signUp, pool: pool, username: username, event: nil) }
            throw AccountError.userNotFound
        }
        guard user.status == .unconfirmed else {
            // guessed for an account confirmed already: counted as for a name no one holds
            if hidingUsers, case let refusal = await phantomGuess(code, .signUp, pool: pool, username: username, event: nil),
                refusal != .codeMismatch
            { throw refusal }
            throw AccountError.cannotConfirm(user.status)
        }
        try await check(code, purpose: .signUp, user: user)
        let confirmed = try await confirm(user, pool: pool, forceAliasCreation: forceAliasCreation)
        // after the record is kept: a failing trigger is the caller's error, the account stays confirmed
        _ = try await triggers?.call("PostConfirmation", source: "PostConfirmation_ConfirmSignUp", pool: pool, userName: confirmed.username,
                                     clientId: nil, request: ["userAttributes": Triggers.attributes(confirmed), "clientMetadata": [String: String]()])
        return confirmed
    }

    func confirm(_ user: User, pool: UserPool, forceAliasCreation: Bool) async throws -> User {
        let verified = Self.confirmationChannel(user, pool: pool)?.attribute
        let date = now()
        do {
            return try await store.updateUser(poolId: pool.id, sub: user.sub, identifiers: { $0.identifiers(in: pool) }) { user in
                user.status = .confirmed
                if let verified { user.attributes["\(verified)_verified"] = "true" }
                user.updatedAt = date
            }
        } catch StoreError.duplicate(let what) where what.hasPrefix("alias") {
            // The verified address is another account's alias already (Cognito: AliasExistsException).
            guard forceAliasCreation, let verified else { throw AccountError.aliasExists(verified ?? "alias") }
            var confirmed = user
            confirmed.attributes["\(verified)_verified"] = "true"
            try await store.releaseAliases(of: confirmed, in: pool, at: date)
            return try await store.updateUser(poolId: pool.id, sub: user.sub, identifiers: { $0.identifiers(in: pool) }) { user in
                user.status = .confirmed
                user.attributes["\(verified)_verified"] = "true"
                user.updatedAt = date
            }
        }
    }

    public func resendConfirmationCode(pool: UserPool, username: String) async throws -> CodeDelivery {
        guard let user = try await store.user(in: pool, named: username) else { throw AccountError.userNotFound }
        return try await recorded(.resendCode, user: user) {
            guard user.status == .unconfirmed else { throw AccountError.alreadyConfirmed }
            guard let channel = Self.confirmationChannel(user, pool: pool) else { throw AccountError.noVerifiedChannel }
            return try await sendCode(.signUp, to: user, pool: pool, via: channel, resent: true)
        }
    }

    /// Runs `body` for `user` and records it as an event of `kind`: passed if it returns, failed
    /// if it throws (a lockout's refusal marked as blocked).
    func recorded<T>(_ kind: AuthEvent.Kind, user: User, steps: (Bool) -> [AuthEvent.Step] = { _ in [] },
                     _ body: () async throws -> T) async throws -> T {
        do {
            let result = try await body()
            await events.record(kind, .pass, user: user, clientId: nil, steps: steps(true))
            return result
        } catch {
            await events.record(kind, .fail, user: user, clientId: nil, steps: steps(false), blocked: AuthEvents.isLockout(error))
            throw error
        }
    }

    // MARK: Recovery

    /// Sends a reset code by the user's verified email, else verified phone.
    /// A name no one holds here may be one the old system knows (UserMigration_ForgotPassword, or
    /// the pool's `migrateFrom`): its profile is brought over without a password, and the code
    /// sent to it.
    public func forgotPassword(pool: UserPool, username: String, clientId: String? = nil) async throws -> CodeDelivery {
        var found = try await store.user(in: pool, named: username)
        if found == nil { found = try await migrateForReset(pool: pool, username: username, clientId: clientId) }
        guard let user = found else { throw AccountError.userNotFound }
        return try await recorded(.forgotPassword, user: user) {
            guard user.enabled else { throw AccountError.userDisabled }
            guard let channel = Self.recoveryChannel(user) else { throw AccountError.noVerifiedChannel }
            return try await sendCode(.resetPassword, to: user, pool: pool, via: channel)
        }
    }

    /// UserMigration_ForgotPassword, else the pool's old Cognito pool: the user whose password is
    /// to be reset, made here (RESET_REQUIRED for the trigger's, as Cognito makes them); nil when
    /// neither knows the name. A trigger's refusal or silence is a name no one holds.
    func migrateForReset(pool: UserPool, username: String, clientId: String?) async throws -> User? {
        if Triggers.has("UserMigration", pool) {
            return try await userMigration(pool: pool, username: username, clientId: clientId, source: "UserMigration_ForgotPassword",
                                           request: [:], password: .none) { _ in .resetRequired }
        }
        guard let migration else { return nil }
        do {
            guard let user = try await migration.forgettingPassword(pool: pool, username: username) else { return nil }
            await events.record(.signUp, .pass, user: user, clientId: clientId)
            return user
        } catch AccountError.usernameExists {
            return try await store.user(in: pool, named: username)
        }
    }

    /// The pool's UserMigration trigger asked about a name no one here holds (`source`
    /// _Authentication with the password in `request`, or _ForgotPassword): the user it answers
    /// `userAttributes` for is made here with `password` and the status `status` reads from the
    /// answer. A refusal, or no answer, is nil (a name no one holds); attributes this pool cannot
    /// hold are `InvalidLambdaResponseException`; racing calls for one name make one user.
    func userMigration(pool: UserPool, username: String, clientId: String?, source: String, request: [String: Any],
                       password: NewUser.Password, status: ([String: Any]) -> UserStatus) async throws -> User? {
        guard let triggers else { return nil }
        let answer: [String: Any]?
        do {
            answer = try await triggers.call("UserMigration", source: source, pool: pool, userName: username, clientId: clientId,
                                             request: request.merging(["validationData": [String: String](), "clientMetadata": [String: String]()]) { given, _ in given })
        } catch is TriggerError {
            return nil
        }
        guard let answer, let given = answer["userAttributes"] as? [String: Any] else { return nil }
        let naming: (username: String?, attributes: [String: String])
        do {
            naming = try UserNaming.resolve(username, pool: pool, attributes: Triggers.textAttributes(given))
            try UserAttributeRules.validate(naming.attributes, pool: pool, existing: nil)
        } catch {
            // attributes this pool cannot hold: the function's answer is not one Cognate can use
            throw TriggerError.unreadable(trigger: "UserMigration")
        }
        do {
            let user = try await UserCreator(store: store, credentials: credentials, now: now)
                .create(NewUser(username: naming.username, status: status(answer), attributes: naming.attributes, password: password), in: pool)
            await events.record(.signUp, .pass, user: user, clientId: clientId)
            return user
        } catch AccountError.usernameExists {
            // made meanwhile by another request for the same person: that one is theirs
            return try await store.user(in: pool, named: username)
        }
    }

    /// Checks the code, sets the new password (to the policy), confirms the user and ends every
    /// session and refresh token the user had.
    public func confirmForgotPassword(pool: UserPool, username: String, code: String, password: String,
                                      hidingUsers: Bool = true) async throws {
        // the policy first: a weak password is refused alike whether or not anyone holds the name
        if let problem = pool.passwordPolicy.problem(with: password) { throw AccountError.invalidPassword(problem) }
        guard let user = try await store.user(in: pool, named: username) else {
            if hidingUsers { throw await phantomGuess(code, .resetPassword, pool: pool, username: username, event: .passwordChange) }
            throw AccountError.userNotFound
        }
        try await recorded(.passwordChange, user: user) {
            guard user.enabled else {
                // a disabled account's "sent" code was its phantom's: guesses are counted there
                if hidingUsers, case let refusal = await phantomGuess(code, .resetPassword, pool: pool, username: username, event: nil),
                    refusal != .codeMismatch
                { throw refusal }
                throw AccountError.userDisabled
            }
            try await check(code, purpose: .resetPassword, user: user)
            try await setPassword(password, for: user, pool: pool, status: .confirmed)
            try await endSessions(of: user)
        }
        // after the new password is kept: a failing trigger is the caller's error, the password stays
        _ = try await triggers?.call("PostConfirmation", source: "PostConfirmation_ConfirmForgotPassword", pool: pool, userName: user.username,
                                     clientId: nil, request: ["userAttributes": Triggers.attributes(user), "clientMetadata": [String: String]()])
    }

    /// ChangePassword: the previous password proves the caller; every other sign-in of the user
    /// ends (hosted sessions, refresh tokens and their access tokens), the caller's (`keeping`,
    /// its token family) stays.
    public func changePassword(user: User, pool: UserPool, previous: String, proposed: String, keeping family: UUID?) async throws {
        var proven = false
        try await recorded(.passwordChange, user: user, steps: { _ in [.init(.password, proven)] }) {
            guard let hash = user.passwordHash,
                try await PasswordLockout(store: store, now: now).attempt(poolId: pool.id, sub: user.sub, {
                    try await hasher.verify(previous, against: hash).isMatch
                })
            else {
                throw SignInError.notAuthorized("Incorrect username or password.")
            }
            proven = true
            if let problem = pool.passwordPolicy.problem(with: proposed) { throw AccountError.invalidPassword(problem) }
            try await setPassword(proposed, for: user, pool: pool, status: user.status)
            try await endSessions(of: user, except: family)
        }
    }

    /// Admin reset (AdminResetUserPassword): a reset code by the verified channel, if there is one.
    public func sendResetCode(to user: User, pool: UserPool) async throws -> CodeDelivery? {
        guard let channel = Self.recoveryChannel(user) else { return nil }
        return try await sendCode(.resetPassword, to: user, pool: pool, via: channel)
    }

    // MARK: Attributes

    /// UpdateUserAttributes. A changed email or phone number is sent a code when the pool
    /// verifies it; if the old value was verified and the pool keeps original values
    /// (UserAttributeUpdateSettings, email and phone by default), the old value stays in use —
    /// for sign-in and messages — until the new one is verified; otherwise the new value applies
    /// at once, unverified.
    public func updateAttributes(user: User, pool: UserPool, client: AppClient, changes requested: [String: String]) async throws -> [CodeDelivery] {
        try AttributePermissions.checkWrite(requested.keys, client: client)
        try UserAttributeRules.validate(requested, pool: pool, existing: user)
        var changes = requested
        var pending: [String: String] = [:]
        var toVerify: [(attribute: String, value: String)] = []
        for attribute in ["email", "phone_number"] {
            guard let value = changes[attribute], value != user.attributes[attribute] else { continue }
            if user.attributes["\(attribute)_verified"] == "true", pool.verifiedBeforeUpdate.contains(attribute), !value.isEmpty {
                pending[attribute] = value
                changes[attribute] = nil
            } else {
                changes["\(attribute)_verified"] = "false"
            }
            if pool.autoVerifiedAttributes.contains(attribute), !value.isEmpty { toVerify.append((attribute, value)) }
        }
        var current = user
        if !changes.isEmpty {
            let date = now()
            let changes = changes
            do {
                current = try await store.updateUser(poolId: pool.id, sub: user.sub, identifiers: { $0.identifiers(in: pool) }) { user in
                    user.attributes.merge(changes) { $1 }
                    user.updatedAt = date
                }
            } catch StoreError.duplicate(let what) where what.hasPrefix("alias") {
                throw AccountError.aliasExists(String(what.dropFirst("alias ".count)))
            }
        }
        var deliveries: [CodeDelivery] = []
        for (attribute, value) in toVerify {
            deliveries.append(try await sendCode(Self.purpose(verifying: attribute), to: current, pool: pool, via: (attribute, value),
                                                 pendingValue: pending[attribute]))
        }
        return deliveries
    }

    /// DeleteUserAttributes: not `sub`, not a required attribute; a deleted address loses its flag.
    public func deleteAttributes(user: User, pool: UserPool, client: AppClient, names: [String]) async throws {
        try AttributePermissions.checkWrite(names, client: client)
        let required = Set(pool.schema.filter(\.required).map(\.name))
        for name in names {
            if name == "sub" || required.contains(name) || UserAttributeRules.verificationFlags.contains(name) {
                throw ValidationError(field: name, message: "Cannot delete the attribute \(name)")
            }
        }
        let date = now()
        try await store.updateUser(poolId: pool.id, sub: user.sub, identifiers: { $0.identifiers(in: pool) }) { user in
            for name in names {
                user.attributes[name] = nil
                if name == "email" || name == "phone_number" { user.attributes["\(name)_verified"] = nil }
            }
            user.updatedAt = date
        }
    }

    /// GetUserAttributeVerificationCode: a code to the value waiting for verification, else the current one.
    public func sendAttributeCode(user: User, pool: UserPool, attribute: String) async throws -> CodeDelivery {
        guard attribute == "email" || attribute == "phone_number" else {
            throw ValidationError(field: "AttributeName", message: "Only email and phone_number can be verified")
        }
        let purpose = Self.purpose(verifying: attribute)
        let pending = try await store.code(poolId: pool.id, userSub: user.sub, purpose: purpose)?.pendingValue
        guard let value = pending ?? user.attributes[attribute], !value.isEmpty else {
            throw ValidationError(field: "AttributeName", message: "The user has no \(attribute)")
        }
        return try await sendCode(purpose, to: user, pool: pool, via: (attribute, value), pendingValue: pending)
    }

    /// VerifyUserAttribute: the code proves the address; a value waiting for it takes effect.
    @discardableResult
    public func verifyAttribute(user: User, pool: UserPool, attribute: String, code: String) async throws -> User {
        guard attribute == "email" || attribute == "phone_number" else {
            throw ValidationError(field: "AttributeName", message: "Only email and phone_number can be verified")
        }
        let purpose = Self.purpose(verifying: attribute)
        let pending = try await store.code(poolId: pool.id, userSub: user.sub, purpose: purpose)?.pendingValue
        try await check(code, purpose: purpose, user: user)
        let date = now()
        do {
            return try await store.updateUser(poolId: pool.id, sub: user.sub, identifiers: { $0.identifiers(in: pool) }) { user in
                if let pending { user.attributes[attribute] = pending }
                user.attributes["\(attribute)_verified"] = "true"
                user.updatedAt = date
            }
        } catch StoreError.duplicate(let what) where what.hasPrefix("alias") {
            throw AccountError.aliasExists(attribute)
        }
    }

    static func purpose(verifying attribute: String) -> VerificationCode.Purpose {
        attribute == "email" ? .verifyEmail : .verifyPhoneNumber
    }

    // MARK: Codes

    /// `resent`: ResendConfirmationCode asked for it again (CustomMessage_ResendCode).
    /// `withheld`: the phantom of a name no one holds (`simulatedSend`), whose code is made,
    /// worded and written as an account's is (so its answer takes as long), but which keeps a
    /// code nothing matches and sends nothing.
    func sendCode(_ purpose: VerificationCode.Purpose, to user: User, pool: UserPool, via channel: (attribute: String, value: String),
                  pendingValue: String? = nil, resent: Bool = false, withheld: Bool = false) async throws -> CodeDelivery
    {
        let date = now()
        let code = random.string(count: 6, alphabet: "0123456789")
        let isEmail = channel.attribute == "email"
        let messages = pool.messages
        let name = user.attributes["email"].flatMap { user.username == user.sub.uuidString.lowercased() ? $0 : nil } ?? user.username
        let isSignIn = purpose == .mfaSMS || purpose == .mfaEmail
        // the pool's own texts (Cognito's message templates) win; else the person's language
        let catalog = catalog(for: user, pool: pool)
        let template = isSignIn
            ? (isEmail ? nil : messages.authenticationSMSMessage)
                ?? catalog.text("message.signInBody", fallback: PoolMessages.defaultAuthenticationMessage)
            : (isEmail ? messages.verificationEmailMessage : messages.verificationSMSMessage)
                ?? catalog.text("message.verificationBody", fallback: PoolMessages.defaultVerificationMessage)
        let poolsOwn = isSignIn ? (isEmail ? nil : messages.authenticationSMSMessage)
            : (isEmail ? messages.verificationEmailMessage : messages.verificationSMSMessage)
        var subject = isSignIn ? catalog.text("message.signInSubject", fallback: "Your sign-in code")
            : messages.verificationEmailSubject ?? catalog.text("message.verificationSubject", fallback: PoolMessages.defaultVerificationSubject)
        var text = template
        // the CustomMessage trigger may word it: its message must keep the code's placeholder
        let source = switch purpose {
        case .signUp: resent ? "CustomMessage_ResendCode" : "CustomMessage_SignUp"
        case .resetPassword: "CustomMessage_ForgotPassword"
        case .mfaSMS, .mfaEmail: "CustomMessage_Authentication"
        default: pendingValue == nil ? "CustomMessage_VerifyUserAttribute" : "CustomMessage_UpdateUserAttribute"
        }
        var custom = false
        // a custom sender trigger sends it itself: the code goes to it (encrypted when it is sent), no text is worded here
        let sentByTrigger = try CustomSenderRequest.message(pool: pool, user: user, email: isEmail, destination: channel.value,
                                                            source: String(source.dropFirst("CustomMessage_".count)), code: code, now: date)
        if sentByTrigger == nil, let answer = try await triggers?.call("CustomMessage", source: source, pool: pool, userName: user.username, clientId: nil, request: [
            "userAttributes": withheld ? [:] : Triggers.attributes(user), "codeParameter": "{####}", "usernameParameter": "{username}",
            "linkParameter": "{##Click Here##}", "clientMetadata": [String: String](),
        ]) {
            let worded = answer[isEmail ? "emailMessage" : "smsMessage"] as? String
            if let worded, !worded.isEmpty {
                guard worded.contains("{####}") else { throw TriggerError.unreadable(trigger: "CustomMessage") }
                text = worded
                custom = true
            }
            if isEmail, let wordedSubject = answer["emailSubject"] as? String, !wordedSubject.isEmpty { subject = wordedSubject }
        }
        let body = MessageTemplates.render(text, username: name, code: code)
        let message = try delivery.prepare(sentByTrigger ?? OutboundMessage(
            id: UUID(), poolId: pool.id, userSub: user.sub, channel: isEmail ? .email : .sms, destination: channel.value,
            subject: subject, body: body, createdAt: date, locale: poolsOwn == nil && !custom ? catalog.locale : pool.defaultLocale))
        // the code and its message are stored together; then the message goes out
        let hash = codeHash(code, purpose: purpose, user: user)
        try await countSend(purpose, poolId: pool.id, sub: user.sub, hash: withheld ? "-" : hash, at: date,
                            pendingValue: pendingValue, message: withheld ? .withheld(message.stored) : .kept(message.stored))
        if !withheld { delivery.dispatch(message.plain) }
        return CodeDelivery(destination: Self.mask(channel.value, email: isEmail), channel: isEmail ? .email : .sms,
                            attribute: channel.attribute)
    }

    /// Stores a new code, counting the send against the hourly limit; read and replaced in one
    /// transaction, so racing requests cannot both pass the limit.
    func countSend(_ purpose: VerificationCode.Purpose, poolId: String, sub: UUID, hash: String, at date: Date, pendingValue: String? = nil,
                   message: CodeMessage? = nil) async throws
    {
        try await store.saveCode(poolId: poolId, userSub: sub, purpose: purpose, message: message) { previous in
            var sent = 1
            var windowStart = date
            if let previous, date.timeIntervalSince(previous.windowStart) < Self.sendWindow {
                guard previous.sentInWindow < Self.maxSendsPerWindow else { throw AccountError.limitExceeded }
                sent = previous.sentInWindow + 1
                windowStart = previous.windowStart
            }
            return VerificationCode(
                poolId: poolId, userSub: sub, purpose: purpose, codeHash: hash, expiresAt: date.addingTimeInterval(Self.lifetime(purpose)),
                sentInWindow: sent, windowStart: windowStart, createdAt: date, pendingValue: pendingValue)
        }
    }

    /// For a name that gets no code (no one holds it, or its account cannot be sent one) where
    /// that is hidden: the send is counted on the name's phantom as a real one would be (so the
    /// sixth request in an hour is refused for it too) and the answer is a simulated delivery.
    /// The phantom's code goes the account's way (`sendCode`, withheld): worded (waiting on the
    /// pool's CustomMessage trigger, with no attributes), sealed and written with its message
    /// in one transaction, or the time taken would tell them apart; nothing is kept that could
    /// match or be sent. Its event is recorded under the phantom, as an account's is, unless
    /// `recorded` (an account's refusal was recorded already).
    public func simulatedSend(_ purpose: VerificationCode.Purpose, pool: UserPool, username: String, recorded: Bool = false) async throws
        -> CodeDelivery
    {
        let phantom = phantomUser(pool: pool, username: username)
        let delivery = simulatedDelivery(pool: pool, username: username)
        let attribute = switch purpose {
        case .mfaEmail: "email"
        case .mfaSMS: "phone_number"
        default: delivery.attribute
        }
        _ = try await sendCode(purpose, to: phantom, pool: pool, via: (attribute, delivery.destination), resent: purpose == .signUp,
                               withheld: true)
        if !recorded, let kind = Self.eventKind(purpose) { await events.record(kind, .pass, poolId: pool.id, sub: phantom.sub, clientId: nil) }
        return delivery
    }

    /// The stand-in for a name no one holds (or whose account gets no code): its sub is the name's
    /// phantom sub, so its codes and counts are kept as an account's would be.
    func phantomUser(pool: UserPool, username: String) -> User {
        let date = now()
        return User(poolId: pool.id, sub: phantoms.sub(pool: pool, name: username), username: username, status: .unconfirmed,
                    createdAt: date, updatedAt: date)
    }

    static func eventKind(_ purpose: VerificationCode.Purpose) -> AuthEvent.Kind? {
        switch purpose {
        case .resetPassword: .forgotPassword
        case .signUp: .resendCode
        default: nil
        }
    }

    /// A code guessed for a name that gets no code (no one holds it, or its account cannot be
    /// sent one) where that is hidden is checked against the name's phantom, which holds a code
    /// once one "was sent" to it (`simulatedSend`): the guesses are counted, the sixth is
    /// refused as too many, an old one is expired, exactly as for an account, and `event` is
    /// recorded under the phantom. It never matches: returns the refusal to answer.
    func phantomGuess(_ code: String, _ purpose: VerificationCode.Purpose, pool: UserPool, username: String, event: AuthEvent.Kind?)
        async -> AccountError
    {
        let phantom = phantomUser(pool: pool, username: username)
        var refusal = AccountError.codeMismatch
        do {
            try await check(code, purpose: purpose, user: phantom)
        } catch let error as AccountError {
            refusal = error
        } catch {}
        if let event { await events.record(event, .fail, poolId: pool.id, sub: phantom.sub, clientId: nil) }
        return refusal
    }

    /// Wrong, expired, over-guessed and reused codes are told apart as Cognito does. Each
    /// attempt is counted before the code is compared, so guesses sent at once cannot outrun
    /// the limit; a right code is spent exactly once even when two requests race with it.
    func check(_ code: String, purpose: VerificationCode.Purpose, user: User) async throws {
        guard let stored = try await store.code(poolId: user.poolId, userSub: user.sub, purpose: purpose) else {
            throw AccountError.codeMismatch
        }
        guard stored.expiresAt > now() else { throw AccountError.expiredCode }
        guard let attempts = try await store.countAttempt(poolId: user.poolId, userSub: user.sub, purpose: purpose,
                                                          limit: Self.maxFailedAttempts)
        else { throw AccountError.tooManyFailedAttempts }
        let presented = codeHash(code.trimmingCharacters(in: .whitespaces), purpose: purpose, user: user)
        guard constantTimeEquals(Array(presented.utf8), Array(stored.codeHash.utf8)) else {
            throw attempts >= Self.maxFailedAttempts ? AccountError.tooManyFailedAttempts : AccountError.codeMismatch
        }
        // keyed by the code and when it was made: the same six digits sent again later are a new code
        guard try await store.claimOnce("code:\(stored.codeHash):\(Int(stored.createdAt.timeIntervalSince1970))", until: stored.expiresAt) else {
            throw AccountError.codeMismatch
        }
        try await store.deleteCode(poolId: user.poolId, userSub: user.sub, purpose: purpose)
    }

    func codeHash(_ code: String, purpose: VerificationCode.Purpose, user: User) -> String {
        let message = "\(user.poolId)|\(user.sub.uuidString.lowercased())|\(purpose.rawValue)|\(code)"
        return HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: codeKey).hexString
    }

    // MARK: Helpers

    /// Where a sign-up code goes: the first auto-verified attribute the user has (email first).
    static func confirmationChannel(_ user: User, pool: UserPool) -> (attribute: String, value: String)? {
        for attribute in ["email", "phone_number"] where pool.autoVerifiedAttributes.contains(attribute) {
            if let value = user.attributes[attribute], !value.isEmpty { return (attribute, value) }
        }
        return nil
    }

    /// Where a reset code goes: a verified email, else a verified phone number.
    static func recoveryChannel(_ user: User) -> (attribute: String, value: String)? {
        for attribute in ["email", "phone_number"] where user.attributes["\(attribute)_verified"] == "true" {
            if let value = user.attributes[attribute], !value.isEmpty { return (attribute, value) }
        }
        return nil
    }

    /// What a code sent to an unknown user would have looked like, for faces that hide which
    /// users exist (PreventUserExistenceErrors).
    /// Where a code would have gone, for a name no one holds (where that is hidden): masked as
    /// a real address is, with letters drawn from the name's phantom (a keyed hash), so the
    /// same name always gets the same answer and nothing in it tells it from a user's. The
    /// channel is the one the pool verifies (email unless it verifies only phone numbers).
    public func simulatedDelivery(pool: UserPool, username: String) -> CodeDelivery {
        let bytes = phantoms.bytes("delivery", pool: pool, name: username, count: 8)
        let letters = Array("abcdefghijklmnopqrstuvwxyz")
        if pool.autoVerifiedAttributes == ["phone_number"] {
            let digits = bytes.prefix(4).map { String($0 % 10) }.joined()
            return CodeDelivery(destination: Self.mask("+1555000\(digits)", email: false), channel: .sms, attribute: "phone_number")
        }
        let email = UserAttributeRules.isEmail(username) ? username
            : "\(letters[Int(bytes[0]) % 26])x@\(letters[Int(bytes[1]) % 26])x.com"
        return CodeDelivery(destination: Self.mask(email, email: true), channel: .email, attribute: "email")
    }

    static func mask(_ value: String, email: Bool) -> String {
        if email {
            let parts = value.split(separator: "@", maxSplits: 1)
            guard parts.count == 2 else { return "***" }
            return "\(parts[0].prefix(1))***@\(parts[1].prefix(1))***"
        }
        return "+" + String(repeating: "*", count: max(0, value.count - 5)) + String(value.suffix(4))
    }

    func setPassword(_ password: String, for user: User, pool: UserPool, status: UserStatus) async throws {
        let made = try await credentials.make(password: password, poolId: pool.id, username: user.username, sub: user.sub)
        let date = now()
        try await store.updateUser(poolId: pool.id, sub: user.sub, identifiers: { $0.identifiers(in: pool) }) { user in
            user.passwordHash = made.hash
            user.srpVerifier = made.srpVerifier
            user.temporaryPasswordExpiresAt = nil
            user.status = status
            user.updatedAt = date
        }
    }

    /// Ends the user's sign-ins, the one place it is done: hosted sessions, refresh tokens and
    /// the access tokens they produced; but the token family `except` (the caller's own, for
    /// ChangePassword). Password resets, admin password changes, disabling, deleting and global
    /// sign-out all come here.
    public func endSessions(of user: User, except family: UUID? = nil) async throws {
        try await store.revokeSessions(poolId: user.poolId, userSub: user.sub, at: now())
        try await tokens.signOutEverywhere(user, except: family)
    }
}
