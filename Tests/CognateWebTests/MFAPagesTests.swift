@testable import CognateCognitoAPI
import CognateCore
import CognateModel
@testable import CognateWeb
import Foundation
import Testing
import VaporTesting

/// The second factor on the hosted pages: asked for after the password, and set up with a QR
/// code when the pool requires it.
@Suite struct MFAPagesTests {
    static func yaml(_ mode: String) -> String {
        PageBrowser.yaml.replacingOccurrences(of: "    autoVerifiedAttributes: [email]", with: "    autoVerifiedAttributes: [email]\n    mfa: \(mode)")
    }

    @Test func requiredMFAIsSetUpWithAQRCodeThenAskedForEverySignIn() async throws {
        let clock = TestClock()
        try await withCognate(configYAML: Self.yaml("ON"), clock: clock) { app, services, _ async throws in
            var browser = PageBrowser(app: app)
            let login = try await browser.get("/\(PageBrowser.pool)/login?\(PageBrowser.authorize)")
            let setup = try await browser.submit(login, ["username": "olga", "password": "Corr3ct-Horse!"])
            #expect(setup.status == .ok && setup.text.contains("Set up your authenticator app"), "the password alone does not sign in")
            #expect(setup.text.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""), "a QR code drawn on the server")
            let shown = try #require(PageBrowser.firstMatch(#"<code id="secret">([A-Z2-7 ]+)</code>"#, in: setup.text))
            let secret = base32Decode(shown.replacingOccurrences(of: " ", with: ""))
            // the same key as an otpauth link, for a person on the device that has the app
            let link = try #require(PageBrowser.firstMatch(#"<a id="setup-link" href="(otpauth://[^"]+)""#, in: setup.text))
            #expect(link.hasPrefix("otpauth://totp/") && link.contains("secret=\(shown.replacingOccurrences(of: " ", with: ""))&amp;issuer="))
            let wrong = try await browser.submit(setup, ["code": "000000"])
            #expect(wrong.status == .badRequest && wrong.text.contains("That code is not right"))
            #expect(wrong.text.contains(shown), "the same key is shown again, so what was scanned stays good")
            let landed = try await browser.submit(wrong, ["code": TOTP.code(secret: secret, step: TOTP.step(at: clock.now))])
            #expect(landed.status == .found && landed.location.hasPrefix("http://localhost:3000/cb?code="))

            // next time: the code from the app is asked for after the password
            clock.advance(30)
            var next = PageBrowser(app: app)
            let again = try await next.get("/\(PageBrowser.pool)/login?\(PageBrowser.authorize)")
            let asked = try await next.submit(again, ["username": "olga", "password": "Corr3ct-Horse!"])
            #expect(asked.text.contains("Enter the 6-digit code from your authenticator app."))
            #expect(next.cookies["__Host-cognate_session_\(PageBrowser.pool)"] == nil, "no session before the second factor")
            let forged = try await next.submit(asked, ["code": TOTP.code(secret: secret, step: TOTP.step(at: clock.now))], csrf: false)
            #expect(forged.status == .forbidden)
            let signedIn = try await next.submit(asked, ["code": TOTP.code(secret: secret, step: TOTP.step(at: clock.now))])
            #expect(signedIn.status == .found && signedIn.location.hasPrefix("http://localhost:3000/cb?code="))
            let user = try #require(try await services.store.user(poolId: PageBrowser.pool, identifierKey: "olga"))
            #expect(user.mfa.enabled == [UserMFA.softwareToken] && user.mfa.totpSecret != nil && user.mfa.pendingTotpSecret == nil)
        }
    }

    @Test func aSecondSetupNeverSeesTheKeyShownToTheFirst() async throws {
        let clock = TestClock()
        try await withCognate(configYAML: Self.yaml("ON"), clock: clock) { app, _, _ async throws in
            // the user, and someone else who learned the password, both reach the setup page
            var user = PageBrowser(app: app)
            var other = PageBrowser(app: app)
            func setupPage(_ browser: inout PageBrowser) async throws -> (page: TestingHTTPResponse, secret: String) {
                let login = try await browser.get("/\(PageBrowser.pool)/login?\(PageBrowser.authorize)")
                let setup = try await browser.submit(login, ["username": "olga", "password": "Corr3ct-Horse!"])
                return (setup, try #require(PageBrowser.firstMatch(#"<code id="secret">([A-Z2-7 ]+)</code>"#, in: setup.text)))
            }
            let (mine, myKey) = try await setupPage(&user)
            let (_, theirKey) = try await setupPage(&other)
            #expect(myKey != theirKey, "the second setup was shown the first one's key")
            // the first page's key no longer sets anything up once another setup began: start again
            let secret = base32Decode(myKey.replacingOccurrences(of: " ", with: ""))
            let late = try await user.submit(mine, ["code": TOTP.code(secret: secret, step: TOTP.step(at: clock.now))])
            #expect(late.status != .found, "a key replaced by another setup was accepted")
            let (again, newKey) = try await setupPage(&user)
            #expect(newKey != theirKey)
            let landed = try await user.submit(again, ["code": TOTP.code(secret: base32Decode(newKey.replacingOccurrences(of: " ", with: "")),
                                                                       step: TOTP.step(at: clock.now))])
            #expect(landed.status == .found && landed.location.hasPrefix("http://localhost:3000/cb?code="))
        }
    }

    @Test func optionalMFAOffersTheChoiceAndSendsEmailCodes() async throws {
        let clock = TestClock()
        try await withCognate(environment: adminEnvironment, configYAML: Self.yaml("OPTIONAL"), clock: clock) { app, services, _ async throws in
            var browser = PageBrowser(app: app)
            let login = try await browser.get("/\(PageBrowser.pool)/login?\(PageBrowser.authorize)")
            #expect(try await browser.submit(login, ["username": "olga", "password": "Corr3ct-Horse!"]).status == .found, "no factor: signed in")
            _ = try await call(app, "AdminSetUserMFAPreference", ["UserPoolId": PageBrowser.pool, "Username": "olga", "EmailMfaSettings": ["Enabled": true]])
            var next = PageBrowser(app: app)
            let form = try await next.get("/\(PageBrowser.pool)/login?\(PageBrowser.authorize)")
            clock.advance(1)
            let asked = try await next.submit(form, ["username": "olga", "password": "Corr3ct-Horse!"])
            #expect(asked.text.contains("We sent a code by email to o***@e***"))
            let wrong = try await next.submit(asked, ["code": "000000"])
            #expect(wrong.status == .badRequest && wrong.text.contains("We sent a code by email to o***@e***"), "the page keeps saying where")
            let code = try await PageBrowser.lastCode(services, to: "olga@example.com")
            let signedIn = try await next.submit(wrong, ["code": code])
            #expect(signedIn.status == .found && signedIn.location.hasPrefix("http://localhost:3000/cb?code="))
        }
    }
}
