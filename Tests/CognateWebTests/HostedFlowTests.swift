@testable import CognateCognitoAPI
import CognateCore
import CognateModel
@testable import CognateWeb
import Crypto
import Foundation
import Testing
import VaporTesting

/// The code exchange's failure paths, driven over HTTP with a code obtained through the form.
@Suite struct HostedFlowTests {
    static let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    static let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    static let yaml = """
        pools:
          - name: flow
            id: local_FlowPool1
            clients:
              - name: spa
                id: flowspa0000000000000000000
                callbackURLs: [http://localhost:3000/cb]
                allowedOAuthFlows: [code]
                allowedOAuthScopes: [openid, email]
            users:
              - username: alice
                password: Corr3ct-Horse!
                attributes: {email: alice@example.com}
        """

    /// Authorize, fill in the form, return the code from the redirect.
    static func code(_ app: Application) async throws -> String {
        let query = "response_type=code&client_id=flowspa0000000000000000000&redirect_uri=http://localhost:3000/cb&scope=openid%20email&state=st&code_challenge=\(challenge)&code_challenge_method=S256"
        var browser = PageBrowser(app: app)
        let page = try await browser.get("/local_FlowPool1/oauth2/authorize?\(query)")
        #expect(page.status == .ok)
        let answer = try await browser.submit(page, ["username": "alice", "password": "Corr3ct-Horse!"])
        #expect(answer.status == .found)
        let location = try #require(answer.headers.first(name: .location))
        return try #require(URLComponents(string: location)?.queryItems?.first { $0.name == "code" }?.value)
    }

    static func exchange(_ app: Application, code: String, verifier: String? = HostedFlowTests.verifier,
                         redirect: String = "http://localhost:3000/cb") async throws -> TestingHTTPResponse {
        var body = "grant_type=authorization_code&client_id=flowspa0000000000000000000&code=\(code)&redirect_uri=\(redirect)"
        if let verifier { body += "&code_verifier=\(verifier)" }
        var headers = HTTPHeaders()
        headers.contentType = .urlEncodedForm
        return try await app.testing().sendRequest(.POST, "/local_FlowPool1/oauth2/token", headers: headers, body: ByteBuffer(string: body))
    }

    @Test func replayedCodeFailsAndEndsWhatItIssued() async throws {
        try await withCognate(configYAML: Self.yaml) { app, services, _ async throws in
            let code = try await Self.code(app)
            let first = try await Self.exchange(app, code: code)
            #expect(first.status == .ok && first.headers.first(name: .cacheControl) == "no-store")
            let access = try #require(first.json["access_token"] as? String)
            _ = try await services.tokens.verifyAccessToken(access)
            let replay = try await Self.exchange(app, code: code)
            #expect(replay.status == .badRequest && replay.json["error"] as? String == "invalid_grant")
            await #expect(throws: TokenError.revoked) { try await services.tokens.verifyAccessToken(access) }
        }
    }

    @Test func wrongVerifierRedirectOrExpiredCodeIsInvalidGrant() async throws {
        let clock = TestClock()
        try await withCognate(configYAML: Self.yaml, clock: clock) { app, _, _ async throws in
            #expect(try await Self.exchange(app, code: try await Self.code(app), verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXX").json["error"] as? String == "invalid_grant")
            #expect(try await Self.exchange(app, code: try await Self.code(app), verifier: nil).json["error"] as? String == "invalid_grant")
            #expect(try await Self.exchange(app, code: try await Self.code(app), redirect: "http://localhost:3000/other").json["error"] as? String == "invalid_grant")
            let late = try await Self.code(app)
            clock.advance(301)
            #expect(try await Self.exchange(app, code: late).json["error"] as? String == "invalid_grant")
            #expect(try await Self.exchange(app, code: "made-up").json["error"] as? String == "invalid_grant")
        }
    }

    @Test func onHttpsCookiesAreHostOnlyAndHSTSIsSent() async throws {
        let query = "response_type=code&client_id=flowspa0000000000000000000&redirect_uri=http://localhost:3000/cb&scope=openid"
            + "&code_challenge=\(Self.challenge)&code_challenge_method=S256"
        try await withCognate(configYAML: Self.yaml) { app, _, _ async throws in
            let started = try await app.testing().sendRequest(.GET, "/local_FlowPool1/login?\(query)")
            #expect(started.status == .found && started.headers.first(name: .location)?.hasPrefix("/local_FlowPool1/login?request=") == true)
            let binding = started.headers[.setCookie].first ?? ""
            #expect(binding.hasPrefix("__Host-cognate_browser=") && binding.contains("Secure") && binding.contains("HttpOnly")
                && binding.contains("Path=/") && !binding.contains("Domain"))
            var headers = HTTPHeaders()
            headers.cookie = ["__Host-cognate_browser": .init(string: started.headers.setCookie?["__Host-cognate_browser"]?.string ?? "")]
            let page = try await app.testing().sendRequest(.GET, try #require(started.headers.first(name: .location)), headers: headers)
            #expect(page.status == .ok)
            let cookie = page.headers[.setCookie].first ?? ""
            #expect(cookie.hasPrefix("__Host-cognate_csrf=") && cookie.contains("Secure") && cookie.contains("Path=/") && !cookie.contains("Domain"))
            #expect(page.headers.first(name: "Strict-Transport-Security") == "max-age=31536000")
        }
        // on plain http (a laptop), neither
        try await withCognate(environment: ["COGNATE_PUBLIC_URL": "http://127.0.0.1:8080"], configYAML: Self.yaml) { app, _, _ async throws in
            var browser = PageBrowser(app: app)
            let page = try await browser.get("/local_FlowPool1/login?\(query)")
            #expect(page.headers[.setCookie].first?.hasPrefix("cognate_csrf=") == true)
            #expect(browser.cookies["cognate_browser"] != nil)
            #expect(page.headers.first(name: "Strict-Transport-Security") == nil)
        }
    }

    @Test func aFailedExchangeDoesNotBurnTheCode() async throws {
        try await withCognate(configYAML: Self.yaml) { app, _, _ async throws in
            let code = try await Self.code(app)
            // someone holding the code but not the verifier, or sending it elsewhere, is refused
            #expect(try await Self.exchange(app, code: code, verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXX").json["error"] as? String == "invalid_grant")
            #expect(try await Self.exchange(app, code: code, redirect: "http://localhost:3000/other").json["error"] as? String == "invalid_grant")
            // and the client that holds the verifier still gets its tokens
            let tokens = try await Self.exchange(app, code: code)
            #expect(tokens.status == .ok && tokens.json["access_token"] != nil, "\(tokens.json)")
        }
    }

    @Test func unsupportedGrantAndUnknownClient() async throws {
        try await withCognate(configYAML: Self.yaml) { app, _, _ async throws in
            var headers = HTTPHeaders()
            headers.contentType = .urlEncodedForm
            let password = try await app.testing().sendRequest(.POST, "/local_FlowPool1/oauth2/token", headers: headers,
                                                               body: ByteBuffer(string: "grant_type=password&client_id=flowspa0000000000000000000"))
            #expect(password.json["error"] as? String == "unsupported_grant_type")
            let unknown = try await app.testing().sendRequest(.POST, "/local_FlowPool1/oauth2/token", headers: headers,
                                                              body: ByteBuffer(string: "grant_type=refresh_token&client_id=nobody&refresh_token=x"))
            #expect(unknown.status == .unauthorized && unknown.json["error"] as? String == "invalid_client")
            #expect(unknown.headers.first(name: .wwwAuthenticate) != nil)
        }
    }

    @Test func userInfoTakesTheTokenFromTheHeaderOrTheFormOnce() async throws {
        try await withCognate(configYAML: Self.yaml) { app, _, _ async throws in
            let tokens = try await Self.exchange(app, code: try await Self.code(app))
            let access = try #require(tokens.json["access_token"] as? String)
            let path = "/local_FlowPool1/oauth2/userInfo"
            var bearer = HTTPHeaders()
            bearer.bearerAuthorization = .init(token: access)
            let viaHeader = try await app.testing().sendRequest(.GET, path, headers: bearer)
            #expect(viaHeader.status == .ok && viaHeader.json["email"] as? String == "alice@example.com")
            #expect(viaHeader.headers.first(name: .cacheControl) == "no-store")

            var form = HTTPHeaders()
            form.contentType = .urlEncodedForm
            let viaForm = try await app.testing().sendRequest(.POST, path, headers: form, body: ByteBuffer(string: "access_token=\(access)"))
            #expect(viaForm.status == .ok && viaForm.json["sub"] as? String == viaHeader.json["sub"] as? String)
            let repeated = try await app.testing().sendRequest(.POST, path, headers: form, body: ByteBuffer(
                string: "access_token=\(access)&access_token=\(access)"))
            #expect(repeated.status == .badRequest && repeated.json["error"] as? String == "invalid_request")

            let none = try await app.testing().sendRequest(.GET, path)
            #expect(none.status == .unauthorized && none.headers.first(name: .wwwAuthenticate)?.hasPrefix("Bearer") == true)
            bearer.bearerAuthorization = .init(token: "not-a-token")
            let forged = try await app.testing().sendRequest(.GET, path, headers: bearer)
            #expect(forged.status == .unauthorized && forged.json["error"] as? String == "invalid_token")
        }
    }

    @Test func userInfoShowsOnlyWhatTheClientMayRead() async throws {
        try await withCognate(configYAML: Self.yaml) { app, services, _ async throws in
            let tokens = try await Self.exchange(app, code: try await Self.code(app))
            var bearer = HTTPHeaders()
            bearer.bearerAuthorization = .init(token: try #require(tokens.json["access_token"] as? String))
            _ = try await services.store.updateClient(poolId: "local_FlowPool1", clientId: "flowspa0000000000000000000") { $0.readAttributes = ["name"] }
            let info = try await app.testing().sendRequest(.GET, "/local_FlowPool1/oauth2/userInfo", headers: bearer)
            #expect(info.status == .ok && info.json["sub"] != nil && info.json["email"] == nil, "\(info.json)")
        }
    }

    @Test func theTokenEndpointReadsOnlyFormsAndRefusesRepeatedParameters() async throws {
        try await withCognate(configYAML: Self.yaml) { app, _, _ async throws in
            var form = HTTPHeaders()
            form.replaceOrAdd(name: .contentType, value: "application/x-www-form-urlencoded; charset=UTF-8")
            let repeated = try await app.testing().sendRequest(.POST, "/local_FlowPool1/oauth2/token", headers: form, body: ByteBuffer(
                string: "grant_type=authorization_code&client_id=flowspa0000000000000000000&code=a&code=b"))
            #expect(repeated.status == .badRequest && repeated.json["error"] as? String == "invalid_request")
            #expect(repeated.json["error_description"] as? String == "code is repeated")
            #expect(repeated.headers.first(name: .cacheControl) == "no-store")

            // RFC 6749 §3.1: a parameter without a value is as if it were not sent
            let empty = try await app.testing().sendRequest(.POST, "/local_FlowPool1/oauth2/token", headers: form, body: ByteBuffer(
                string: "grant_type=&client_id=flowspa0000000000000000000"))
            #expect(empty.json["error_description"] as? String == "grant_type is required")

            var json = HTTPHeaders()
            json.contentType = .json
            let notAForm = try await app.testing().sendRequest(.POST, "/local_FlowPool1/oauth2/token", headers: json, body: ByteBuffer(
                string: #"{"grant_type": "authorization_code", "client_id": "flowspa0000000000000000000"}"#))
            #expect(notAForm.status == .unauthorized && notAForm.json["error"] as? String == "invalid_client", "a JSON body carries no client_id")

            let revoke = try await app.testing().sendRequest(.POST, "/local_FlowPool1/oauth2/revoke", headers: form, body: ByteBuffer(
                string: "client_id=flowspa0000000000000000000&token=a&token=b"))
            #expect(revoke.status == .badRequest && revoke.json["error"] as? String == "invalid_request")
        }
    }
}

@Suite struct HostedErrorPageTests {
    @Test(arguments: ["/local_Nope12345/login", "/local_Nope12345/oauth2/authorize?client_id=x", "/login"])
    func unknownPoolsGetAFriendlyPage(_ path: String) async throws {
        try await withCognate { app, _, _ async throws in
            let response = try await app.testing().sendRequest(.GET, path)
            #expect(response.status == .notFound)
            #expect(response.headers.contentType == .html)
            #expect(String(buffer: response.body).contains("There is no sign-in page here"))
        }
    }

    @Test func aFormThatIsNotAFormIsAPageToo() async throws {
        try await withCognate(configYAML: HostedFlowTests.yaml) { app, _, _ async throws in
            var headers = HTTPHeaders()
            headers.contentType = .json
            let response = try await app.testing().sendRequest(.POST, "/local_FlowPool1/login", headers: headers, body: ByteBuffer(string: "[1,2"))
            #expect(response.status.code >= 400 && response.status.code < 500)
            #expect(response.headers.contentType == .html)
        }
    }
}

@Suite struct SessionReuseTests {
    @Test func sessionSkipsTheFormUntilMaxAgeOrPromptLogin() async throws {
        let clock = TestClock()
        try await withCognate(configYAML: HostedFlowTests.yaml, clock: clock) { app, _, _ async throws in
            // sign in through the form and keep the session cookie
            let query = "response_type=code&client_id=flowspa0000000000000000000&redirect_uri=http://localhost:3000/cb&scope=openid&code_challenge=\(HostedFlowTests.challenge)&code_challenge_method=S256"
            var browser = PageBrowser(app: app)
            let page = try await browser.get("/local_FlowPool1/login?\(query)")
            let signedIn = try await browser.submit(page, ["username": "alice", "password": "Corr3ct-Horse!"])
            let session = try #require(signedIn.headers.setCookie?["__Host-cognate_session_local_FlowPool1"])
            #expect(session.isHTTPOnly && session.sameSite == .lax)
            var withSession = HTTPHeaders()
            withSession.cookie = ["__Host-cognate_session_local_FlowPool1": .init(string: session.string)]
            func authorize(_ extra: String) async throws -> String {
                let response = try await app.testing().sendRequest(.GET, "/local_FlowPool1/oauth2/authorize?\(query)\(extra)", headers: withSession)
                #expect(response.status == .found)
                return response.headers.first(name: .location) ?? ""
            }
            // then
            #expect(try await authorize("").hasPrefix("http://localhost:3000/cb?code="))
            clock.advance(120)
            #expect(try await authorize("&max_age=60").contains("/login?"), "an older sign-in than max_age asks again")
            #expect(try await authorize("&max_age=600").hasPrefix("http://localhost:3000/cb?code="))
            #expect(try await authorize("&prompt=login").contains("/login?"))
            // a session mints a bounded number of codes without the form; the next window allows more
            clock.advance(300)
            var answers: [String] = []
            for _ in 0..<(HostedSignIn.codesPerSessionWindow + 1) { answers.append(try await authorize("")) }
            #expect(answers.dropLast().allSatisfy { $0.hasPrefix("http://localhost:3000/cb?code=") })
            #expect(answers.last?.hasPrefix("http://localhost:3000/cb?error=temporarily_unavailable") == true, "\(answers.last ?? "")")
            clock.advance(300)
            #expect(try await authorize("").hasPrefix("http://localhost:3000/cb?code="))
            clock.advance(HostedSignIn.sessionLifetime)
            #expect(try await authorize("&prompt=none").contains("error=login_required"), "sessions expire")
        }
    }
}

/// The stored authorization request: validated once, carried by its id alone, bound to the
/// browser that started it, finished once.
@Suite struct StoredAuthorizationTests {
    static let query = "response_type=code&client_id=flowspa0000000000000000000&redirect_uri=http://localhost:3000/cb&scope=openid%20email&state=st"
        + "&nonce=n-1&code_challenge=\(HostedFlowTests.challenge)&code_challenge_method=S256"

    @Test func thePagesCarryOnlyTheRequestsId() async throws {
        try await withCognate(configYAML: HostedFlowTests.yaml) { app, _, _ async throws in
            var browser = PageBrowser(app: app)
            let page = try await browser.get("/local_FlowPool1/oauth2/authorize?\(Self.query)")
            let hidden = PageBrowser.allMatches(#"<input type="hidden" name="([^"]+)" value="([^"]*)""#, in: page.text).map(\.0)
            // the sign-in form's, and the language selector's (which opens the page again by the id)
            #expect(hidden.sorted() == ["_csrf", "request", "request"], "\(hidden)")
            for parameter in ["redirect_uri", "code_challenge", "nonce", "localhost:3000"] { #expect(!page.text.contains(parameter)) }
            // what was asked for comes back with the code: state, and the nonce in the ID token
            let answer = try await browser.submit(page, ["username": "alice", "password": "Corr3ct-Horse!"])
            #expect(answer.location.hasPrefix("http://localhost:3000/cb?code=") && answer.location.contains("state=st"))
            let code = try #require(URLComponents(string: answer.location)?.queryItems?.first { $0.name == "code" }?.value)
            let tokens = try await HostedFlowTests.exchange(app, code: code)
            let idToken = try #require(tokens.json["id_token"] as? String)
            let payload = try #require(Data(lenientBase64: String(idToken.split(separator: ".")[1])))
            let claims = try #require(try JSONSerialization.jsonObject(with: payload) as? [String: Any])
            #expect(claims["nonce"] as? String == "n-1")
        }
    }

    @Test func anotherBrowserAnOldFormAnExpiredOrFinishedRequestGetAPageNeverARedirect() async throws {
        let clock = TestClock()
        try await withCognate(configYAML: HostedFlowTests.yaml, clock: clock) { app, _, _ async throws in
            var owner = PageBrowser(app: app)
            let page = try await owner.get("/local_FlowPool1/oauth2/authorize?\(Self.query)")
            let id = try #require(PageBrowser.firstMatch(#"name="request" value="([^"]+)""#, in: page.text))

            // the id alone, in a browser that did not start it
            var stranger = PageBrowser(app: app)
            let stolen = try await stranger.get("/local_FlowPool1/login?request=\(id)")
            #expect(stolen.status == .badRequest && stolen.text.contains("started in another browser"))
            var posted = stranger
            posted.cookies["__Host-cognate_csrf"] = owner.cookies["__Host-cognate_csrf"]
            let forged = try await posted.submit(page, ["username": "alice", "password": "Corr3ct-Horse!"])
            #expect(forged.status == .badRequest && forged.headers.first(name: .location) == nil)

            // a form of the old shape (the parameters as hidden fields, no request) says to start again
            var old = owner
            let oldForm = try await old.submit(page, ["request": "", "client_id": "flowspa0000000000000000000", "response_type": "code",
                                                      "redirect_uri": "http://localhost:3000/cb", "username": "alice", "password": "Corr3ct-Horse!"])
            #expect(oldForm.status == .badRequest && oldForm.text.contains("Start again from the application"))
            #expect(oldForm.headers.first(name: .location) == nil)

            // finished once: two submits at once sign in once; the form sent again is complete
            let snapshot = owner
            let answers = try await withThrowingTaskGroup(of: TestingHTTPResponse.self) { group in
                for _ in 0..<2 {
                    group.addTask { var tab = snapshot; return try await tab.submit(page, ["username": "alice", "password": "Corr3ct-Horse!"]) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(answers.filter { $0.status == .found }.count == 1, "\(answers.map(\.status))")
            #expect(answers.filter { $0.status == .badRequest && $0.text.contains("already complete") }.count == 1)

            // expired: an hour later the form is a page that says so
            let later = try await owner.get("/local_FlowPool1/oauth2/authorize?\(Self.query)&prompt=login")
            clock.advance(HostedSignIn.requestLifetime + 1)
            let expired = try await owner.submit(later, ["username": "alice", "password": "Corr3ct-Horse!"])
            #expect(expired.status == .badRequest && expired.text.contains("This sign-in has expired"))
            #expect(expired.headers.first(name: .location) == nil)
        }
    }
}
