import CognateModel
import Foundation

/// Second factors: the pool's MFA mode (OFF, OPTIONAL, ON), a user's factors (an authenticator
/// app with TOTP, a code by email, a code by text message), and the challenges of a sign-in
/// that has proven the password: SOFTWARE_TOKEN_MFA, EMAIL_OTP, SMS_MFA, SELECT_MFA_TYPE, and
/// MFA_SETUP when the pool requires MFA and the user has none yet.
extension SignInService {
    public static let maxWrongAuthenticatorCodes = 5

    /// The factors the user can use now: a verified authenticator, a verified email, a verified phone.
    public static func availableFactors(_ user: User) -> Set<String> {
        var factors: Set<String> = []
        if user.mfa.totpSecret != nil { factors.insert(UserMFA.softwareToken) }
        if user.emailVerified, !(user.attributes["email"] ?? "").isEmpty { factors.insert(UserMFA.email) }
        if user.phoneNumberVerified, !(user.attributes["phone_number"] ?? "").isEmpty { factors.insert(UserMFA.sms) }
        return factors
    }

    /// The enabled factors a sign-in may ask for (those the pool offers), in Cognito's order of preference.
    static func activeFactors(_ user: User, pool: UserPool) -> [String] {
        let usable = availableFactors(user).intersection(user.mfa.enabled).intersection(pool.allowedMFAFactors)
        return [UserMFA.softwareToken, UserMFA.email, UserMFA.sms].filter(usable.contains)
    }

    /// The challenge that follows a proven password, or nil when none is due.
    func mfaChallenge(user: User, pool: UserPool, client: AppClient, eventId: UUID?, deviceKey: String? = nil, withoutPassword: Bool? = nil) async throws
        -> SignInOutcome?
    {
        guard pool.mfaConfiguration != .off else { return nil }
        let factors = Self.activeFactors(user, pool: pool)
        if factors.isEmpty {
            guard pool.mfaConfiguration == .on else { return nil }
            // required MFA and nothing enabled yet: an authenticator is set up where the pool offers
            // one; else a verified address the pool accepts serves at once
            if !pool.allowedMFAFactors.contains(UserMFA.softwareToken) {
                guard let factor = [UserMFA.email, UserMFA.sms]
                    .first(where: { pool.allowedMFAFactors.contains($0) && Self.availableFactors(user).contains($0) })
                else { throw SignInError.notAuthorized("MFA is required, and the user has no second factor this pool accepts") }
                return try await challenge(factor, user: user, pool: pool, client: client, eventId: eventId, deviceKey: deviceKey,
                                           withoutPassword: withoutPassword)
            }
            return .challenge(name: "MFA_SETUP", session: try mfaSession(user: user, client: client, challenge: "MFA_SETUP", eventId: eventId,
                                                                         deviceKey: deviceKey, withoutPassword: withoutPassword),
                              parameters: ["MFAS_CAN_SETUP": "[\"SOFTWARE_TOKEN_MFA\"]"])
        }
        if let preferred = user.mfa.preferred, factors.contains(preferred) {
            return try await challenge(preferred, user: user, pool: pool, client: client, eventId: eventId, deviceKey: deviceKey,
                                       withoutPassword: withoutPassword)
        }
        if factors.count == 1 {
            return try await challenge(factors[0], user: user, pool: pool, client: client, eventId: eventId, deviceKey: deviceKey,
                                       withoutPassword: withoutPassword)
        }
        let choices = String(decoding: try JSONEncoder().encode(factors), as: UTF8.self)
        return .challenge(name: "SELECT_MFA_TYPE", session: try mfaSession(user: user, client: client, challenge: "SELECT_MFA_TYPE", eventId: eventId,
                                                                           deviceKey: deviceKey, withoutPassword: withoutPassword),
                          parameters: ["MFAS_CAN_CHOOSE": choices])
    }

    /// Asks for one factor: a code goes out for EMAIL_OTP and SMS_MFA; the authenticator needs nothing sent.
    func challenge(_ factor: String, user: User, pool: UserPool, client: AppClient, eventId: UUID?, deviceKey: String? = nil,
                   withoutPassword: Bool? = nil) async throws -> SignInOutcome
    {
        let session = try mfaSession(user: user, client: client, challenge: factor, eventId: eventId, deviceKey: deviceKey,
                                     withoutPassword: withoutPassword)
        switch factor {
        case UserMFA.email, UserMFA.sms:
            let attribute = factor == UserMFA.email ? "email" : "phone_number"
            let delivery = try await accounts.sendCode(factor == UserMFA.email ? .mfaEmail : .mfaSMS, to: user, pool: pool,
                                                       via: (attribute, user.attributes[attribute] ?? ""))
            return .challenge(name: factor, session: session, parameters: [
                "CODE_DELIVERY_DELIVERY_MEDIUM": delivery.channel == .email ? "EMAIL" : "SMS",
                "CODE_DELIVERY_DESTINATION": delivery.destination,
            ])
        default:
            return .challenge(name: factor, session: session, parameters: [:])
        }
    }

    func mfaSession(user: User, client: AppClient, challenge: String, setupVerified: Bool? = nil, eventId: UUID?, deviceKey: String? = nil,
                    withoutPassword: Bool? = nil) throws -> String
    {
        try seal(ChallengeSession(
            poolId: user.poolId, clientId: client.clientId, sub: user.sub, challenge: challenge,
            passwordFingerprint: Self.fingerprint(user.passwordHash ?? ""),
            expiresAt: now().addingTimeInterval(Double(client.authSessionValidity) * 60), setupVerified: setupVerified,
            eventId: eventId, deviceKey: deviceKey, withoutPassword: withoutPassword))
    }

    /// The user a challenge session names, if the session is still good for it.
    func sessionUser(_ session: String, pool: UserPool, client: AppClient, challenge: String) async throws -> (User, ChallengeSession) {
        let state = try open(session, pool: pool, client: client, challenge: challenge)
        guard let user = try await store.user(poolId: pool.id, sub: state.sub), user.enabled, user.status == .confirmed,
            Self.fingerprint(user.passwordHash ?? "") == state.passwordFingerprint
        else { throw SignInError.invalidSession }
        return (user, state)
    }

    /// What answering a second-factor challenge leads to.
    public enum MFAStep: Sendable {
        /// The factor is proven: the caller issues tokens (API) or opens a session (hosted pages).
        case passed(User)
        /// Another challenge follows (after SELECT_MFA_TYPE).
        case next(SignInOutcome)
    }

    /// Answers SOFTWARE_TOKEN_MFA, EMAIL_OTP, SMS_MFA, SELECT_MFA_TYPE and MFA_SETUP. A proven
    /// factor spends the session: it answers once. The sign-in's event passes with it, or fails
    /// with a wrong code (and passes if a later try is right).
    public func answerMFA(pool: UserPool, client: AppClient, challenge: String, session: String, responses: [String: String]) async throws -> MFAStep {
        if let refusal = await phantomCodeRefusal(session: session, pool: pool, client: client, challenge: challenge, responses: responses) {
            throw refusal
        }
        let (user, state) = try await sessionUser(session, pool: pool, client: client, challenge: challenge)
        if challenge == "SELECT_MFA_TYPE" {
            guard let answer = responses["ANSWER"], Self.activeFactors(user, pool: pool).contains(answer) else {
                throw SignInError.invalidParameter("ANSWER must be one of the factors offered")
            }
            return .next(try await self.challenge(answer, user: user, pool: pool, client: client, eventId: state.eventId, deviceKey: state.deviceKey,
                                                  withoutPassword: state.withoutPassword))
        }
        let before: [AuthEvent.Step] = state.withoutPassword == true ? [] : [.init(.password, true)]
        do {
            try await proveFactor(challenge, responses: responses, user: user, pool: pool, state: state)
        } catch let error as AccountError {
            await events.settle(state.eventId, poolId: pool.id, .fail, steps: before + [.init(.mfa, false)])
            throw error
        }
        guard try await store.claimOnce("challenge:" + SecretDigest.sha256Hex(session), until: state.expiresAt) else {
            throw SignInError.invalidSession
        }
        await events.settle(state.eventId, poolId: pool.id, .pass, steps: before + [.init(.mfa, true)])
        return .passed(user)
    }

    func proveFactor(_ challenge: String, responses: [String: String], user: User, pool: UserPool, state: ChallengeSession) async throws {
        switch challenge {
        case "MFA_SETUP":
            guard state.setupVerified == true else {
                throw SignInError.invalidParameter("Verify the software token (VerifySoftwareToken) with this session first")
            }
        case UserMFA.softwareToken:
            try await checkAuthenticatorCode(responses["SOFTWARE_TOKEN_MFA_CODE"] ?? "", user: user, pool: pool)
        case UserMFA.email:
            try await accounts.check(responses["EMAIL_OTP_CODE"] ?? "", purpose: .mfaEmail, user: user)
        case UserMFA.sms:
            try await accounts.check(responses["SMS_MFA_CODE"] ?? "", purpose: .mfaSMS, user: user)
        default:
            throw SignInError.invalidParameter("\(challenge) is not a second-factor challenge")
        }
    }

    /// RespondToAuthChallenge for the second-factor challenges: tokens once the factor is proven.
    public func respondToMFA(pool: UserPool, client: AppClient, challenge: String, session: String, responses: [String: String],
                             scopes: [String]) async throws -> SignInOutcome {
        // the device the sign-in proved before its second factor, if any (the session answerMFA checks names it)
        let device = unsealed(session)?.deviceKey
        switch try await answerMFA(pool: pool, client: client, challenge: challenge, session: session, responses: responses) {
        case .next(let outcome): return outcome
        case .passed(let user):
            return .tokens(try await tokensAfterSignIn(user: user, pool: pool, client: client, scopes: scopes, device: device))
        }
    }

    /// For the hosted setup page: a new authenticator secret for the user an MFA_SETUP session
    /// names, as the otpauth URI to show as a QR code, and the secret in base32 to type in.
    public func softwareTokenSetup(session: String, pool: UserPool, client: AppClient) async throws -> (uri: String, secret: String) {
        let (user, _) = try await sessionUser(session, pool: pool, client: client, challenge: "MFA_SETUP")
        // a key already shown (and perhaps scanned) in this sign-in stays until a code proves
        // it; another sign-in (someone else who has the password) gets a key of its own
        var secret = user.mfa.pendingTotpSession == Self.setupBinding(session) ? try pendingSoftwareTokenSecret(of: user) : nil
        if secret == nil { secret = try await newPendingSecret(user: user, pool: pool, session: session) }
        guard let secret else { throw SignInError.invalidSession }
        let account = user.username == user.sub.uuidString.lowercased() ? (user.attributes["email"] ?? user.username) : user.username
        return (TOTP.uri(secret: secret, issuer: pool.name, account: account), TOTP.base32(secret))
    }

    /// A code from the user's authenticator: right within a step either way, used once, and at
    /// most `maxWrongAuthenticatorCodes` tried in five minutes (each counted before it is
    /// checked, so codes sent at once cannot outrun the limit; a right one clears the count).
    func checkAuthenticatorCode(_ code: String, user: User, pool: UserPool) async throws {
        guard let sealed = user.mfa.totpSecret else { throw SignInError.invalidSession }
        let secret = try masterKey.open(sealed, context: Self.totpContext(user.sub))
        let date = now()
        // the first attempt opens a five-minute window; an open one is left as it is
        try await store.saveCode(poolId: pool.id, userSub: user.sub, purpose: .mfaTOTPAttempts) { previous in
            if let previous, previous.expiresAt > date { return previous }
            return VerificationCode(poolId: pool.id, userSub: user.sub, purpose: .mfaTOTPAttempts, codeHash: "-",
                                    expiresAt: date.addingTimeInterval(300), windowStart: date, createdAt: date)
        }
        guard try await store.countAttempt(poolId: pool.id, userSub: user.sub, purpose: .mfaTOTPAttempts,
                                           limit: Self.maxWrongAuthenticatorCodes) != nil
        else { throw AccountError.tooManyFailedAttempts }
        guard let step = TOTP.matchingStep(code, secret: secret, at: date, after: nil) else { throw AccountError.codeMismatch }
        // Record the step in the same transaction that checks it was not used: two racing
        // requests with one code cannot both pass. Cognito calls a used code expired.
        try await store.updateUser(poolId: pool.id, sub: user.sub, identifiers: { $0.identifiers(in: pool) }) { current in
            guard (current.mfa.lastTotpStep ?? Int.min) < step else { throw AccountError.softwareTokenUsed }
            current.mfa.lastTotpStep = step
        }
        try? await store.deleteCode(poolId: pool.id, userSub: user.sub, purpose: .mfaTOTPAttempts)
    }

    /// The pool and client a sealed challenge session was issued for, if it opens.
    public func sessionOwner(_ session: String) -> (poolId: String, clientId: String)? {
        unsealed(session).map { ($0.poolId, $0.clientId) }
    }

    static func totpContext(_ sub: UUID) -> String { "totp-secret:\(sub.uuidString.lowercased())" }

    // MARK: Settings (AssociateSoftwareToken, VerifySoftwareToken, SetUserMFAPreference)

    /// A new authenticator secret for the user, kept pending until a code from it is verified.
    /// Returns the secret in base32, as Cognito's SecretCode.
    public func associateSoftwareToken(user: User, pool: UserPool) async throws -> String {
        TOTP.base32(try await newPendingSecret(user: user, pool: pool))
    }

    /// 160 random bits, sealed into the user's record as the pending authenticator secret.
    func newPendingSecret(user: User, pool: UserPool, session: String? = nil) async throws -> Data {
        let secret = Data(random.bytes(20))
        let sealed = try masterKey.seal(secret, context: Self.totpContext(user.sub))
        let binding = session.map(Self.setupBinding)
        try await store.updateUser(poolId: pool.id, sub: user.sub, identifiers: { $0.identifiers(in: pool) }) {
            $0.mfa.pendingTotpSecret = sealed
            $0.mfa.pendingTotpSession = binding
        }
        return secret
    }

    static func setupBinding(_ session: String) -> String { String(SecretDigest.sha256Hex("mfa-setup|" + session).prefix(32)) }

    /// The pending secret, for the setup page's QR code.
    public func pendingSoftwareTokenSecret(of user: User) throws -> Data? {
        try user.mfa.pendingTotpSecret.map { try masterKey.open($0, context: Self.totpContext(user.sub)) }
    }

    /// A code from the pending secret makes it the user's authenticator, enabled (and preferred
    /// when nothing else is).
    public func verifySoftwareToken(user: User, pool: UserPool, code: String, session: String? = nil) async throws -> User {
        guard let pending = user.mfa.pendingTotpSecret, user.mfa.pendingTotpSession == session.map(Self.setupBinding) else {
            throw SignInError.invalidParameter("Call AssociateSoftwareToken first")
        }
        let secret = try masterKey.open(pending, context: Self.totpContext(user.sub))
        guard let step = TOTP.matchingStep(code, secret: secret, at: now(), after: nil) else { throw AccountError.codeMismatch }
        return try await store.updateUser(poolId: pool.id, sub: user.sub, identifiers: { $0.identifiers(in: pool) }) { current in
            guard current.mfa.pendingTotpSecret == pending else { throw SignInError.invalidSession }
            current.mfa.totpSecret = pending
            current.mfa.pendingTotpSecret = nil
            current.mfa.pendingTotpSession = nil
            current.mfa.lastTotpStep = step
            current.mfa.enabled.insert(UserMFA.softwareToken)
            if current.mfa.preferred == nil { current.mfa.preferred = UserMFA.softwareToken }
        }
    }

    /// MFA_SETUP through the API: the secret for the user the session names.
    public func associateSoftwareToken(session: String, pool: UserPool, client: AppClient) async throws -> (secret: String, session: String) {
        let (user, _) = try await sessionUser(session, pool: pool, client: client, challenge: "MFA_SETUP")
        return (TOTP.base32(try await newPendingSecret(user: user, pool: pool, session: session)), session)
    }

    /// MFA_SETUP through the API: a verified code turns the session into one RespondToAuthChallenge accepts.
    public func verifySoftwareToken(session: String, pool: UserPool, client: AppClient, code: String) async throws -> String {
        let (user, state) = try await sessionUser(session, pool: pool, client: client, challenge: "MFA_SETUP")
        let updated = try await verifySoftwareToken(user: user, pool: pool, code: code, session: session)
        return try mfaSession(user: updated, client: client, challenge: "MFA_SETUP", setupVerified: true, eventId: state.eventId,
                              deviceKey: state.deviceKey, withoutPassword: state.withoutPassword)
    }

    public struct FactorSetting: Sendable {
        public var enabled: Bool?
        public var preferred: Bool?
        public init(enabled: Bool?, preferred: Bool?) {
            self.enabled = enabled
            self.preferred = preferred
        }
    }

    /// SetUserMFAPreference and AdminSetUserMFAPreference. A factor can be enabled only when the
    /// user has it (a verified authenticator, email or phone); one preferred factor at most.
    @discardableResult
    public func setMFAPreference(user: User, pool: UserPool, settings: [String: FactorSetting]) async throws -> User {
        let available = Self.availableFactors(user)
        for (factor, setting) in settings where setting.enabled == true || setting.preferred == true {
            guard pool.allowedMFAFactors.contains(factor) else {
                throw SignInError.invalidParameter("\(factor) is not enabled for this user pool")
            }
            guard available.contains(factor) else {
                throw SignInError.invalidParameter(factor == UserMFA.softwareToken
                    ? "User has not verified software token mfa"
                    : "User does not have a verified \(factor == UserMFA.email ? "email" : "phone number") for \(factor)")
            }
        }
        return try await store.updateUser(poolId: pool.id, sub: user.sub, identifiers: { $0.identifiers(in: pool) }) { current in
            for (factor, setting) in settings {
                if setting.enabled == true { current.mfa.enabled.insert(factor) }
                if setting.enabled == false {
                    current.mfa.enabled.remove(factor)
                    if current.mfa.preferred == factor { current.mfa.preferred = nil }
                }
                if setting.preferred == true {
                    current.mfa.enabled.insert(factor)
                    current.mfa.preferred = factor
                } else if setting.preferred == false, current.mfa.preferred == factor {
                    current.mfa.preferred = nil
                }
            }
        }
    }
}

extension SignInService {
    /// AdminDeleteSoftwareToken: the user's authenticator is forgotten (its secret, a pending one,
    /// and the factor, preferred or not); the user may set up a new one. Where the pool requires
    /// MFA, the next sign-in asks for another second factor, or an authenticator to be set up.
    @discardableResult
    public func deleteSoftwareToken(user: User, pool: UserPool) async throws -> User {
        try await store.updateUser(poolId: pool.id, sub: user.sub, identifiers: { $0.identifiers(in: pool) }) { current in
            current.mfa.totpSecret = nil
            current.mfa.pendingTotpSecret = nil
            current.mfa.pendingTotpSession = nil
            current.mfa.lastTotpStep = nil
            current.mfa.enabled.remove(UserMFA.softwareToken)
            if current.mfa.preferred == UserMFA.softwareToken { current.mfa.preferred = nil }
        }
    }
}
