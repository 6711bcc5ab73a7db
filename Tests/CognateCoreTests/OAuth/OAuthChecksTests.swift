import CognateCore
import CognateModel
import Foundation
import Testing

@Suite struct OAuthChecksTests {
    static let client = AppClient(poolId: "local_Abcdefgh1", clientId: "abcdefghijklmnopqrstuvwxyz", name: "c",
                                  callbackURLs: ["https://app.example/cb", "http://localhost:3000/cb"],
                                  allowedOAuthFlows: [.code], allowedOAuthScopes: ["openid", "email"], createdAt: fixedNow, updatedAt: fixedNow)

    /// RFC 7636 Appendix B.
    @Test func pkceS256MatchesTheRFCExample() throws {
        let challenge = try CheckPKCE.challenge("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", method: "S256", publicClient: true)
        try CheckPKCE.verify(verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", challenge: challenge)
        #expect(throws: OAuthError.self) { try CheckPKCE.verify(verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXX", challenge: challenge) }
        #expect(throws: OAuthError.self) { try CheckPKCE.verify(verifier: nil, challenge: challenge) }
    }

    @Test func pkceIsRequiredForPublicClientsAndPlainIsRefused() throws {
        #expect(throws: OAuthError.self) { try CheckPKCE.challenge(nil, method: nil, publicClient: true) }
        #expect(try CheckPKCE.challenge(nil, method: nil, publicClient: false) == nil)
        #expect(throws: OAuthError.self) { try CheckPKCE.challenge("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", method: "plain", publicClient: true) }
        #expect(throws: OAuthError.self) { try CheckPKCE.challenge("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", method: nil, publicClient: true) }
        #expect(throws: OAuthError.self) { try CheckPKCE.challenge("short", method: "S256", publicClient: true) }
        #expect(throws: OAuthError.self) { try CheckPKCE.verify(verifier: "x", challenge: nil) }
    }

    @Test func redirectURIMustMatchExactly() throws {
        #expect(try CheckRedirectURI.check("https://app.example/cb", client: Self.client) == "https://app.example/cb")
        for uri in ["https://app.example/cb/", "https://app.example/cb?x=1", "https://APP.example/cb", "https://evil.example/cb", ""] {
            #expect(throws: OAuthError.self, "\(uri)") { try CheckRedirectURI.check(uri, client: Self.client) }
        }
    }

    @Test func scopesAreLimitedToTheClients() throws {
        #expect(try CheckScopes.check("openid email openid", client: Self.client) == ["openid", "email"])
        #expect(try CheckScopes.check(nil, client: Self.client) == ["openid", "email"])
        #expect(throws: OAuthError.self) { try CheckScopes.check("openid phone", client: Self.client) }
    }

    @Test func redirectParametersAreEncoded() {
        #expect(HostedSignIn.append(to: "https://app.example/cb?a=1", ["code": "x+y/z", "state": "s t", "none": nil])
            == "https://app.example/cb?a=1&code=x%2By/z&state=s%20t")
    }
}
