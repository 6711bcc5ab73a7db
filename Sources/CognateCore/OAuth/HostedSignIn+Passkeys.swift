import CognateModel
import Foundation

/// Passkeys on the hosted pages: the sign-in page's "Sign in with a passkey" (the person picks a
/// passkey of this pool; the page asks no name, the passkey's user handle says who it is) and the
/// passkeys page of a signed-in person (list, add, remove).
extension HostedSignIn {
    /// What the sign-in page's passkey form carries back: the challenge, bound to this request, sealed.
    struct PasskeyTicket: Codable {
        var poolId: String
        var requestHash: String
        var challenge: String
        var expiresAt: Date
    }

    static let passkeyTicketContext = "hosted-passkey-ticket"

    /// The sign-in page's passkey form: the options for `navigator.credentials.get` and the sealed
    /// ticket; nil where the pool offers no passkeys or the client takes no pool users.
    public func passkeyRequest(pool: UserPool, request: AuthorizationRequest, client: AppClient?) throws -> (options: String, ticket: String)? {
        guard pool.firstAuthFactors.contains("WEB_AUTHN"), client.map(Self.allowsPoolUsers) ?? false,
            let rp = try? signIn.relyingParty(for: pool)
        else { return nil }
        let challenge = Data(random.bytes(32)).base64URLEncoded
        let ticket = try signIn.masterKey.sealToken(
            PasskeyTicket(poolId: pool.id, requestHash: SecretDigest.sha256Hex(request.id), challenge: challenge,
                          expiresAt: now().addingTimeInterval(SignInService.passkeyTimeout)), context: Self.passkeyTicketContext)
        return (SignInService.requestOptions(challenge: challenge, rp: rp, pool: pool, allowed: []), ticket)
    }

    /// The passkey form's submission: signed in as by a password, without one (and without a
    /// second factor, unless the pool requires one and the passkey does not count as two).
    public func passkeyLogin(pool: UserPool, request: AuthorizationRequest, ticket: String, credential: String) async throws -> LoginResult {
        try await counted { try await checkPasskeyLogin(pool: pool, request: request, ticket: ticket, credential: credential) }
    }

    func checkPasskeyLogin(pool: UserPool, request: AuthorizationRequest, ticket: String, credential: String) async throws -> LoginResult {
        guard let client = try await store.client(poolId: pool.id, clientId: request.clientId) else { throw SignInError.invalidSession }
        guard Self.allowsPoolUsers(client) else { throw SignInError.poolUsersNotAllowed }
        guard pool.firstAuthFactors.contains("WEB_AUTHN"),
            let state = signIn.masterKey.openToken(ticket, as: PasskeyTicket.self, context: Self.passkeyTicketContext),
            state.poolId == pool.id, state.requestHash == SecretDigest.sha256Hex(request.id), state.expiresAt > now()
        else { throw SignInError.invalidSession }
        let proven = try await signIn.provePasskey(pool: pool, credential: credential, challenge: state.challenge, sub: nil,
                                                   claim: "hosted-passkey:" + SecretDigest.sha256Hex(ticket), until: state.expiresAt,
                                                   clientId: client.clientId)
        let user = proven.user
        let eventId = UUID()
        let result: LoginResult
        do {
            if pool.mfaConfiguration == .on, !SignInService.passkeyCountsAsTwoFactors(pool, userVerified: proven.userVerified) {
                result = try await signedInOrSecondFactor(pool: pool, request: request, client: client, user: user, eventId: eventId)
            } else {
                let (session, redirect) = try await openSession(pool: pool, request: request, user: user)
                result = .signedIn(session: session, redirect: redirect)
            }
        } catch {
            await signIn.events.record(.signIn, .fail, user: user, clientId: client.clientId, steps: [], id: eventId)
            throw error
        }
        await signIn.events.record(.signIn, { if case .signedIn = result { .pass } else { .inProgress } }(), user: user, clientId: client.clientId,
                                   steps: [], id: eventId)
        try await advance(request, after: result, user: user)
        return result
    }

    /// The service the passkeys page registers, lists and removes passkeys through.
    public var signInService: SignInService { signIn }

    /// The signed-in person of a hosted session cookie, for the passkeys page; nil without a live session.
    public func sessionUser(_ cookie: String?, pool: UserPool) async throws -> User? {
        guard let session = try await liveSession(cookie, pool: pool), let user = try await store.user(poolId: pool.id, sub: session.userSub),
            user.enabled, user.status == .confirmed
        else { return nil }
        return user
    }

    /// Whether the sign-in page offers "Email me a code": the pool allows EMAIL_OTP as a first factor.
    public static func offersEmailCode(_ pool: UserPool) -> Bool { pool.firstAuthFactors.contains("EMAIL_OTP") }

    /// The sign-in page's "Email me a code": the code page next, for whatever name was typed (a
    /// name no one holds, or an account with no verified address, gets a code that "goes out"
    /// and that no answer passes: the page tells no one apart).
    public func emailCodeLogin(pool: UserPool, request: AuthorizationRequest, username: String) async throws -> LoginResult {
        guard let client = try await store.client(poolId: pool.id, clientId: request.clientId) else { throw SignInError.invalidSession }
        guard Self.allowsPoolUsers(client) else { throw SignInError.poolUsersNotAllowed }
        guard Self.offersEmailCode(pool), !username.isEmpty, username.count <= 128 else { throw SignInError.notAuthorized("Incorrect username.") }
        let user = try await store.user(in: pool, named: username)
        let outcome = try await signIn.codeChallenge("EMAIL_OTP", user: user, username: username, pool: pool, client: client)
        guard case .challenge(_, let session, let parameters) = outcome else { throw SignInError.invalidSession }
        try await advance(request, to: .secondFactor, user: nil)
        return .mfaRequired(challenge: UserMFA.email, session: session, parameters: parameters)
    }

    /// After a password sign-in: whether to offer adding a passkey (the pool offers them and the person has none).
    public func offersPasskey(to user: User, pool: UserPool) async throws -> Bool {
        guard pool.firstAuthFactors.contains("WEB_AUTHN"), (try? signIn.relyingParty(for: pool)) != nil else { return false }
        return try await !signIn.hasPasskeys(user)
    }

    struct Continuation: Codable {
        var poolId: String
        var sub: UUID
        var location: String
        var expiresAt: Date
    }

    static let continuationContext = "hosted-passkey-continue"

    /// The app redirect a passkey offer goes on to, sealed for the form (so a page cannot be made to send anyone elsewhere).
    public func sealContinuation(_ location: String, user: User) throws -> String {
        try signIn.masterKey.sealToken(Continuation(poolId: user.poolId, sub: user.sub, location: location,
                                                    expiresAt: now().addingTimeInterval(SignInService.passkeyTimeout)),
                                       context: Self.continuationContext)
    }

    /// The redirect a sealed continuation holds, if it is this user's and not expired.
    public func openContinuation(_ text: String, user: User) -> String? {
        guard let state = signIn.masterKey.openToken(text, as: Continuation.self, context: Self.continuationContext), state.poolId == user.poolId,
            state.sub == user.sub, state.expiresAt > now()
        else { return nil }
        return state.location
    }
}
