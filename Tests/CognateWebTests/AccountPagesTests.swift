@testable import CognateCognitoAPI
import CognateCore
import CognateModel
@testable import CognateWeb
import Foundation
import Testing
import VaporTesting

/// A browser without JavaScript on the hosted account pages: it keeps the CSRF cookie and the
/// session cookie, reads forms' hidden fields, and follows what the pages say.
struct PageBrowser: Sendable {
    let app: Application
    var cookies: [String: String] = [:]

    static let pool = "local_AcctPage1"
    static let client = "acctpages00000000000000000"
    static let authorize = "response_type=code&client_id=\(client)&redirect_uri=http://localhost:3000/cb&scope=openid%20email&state=st&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
    static let yaml = """
        pools:
          - name: accounts
            id: \(pool)
            autoVerifiedAttributes: [email]
            clients:
              - name: web
                id: \(client)
                callbackURLs: [http://localhost:3000/cb]
                allowedOAuthFlows: [code]
                allowedOAuthScopes: [openid, email]
            users:
              - username: olga
                password: Corr3ct-Horse!
                attributes: {email: olga@example.com, email_verified: "true"}
        """

    /// GET, following this server's redirects (a stored authorization request's /login?request=…) as a browser would.
    mutating func get(_ path: String, follow: Bool = true) async throws -> TestingHTTPResponse {
        var headers = HTTPHeaders()
        headers.cookie = jar
        let response = try await app.testing().sendRequest(.GET, path, headers: headers)
        keep(response)
        if follow, response.status == .found, let location = response.headers.first(name: .location), location.hasPrefix("/") {
            return try await get(location)
        }
        return response
    }

    /// Submits the page's form with its hidden fields plus `fields`.
    mutating func submit(_ page: TestingHTTPResponse, _ fields: [String: String], csrf: Bool = true) async throws -> TestingHTTPResponse {
        let html = String(buffer: page.body)
        let action = try #require(Self.firstMatch(#"<form method="post" action="([^"]+)""#, in: html))
        var form = Dictionary(Self.allMatches(#"<input type="hidden" name="([^"]+)" value="([^"]*)""#, in: html), uniquingKeysWith: { $1 })
        if !csrf { form["_csrf"] = nil }
        form.merge(fields) { $1 }
        let body = form.map { "\($0.key)=\(Self.encode(Self.unescape($0.value)))" }.joined(separator: "&")
        var headers = HTTPHeaders()
        headers.contentType = .urlEncodedForm
        headers.cookie = jar
        let response = try await app.testing().sendRequest(.POST, Self.unescape(action), headers: headers, body: ByteBuffer(string: body))
        keep(response)
        return response
    }

    var jar: HTTPCookies {
        var jar = HTTPCookies()
        for (name, value) in cookies { jar[name] = HTTPCookies.Value(string: value) }
        return jar
    }

    mutating func keep(_ response: TestingHTTPResponse) {
        for (name, value) in response.headers.setCookie?.all ?? [:] { cookies[name] = value.string }
    }

    static func encode(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? value
    }

    static func unescape(_ value: String) -> String {
        value.replacingOccurrences(of: "&amp;", with: "&").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
    }

    static func firstMatch(_ pattern: String, in text: String) -> String? {
        guard let regex = try? NSRegularExpression(pattern: pattern),
            let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
            let range = Range(match.range(at: 1), in: text)
        else { return nil }
        return String(text[range])
    }

    static func allMatches(_ pattern: String, in text: String) -> [(String, String)] {
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return [] }
        return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap { match in
            guard let name = Range(match.range(at: 1), in: text), let value = Range(match.range(at: 2), in: text) else { return nil }
            return (String(text[name]), String(text[value]))
        }
    }

    static func lastCode(_ services: CognateServices, to destination: String) async throws -> String {
        let messages = try await services.delivery.outbox(poolId: pool, limit: 50, after: nil).items
        let body = try #require(messages.first { $0.destination == destination }?.body)
        return String(try #require(body.split(whereSeparator: { !$0.isNumber }).first { $0.count == 6 }))
    }
}

extension TestingHTTPResponse {
    var text: String { String(buffer: body) }
    var location: String { headers.first(name: .location) ?? "" }
}

@Suite struct AccountPagesTests {
    @Test func signUpConfirmAndLandAtTheAppWithACode() async throws {
        try await withCognate(configYAML: PageBrowser.yaml) { app, services, _ async throws in
            var browser = PageBrowser(app: app)
            let login = try await browser.get("/\(PageBrowser.pool)/login?\(PageBrowser.authorize)")
            #expect(login.text.contains("Create an account") && login.text.contains("Forgot your password?"))
            let form = try await browser.get("/\(PageBrowser.pool)/signup?\(PageBrowser.authorize)")
            #expect(form.status == .ok)
            #expect(form.text.contains(#"<label class="label-customizable" for="email">Email</label>"#) && form.text.contains("At least 8 characters"))

            let mismatch = try await browser.submit(form, ["username": "paula", "email": "paula@example.com", "password": "Corr3ct-Horse!",
                                                           "confirm_password": "Other-Horse1!"])
            #expect(mismatch.status == .badRequest && mismatch.text.contains("do not match"))
            #expect(mismatch.text.contains(#"value="paula@example.com""#), "what was typed is kept")
            // the refusal is tied to its field, for screen readers; the other fields are not marked
            #expect(mismatch.text.contains(#"id="confirm_password" name="confirm_password" type="password" autocomplete="new-password" required aria-invalid="true" aria-describedby="form-error""#))
            #expect(mismatch.text.components(separatedBy: "aria-invalid").count == 2)
            let weak = try await browser.submit(form, ["username": "paula", "email": "paula@example.com", "password": "weak", "confirm_password": "weak"])
            #expect(weak.status == .badRequest && weak.text.contains("does not meet the rules"))
            #expect(weak.text.contains(#"autocomplete="new-password" required aria-invalid="true" aria-describedby="form-error password-rules""#))
            let badEmail = try await browser.submit(form, ["username": "paula", "email": "not-an-address", "password": "Corr3ct-Horse!",
                                                           "confirm_password": "Corr3ct-Horse!"])
            #expect(badEmail.status == .badRequest && badEmail.text.contains(#"value="not-an-address" aria-invalid="true" aria-describedby="form-error""#))

            let confirm = try await browser.submit(form, ["username": "paula", "email": "paula@example.com", "password": "Corr3ct-Horse!",
                                                          "confirm_password": "Corr3ct-Horse!"])
            #expect(confirm.status == .ok && confirm.text.contains("We sent a code by email to p***@e***"))
            let wrong = try await browser.submit(confirm, ["code": "000000", "action": "confirm"])
            #expect(wrong.status == .badRequest && wrong.text.contains("That code is not right"))
            let code = try await PageBrowser.lastCode(services, to: "paula@example.com")
            let landed = try await browser.submit(wrong, ["code": code, "action": "confirm"])
            #expect(landed.status == .found)
            #expect(landed.location.hasPrefix("http://localhost:3000/cb?code=") && landed.location.contains("state=st"))
            #expect(browser.cookies["__Host-cognate_session_\(PageBrowser.pool)"] != nil, "signed in: a session cookie")
            // the back button and a second submit do not confirm or sign in twice: the sign-in is complete
            let again = try await browser.submit(wrong, ["code": code, "action": "confirm"])
            #expect(again.status == .badRequest && again.text.contains("This sign-in is already complete"))
        }
    }

    @Test func existingNamesAreNotRevealedAndFormsNeedTheirToken() async throws {
        try await withCognate(configYAML: PageBrowser.yaml) { app, services, _ async throws in
            var browser = PageBrowser(app: app)
            let form = try await browser.get("/\(PageBrowser.pool)/signup?\(PageBrowser.authorize)")
            let before = try await services.delivery.outbox(poolId: PageBrowser.pool, limit: 50, after: nil).items.count
            let taken = try await browser.submit(form, ["username": "olga", "email": "someone@example.com", "password": "Corr3ct-Horse!",
                                                        "confirm_password": "Corr3ct-Horse!"])
            #expect(taken.status == .ok && taken.text.contains("We sent a code"), "looks like a new account")
            #expect(try await services.delivery.outbox(poolId: PageBrowser.pool, limit: 50, after: nil).items.count == before, "nothing sent")
            let forged = try await browser.submit(form, ["username": "rex", "email": "rex@example.com", "password": "Corr3ct-Horse!",
                                                         "confirm_password": "Corr3ct-Horse!"], csrf: false)
            #expect(forged.status == .forbidden)
            #expect(try await services.store.user(poolId: PageBrowser.pool, identifierKey: "rex") == nil, "a forged form makes nothing")
            let broken = try await browser.get("/\(PageBrowser.pool)/signup?client_id=\(PageBrowser.client)&redirect_uri=https://evil.example/cb")
            #expect(broken.status == .badRequest && broken.text.contains("This link is not valid"))
        }
    }

    @Test func anUnconfirmedUserWithTheRightPasswordConfirmsAndIsSignedIn() async throws {
        let clock = TestClock()
        try await withCognate(configYAML: PageBrowser.yaml, clock: clock) { app, services, _ async throws in
            var browser = PageBrowser(app: app)
            let form = try await browser.get("/\(PageBrowser.pool)/signup?\(PageBrowser.authorize)")
            _ = try await browser.submit(form, ["username": "sam", "email": "sam@example.com", "password": "Corr3ct-Horse!",
                                                "confirm_password": "Corr3ct-Horse!"])
            // a new browser, later: the login form leads to confirmation (with a new code)
            clock.advance(60)
            var later = PageBrowser(app: app)
            let login = try await later.get("/\(PageBrowser.pool)/login?\(PageBrowser.authorize)")
            let wrongPassword = try await later.submit(login, ["username": "sam", "password": "Wrong-Horse1!"])
            #expect(wrongPassword.text.contains("Incorrect username or password."), "a wrong password says nothing of the state")
            let confirm = try await later.submit(login, ["username": "sam", "password": "Corr3ct-Horse!"])
            #expect(confirm.text.contains("Your account is not confirmed yet.") && confirm.text.contains("We sent a code"))
            let code = try await PageBrowser.lastCode(services, to: "sam@example.com")
            let landed = try await later.submit(confirm, ["code": code, "action": "confirm"])
            #expect(landed.status == .found && landed.location.hasPrefix("http://localhost:3000/cb?code="))
        }
    }

    @Test func theLoginFormLocksOutAUserAndAnUnknownNameAlike() async throws {
        let clock = TestClock()
        try await withCognate(configYAML: PageBrowser.yaml, clock: clock) { app, services, _ async throws in
            var browser = PageBrowser(app: app)
            let form = try await browser.get("/\(PageBrowser.pool)/signup?\(PageBrowser.authorize)")
            let confirm = try await browser.submit(form, ["username": "lou", "email": "lou@example.com", "password": "Corr3ct-Horse!",
                                                          "confirm_password": "Corr3ct-Horse!"])
            _ = try await browser.submit(confirm, ["code": try await PageBrowser.lastCode(services, to: "lou@example.com"), "action": "confirm"])
            for name in ["lou", "nobody-here"] {
                var later = PageBrowser(app: app)
                let login = try await later.get("/\(PageBrowser.pool)/login?\(PageBrowser.authorize)")
                for _ in 1...5 {
                    let wrong = try await later.submit(login, ["username": name, "password": "Wrong-Horse1!"])
                    #expect(wrong.status == .badRequest && wrong.text.contains("Incorrect username or password."), "\(name)")
                }
                let locked = try await later.submit(login, ["username": name, "password": "Corr3ct-Horse!"])
                #expect(locked.status == .badRequest && locked.text.contains("Too many wrong passwords."), "\(name)")
            }
            clock.advance(1.5)
            var after = PageBrowser(app: app)
            let login = try await after.get("/\(PageBrowser.pool)/login?\(PageBrowser.authorize)")
            let landed = try await after.submit(login, ["username": "lou", "password": "Corr3ct-Horse!"])
            #expect(landed.status == .found && landed.location.hasPrefix("http://localhost:3000/cb?code="))
        }
    }

    @Test func thePagesAnswerAnAccountAndANameNoOneHoldsAlike() async throws {
        try await withCognate(configYAML: PageBrowser.yaml) { app, services, _ async throws in
            var owner = PageBrowser(app: app)
            let form = try await owner.get("/\(PageBrowser.pool)/signup?\(PageBrowser.authorize)")
            let confirm = try await owner.submit(form, ["username": "lou", "email": "lou@example.com", "password": "Corr3ct-Horse!",
                                                        "confirm_password": "Corr3ct-Horse!"])
            _ = try await owner.submit(confirm, ["code": try await PageBrowser.lastCode(services, to: "lou@example.com"), "action": "confirm"])

            /// The page with what differs by name taken out: the name, the CSRF token, the sealed note.
            func shape(_ page: TestingHTTPResponse, _ name: String) -> String {
                var text = page.text.replacingOccurrences(of: name, with: "NAME")
                for pattern in [#"name="_csrf" value="[^"]*""#, #"name="pending" value="[^"]*""#, #"request=[A-Za-z0-9_-]{43}"#,
                                #"name="request" value="[^"]*""#] {
                    text = text.replacingOccurrences(of: pattern, with: "", options: .regularExpression)
                }
                return "\(page.status.code) \(text)"
            }
            var answers: [String: [String]] = [:]
            for name in ["lou", "nobody"] {
                var stranger = PageBrowser(app: app)
                let signUp = try await stranger.get("/\(PageBrowser.pool)/signup?\(PageBrowser.authorize)")
                // someone else's code guessed at the confirmation form of an account confirmed already
                let page = try await stranger.submit(signUp, ["username": "other-\(UUID().uuidString.prefix(6))", "email": "o@example.com",
                                                              "password": "Corr3ct-Horse!", "confirm_password": "Corr3ct-Horse!"])
                let guessed = try await stranger.submit(page, ["username": name, "code": "123456", "action": "confirm", "pending": ""])
                let resent = try await stranger.submit(page, ["username": name, "action": "resend", "pending": ""])
                let taken = try await stranger.submit(signUp, ["username": name, "email": "\(name)@example.com", "password": "Corr3ct-Horse!",
                                                               "confirm_password": "Corr3ct-Horse!"])
                #expect(!taken.text.contains(#"name="pending""#), "\(name): the stored request, not the page, names who signed up")
                answers[name] = [shape(guessed, name), shape(resent, name), shape(taken, name)]
            }
            let (known, unknown) = (answers["lou"] ?? [], answers["nobody"] ?? [])
            #expect(known.count == 3 && unknown.count == 3)
            for (index, step) in ["a guessed code", "a resend", "a sign-up"].enumerated() where known.count == 3 && unknown.count == 3 {
                // the masked address differs by name (a real one, or the phantom's): compare without it
                let strip = { (text: String) in text.replacingOccurrences(of: #"[a-z]\*\*\*@[a-z]\*\*\*"#, with: "MASK", options: .regularExpression) }
                #expect(strip(known[index]) == strip(unknown[index]), "\(step) tells an account from a name no one holds")
            }
            // a name no one holds gets the same mask every time
            var a = PageBrowser(app: app)
            var b = PageBrowser(app: app)
            let forgotA = try await a.submit(try await a.get("/\(PageBrowser.pool)/forgotPassword?\(PageBrowser.authorize)"), ["username": "ghost"])
            let forgotB = try await b.submit(try await b.get("/\(PageBrowser.pool)/forgotPassword?\(PageBrowser.authorize)"), ["username": "ghost"])
            let mask = { (page: TestingHTTPResponse) in PageBrowser.firstMatch(#"([a-z]\*\*\*@[a-z]\*\*\*)"#, in: page.text) }
            #expect(mask(forgotA) != nil && mask(forgotA) == mask(forgotB))
        }
    }

    @Test func aCodeConfirmedOnAnotherSignInConfirmsButDoesNotSignIn() async throws {
        try await withCognate(configYAML: PageBrowser.yaml) { app, services, _ async throws in
            var owner = PageBrowser(app: app)
            let form = try await owner.get("/\(PageBrowser.pool)/signup?\(PageBrowser.authorize)")
            _ = try await owner.submit(form, ["username": "tom", "email": "tom@example.com", "password": "Corr3ct-Horse!",
                                              "confirm_password": "Corr3ct-Horse!"])
            let code = try await PageBrowser.lastCode(services, to: "tom@example.com")
            // someone else's sign-in (its own request, naming no one) given tom's code
            var other = PageBrowser(app: app)
            let otherForm = try await other.get("/\(PageBrowser.pool)/signup?\(PageBrowser.authorize)")
            let otherConfirm = try await other.submit(otherForm, ["username": "tim", "email": "tim@example.com", "password": "Corr3ct-Horse!",
                                                                  "confirm_password": "Corr3ct-Horse!"])
            let answer = try await other.submit(otherConfirm, ["username": "tom", "code": code, "action": "confirm"])
            #expect(answer.status == .ok && answer.text.contains("Your account is confirmed. Sign in."))
            #expect(other.cookies["__Host-cognate_session_\(PageBrowser.pool)"] == nil, "no session: that sign-in was not tom's")
        }
    }

    @Test func forgotAndResetThePassword() async throws {
        let clock = TestClock()
        try await withCognate(configYAML: PageBrowser.yaml, clock: clock) { app, services, _ async throws in
            var browser = PageBrowser(app: app)
            let forgot = try await browser.get("/\(PageBrowser.pool)/forgotPassword?\(PageBrowser.authorize)")
            #expect(forgot.status == .ok)
            let unknown = try await browser.submit(forgot, ["username": "nobody"])
            #expect(unknown.status == .ok && unknown.text.contains("We sent a code"), "unknown users look the same")
            clock.advance(1)
            let reset = try await browser.submit(forgot, ["username": "olga"])
            #expect(reset.text.contains("We sent a code by email to o***@e***"))
            let code = try await PageBrowser.lastCode(services, to: "olga@example.com")
            let wrong = try await browser.submit(reset, ["code": "000000", "new_password": "N3w-Passw0rd!", "confirm_password": "N3w-Passw0rd!"])
            #expect(wrong.status == .badRequest && wrong.text.contains("That code is not right"))
            let weak = try await browser.submit(reset, ["code": code, "new_password": "weak", "confirm_password": "weak"])
            #expect(weak.status == .badRequest && weak.text.contains("does not meet the rules"))
            let done = try await browser.submit(reset, ["code": code, "new_password": "N3w-Passw0rd!", "confirm_password": "N3w-Passw0rd!"])
            #expect(done.status == .ok && done.text.contains("Your password has been reset"))
            let signedIn = try await browser.submit(done, ["username": "olga", "password": "N3w-Passw0rd!"])
            #expect(signedIn.status == .found && signedIn.location.hasPrefix("http://localhost:3000/cb?code="))
        }
    }

    @Test func adminOnlyPoolsOfferNoSignUp() async throws {
        try await withCognate(configYAML: PageBrowser.yaml) { app, services, _ async throws in
            try await services.store.updatePool(id: PageBrowser.pool) { $0.allowAdminCreateUserOnly = true }
            var browser = PageBrowser(app: app)
            let login = try await browser.get("/\(PageBrowser.pool)/login?\(PageBrowser.authorize)")
            #expect(!login.text.contains("Create an account"))
            #expect(try await browser.get("/\(PageBrowser.pool)/signup?\(PageBrowser.authorize)").status == .forbidden)
        }
    }

    @Test func formsMayPostHereAndRedirectOnlyToTheAppsCallback() {
        #expect(HostedPagesController.contentSecurityPolicy(redirectURI: "https://app.example/cb?x=1")
            == "default-src 'self'; form-action 'self' https://app.example; frame-ancestors 'none'")
        #expect(HostedPagesController.contentSecurityPolicy(redirectURI: "http://localhost:3000/cb").contains("form-action 'self' http://localhost:3000;"))
        #expect(HostedPagesController.contentSecurityPolicy(redirectURI: "myapp://signed-in").contains("form-action 'self' myapp:;"))
        #expect(HostedPagesController.contentSecurityPolicy(redirectURI: nil).contains("form-action 'self';"))
        // the work-address form goes on to the provider of the domain: its origin, once, and nothing that is not a URL
        #expect(HostedPagesController.contentSecurityPolicy(redirectURI: "https://app.example/cb", alsoTo: [
            "https://idp.corp.example/sso/saml?x=1", "https://idp.corp.example/other", "not a url", "https://evil.example; script-src *",
        ]).contains("form-action 'self' https://app.example https://idp.corp.example;"))
    }
}
