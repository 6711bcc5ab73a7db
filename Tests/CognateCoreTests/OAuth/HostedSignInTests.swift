import CognateCore
import CognateModel
import Foundation
import Testing

/// One authorization code's path in Core, from /oauth2/authorize to /oauth2/token, on the
/// in-memory store with a clock the test moves: what the pages and the token endpoint do,
/// without HTTP.
@Suite struct HostedSignInTests {
    @Test func aCodeGoesFromAuthorizeToTokensAndIsGoodOnce() async throws {
        let world = try await CoreWorld.make()
        let alice = try await world.user("alice")
        let (request, _) = try await world.startSignIn()
        #expect(request.id.count == 43 && request.scopes == ["openid", "email"] && request.state == "st-1")

        let result = try await world.hosted.login(pool: world.pool, request: request, username: "alice", password: "Correct-horse-1")
        guard case .signedIn(let session, let redirect) = result else { Issue.record("not signed in: \(result)"); return }
        #expect(!session.isEmpty)
        let query = CoreWorld.query(redirect)
        #expect(redirect.hasPrefix(CoreWorld.callback + "?") && query["state"] == "st-1")
        let code = try #require(query["code"])

        let issued = try await world.redeem(code)
        let idToken = try await world.keyring.verify(try #require(issued.idToken))
        #expect(idToken["sub"]?.string?.lowercased() == alice.sub.uuidString.lowercased())
        #expect(idToken["nonce"]?.string == "n-1" && idToken["aud"]?.string == world.client.clientId)
        let refresh = try #require(issued.refreshToken)

        // a replay is refused, and ends what the code first produced (RFC 6749 §10.5)
        await #expect(throws: OAuthError.invalidGrant("the code was already used")) { try await world.redeem(code) }
        await #expect(throws: OAuthError.self) {
            try await world.tokenEndpoint.token(poolId: world.pool.id, parameters: ["grant_type": "refresh_token", "refresh_token": refresh],
                                                credentials: ClientCredentials(clientId: world.client.clientId, secret: nil))
        }
    }

    @Test func theStoredRequestBelongsToItsBrowserAndIsFinishedOnce() async throws {
        let world = try await CoreWorld.make()
        try await world.user("bob")
        let (request, browser) = try await world.startSignIn()
        let resumed = try await world.hosted.resume(pool: world.pool, id: request.id, browser: browser)
        #expect(resumed.clientId == world.client.clientId && resumed.codeChallenge == CoreWorld.challenge && resumed.nonce == "n-1")

        await #expect(throws: HostedFlowError.otherBrowser) {
            try await world.hosted.resume(pool: world.pool, id: request.id, browser: String(repeating: "b", count: 43))
        }
        await #expect(throws: HostedFlowError.otherBrowser) { try await world.hosted.resume(pool: world.pool, id: request.id, browser: nil) }
        await #expect(throws: HostedFlowError.unknown) { try await world.hosted.resume(pool: world.pool, id: "forged", browser: browser) }
        await #expect(throws: HostedFlowError.unknown) {
            try await world.hosted.resume(pool: world.pool, id: String(repeating: "A", count: 43), browser: browser)
        }

        _ = try await world.hosted.login(pool: world.pool, request: resumed, username: "bob", password: "Correct-horse-1")
        await #expect(throws: HostedFlowError.finished) { try await world.hosted.resume(pool: world.pool, id: request.id, browser: browser) }
        // the same form posted again (a second tab, the back button) signs in no second time
        await #expect(throws: HostedFlowError.finished) {
            try await world.hosted.login(pool: world.pool, request: resumed, username: "bob", password: "Correct-horse-1")
        }
    }

    @Test func eightSubmitsOfOneFormAtOnceSignInOnce() async throws {
        let world = try await CoreWorld.make()
        try await world.user("carol")
        let (request, _) = try await world.startSignIn()
        let codes = await withTaskGroup(of: String?.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    guard case .signedIn(_, let redirect)? = try? await world.hosted.login(
                        pool: world.pool, request: request, username: "carol", password: "Correct-horse-1") else { return nil }
                    return CoreWorld.query(redirect)["code"]
                }
            }
            return await group.reduce(into: [String]()) { if let code = $1 { $0.append(code) } }
        }
        #expect(codes.count == 1, "\(codes.count) submits were signed in")
    }

    @Test func aRequestLastsAnHourAndACodeFiveMinutes() async throws {
        let world = try await CoreWorld.make()
        try await world.user("dave")
        let (stale, browser) = try await world.startSignIn()
        world.clock.advance(HostedSignIn.requestLifetime + 1)
        await #expect(throws: HostedFlowError.expired) { try await world.hosted.resume(pool: world.pool, id: stale.id, browser: browser) }

        let (request, _) = try await world.startSignIn(browser: browser)
        guard case .signedIn(_, let redirect) = try await world.hosted.login(pool: world.pool, request: request, username: "dave",
                                                                             password: "Correct-horse-1")
        else { Issue.record("not signed in"); return }
        world.clock.advance(HostedSignIn.codeLifetime + 1)
        await #expect(throws: OAuthError.invalidGrant("the code has expired")) { try await world.redeem(CoreWorld.query(redirect)["code"]!) }
    }

    @Test func aWrongVerifierOrRedirectURIDoesNotUseUpTheCode() async throws {
        let world = try await CoreWorld.make()
        try await world.user("erin")
        let (request, _) = try await world.startSignIn()
        guard case .signedIn(_, let redirect) = try await world.hosted.login(pool: world.pool, request: request, username: "erin",
                                                                             password: "Correct-horse-1")
        else { Issue.record("not signed in"); return }
        let code = try #require(CoreWorld.query(redirect)["code"])
        await #expect(throws: OAuthError.self) { try await world.redeem(code, verifier: "wrong-verifier-wrong-verifier-wrong-verifier") }
        await #expect(throws: OAuthError.self) { try await world.redeem(code, verifier: nil) }
        await #expect(throws: OAuthError.invalidGrant("redirect_uri does not match the authorization request")) {
            try await world.redeem(code, redirectURI: "https://app.example/other")
        }
        #expect(try await world.redeem(code).idToken != nil, "the rightful caller's code was used up by a wrong one")
    }

    @Test func aSessionAnswersTheNextAuthorizeUntilMaxAgeOrPromptLogin() async throws {
        let world = try await CoreWorld.make()
        try await world.user("fay")
        let (request, browser) = try await world.startSignIn()
        guard case .signedIn(let session, _) = try await world.hosted.login(pool: world.pool, request: request, username: "fay",
                                                                            password: "Correct-horse-1")
        else { Issue.record("not signed in"); return }

        let again = try await world.hosted.authorize(pool: world.pool, parameters: world.authorizeParameters(), sessionCookie: session, browser: browser)
        guard case .redirect(let redirect) = again, let code = CoreWorld.query(redirect)["code"] else { Issue.record("no code: \(again)"); return }
        #expect(try await world.redeem(code).accessToken.isEmpty == false)

        world.clock.advance(120)
        let old = try await world.hosted.authorize(pool: world.pool, parameters: world.authorizeParameters(["max_age": "60"]),
                                                   sessionCookie: session, browser: browser)
        guard case .login = old else { Issue.record("max_age=60 after two minutes must ask again: \(old)"); return }
        let forced = try await world.hosted.authorize(pool: world.pool, parameters: world.authorizeParameters(["prompt": "login"]),
                                                      sessionCookie: session, browser: browser)
        guard case .login = forced else { Issue.record("prompt=login must ask again: \(forced)"); return }

        let silent = try await world.hosted.authorize(pool: world.pool, parameters: world.authorizeParameters(["prompt": "none"]),
                                                      sessionCookie: nil, browser: browser)
        guard case .redirect(let refusal) = silent else { Issue.record("prompt=none without a session: \(silent)"); return }
        #expect(CoreWorld.query(refusal)["error"] == "login_required" && CoreWorld.query(refusal)["state"] == "st-1")

        try await world.hosted.endSession(session)
        let ended = try await world.hosted.authorize(pool: world.pool, parameters: world.authorizeParameters(), sessionCookie: session, browser: browser)
        guard case .login = ended else { Issue.record("a logged-out session still signs in: \(ended)"); return }
    }

    @Test func aPasswordSessionDoesNotAnswerForAClientOfOutsideProvidersOnly() async throws {
        let world = try await CoreWorld.make()
        try await world.user("gil")
        let (request, browser) = try await world.startSignIn()
        guard case .signedIn(let session, _) = try await world.hosted.login(pool: world.pool, request: request, username: "gil",
                                                                            password: "Correct-horse-1")
        else { Issue.record("not signed in"); return }
        let service = IdentityProviderService(store: world.store, masterKey: world.masterKey, now: world.clock.now)
        _ = try await service.create(poolId: world.pool.id, name: "Okta", type: .saml,
                                     details: ["MetadataFile": SAMLMetadataTests.metadata(SAMLMetadataTests.idp)], attributeMapping: nil, identifiers: nil)
        // the same client, now naming the provider: the password session is not that provider's
        _ = try await world.store.updateClient(poolId: world.pool.id, clientId: world.client.clientId) { $0.supportedIdentityProviders = ["COGNITO", "Okta"] }
        let named = try await world.hosted.authorize(pool: world.pool, parameters: world.authorizeParameters(["identity_provider": "Okta"]),
                                                     sessionCookie: session, browser: browser)
        guard case .federate = named else { Issue.record("a password session answered for Okta: \(named)"); return }
        // a client of Okta only: the password session answers nothing, silently or not
        _ = try await world.store.updateClient(poolId: world.pool.id, clientId: world.client.clientId) { $0.supportedIdentityProviders = ["Okta"] }
        let plain = try await world.hosted.authorize(pool: world.pool, parameters: world.authorizeParameters(), sessionCookie: session, browser: browser)
        guard case .login = plain else { Issue.record("a password session answered for a client of Okta only: \(plain)"); return }
        let silent = try await world.hosted.authorize(pool: world.pool, parameters: world.authorizeParameters(["prompt": "none"]),
                                                      sessionCookie: session, browser: browser)
        guard case .redirect(let refusal) = silent else { Issue.record("\(silent)"); return }
        #expect(CoreWorld.query(refusal)["error"] == "login_required")
    }

    @Test func badRequestsArePagesOrRedirectsAsRFC6749Says() async throws {
        let world = try await CoreWorld.make()
        let unknownClient = try await world.hosted.authorize(pool: world.pool, parameters: world.authorizeParameters(["client_id": "nosuch"]),
                                                             sessionCookie: nil, browser: nil)
        #expect(unknownClient == .errorPage(.invalidRequest("unknown client_id")))
        let foreignRedirect = try await world.hosted.authorize(
            pool: world.pool, parameters: world.authorizeParameters(["redirect_uri": "https://evil.example/cb"]), sessionCookie: nil, browser: nil)
        guard case .errorPage = foreignRedirect else { Issue.record("an unregistered redirect_uri must never be redirected to"); return }
        let noPKCE = try await world.hosted.authorize(
            pool: world.pool, parameters: world.authorizeParameters().filter { !$0.key.hasPrefix("code_challenge") }, sessionCookie: nil, browser: nil)
        guard case .redirect(let refusal) = noPKCE else { Issue.record("a public client without PKCE: \(noPKCE)"); return }
        #expect(refusal.hasPrefix(CoreWorld.callback) && CoreWorld.query(refusal)["error"] == "invalid_request")
        let badScope = try await world.hosted.authorize(pool: world.pool, parameters: world.authorizeParameters(["scope": "openid admin"]),
                                                        sessionCookie: nil, browser: nil)
        guard case .redirect(let scopeRefusal) = badScope else { Issue.record("an unallowed scope: \(badScope)"); return }
        #expect(CoreWorld.query(scopeRefusal)["error"] == "invalid_scope")
    }

    @Test func oneAddressMayStartABoundedNumberOfSignIns() async throws {
        let world = try await CoreWorld.make()
        let limit = 20 * 20  // AddressLimits.signInStart: twenty times the hourly limit (20 here)
        try await RequestOrigin.$current.withValue(RequestOrigin(address: "192.0.2.7", userAgent: nil)) {
            for _ in 0..<limit { _ = try await world.startSignIn() }
            await #expect(throws: HostedFlowError.tooMany) { try await world.startSignIn() }
        }
        // another address is not held back, nor is the first one an hour later
        try await RequestOrigin.$current.withValue(RequestOrigin(address: "192.0.2.8", userAgent: nil)) { _ = try await world.startSignIn() }
        world.clock.advance(3_600)
        try await RequestOrigin.$current.withValue(RequestOrigin(address: "192.0.2.7", userAgent: nil)) { _ = try await world.startSignIn() }
    }

    @Test func aTemporaryPasswordIsReplacedOnTheWayOrExpires() async throws {
        let world = try await CoreWorld.make()
        try await world.user("gus", password: "Temporary-pass-1", status: .forceChangePassword,
                             temporaryUntil: world.clock.now().addingTimeInterval(86_400))
        let (request, browser) = try await world.startSignIn()
        let first = try await world.hosted.login(pool: world.pool, request: request, username: "gus", password: "Temporary-pass-1")
        guard case .newPasswordRequired(let challenge) = first else { Issue.record("no new-password step: \(first)"); return }
        let resumed = try await world.hosted.resume(pool: world.pool, id: request.id, browser: browser)
        #expect(resumed.userSub != nil, "the stored request names who is signing in")
        await #expect(throws: SignInError.self) {
            try await world.hosted.setNewPassword(pool: world.pool, request: resumed, challenge: challenge, newPassword: "short")
        }
        let done = try await world.hosted.setNewPassword(pool: world.pool, request: resumed, challenge: challenge, newPassword: "Chosen-pass-22")
        guard case .signedIn = done else { Issue.record("not signed in after the new password: \(done)"); return }

        try await world.user("hal", password: "Temporary-pass-1", status: .forceChangePassword,
                             temporaryUntil: world.clock.now().addingTimeInterval(86_400))
        world.clock.advance(86_401)
        let (late, _) = try await world.startSignIn()
        await #expect(throws: SignInError.temporaryPasswordExpired) {
            try await world.hosted.login(pool: world.pool, request: late, username: "hal", password: "Temporary-pass-1")
        }
    }

    @Test func aDatabaseThatDoesNotAnswerIsTheStoresErrorNotAnOAuthRefusal() async throws {
        let world = try await CoreWorld.make()
        await world.store.setDown(true)
        await #expect(throws: StoreError.self) { try await world.startSignIn() }
        await #expect(throws: StoreError.self) { try await world.redeem("any-code") }
    }
}
