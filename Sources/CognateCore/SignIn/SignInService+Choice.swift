import CognateModel
import Foundation

/// Choice-based sign-in (Cognito's USER_AUTH): the user picks the first factor from those the
/// pool allows (its SignInPolicy) and they can use: the password (sent, or proven by SRP) or a
/// one-time code by email or text message, which signs in without a password and without a
/// second factor. Names no one holds (where the client hides users) are offered every factor
/// the pool allows and get a code that "goes out", as an account would.
extension SignInService {
    /// A session for a code "sent" to a name no one holds: answered, it is always a wrong code.
    static let phantomFingerprint = "phantom"

    /// The first factors a user can choose here, in Cognito's order; a name no one holds gets all the pool allows.
    /// `passkeys`: whether the user has registered one.
    public static func firstFactors(of user: User?, pool: UserPool, passkeys: Bool) -> [String] {
        let allowed = pool.firstAuthFactors
        let available = user.map(availableFactors)
        var factors: [String] = []
        if allowed.contains("PASSWORD"), user == nil || user?.passwordHash != nil { factors += ["PASSWORD", "PASSWORD_SRP"] }
        if allowed.contains("WEB_AUTHN"), user == nil || passkeys { factors.append("WEB_AUTHN") }
        if allowed.contains("EMAIL_OTP"), available?.contains(UserMFA.email) ?? true { factors.append("EMAIL_OTP") }
        if allowed.contains("SMS_OTP"), available?.contains(UserMFA.sms) ?? true { factors.append("SMS_OTP") }
        return factors
    }

    /// How USER_AUTH begins: the outcome, and the factors to choose from when none was preferred.
    /// Whether the user has a passkey (one read, not a listing).
    public func hasPasskeys(_ user: User?) async throws -> Bool {
        guard let user else { return false }
        return try await !store.webAuthnCredentials(poolId: user.poolId, userSub: user.sub, limit: 1, after: nil).items.isEmpty
    }

    /// The first factors `user` can choose here (GetUserAuthFactors, SELECT_CHALLENGE).
    public func firstFactors(of user: User?, pool: UserPool) async throws -> [String] {
        Self.firstFactors(of: user, pool: pool, passkeys: try await hasPasskeys(user))
    }

    public struct ChoiceStart: Sendable {
        public var outcome: SignInOutcome
        public var available: [String]?
    }

    /// USER_AUTH: with a PREFERRED_CHALLENGE, that factor at once; without, SELECT_CHALLENGE and the factors available.
    public func startChoice(pool: UserPool, client: AppClient, username: String, preferred: String?, password: String?, srpA: String?,
                            scopes: [String]) async throws -> ChoiceStart {
        let user = try await store.user(in: pool, named: username)
        if user == nil, !client.preventUserExistenceErrors { throw SignInError.userNotFound }
        guard let preferred, !preferred.isEmpty else {
            let session = try seal(ChallengeSession(
                poolId: pool.id, clientId: client.clientId, sub: user?.sub ?? phantoms.sub(pool: pool, name: username), challenge: "SELECT_CHALLENGE",
                passwordFingerprint: user.map { Self.fingerprint($0.passwordHash ?? "") } ?? Self.phantomFingerprint,
                expiresAt: now().addingTimeInterval(Double(client.authSessionValidity) * 60)))
            return ChoiceStart(outcome: .challenge(name: "SELECT_CHALLENGE", session: session, parameters: [:]),
                               available: try await firstFactors(of: user, pool: pool))
        }
        return ChoiceStart(outcome: try await choose(preferred, user: user, username: username, pool: pool, client: client, password: password,
                                                     srpA: srpA, scopes: scopes), available: nil)
    }

    /// SELECT_CHALLENGE answered (ANSWER: the factor; PASSWORD or SRP_A with those). The session answers once.
    public func answerChoice(pool: UserPool, client: AppClient, session: String, username: String, answer: String, password: String?,
                             srpA: String?, scopes: [String]) async throws -> SignInOutcome {
        let state = try open(session, pool: pool, client: client, challenge: "SELECT_CHALLENGE")
        guard try await store.claimOnce("challenge:" + SecretDigest.sha256Hex(session), until: state.expiresAt) else {
            throw SignInError.invalidSession
        }
        let user = try await store.user(poolId: pool.id, sub: state.sub)
        if let user, Self.fingerprint(user.passwordHash ?? "") != state.passwordFingerprint { throw SignInError.invalidSession }
        return try await choose(answer, user: user, username: user?.username ?? username, pool: pool, client: client, password: password,
                                srpA: srpA, scopes: scopes)
    }

    func choose(_ factor: String, user: User?, username: String, pool: UserPool, client: AppClient, password: String?, srpA: String?,
                scopes: [String]) async throws -> SignInOutcome {
        guard try await firstFactors(of: user, pool: pool).contains(factor) else {
            throw SignInError.invalidParameter("\(factor) is not a way this user can sign in here")
        }
        switch factor {
        case "PASSWORD":
            guard let password, !password.isEmpty else { throw SignInError.invalidParameter("Missing required parameter PASSWORD") }
            return try await signIn(pool: pool, client: client, username: user?.username ?? username, password: password, scopes: scopes)
        case "PASSWORD_SRP":
            guard let srpA, !srpA.isEmpty else { throw SignInError.invalidParameter("Missing required parameter SRP_A") }
            return try await startSRP(pool: pool, client: client, username: user?.username ?? username, srpA: srpA)
        case "WEB_AUTHN":
            // an account that cannot sign in is answered as a name no one holds: a challenge no passkey answers
            let usable = user.flatMap { $0.enabled && $0.status == .confirmed ? $0 : nil }
            return try await passkeyChallenge(user: usable, username: username, pool: pool, client: client)
        default:
            return try await codeChallenge(factor, user: user, username: username, pool: pool, client: client)
        }
    }

    /// EMAIL_OTP or SMS_OTP as the first factor: the second factor's code, answered the same way;
    /// proven, it signs in without a password. A name no one holds, or an account that cannot
    /// sign in or has no verified address for it, gets a code that "goes out" as one would.
    func codeChallenge(_ factor: String, user: User?, username: String, pool: UserPool, client: AppClient) async throws -> SignInOutcome {
        let email = factor == "EMAIL_OTP"
        guard let user, user.enabled, user.status == .confirmed, Self.availableFactors(user).contains(email ? UserMFA.email : UserMFA.sms) else {
            let delivery = try await accounts.simulatedSend(email ? .mfaEmail : .mfaSMS, pool: pool, username: username, recorded: true)
            let session = try seal(ChallengeSession(
                poolId: pool.id, clientId: client.clientId, sub: user?.sub ?? phantoms.sub(pool: pool, name: username),
                challenge: email ? UserMFA.email : UserMFA.sms, passwordFingerprint: Self.phantomFingerprint,
                expiresAt: now().addingTimeInterval(Double(client.authSessionValidity) * 60)))
            return .challenge(name: factor, session: session, parameters: [
                "CODE_DELIVERY_DELIVERY_MEDIUM": email ? "EMAIL" : "SMS", "CODE_DELIVERY_DESTINATION": delivery.destination,
            ])
        }
        // the code is the sign-in's factor: its event waits on the answer (and names no password)
        let eventId = UUID()
        let outcome = try await challenge(email ? UserMFA.email : UserMFA.sms, user: user, pool: pool, client: client, eventId: eventId,
                                          withoutPassword: true)
        await events.record(.signIn, .inProgress, user: user, clientId: client.clientId, steps: [], id: eventId)
        if case .challenge(_, let session, let parameters) = outcome { return .challenge(name: factor, session: session, parameters: parameters) }
        return outcome
    }

    /// A code answered on a session opened for a name no one holds: guessed against its phantom
    /// (counted, expired, over-guessed as an account's would be) and refused as a wrong code.
    func phantomCodeRefusal(session: String, pool: UserPool, client: AppClient, challenge: String, responses: [String: String]) async -> AccountError? {
        guard let state = try? open(session, pool: pool, client: client, challenge: challenge), state.passwordFingerprint == Self.phantomFingerprint else {
            return nil
        }
        let email = challenge == UserMFA.email
        let code = responses[email ? "EMAIL_OTP_CODE" : "SMS_MFA_CODE"] ?? ""
        return await accounts.phantomGuess(code, email ? .mfaEmail : .mfaSMS, pool: pool, username: responses["USERNAME"] ?? "", event: nil)
    }
}
