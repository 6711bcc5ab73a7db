import CognateCore
import CognateSAML
import CognateModel
import Foundation
import JWTKit
import Testing

/// The social presets' requests, as the providers document them, against scripted answers:
/// where the person is sent, how the code is redeemed, where the profile is read, and the
/// user each makes (`<Provider>_<id>`).
@Suite struct SocialPresetTests {
    static let callback = "\(CoreWorld.issuerBase)/"

    struct Setup {
        let world: CoreWorld
        let http: ScriptedProvider
        let federated: FederatedSignIn
        let request: AuthorizationRequest
    }

    func setup(_ type: IdentityProvider.Kind, details: [String: String], mapping: [String: String], answers: [String: OutboundAnswer]) async throws -> Setup {
        let world = try await CoreWorld.make()
        let http = ScriptedProvider(answers)
        let service = IdentityProviderService(store: world.store, masterKey: world.masterKey, http: http, now: world.clock.now)
        _ = try await service.create(poolId: world.pool.id, name: type.rawValue, type: type, details: details, attributeMapping: mapping,
                                     identifiers: nil)
        _ = try await world.store.updateClient(poolId: world.pool.id, clientId: world.client.clientId) { $0.supportedIdentityProviders = ["COGNITO", type.rawValue] }
        let decision = try await world.hosted.authorize(pool: world.pool, parameters: world.authorizeParameters(["identity_provider": type.rawValue]),
                                                        sessionCookie: nil, browser: nil)
        guard case .federate(let request, _) = decision else { throw WorldError("expected the provider, got \(decision)") }
        let federated = FederatedSignIn(store: world.store, hosted: world.hosted, providers: service, http: http, tokens: world.tokens,
                                        masterKey: world.masterKey, now: world.clock.now)
        return Setup(world: world, http: http, federated: federated, request: request)
    }

    func query(_ url: String) -> [String: String] { CoreWorld.query(url) }

    /// The federated sign-in of a set-up world, its provider answering with `http`.
    func answering(_ s: Setup, _ http: ScriptedProvider) -> FederatedSignIn {
        FederatedSignIn(store: s.world.store, hosted: s.world.hosted,
                        providers: IdentityProviderService(store: s.world.store, masterKey: s.world.masterKey, now: s.world.clock.now),
                        http: http, tokens: s.world.tokens, masterKey: s.world.masterKey, now: s.world.clock.now)
    }

    @Test func googleIsOpenIDWithItsOwnEndpointsAndKeys() async throws {
        let key = ES256PrivateKey()
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: key, kid: "g-1")
        let (x, y) = key.publicKey.parameters!
        let jwks = #"{"keys":[{"kty":"EC","crv":"P-256","kid":"g-1","use":"sig","alg":"ES256","x":"\#(x)","y":"\#(y)"}]}"#
        var s = try await setup(.google, details: ["client_id": "g-app.apps.googleusercontent.com", "client_secret": "g-secret",
                                                   "authorize_scopes": "openid email profile"],
                                mapping: ["email": "email", "email_verified": "email_verified"],
                                answers: ["https://www.googleapis.com/oauth2/v3/certs": OutboundAnswer(status: 200, body: Data(jwks.utf8))])
        let redirect = try await s.federated.redirect(pool: s.world.pool, request: s.request)
        #expect(redirect.hasPrefix("https://accounts.google.com/o/oauth2/v2/auth?"))
        let sent = query(redirect)
        #expect(sent["client_id"] == "g-app.apps.googleusercontent.com" && sent["response_type"] == "code" && sent["scope"] == "openid email profile")
        #expect(sent["redirect_uri"] == "\(CoreWorld.issuerBase)/\(s.world.pool.id)/oauth2/idpresponse" && sent["state"] == s.request.id)
        #expect(sent["code_challenge_method"] == "S256" && sent["nonce"]?.count == 43)

        let now = Int(s.world.clock.now().timeIntervalSince1970)
        let idToken = try await keys.sign(TokenClaims([
            "iss": .string("accounts.google.com"), "aud": .string("g-app.apps.googleusercontent.com"), "sub": .string("110169484474386276334"),
            "email": .string("ana@gmail.com"), "email_verified": .bool(true), "nonce": .string(sent["nonce"]!), "iat": .int(now), "exp": .int(now + 3600),
        ]), kid: "g-1")
        s = Setup(world: s.world, http: ScriptedProvider([
            "https://www.googleapis.com/oauth2/v3/certs": OutboundAnswer(status: 200, body: Data(jwks.utf8)),
            "https://www.googleapis.com/oauth2/v4/token": ScriptedProvider.json(["access_token": "ya29.x", "id_token": idToken, "token_type": "Bearer"]),
        ]), federated: s.federated, request: s.request)
        let federated = answering(s, s.http)
        let outcome = try await federated.callback(pool: s.world.pool, request: s.request, parameters: ["code": "4/0AX", "state": s.request.id])
        guard case .signedIn = outcome else { Issue.record("not signed in: \(outcome)"); return }
        let token = try #require(s.http.requests.first { $0.url == "https://www.googleapis.com/oauth2/v4/token" })
        let form = Dictionary(uniqueKeysWithValues: token.form ?? [])
        #expect(token.method == .post && form["grant_type"] == "authorization_code" && form["code"] == "4/0AX")
        #expect(form["client_secret"] == "g-secret" && form["code_verifier"]?.count == 43 && form["redirect_uri"] == sent["redirect_uri"])
        let user = try #require(try await s.world.store.user(poolId: s.world.pool.id, identifierKey: "google_110169484474386276334"))
        #expect(user.username == "Google_110169484474386276334" && user.status == .externalProvider && user.emailVerified)
    }

    @Test func facebookRedeemsWithAGetAndReadsTheGraphFieldsItMaps() async throws {
        let s = try await setup(.facebook, details: ["client_id": "fb-app", "client_secret": "fb-secret", "authorize_scopes": "public_profile,email",
                                                     "api_version": "v18.0"],
                                mapping: ["email": "email", "name": "name"], answers: [:])
        let redirect = try await s.federated.redirect(pool: s.world.pool, request: s.request)
        #expect(redirect.hasPrefix("https://www.facebook.com/v18.0/dialog/oauth?"))
        let sent = query(redirect)
        #expect(sent["scope"] == "public_profile,email" && sent["state"] == s.request.id && sent["nonce"] == nil && sent["code_challenge"] == nil)
        let tokenURL = "https://graph.facebook.com/v18.0/oauth/access_token?code=AQD&redirect_uri="
            + FormEncoding.encode([("", sent["redirect_uri"]!)]).dropFirst() + "&client_id=fb-app&client_secret=fb-secret"
        let http = ScriptedProvider([
            tokenURL: ScriptedProvider.json(["access_token": "EAAB", "token_type": "bearer"]),
            "https://graph.facebook.com/v18.0/me?fields=email,id,name&access_token=EAAB": ScriptedProvider.json(["id": "10158", "email": "ana@fb.example", "name": "Ana"]),
        ])
        let federated = answering(s, http)
        let outcome = try await federated.callback(pool: s.world.pool, request: s.request, parameters: ["code": "AQD", "state": s.request.id])
        guard case .signedIn = outcome else { Issue.record("not signed in: \(outcome); asked \(http.requests.map(\.url))"); return }
        #expect(http.requests.allSatisfy { $0.method == .get })
        let user = try #require(try await s.world.store.user(poolId: s.world.pool.id, identifierKey: "facebook_10158"))
        #expect(user.attributes["email"] == "ana@fb.example" && user.attributes["name"] == "Ana" && !user.emailVerified)
    }

    @Test func loginWithAmazonReadsItsProfileWithTheAccessToken() async throws {
        let s = try await setup(.loginWithAmazon, details: ["client_id": "amzn1.application-oa2-client.x", "client_secret": "lwa-secret",
                                                            "authorize_scopes": "profile"], mapping: ["email": "email"], answers: [:])
        let redirect = try await s.federated.redirect(pool: s.world.pool, request: s.request)
        #expect(redirect.hasPrefix("https://www.amazon.com/ap/oa?") && query(redirect)["scope"] == "profile")
        let http = ScriptedProvider([
            "https://api.amazon.com/auth/o2/token": ScriptedProvider.json(["access_token": "Atza|x", "token_type": "bearer"]),
            "https://api.amazon.com/user/profile": ScriptedProvider.json(["user_id": "amzn1.account.AF", "email": "ana@amazon.example", "name": "Ana"]),
        ])
        let federated = answering(s, http)
        let outcome = try await federated.callback(pool: s.world.pool, request: s.request, parameters: ["code": "ANd", "state": s.request.id])
        guard case .signedIn = outcome else { Issue.record("not signed in: \(outcome)"); return }
        let token = try #require(http.requests.first)
        #expect(token.method == .post && Dictionary(uniqueKeysWithValues: token.form ?? [])["client_secret"] == "lwa-secret")
        #expect(http.requests.last?.headers["Authorization"] == "Bearer Atza|x")
        #expect(try await s.world.store.user(poolId: s.world.pool.id, identifierKey: "loginwithamazon_amzn1.account.af")?.attributes["email"]
                == "ana@amazon.example")
    }

    @Test func samlGoesToTheIdPWithAnAuthnRequestOverHTTPRedirect() async throws {
        let s = try await setup(.saml, details: ["MetadataFile": SAMLMetadataTests.metadata(SAMLMetadataTests.idp)], mapping: [:], answers: [:])
        let location = try await s.federated.redirect(pool: s.world.pool, request: s.request)
        #expect(location.hasPrefix("https://idp.corp.example/sso?SAMLRequest="))
        let sent = query(location)
        #expect(sent["RelayState"] == s.request.id && sent["Signature"] == nil)
        let packed = try #require(sent["SAMLRequest"].flatMap { Data(base64Encoded: $0) })
        let xml = String(decoding: try SAMLRedirect.inflate(packed), as: UTF8.self)
        #expect(xml.contains("Destination=\"https://idp.corp.example/sso\""))
        #expect(xml.contains("<saml:Issuer>urn:amazon:cognito:sp:\(s.world.pool.id)</saml:Issuer>"))
        #expect(xml.contains("AssertionConsumerServiceURL=\"\(s.world.tokens.issuer(s.world.pool.id))/saml2/idpresponse\""))
        // the request's ID is this sign-in's, the same on every node (derived, not kept)
        let again = try await s.federated.redirect(pool: s.world.pool, request: s.request)
        let id = try #require(xml.firstMatch(of: /ID="(_[0-9a-f]{64})"/)?.1)
        #expect(String(decoding: try SAMLRedirect.inflate(Data(base64Encoded: query(again)["SAMLRequest"]!)!), as: UTF8.self).contains(id))
        #expect(!xml.contains("ForceAuthn"))
        // prompt=login: the IdP must ask the person again (ForceAuthn)
        let decision = try await s.world.hosted.authorize(pool: s.world.pool, parameters: s.world.authorizeParameters([
            "identity_provider": "SAML", "prompt": "login",
        ]), sessionCookie: nil, browser: nil)
        guard case .federate(let forced, _) = decision else { Issue.record("\(decision)"); return }
        let location2 = try await s.federated.redirect(pool: s.world.pool, request: forced)
        let xml2 = String(decoding: try SAMLRedirect.inflate(Data(base64Encoded: query(location2)["SAMLRequest"]!)!), as: UTF8.self)
        #expect(xml2.contains(#"ForceAuthn="true""#))
    }

    /// Signing out of a session a SAML IdP opened goes by the IdP (a signed LogoutRequest for
    /// its NameID and session); its LogoutResponse takes the person on only when it answers that
    /// request, comes from that IdP, and comes back within ten minutes.
    @Test func aSAMLSignOutGoesByTheIdPAndComesBackOnlyAsItsAnswer() async throws {
        let s = try await setup(.saml, details: ["MetadataFile": SAMLMetadataTests.metadata(SAMLMetadataTests.idp), "IDPSignout": "true"],
                                mapping: [:], answers: [:])
        let pool = s.world.pool
        let session = SignInSession(idHash: "h", poolId: pool.id, userSub: UUID(), authTime: s.world.clock.now(), expiresAt: s.world.clock.now() + 3600,
                                    federation: FederatedSession(providerName: "SAML", nameId: "ana", nameIdFormat: nil, sessionIndex: "idx-1"))
        let target = "https://app.example/bye"
        #expect(try await s.federated.samlLogout(pool: pool, session: nil, then: target) == nil, "no session: nothing to tell the IdP")
        let location = try #require(try await s.federated.samlLogout(pool: pool, session: session, then: target))
        #expect(location.hasPrefix("https://idp.corp.example/slo?SAMLRequest="))
        let sent = query(location)
        #expect(sent["Signature"] != nil && sent["SigAlg"] == SAMLRedirect.rsaSHA256)
        let request = String(decoding: try SAMLRedirect.inflate(try #require(sent["SAMLRequest"].flatMap { Data(base64Encoded: $0) })), as: UTF8.self)
        #expect(request.contains(">ana</saml:NameID>") && request.contains(">idx-1</samlp:SessionIndex>"))
        let id = try #require(request.firstMatch(of: /ID="(_[0-9a-f]+)"/)?.1)
        func answer(inResponseTo: String, issuer: String = "https://idp.corp.example/saml") -> String {
            Data("""
                <samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" \
                ID="_r" Version="2.0" InResponseTo="\(inResponseTo)"><saml:Issuer>\(issuer)</saml:Issuer>\
                <samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:LogoutResponse>
                """.utf8).base64EncodedString()
        }
        let relay = sent["RelayState"]
        #expect(try await s.federated.samlLogoutReturn(pool: pool, samlResponse: answer(inResponseTo: String(id)), relayState: relay, deflated: false) == target)
        #expect(try await s.federated.samlLogoutReturn(pool: pool, samlResponse: answer(inResponseTo: "_other"), relayState: relay, deflated: false) == nil)
        #expect(try await s.federated.samlLogoutReturn(pool: pool, samlResponse: answer(inResponseTo: String(id), issuer: "https://evil.example"),
                                                       relayState: relay, deflated: false) == nil)
        #expect(try await s.federated.samlLogoutReturn(pool: pool, samlResponse: answer(inResponseTo: String(id)), relayState: "forged",
                                                       deflated: false) == nil)
        s.world.clock.advance(601)
        #expect(try await s.federated.samlLogoutReturn(pool: pool, samlResponse: answer(inResponseTo: String(id)), relayState: relay, deflated: false) == nil,
                "ten minutes on, the way back has lapsed")
    }

    @Test func anIdPWithoutARedirectSignOnServiceIsAnErrorToTheApp() async throws {
        let postOnly = SAMLMetadataTests.metadata(SAMLMetadataTests.idp)
            .replacingOccurrences(of: #"<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.corp.example/sso"/>"#, with: "")
        let s = try await setup(.saml, details: ["MetadataFile": postOnly], mapping: [:], answers: [:])
        let location = try await s.federated.redirect(pool: s.world.pool, request: s.request)
        #expect(location.hasPrefix(s.request.redirectURI) && query(location)["error"] == "temporarily_unavailable")
    }
}

@Suite struct SignInWithAppleTests {
    @Test func appleGetsAClientSecretJWTAndGivesTheNameOnceByFormPost() async throws {
        let teamKey = ES256PrivateKey()
        let appleKey = ES256PrivateKey()
        let apple = JWTKeyCollection()
        await apple.add(ecdsa: appleKey, kid: "apple-1")
        let (x, y) = appleKey.publicKey.parameters!
        let jwks = #"{"keys":[{"kty":"EC","crv":"P-256","kid":"apple-1","use":"sig","alg":"ES256","x":"\#(x)","y":"\#(y)"}]}"#
        let world = try await CoreWorld.make()
        let service = IdentityProviderService(store: world.store, masterKey: world.masterKey, now: world.clock.now)
        _ = try await service.create(poolId: world.pool.id, name: "SignInWithApple", type: .signInWithApple, details: [
            "client_id": "com.example.web", "team_id": "TEAM123456", "key_id": "KEY1234567", "private_key": teamKey.pemRepresentation,
            "authorize_scopes": "email name",
        ], attributeMapping: ["email": "email", "given_name": "firstName", "family_name": "lastName"], identifiers: nil)
        _ = try await world.store.updateClient(poolId: world.pool.id, clientId: world.client.clientId) {
            $0.supportedIdentityProviders = ["SignInWithApple"]
        }
        func start() async throws -> AuthorizationRequest {
            let decision = try await world.hosted.authorize(pool: world.pool, parameters: world.authorizeParameters(["identity_provider": "SignInWithApple"]),
                                                            sessionCookie: nil, browser: nil)
            guard case .federate(let request, _) = decision else { throw WorldError("\(decision)") }
            return request
        }
        var request = try await start()
        let http = ScriptedProvider([FederatedSignIn_appleKeys: OutboundAnswer(status: 200, body: Data(jwks.utf8))])
        let federated = FederatedSignIn(store: world.store, hosted: world.hosted, providers: service, http: http, tokens: world.tokens,
                                        masterKey: world.masterKey, now: world.clock.now)
        let redirect = try await federated.redirect(pool: world.pool, request: request)
        let sent = CoreWorld.query(redirect)
        #expect(redirect.hasPrefix("https://appleid.apple.com/auth/authorize?") && sent["response_mode"] == "form_post")
        #expect(sent["scope"] == "email name" && sent["nonce"]?.count == 43 && sent["code_challenge"] == nil)

        func answer(_ request: AuthorizationRequest, user: String?) async throws -> FederatedSignIn.Outcome {
            let now = Int(world.clock.now().timeIntervalSince1970)
            let nonce = CoreWorld.query(try await federated.redirect(pool: world.pool, request: request))["nonce"]!
            let idToken = try await apple.sign(TokenClaims([
                "iss": .string("https://appleid.apple.com"), "aud": .string("com.example.web"), "sub": .string("001234.abcdef.1234"),
                "email": .string("x7@privaterelay.appleid.com"), "nonce": .string(nonce), "iat": .int(now), "exp": .int(now + 600),
            ]), kid: "apple-1")
            http.set("https://appleid.apple.com/auth/token", ScriptedProvider.json(["access_token": "a", "id_token": idToken, "token_type": "Bearer"]))
            var parameters = ["code": "c1", "state": request.id]
            parameters["user"] = user
            return try await federated.callback(pool: world.pool, request: request, parameters: parameters)
        }
        guard case .signedIn = try await answer(request, user: #"{"name":{"firstName":"Ana","lastName":"Lima"},"email":"x7@privaterelay.appleid.com"}"#)
        else { Issue.record("not signed in"); return }

        // the token request: a POST with a client secret that is the team's ES256 JWT for this client
        let token = try #require(http.requests.first { $0.url == "https://appleid.apple.com/auth/token" })
        let form = Dictionary(uniqueKeysWithValues: token.form ?? [])
        #expect(token.method == .post && form["client_id"] == "com.example.web" && form["code_verifier"] == nil)
        let verifier = JWTKeyCollection()
        await verifier.add(ecdsa: teamKey.publicKey, kid: "KEY1234567")
        let secret = try await verifier.verify(try #require(form["client_secret"]), as: TokenClaims.self)
        #expect(secret["iss"]?.string == "TEAM123456" && secret["sub"]?.string == "com.example.web" && secret["aud"]?.string == "https://appleid.apple.com")
        let lifetime = (secret["exp"]?.int ?? 0) - (secret["iat"]?.int ?? 0)
        #expect(lifetime > 0 && lifetime <= 15_777_000)
        let header = try #require(Data(base64Encoded: String(form["client_secret"]!.split(separator: ".")[0]).paddedBase64))
        #expect(String(decoding: header, as: UTF8.self).contains("\"kid\":\"KEY1234567\""))

        let key = "signinwithapple_001234.abcdef.1234"
        #expect(try await world.store.user(poolId: world.pool.id, identifierKey: key)?.attributes["given_name"] == "Ana")
        // the next sign-in has no `user`: the name stays
        request = try await start()
        guard case .signedIn = try await answer(request, user: nil) else { Issue.record("second sign-in"); return }
        #expect(try await world.store.user(poolId: world.pool.id, identifierKey: key)?.attributes["family_name"] == "Lima")
    }
}

private let FederatedSignIn_appleKeys = "https://appleid.apple.com/auth/keys"

extension String {
    var paddedBase64: String {
        let text = replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        return text + String(repeating: "=", count: (4 - text.count % 4) % 4)
    }
}

@Suite struct FederatedUserTests {
    /// A native user named as a provider's user would be is never signed in by that provider
    /// (unless linked): the app is told, and the native user is untouched.
    @Test func aNativeUserNamedLikeAProviderUserIsNotTakenOver() async throws {
        let world = try await CoreWorld.make()
        let native = try await world.user("amazon_x")  // not reachable: the key would be loginwithamazon_…
        let squatter = try await world.user("loginwithamazon_amzn1.account.victim")
        let service = IdentityProviderService(store: world.store, masterKey: world.masterKey, now: world.clock.now)
        _ = try await service.create(poolId: world.pool.id, name: "LoginWithAmazon", type: .loginWithAmazon,
                                     details: ["client_id": "c", "client_secret": "s", "authorize_scopes": "profile"], attributeMapping: nil, identifiers: nil)
        _ = try await world.store.updateClient(poolId: world.pool.id, clientId: world.client.clientId) { $0.supportedIdentityProviders = ["LoginWithAmazon"] }
        let decision = try await world.hosted.authorize(pool: world.pool, parameters: world.authorizeParameters(["identity_provider": "LoginWithAmazon"]),
                                                        sessionCookie: nil, browser: nil)
        guard case .federate(let request, _) = decision else { Issue.record("\(decision)"); return }
        let http = ScriptedProvider([
            "https://api.amazon.com/auth/o2/token": ScriptedProvider.json(["access_token": "t"]),
            "https://api.amazon.com/user/profile": ScriptedProvider.json(["user_id": "amzn1.account.victim", "email": "evil@example.com"]),
        ])
        let federated = FederatedSignIn(store: world.store, hosted: world.hosted, providers: service, http: http, tokens: world.tokens,
                                        masterKey: world.masterKey, now: world.clock.now)
        let outcome = try await federated.callback(pool: world.pool, request: request, parameters: ["code": "c", "state": request.id])
        guard case .refused(let redirect) = outcome else { Issue.record("a native user was signed in by a provider: \(outcome)"); return }
        #expect(CoreWorld.query(redirect)["error"] == "access_denied")
        #expect(try await world.store.user(poolId: world.pool.id, sub: squatter.sub) == squatter)
        #expect(try await world.store.user(poolId: world.pool.id, sub: native.sub) == native)
    }
}

@Suite struct FederatedAttributeTests {
    /// The mapped attributes meet the pool's rules as any user's do: a pool that requires an
    /// email takes no provider user without one, nor one whose address is not an address.
    @Test func aProviderUserMustBringWhatThePoolRequires() async throws {
        let world = try await CoreWorld.make()
        let pool = try await world.store.updatePool(id: world.pool.id) { $0.schema.append(SchemaAttribute(name: "email", required: true)) }
        let service = IdentityProviderService(store: world.store, masterKey: world.masterKey, now: world.clock.now)
        _ = try await service.create(poolId: pool.id, name: "LoginWithAmazon", type: .loginWithAmazon,
                                     details: ["client_id": "c", "client_secret": "s", "authorize_scopes": "profile"],
                                     attributeMapping: ["email": "email"], identifiers: nil)
        _ = try await world.store.updateClient(poolId: pool.id, clientId: world.client.clientId) { $0.supportedIdentityProviders = ["LoginWithAmazon"] }
        func signIn(_ profile: [String: String]) async throws -> [String: String] {
            let decision = try await world.hosted.authorize(pool: pool, parameters: world.authorizeParameters(["identity_provider": "LoginWithAmazon"]),
                                                            sessionCookie: nil, browser: nil)
            guard case .federate(let request, _) = decision else { throw WorldError("\(decision)") }
            let http = ScriptedProvider([
                "https://api.amazon.com/auth/o2/token": ScriptedProvider.json(["access_token": "t"]),
                "https://api.amazon.com/user/profile": ScriptedProvider.json(profile),
            ])
            let federated = FederatedSignIn(store: world.store, hosted: world.hosted, providers: service, http: http, tokens: world.tokens,
                                            masterKey: world.masterKey, now: world.clock.now)
            switch try await federated.callback(pool: pool, request: request, parameters: ["code": "c", "state": request.id]) {
            case .refused(let redirect): return CoreWorld.query(redirect)
            case .signedIn(_, let redirect): return CoreWorld.query(redirect)
            }
        }
        let missing = try await signIn(["user_id": "amzn1.account.a"])
        #expect(missing["error"] == "access_denied" && missing["error_description"]?.contains("invalid user attributes: email") == true)
        let malformed = try await signIn(["user_id": "amzn1.account.a", "email": "not an address"])
        #expect(malformed["error"] == "access_denied" && malformed["error_description"]?.contains("email") == true)
        #expect(try await world.store.user(poolId: pool.id, identifierKey: "loginwithamazon_amzn1.account.a") == nil)
        let good = try await signIn(["user_id": "amzn1.account.a", "email": "ana@amazon.example"])
        #expect(good["code"] != nil)
    }
}

@Suite struct ProviderKeySetTests {
    /// The provider's key set is read once for several sign-ins, read again when a token is
    /// signed with a key it does not have yet (rotation), and a key it never has is refused.
    @Test func keySetsAreKeptAndReadAgainOnRotation() async throws {
        let world = try await CoreWorld.make()
        let jwksURL = "https://login.corp.example/keys"
        let service = IdentityProviderService(store: world.store, masterKey: world.masterKey, now: world.clock.now)
        _ = try await service.create(poolId: world.pool.id, name: "Corp", type: .oidc, details: [
            "client_id": "app", "client_secret": "s", "authorize_scopes": "openid", "attributes_request_method": "GET",
            "oidc_issuer": "https://login.corp.example", "authorize_url": "https://login.corp.example/auth",
            "token_url": "https://login.corp.example/token", "attributes_url": "https://login.corp.example/me", "jwks_uri": jwksURL,
        ], attributeMapping: nil, identifiers: nil)
        _ = try await world.store.updateClient(poolId: world.pool.id, clientId: world.client.clientId) { $0.supportedIdentityProviders = ["Corp"] }
        func jwks(_ keys: [(ES256PrivateKey, String)]) -> OutboundAnswer {
            let entries = keys.map { key, kid in
                let (x, y) = key.publicKey.parameters!
                return #"{"kty":"EC","crv":"P-256","kid":"\#(kid)","alg":"ES256","x":"\#(x)","y":"\#(y)"}"#
            }
            return OutboundAnswer(status: 200, body: Data(#"{"keys":[\#(entries.joined(separator: ","))]}"#.utf8))
        }
        let first = ES256PrivateKey(), second = ES256PrivateKey(), stranger = ES256PrivateKey()
        let http = ScriptedProvider([jwksURL: jwks([(first, "k1")])])
        let federated = FederatedSignIn(store: world.store, hosted: world.hosted, providers: service, http: http, tokens: world.tokens,
                                        masterKey: world.masterKey, now: world.clock.now)
        func signIn(with key: ES256PrivateKey, kid: String) async throws -> FederatedSignIn.Outcome {
            let decision = try await world.hosted.authorize(pool: world.pool, parameters: world.authorizeParameters(["identity_provider": "Corp"]),
                                                            sessionCookie: nil, browser: nil)
            guard case .federate(let request, _) = decision else { throw WorldError("\(decision)") }
            let nonce = CoreWorld.query(try await federated.redirect(pool: world.pool, request: request))["nonce"]!
            let signer = JWTKeyCollection()
            await signer.add(ecdsa: key, kid: JWKIdentifier(string: kid))
            let now = Int(world.clock.now().timeIntervalSince1970)
            let idToken = try await signer.sign(TokenClaims([
                "iss": .string("https://login.corp.example"), "aud": .string("app"), "sub": .string("u-1"), "nonce": .string(nonce),
                "iat": .int(now), "exp": .int(now + 300),
            ]), kid: JWKIdentifier(string: kid))
            http.set("https://login.corp.example/token", ScriptedProvider.json(["id_token": idToken, "access_token": "a"]))
            http.set("https://login.corp.example/me", ScriptedProvider.json(["sub": "u-1"]))
            return try await federated.callback(pool: world.pool, request: request, parameters: ["code": "c", "state": request.id])
        }
        func reads() -> Int { http.requests.filter { $0.url == jwksURL }.count }
        guard case .signedIn = try await signIn(with: first, kid: "k1") else { Issue.record("first sign-in"); return }
        guard case .signedIn = try await signIn(with: first, kid: "k1") else { Issue.record("second sign-in"); return }
        #expect(reads() == 1, "the key set was read \(reads()) times for two sign-ins")
        // the provider rotates: a token of the new key makes Cognate read the set again
        http.set(jwksURL, jwks([(first, "k1"), (second, "k2")]))
        guard case .signedIn = try await signIn(with: second, kid: "k2") else { Issue.record("after rotation"); return }
        #expect(reads() == 2)
        guard case .refused = try await signIn(with: stranger, kid: "k2") else { Issue.record("a stranger's key was taken"); return }
        world.clock.advance(FederatedSignIn.keySetLifetime + 1)
        guard case .signedIn = try await signIn(with: first, kid: "k1") else { Issue.record("after the set's lifetime"); return }
        #expect(reads() == 4, "a stranger's token reads once more; an old set is read again: \(reads())")
    }
}
