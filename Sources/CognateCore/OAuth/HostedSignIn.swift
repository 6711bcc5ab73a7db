import CognateModel
import Crypto
import Foundation

/// An authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1) once its client and
/// redirect_uri are proven and the rest checked. Validated once at /oauth2/authorize and stored
/// (`PendingAuthorization`); the pages carry only its opaque `id`.
public struct AuthorizationRequest: Sendable, Equatable, Codable {
    /// The opaque id the pages carry; empty for a request answered at once from a session (never stored).
    public var id: String = ""
    /// `code`, or `token` for the implicit flow (RFC 6749 §4.2), answered in the URL fragment.
    public var responseType: String = "code"
    public var clientId: String
    public var redirectURI: String
    public var scopes: [String]
    public var state: String?
    public var nonce: String?
    public var codeChallenge: String?
    public var prompt: String?
    public var maxAge: Int?
    /// The provider asked for with `identity_provider` (COGNITO: the pool's own users).
    public var identityProvider: String?
    /// The languages the app asked the pages to speak, most wanted first: OIDC's `ui_locales`
    /// (space-separated BCP 47 tags), else Cognito's `lang`. Only ever matched against the
    /// catalogs there are; at most 16 tags of 35 characters are kept.
    public var uiLocales: [String]?

    /// Who is signing in, once a password or a sign-up on these pages named them (from the
    /// stored request; never from the page).
    public var userSub: UUID?

    /// A request made here rather than at /oauth2/authorize (the designers' preview's).
    public init(clientId: String, redirectURI: String, scopes: [String]) {
        self.clientId = clientId
        self.redirectURI = redirectURI
        self.scopes = scopes
    }

    init(responseType: String, clientId: String, redirectURI: String, scopes: [String], state: String?, nonce: String?, codeChallenge: String?,
         prompt: String?, maxAge: Int?, identityProvider: String?) {
        self.responseType = responseType
        self.clientId = clientId
        self.redirectURI = redirectURI
        self.scopes = scopes
        self.state = state
        self.nonce = nonce
        self.codeChallenge = codeChallenge
        self.prompt = prompt
        self.maxAge = maxAge
        self.identityProvider = identityProvider
    }

    /// What carries the request from page to page: its id, and nothing else.
    public var parameters: [(String, String)] { [("request", id)] }

    enum CodingKeys: String, CodingKey {
        case responseType, clientId, redirectURI, scopes, state, nonce, codeChallenge, prompt, maxAge, identityProvider, uiLocales
    }
}

/// Why a stored authorization request cannot be carried on: each is a friendly page that says
/// to start again from the application, never a redirect.
public enum HostedFlowError: Error, Equatable, Sendable {
    /// No such request (a forged id, an old form that carried the parameters themselves).
    case unknown
    /// Started in another browser: the id without its browser's cookie.
    case otherBrowser
    case expired
    /// Finished already (its code issued): a form submitted twice, or the back button.
    case finished
    /// Too many sign-ins started from this address this hour (AddressLimits.signInStart).
    case tooMany
}

/// What /oauth2/authorize does with a request.
public enum AuthorizeDecision: Sendable, Equatable {
    /// Client or redirect_uri not proven: a page, never a redirect (RFC 6749 §4.1.2.1).
    case errorPage(OAuthError)
    /// Back to the client: with a code, or with an error.
    case redirect(String)
    /// The person must sign in first: the request is stored; `browser` is the value of the
    /// cookie that binds it to this browser (the one presented, or a new one to set).
    case login(AuthorizationRequest, browser: String)
    /// The request names an outside provider (`identity_provider` or `idp_identifier`): it is
    /// stored, and the person goes there (`FederatedSignIn.redirect`) with this browser binding.
    case federate(AuthorizationRequest, browser: String)
}

/// The hosted authorization-code flow: authorize, sign in with a session, codes, the token endpoint.
public struct HostedSignIn: Sendable {
    /// What the hosted flow reads and writes, and nothing more.
    public typealias Store = UserPoolStore & AppClientStore & UserStore & AuthorizationCodeStore & SessionStore & AuthorizationRequestStore
        & RateLimitStore & IdentityProviderStore
    let store: any Store
    /// Codes a signed-in session may have issued without the form in five minutes.
    public static let codesPerSessionWindow = 30
    let signIn: SignInService
    let tokens: TokenService
    /// Bounds the requests one address may start (`signInStart`); nil: no bound.
    let limits: AddressLimits?
    let random: any RandomSource
    let now: Now

    /// `ui_locales` (or `lang`) as kept on the request: a hint, never an error (OIDC Core §3.1.2.1).
    static func uiLocales(_ parameters: [String: String]) -> [String]? {
        let tags = (parameters["ui_locales"] ?? parameters["lang"] ?? "").split(separator: " ").prefix(16)
            .map(String.init).filter { $0.count <= 35 }
        return tags.isEmpty ? nil : tags
    }

    /// Cognito: codes live 5 minutes; hosted sessions an hour.
    public static let codeLifetime: TimeInterval = 300
    public static let sessionLifetime: TimeInterval = 3_600
    /// How long a person has to finish signing in (sign-up and its emailed code included).
    public static let requestLifetime: TimeInterval = 3_600

    public init(store: any Store, signIn: SignInService, tokens: TokenService, limits: AddressLimits? = nil,
                random: any RandomSource = SystemRandomSource(), now: @escaping Now) {
        self.store = store
        self.limits = limits
        self.signIn = signIn
        self.tokens = tokens
        self.random = random
        self.now = now
    }

    /// Checks in RFC 6749 §4.1.2.1's order: client and redirect_uri first (errors shown), then the rest (errors redirected).
    public func authorize(pool: UserPool, parameters: [String: String], sessionCookie: String?, browser: String?) async throws
        -> AuthorizeDecision
    {
        guard let clientId = parameters["client_id"], let client = try await store.client(poolId: pool.id, clientId: clientId) else {
            return .errorPage(.invalidRequest("unknown client_id"))
        }
        let redirectURI: String
        do {
            redirectURI = try CheckRedirectURI.check(parameters["redirect_uri"], client: client)
        } catch let error as OAuthError {
            return .errorPage(error)
        }
        let state = parameters["state"]
        let implicit = parameters["response_type"] == "token"
        func fail(_ error: OAuthError) -> AuthorizeDecision {
            .redirect(Self.append(to: redirectURI, ["error": error.code, "error_description": error.description, "state": state], fragment: implicit))
        }
        guard parameters["response_type"] == "code" || implicit else {
            return fail(.unsupportedResponseType("response_type must be code or token"))
        }
        guard client.allowedOAuthFlowsUserPoolClient, client.allowedOAuthFlows.contains(implicit ? .implicit : .code) else {
            return fail(.unauthorizedClient("the client may not use the \(implicit ? "implicit" : "authorization code") flow"))
        }
        var request: AuthorizationRequest
        do {
            let scopes = try CheckScopes.check(parameters["scope"], client: client)
            // PKCE protects a code; the implicit flow has none.
            let challenge = implicit ? nil
                : try CheckPKCE.challenge(parameters["code_challenge"], method: parameters["code_challenge_method"], publicClient: client.isPublic)
            let maxAge = try parameters["max_age"].map { text -> Int in
                guard let value = Int(text), value >= 0 else { throw OAuthError.invalidRequest("max_age must be a whole number of seconds") }
                return value
            }
            let provider = try await chosenProvider(parameters, pool: pool, client: client)
            request = AuthorizationRequest(responseType: implicit ? "token" : "code", clientId: client.clientId, redirectURI: redirectURI,
                                           scopes: scopes, state: state, nonce: parameters["nonce"], codeChallenge: challenge,
                                           prompt: parameters["prompt"], maxAge: maxAge, identityProvider: provider)
            request.uiLocales = Self.uiLocales(parameters)
        } catch let error as OAuthError {
            return fail(error)
        }
        // OIDC Core §3.1.2.1: prompt=login forces the form; prompt=none must not show it.
        if request.prompt != "login", let session = try await liveSession(sessionCookie, pool: pool) {
            let fresh = request.maxAge.map { now().timeIntervalSince(session.authTime) <= Double($0) } ?? true
            if fresh, Self.sessionFits(session, client: client, provider: request.identityProvider),
                let user = try await store.user(poolId: pool.id, sub: session.userSub), user.enabled,
                user.status == .confirmed || (user.status == .externalProvider && session.federation != nil) {
                // A session mints codes without a password: at most `codesPerSessionWindow` in
                // five minutes, so a loop on /oauth2/authorize cannot fill the database.
                let window = Int(now().timeIntervalSince1970 / 300)
                let minted = try await store.hit("codes|\(session.idHash)|\(window)", expiresAt: Date(timeIntervalSince1970: Double(window + 1) * 300))
                guard minted <= Self.codesPerSessionWindow else {
                    return fail(OAuthError("temporarily_unavailable", "too many sign-ins from this session; try again in a few minutes"))
                }
                return .redirect(try await codeRedirect(request, pool: pool, user: user, authTime: session.authTime))
            }
        }
        if request.prompt == "none" { return fail(.loginRequired("no signed-in session")) }
        let (stored, binding) = try await store(request, pool: pool, browser: browser)
        if let provider = stored.identityProvider, provider != "COGNITO" { return .federate(stored, browser: binding) }
        return .login(stored, browser: binding)
    }

    /// Whether a session may answer this client's request without asking: it was opened the
    /// way the client allows (a password only where the client takes the pool's own users; a
    /// provider only where the client lists it), and the way the request names, if it names one.
    static func sessionFits(_ session: SignInSession, client: AppClient, provider requested: String?) -> Bool {
        let origin = session.federation?.providerName ?? "COGNITO"
        let allowed = origin == "COGNITO" ? allowsPoolUsers(client) : client.supportedIdentityProviders.contains(origin)
        return allowed && (requested ?? origin) == origin
    }

    /// Whether the client lets the pool's own users sign in on these pages: COGNITO among its
    /// SupportedIdentityProviders (an empty list counts as COGNITO, as Cognate has always read it).
    public static func allowsPoolUsers(_ client: AppClient) -> Bool {
        client.supportedIdentityProviders.isEmpty || client.supportedIdentityProviders.contains("COGNITO")
    }

    /// The provider the request names: `identity_provider` by name, or `idp_identifier` by one
    /// of a provider's identifiers; it must be one the client allows (SupportedIdentityProviders).
    func chosenProvider(_ parameters: [String: String], pool: UserPool, client: AppClient) async throws -> String? {
        var name = parameters["identity_provider"]
        if name == nil, let identifier = parameters["idp_identifier"] {
            guard let provider = try await store.identityProvider(poolId: pool.id, identifier: identifier) else {
                throw OAuthError.invalidRequest("no identity provider has the identifier \(identifier)")
            }
            name = provider.name
        }
        guard let name, name != "COGNITO" else {
            if name == "COGNITO", !Self.allowsPoolUsers(client) {
                throw OAuthError.invalidRequest("the client does not allow the pool's own users (COGNITO)")
            }
            return name
        }
        guard client.supportedIdentityProviders.contains(name), let provider = try await store.identityProvider(poolId: pool.id, name: name) else {
            throw OAuthError.invalidRequest("unknown identity_provider \(name)")
        }
        guard FederatedSignIn.supportedTypes.contains(provider.type) else {
            throw OAuthError.invalidRequest("signing in through \(provider.type.rawValue) providers is not available yet")
        }
        return name
    }

    /// Stores a validated request under a new id (256 random bits; the store keeps its
    /// SHA-256), bound to the browser's cookie value (a new one if it has none).
    func store(_ request: AuthorizationRequest, pool: UserPool, browser: String?) async throws -> (AuthorizationRequest, String) {
        if let limits, !(try await limits.allow(.signInStart, from: RequestOrigin.current?.address)) { throw HostedFlowError.tooMany }
        let binding = browser.flatMap { Self.isToken($0) ? $0 : nil } ?? Data(random.bytes(32)).base64URLEncoded
        var stored = request
        stored.id = Data(random.bytes(32)).base64URLEncoded
        let date = now()
        try await store.createAuthorization(PendingAuthorization(
            idHash: SecretDigest.sha256Hex(stored.id), poolId: pool.id, browserHash: SecretDigest.sha256Hex(binding),
            request: String(decoding: try JSONEncoder().encode(request), as: UTF8.self), createdAt: date,
            expiresAt: date.addingTimeInterval(Self.requestLifetime)))
        return (stored, binding)
    }

    /// A value this server could have made: base64url, 43 characters (32 bytes).
    static func isToken(_ text: String) -> Bool {
        text.count == 43 && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }

    /// The stored request a page carries on, for the browser that started it; a
    /// `HostedFlowError` when it is unknown, another browser's, expired or finished.
    public func resume(pool: UserPool, id: String?, browser: String?) async throws -> AuthorizationRequest {
        guard let id, Self.isToken(id), let pending = try await store.authorization(idHash: SecretDigest.sha256Hex(id)), pending.poolId == pool.id
        else { throw HostedFlowError.unknown }
        guard let browser, constantTimeEquals(Array(SecretDigest.sha256Hex(browser).utf8), Array(pending.browserHash.utf8)) else {
            throw HostedFlowError.otherBrowser
        }
        guard pending.finishedAt == nil, pending.step != .finished else { throw HostedFlowError.finished }
        guard pending.expiresAt > now() else { throw HostedFlowError.expired }
        guard var request = try? JSONDecoder().decode(AuthorizationRequest.self, from: Data(pending.request.utf8)) else {
            throw HostedFlowError.unknown
        }
        request.id = id
        request.userSub = pending.userSub
        return request
    }

    /// Moves the stored request to the page the person is on next (and names the user once a
    /// password or sign-up proved who it is).
    public func advance(_ request: AuthorizationRequest, to step: PendingAuthorization.Step, user: User?) async throws {
        guard !request.id.isEmpty else { return }
        _ = try await store.advanceAuthorization(idHash: SecretDigest.sha256Hex(request.id), to: step, userSub: user?.sub, at: now())
    }

    public enum LoginResult: Sendable, Equatable {
        /// Signed in: the new session's cookie value and the redirect with a code.
        case signedIn(session: String, redirect: String)
        /// The password was temporary: the person must choose one, quoting this challenge session.
        case newPasswordRequired(challenge: String)
        /// The password was right but the account is not confirmed: the person confirms it next.
        case confirmationRequired(User)
        /// A second factor is due: the challenge (SOFTWARE_TOKEN_MFA, EMAIL_OTP, SMS_MFA,
        /// SELECT_MFA_TYPE, MFA_SETUP), its session and parameters.
        case mfaRequired(challenge: String, session: String, parameters: [String: String])
    }

    /// The login form's submission.
    public func login(pool: UserPool, request: AuthorizationRequest, username: String, password: String) async throws -> LoginResult {
        try await counted { try await checkLogin(pool: pool, request: request, username: username, password: password) }
    }

    /// A hosted sign-in step counted in the metrics: signed in, a challenge next, or refused.
    func counted(_ step: () async throws -> LoginResult) async throws -> LoginResult {
        do {
            let result = try await step()
            if case .signedIn = result { CognateMetrics.signIn(flow: "hosted", result: "success") } else {
                CognateMetrics.signIn(flow: "hosted", result: "challenge")
            }
            return result
        } catch {
            CognateMetrics.signIn(flow: "hosted", result: "failure")
            throw error
        }
    }

    func checkLogin(pool: UserPool, request: AuthorizationRequest, username: String, password: String) async throws -> LoginResult {
        guard let client = try await store.client(poolId: pool.id, clientId: request.clientId) else { throw SignInError.invalidSession }
        // a client of outside providers only takes no password here, whoever types one
        guard Self.allowsPoolUsers(client) else { throw SignInError.poolUsersNotAllowed }
        let user = try await signIn.verifyPassword(pool: pool, client: client, username: username, password: password, hidingUsers: true)
        // the sign-in's event, as for InitiateAuth: failed, passed, or in progress until its challenge is answered
        let eventId = UUID()
        let result: LoginResult
        do {
            result = try await proceed(pool: pool, request: request, client: client, user: user, eventId: eventId)
        } catch {
            await signIn.events.record(.signIn, .fail, user: user, clientId: client.clientId, steps: [.init(.password, true)], id: eventId)
            throw error
        }
        let response: AuthEvent.Response
        switch result {
        case .signedIn: response = .pass
        case .confirmationRequired: response = .fail
        case .newPasswordRequired, .mfaRequired: response = .inProgress
        }
        await signIn.events.record(.signIn, response, user: user, clientId: client.clientId, steps: [.init(.password, true)], id: eventId)
        try await advance(request, after: result, user: user)
        return result
    }

    /// Records where a step left the request: the next page, and who is signing in.
    func advance(_ request: AuthorizationRequest, after result: LoginResult, user: User) async throws {
        switch result {
        case .signedIn: break  // finished when its session was opened
        case .newPasswordRequired: try await advance(request, to: .newPassword, user: user)
        case .mfaRequired: try await advance(request, to: .secondFactor, user: user)
        case .confirmationRequired: try await advance(request, to: .confirmation, user: user)
        }
    }

    func proceed(pool: UserPool, request: AuthorizationRequest, client: AppClient, user: User, eventId: UUID) async throws -> LoginResult {
        switch try signIn.afterPassword(user: user, pool: pool, client: client, eventId: eventId) {
        case .confirmed: return try await signedInOrSecondFactor(pool: pool, request: request, client: client, user: user, eventId: eventId)
        case .unconfirmed: return .confirmationRequired(user)
        case .newPassword(let session): return .newPasswordRequired(challenge: session)
        }
    }

    /// The authenticator to set up on the MFA_SETUP page (the otpauth URI and the key).
    public func softwareTokenSetup(pool: UserPool, request: AuthorizationRequest, session: String) async throws -> (uri: String, secret: String) {
        guard let client = try await store.client(poolId: pool.id, clientId: request.clientId) else { throw SignInError.invalidSession }
        return try await signIn.softwareTokenSetup(session: session, pool: pool, client: client)
    }

    /// The second-factor page's submission: signed in once the factor is proven, or the next challenge.
    public func answerMFA(pool: UserPool, request: AuthorizationRequest, challenge: String, session: String, responses: [String: String])
        async throws -> LoginResult
    {
        guard let client = try await store.client(poolId: pool.id, clientId: request.clientId) else { throw SignInError.invalidSession }
        var session = session
        if challenge == "MFA_SETUP", let code = responses["SOFTWARE_TOKEN_MFA_CODE"] {
            session = try await signIn.verifySoftwareToken(session: session, pool: pool, client: client, code: code)
        }
        switch try await signIn.answerMFA(pool: pool, client: client, challenge: challenge, session: session, responses: responses) {
        case .passed(let user):
            let (cookie, redirect) = try await openSession(pool: pool, request: request, user: user)
            return .signedIn(session: cookie, redirect: redirect)
        case .next(.challenge(let name, let next, let parameters)):
            return .mfaRequired(challenge: name, session: next, parameters: parameters)
        case .next(.tokens):
            throw SignInError.invalidSession
        }
    }

    /// The new-password form's submission: the password set, then signed in as by the login form.
    public func setNewPassword(pool: UserPool, request: AuthorizationRequest, challenge: String, newPassword: String) async throws -> LoginResult {
        guard let client = try await store.client(poolId: pool.id, clientId: request.clientId) else { throw SignInError.invalidSession }
        let (user, eventId) = try await signIn.setNewPassword(pool: pool, client: client, session: challenge, newPassword: newPassword,
                                                              attributes: [:])
        let result = try await signedInOrSecondFactor(pool: pool, request: request, client: client, user: user, eventId: eventId)
        if case .signedIn = result { await signIn.events.settle(eventId, poolId: pool.id, .pass, steps: [.init(.password, true)]) }
        try await advance(request, after: result, user: user)
        return result
    }

    /// A proven password (or a proven address after sign-up): a second factor if one is due, else a session.
    func signedInOrSecondFactor(pool: UserPool, request: AuthorizationRequest, client: AppClient, user: User, eventId: UUID?)
        async throws -> LoginResult
    {
        if case .challenge(let name, let session, let parameters)? = try await signIn.mfaChallenge(user: user, pool: pool, client: client,
                                                                                                   eventId: eventId) {
            return .mfaRequired(challenge: name, session: session, parameters: parameters)
        }
        let (session, redirect) = try await openSession(pool: pool, request: request, user: user)
        return .signedIn(session: session, redirect: redirect)
    }

    /// Finishes the stored request (once: a form sent twice, or from two tabs, signs in once)
    /// and opens the hosted session that the code is issued under.
    func openSession(pool: UserPool, request: AuthorizationRequest, user: User,
                     federation: FederatedSession? = nil) async throws -> (session: String, redirect: String) {
        // PostAuthentication before anything is kept: its error ends this sign-in
        if Triggers.has("PostAuthentication", pool), let client = try await store.client(poolId: pool.id, clientId: request.clientId) {
            try await signIn.postAuthentication(user: user, pool: pool, client: client)
        }
        let cookie = Data(random.bytes(32)).base64URLEncoded
        let authTime = now()
        let session = SignInSession(idHash: SecretDigest.sha256Hex(cookie), poolId: pool.id, userSub: user.sub,
                                    authTime: authTime, expiresAt: authTime.addingTimeInterval(Self.sessionLifetime), federation: federation)
        let code = request.responseType == "token" ? nil : newCode(request, pool: pool, user: user, authTime: authTime)
        // the finish, the session and the code in one transaction (one commit)
        guard try await store.finishAuthorization(idHash: SecretDigest.sha256Hex(request.id), at: authTime, session: session, code: code?.record)
        else { throw HostedFlowError.finished }
        if let code { return (cookie, Self.append(to: request.redirectURI, ["code": code.value, "state": request.state])) }
        return (cookie, try await implicitRedirect(request, pool: pool, user: user, authTime: authTime))
    }

    /// A new authorization code: 256 random bits (RFC 6749 §10.10 asks for at least 128), and
    /// the record kept of it (its hash, never the code).
    func newCode(_ request: AuthorizationRequest, pool: UserPool, user: User, authTime: Date) -> (value: String, record: AuthorizationCode) {
        let code = Data(random.bytes(32)).base64URLEncoded
        return (code, AuthorizationCode(
            codeHash: SecretDigest.sha256Hex(code), poolId: pool.id, clientId: request.clientId, userSub: user.sub,
            redirectURI: request.redirectURI, scopes: request.scopes, nonce: request.nonce, codeChallenge: request.codeChallenge,
            codeChallengeMethod: request.codeChallenge == nil ? nil : "S256", authTime: authTime,
            expiresAt: now().addingTimeInterval(Self.codeLifetime)))
    }

    /// The pool's session the cookie names, while it lasts.
    public func liveSession(_ cookie: String?, pool: UserPool) async throws -> SignInSession? {
        guard let cookie, !cookie.isEmpty, let session = try await store.session(idHash: SecretDigest.sha256Hex(cookie)),
            session.poolId == pool.id, session.revokedAt == nil, session.expiresAt > now()
        else { return nil }
        return session
    }

    /// Whether this request's sign-in is `user`'s: its password was proven here, or it signed
    /// up here (a second submit of its confirmation form may be told the account is confirmed;
    /// no one else is).
    public func isSigningIn(_ request: AuthorizationRequest, user: User) -> Bool {
        request.userSub == user.sub
    }

    /// Signs in a user just confirmed on this request's pages, where the request names it (it
    /// signed up or proved its password here, in this browser: confirming the emailed code then
    /// signs the person in without asking for the password again, as Cognito's hosted UI does);
    /// nil otherwise (someone else's code, a taken name's decoy sign-up).
    public func completeConfirmedSignIn(pool: UserPool, request: AuthorizationRequest, user: User) async throws -> LoginResult? {
        guard isSigningIn(request, user: user), user.status == .confirmed, user.enabled,
            let client = try await store.client(poolId: pool.id, clientId: request.clientId)
        else { return nil }
        return try await signedInOrSecondFactor(pool: pool, request: request, client: client, user: user, eventId: nil)
    }

    /// Ends the session the cookie names (logout).
    public func endSession(_ cookie: String?) async throws {
        guard let cookie, !cookie.isEmpty else { return }
        try await store.revokeSession(idHash: SecretDigest.sha256Hex(cookie), at: now())
    }

    /// The redirect of a request answered from a live session (no form, nothing stored).
    func codeRedirect(_ request: AuthorizationRequest, pool: UserPool, user: User, authTime: Date) async throws -> String {
        if request.responseType == "token" { return try await implicitRedirect(request, pool: pool, user: user, authTime: authTime) }
        let code = newCode(request, pool: pool, user: user, authTime: authTime)
        try await store.createCode(code.record)
        return Self.append(to: request.redirectURI, ["code": code.value, "state": request.state])
    }

    /// RFC 6749 §4.2.2: tokens in the fragment, never a refresh token.
    func implicitRedirect(_ request: AuthorizationRequest, pool: UserPool, user: User, authTime: Date) async throws -> String {
        guard let client = try await store.client(poolId: pool.id, clientId: request.clientId) else { throw SignInError.invalidSession }
        let issued = try await tokens.issue(user: user, client: client, scopes: request.scopes, authTime: authTime, nonce: request.nonce,
                                            withRefreshToken: false, accessTokenHashForIDToken: true, source: "TokenGeneration_HostedAuth")
        return Self.append(to: request.redirectURI, [
            "access_token": issued.accessToken, "id_token": issued.idToken, "token_type": "Bearer",
            "expires_in": String(issued.expiresIn), "state": request.state,
        ], fragment: true)
    }

    /// grant_type=authorization_code (RFC 6749 §4.1.3). A replayed code fails and ends the
    /// tokens it first produced (§10.5).
    public func exchange(code: String, redirectURI: String?, verifier: String?, client: AppClient) async throws -> IssuedTokens {
        let hash = SecretDigest.sha256Hex(code)
        // Read, check, then burn: a caller who cannot prove the client, the redirect_uri and
        // the PKCE verifier does not use up the code of the one who can.
        guard let stored = try await store.code(hash: hash), stored.clientId == client.clientId else {
            throw OAuthError.invalidGrant("the code is unknown")
        }
        let family = Self.family(forCodeHash: hash)
        func replayed() async throws -> OAuthError {
            try await tokens.revoke(family: family, poolId: stored.poolId)
            return OAuthError.invalidGrant("the code was already used")
        }
        if stored.consumedAt != nil { throw try await replayed() }
        guard stored.expiresAt > now() else { throw OAuthError.invalidGrant("the code has expired") }
        guard redirectURI == stored.redirectURI else { throw OAuthError.invalidGrant("redirect_uri does not match the authorization request") }
        try CheckPKCE.verify(verifier: verifier, challenge: stored.codeChallenge)
        guard let (_, firstUse) = try await store.consumeCode(hash: hash, at: now()) else { throw OAuthError.invalidGrant("the code is unknown") }
        guard firstUse else { throw try await replayed() }
        guard let user = try await store.user(poolId: stored.poolId, sub: stored.userSub), user.enabled else {
            throw OAuthError.invalidGrant("the user is no longer enabled")
        }
        return try await tokens.issue(user: user, client: client, scopes: stored.scopes, authTime: stored.authTime, nonce: stored.nonce,
                                      withRefreshToken: true, accessTokenHashForIDToken: true, family: family, source: "TokenGeneration_HostedAuth")
    }

    /// The token family of a code is derived from it, so a replay can find and end it.
    static func family(forCodeHash hash: String) -> UUID {
        let digest = Array(SHA256.hash(data: Data("family:\(hash)".utf8)))
        return UUID(uuid: (digest[0], digest[1], digest[2], digest[3], digest[4], digest[5], digest[6], digest[7],
                           digest[8], digest[9], digest[10], digest[11], digest[12], digest[13], digest[14], digest[15]))
    }

    /// Adds parameters to a callback URL: to its query (which may already exist), or as the
    /// fragment for the implicit flow.
    public static func append(to url: String, _ parameters: [String: String?], fragment: Bool = false) -> String {
        if fragment {
            var encoded = URLComponents()
            encoded.queryItems = parameters.sorted { $0.key < $1.key }.compactMap { name, value in value.map { URLQueryItem(name: name, value: $0) } }
            let text = encoded.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B") ?? ""
            return "\(url)#\(text)"
        }
        guard var components = URLComponents(string: url) else { return url }
        var items = components.queryItems ?? []
        for (name, value) in parameters.sorted(by: { $0.key < $1.key }) {
            if let value { items.append(URLQueryItem(name: name, value: value)) }
        }
        components.queryItems = items
        // `+` is a space to form decoders: encode it, with the other reserved characters.
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        return components.string ?? url
    }
}
