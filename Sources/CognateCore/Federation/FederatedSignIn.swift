import CognateModel
import CognateSAML
import Crypto
import Foundation
import JWTKit
import NIOConcurrencyHelpers

/// Signing in through an outside OpenID Connect provider (OIDC Core §3.1, the authorization
/// code flow), carried by the stored authorization request: `state` is the request's opaque id
/// (bound to the browser by its cookie), and the nonce and PKCE verifier sent to the provider
/// are derived from that id with a key of the master key, so nothing lives in memory and any
/// node can take the provider's answer.
public struct FederatedSignIn: Sendable {
    public typealias Store = IdentityProviderStore & UserStore & GroupStore & UserPoolStore & AppClientStore & SettingStore & SingleUseStore
    let store: any Store
    let hosted: HostedSignIn
    let providers: IdentityProviderService
    let http: any OutboundHTTP
    let tokens: TokenService
    let key: SymmetricKey
    /// The pool's side of SAML: its keys, certificates and metadata.
    public let saml: SAMLServiceProvider
    /// Providers' key sets, kept `keySetLifetime` (a cache: every node reads them itself).
    let keySets = KeySets()
    public static let keySetLifetime: TimeInterval = 300
    let now: Now

    /// How far a provider's clock may run ahead of ours for `iat`, and behind for `exp`.
    static let leeway: TimeInterval = 60

    public init(store: any Store, hosted: HostedSignIn, providers: IdentityProviderService, http: any OutboundHTTP, tokens: TokenService,
                masterKey: MasterKey, saml: SAMLServiceProvider? = nil, now: @escaping Now) {
        self.store = store
        self.hosted = hosted
        self.providers = providers
        self.http = http
        self.tokens = tokens
        self.key = masterKey.derivedKey(purpose: "federation")
        self.saml = saml ?? SAMLServiceProvider(store: store, masterKey: masterKey, now: now)
        self.now = now
    }

    /// The provider types this flow signs in through: OpenID Connect ones (OIDC, Google, Sign in
    /// with Apple: an ID token, verified), the OAuth 2.0 ones whose profile endpoint names the
    /// user (Facebook's Graph API, Login with Amazon), and SAML 2.0 IdPs (SAMLSignIn.swift).
    public static let supportedTypes: Set<IdentityProvider.Kind> = [.oidc, .google, .facebook, .loginWithAmazon, .signInWithApple, .saml]

    /// Apple's keys and issuer.
    static let appleKeys = "https://appleid.apple.com/auth/keys"
    static let appleIssuer = "https://appleid.apple.com"

    /// Google's keys and issuers (its discovery document, accounts.google.com).
    static let googleKeys = "https://www.googleapis.com/oauth2/v3/certs"
    static let googleIssuers: Set<String> = ["https://accounts.google.com", "accounts.google.com"]

    /// Where the provider sends the person back: the pool's base (its issuer).
    public func callbackURL(poolId: String) -> String { tokens.issuer(poolId) + "/oauth2/idpresponse" }

    func derived(_ purpose: String, _ request: AuthorizationRequest) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: Data("\(purpose):\(request.id)".utf8), using: key)).base64URLEncoded
    }

    func nonce(_ request: AuthorizationRequest) -> String { derived("nonce", request) }
    func verifier(_ request: AuthorizationRequest) -> String { derived("pkce", request) }

    /// The provider's authorization URL for a stored request that names it (RFC 6749 §4.1.1,
    /// OIDC Core §3.1.2.1, RFC 7636 §4.3).
    public func redirect(pool: UserPool, request: AuthorizationRequest) async throws -> String {
        guard let name = request.identityProvider, let provider = try await store.identityProvider(poolId: pool.id, name: name),
            Self.supportedTypes.contains(provider.type)
        else { throw HostedFlowError.unknown }
        if provider.type == .saml {
            // an IdP whose metadata cannot be read now: the app is told, as for any refusal
            let reason: String
            do {
                return try await samlRedirect(pool: pool, provider: provider, request: request)
            } catch let refusal as Refusal {
                reason = refusal.reason
            } catch let error as OutboundError {
                reason = error.description
            }
            guard case .refused(let location) = try await refuse(request, "temporarily_unavailable", "\(name) cannot be reached: \(reason)") else {
                throw HostedFlowError.unknown
            }
            return location
        }
        guard let authorize = provider.details["authorize_url"], let clientId = provider.details["client_id"] else { throw HostedFlowError.unknown }
        var parameters: [String: String?] = [
            "response_type": "code", "client_id": clientId, "redirect_uri": callbackURL(poolId: pool.id),
            "scope": provider.details["authorize_scopes"] ?? "openid", "state": request.id,
        ]
        if Self.usesIDToken(provider.type) {
            // an ID token is bound to this sign-in by its nonce; the code by PKCE
            parameters["nonce"] = nonce(request)
            parameters["code_challenge"] = Data(SHA256.hash(data: Data(verifier(request).utf8))).base64URLEncoded
            parameters["code_challenge_method"] = "S256"
        }
        if provider.type == .signInWithApple {
            // Apple posts its answer (required when name or email is asked for); it takes a nonce, not PKCE
            parameters["response_mode"] = "form_post"
            parameters["nonce"] = nonce(request)
        }
        return HostedSignIn.append(to: authorize, parameters)
    }

    static func usesIDToken(_ type: IdentityProvider.Kind) -> Bool { type == .oidc || type == .google }

    public enum Outcome: Sendable, Equatable {
        /// Signed in: the hosted session's cookie value and the redirect to the app with Cognate's code.
        case signedIn(session: String, redirect: String)
        /// The provider refused, or its answer did not hold: the app is told, nobody is signed in.
        case refused(redirect: String)
    }

    /// Why the provider's answer was not taken; the app receives `access_denied` with this text.
    struct Refusal: Error {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }

    /// GET or POST /oauth2/idpresponse for the request `state` named (resumed by the caller, so an
    /// unknown, foreign, finished or expired state is a page, never a redirect).
    public func callback(pool: UserPool, request: AuthorizationRequest, parameters: [String: String]) async throws -> Outcome {
        func refuse(_ code: String, _ description: String) async throws -> Outcome { try await self.refuse(request, code, description) }
        guard let name = request.identityProvider, let provider = try await store.identityProvider(poolId: pool.id, name: name),
            Self.supportedTypes.contains(provider.type), provider.type != .saml
        else { return try await refuse("invalid_request", "the identity provider is no longer there") }
        if let error = parameters["error"] {
            // RFC 6749 §4.1.2.1: the provider's refusal, passed on in the standard's words only
            let known: Set<String> = ["access_denied", "invalid_request", "unauthorized_client", "unsupported_response_type",
                                      "invalid_scope", "server_error", "temporarily_unavailable", "login_required",
                                      "interaction_required", "consent_required", "account_selection_required"]
            return try await refuse(known.contains(error) ? error : "access_denied", "\(name) did not sign the user in")
        }
        guard let code = parameters["code"], !code.isEmpty else { return try await refuse("invalid_request", "\(name) sent no code") }
        let answer: ProviderAnswer
        do {
            answer = try await claimsFor(code: code, provider: provider, pool: pool, request: request, parameters: parameters)
        } catch let refusal as Refusal {
            return try await refuse("access_denied", "the answer of \(name) could not be verified: \(refusal.reason)")
        } catch let error as OutboundError {
            return try await refuse("temporarily_unavailable", "\(name) could not be reached: \(error.description)")
        }
        return try await finish(pool: pool, provider: provider, request: request, claims: answer.claims, sources: answer.sources)
    }

    /// The provider's refusal, or Cognate's of its answer, to the app (RFC 6749 §4.1.2.1); the stored request is finished.
    func refuse(_ request: AuthorizationRequest, _ code: String, _ description: String) async throws -> Outcome {
        try await hosted.advance(request, to: .finished, user: nil)
        return .refused(redirect: HostedSignIn.append(to: request.redirectURI, [
            "error": code, "error_description": description, "state": request.state,
        ], fragment: request.responseType == "token"))
    }

    /// The verified answer's user signed in: made or updated, a session opened, Cognate's code to the app.
    /// `sources`: what the provider said, by where it said it (InboundFederation's `attributes`).
    func finish(pool: UserPool, provider: IdentityProvider, request: AuthorizationRequest, claims: [String: ClaimValue],
                subject: String? = nil, federation: FederatedSession? = nil, sources: [String: [String: String]] = [:]) async throws -> Outcome {
        let user: User
        do {
            user = try await federatedUser(claims: claims, provider: provider, pool: pool, subject: subject, clientId: request.clientId,
                                           sources: sources)
        } catch let refusal as Refusal {
            return try await refuse(request, "access_denied", "\(provider.name) signed in someone this pool cannot take: \(refusal.reason)")
        } catch let error as TriggerError {
            // InboundFederation or PreSignUp_ExternalProvider refused the user (or could not say): Cognito's words, to the app
            return try await refuse(request, "invalid_request", error.message)
        }
        guard user.enabled else { return try await refuse(request, "access_denied", "the user is disabled") }
        try await hosted.advance(request, to: .login, user: user)
        // the session remembers its provider: it answers later requests only of clients that allow it
        let origin = federation ?? FederatedSession(providerName: provider.name, nameId: Self.subject(claims, provider: provider, given: subject) ?? "",
                                                    nameIdFormat: nil, sessionIndex: nil)
        let (session, redirect) = try await hosted.openSession(pool: pool, request: request, user: user, federation: origin)
        return .signedIn(session: session, redirect: redirect)
    }

    // MARK: The provider's answer

    /// Redeems the code and learns who signed in: from the verified ID token and the userinfo
    /// endpoint (OIDC, Google), or from the profile endpoint with the access token (Facebook's
    /// Graph API, Login with Amazon).
    /// The provider's answer: the claims (ID token first, then what the userinfo or profile
    /// endpoint adds), and each source apart, as text, for the InboundFederation trigger.
    struct ProviderAnswer {
        var claims: [String: ClaimValue]
        var sources: [String: [String: String]]
    }

    static func textMap(_ claims: [String: ClaimValue]) -> [String: String] { claims.compactMapValues(text) }

    func claimsFor(code: String, provider: IdentityProvider, pool: UserPool, request: AuthorizationRequest,
                   parameters: [String: String] = [:]) async throws -> ProviderAnswer {
        guard let tokenURL = provider.details["token_url"], let clientId = provider.details["client_id"] else {
            throw Refusal("the provider's endpoints are not known")
        }
        let secret = provider.type == .signInWithApple
            ? try await appleClientSecret(provider) : try providers.openSecret("client_secret", of: provider)
        let body = try await redeem(code: code, tokenURL: tokenURL, clientId: clientId, secret: secret, provider: provider, pool: pool, request: request)
        // the token response as the trigger sees it: its text and numbers, never the refresh token
        var sources: [String: [String: String]] = ["tokenResponse": body.filter { $0.key != "refresh_token" }.compactMapValues { value in
            (value as? String) ?? (value as? NSNumber).map { $0.stringValue }
        }]
        switch provider.type {
        case .oidc, .google:
            guard let idToken = body["id_token"] as? String else { throw Refusal("the token endpoint sent no ID token") }
            let google = provider.type == .google
            guard let jwksURI = google ? Self.googleKeys : provider.details["jwks_uri"],
                let issuer = google ? "https://accounts.google.com" : provider.details["oidc_issuer"]
            else { throw Refusal("the provider's endpoints are not known") }
            var claims = try await verifiedIDToken(idToken, jwksURI: jwksURI, issuers: google ? Self.googleIssuers : [issuer],
                                                   clientId: clientId, nonce: nonce(request))
            sources["idToken"] = Self.textMap(claims)
            // Google's people API answers in its own shape; its ID token has what Cognito maps
            if !google, let userInfoURL = provider.details["attributes_url"], let accessToken = body["access_token"] as? String {
                let method: OutboundRequest.Method = provider.details["attributes_request_method"] == "POST" ? .post : .get
                let extra = try await profile(OutboundRequest(method, userInfoURL, headers: [
                    "Authorization": "Bearer \(accessToken)", "Accept": "application/json",
                ], form: method == .post ? [] : nil), what: "userinfo")
                // OIDC Core §5.3.2: the userinfo's sub must be the ID token's
                guard extra["sub"] == claims["sub"] else { throw Refusal("the userinfo is about another user") }
                for (name, value) in extra where claims[name] == nil { claims[name] = value }
                sources["userInfo"] = Self.textMap(extra)
            }
            return ProviderAnswer(claims: claims, sources: sources)
        case .facebook:
            guard let accessToken = body["access_token"] as? String, let base = provider.details["attributes_url"] else {
                throw Refusal("the token endpoint sent no access token")
            }
            // the Graph API answers the fields asked for: the id and every mapped one
            let fields = Set(["id"] + provider.attributeMapping.values).sorted().joined(separator: ",")
            let url = HostedSignIn.append(to: base + fields, ["access_token": accessToken])
            let claims = try await profile(OutboundRequest(.get, url, headers: ["Accept": "application/json"]), what: "Graph API")
            sources["userInfo"] = Self.textMap(claims)
            return ProviderAnswer(claims: claims, sources: sources)
        case .loginWithAmazon:
            guard let accessToken = body["access_token"] as? String, let url = provider.details["attributes_url"] else {
                throw Refusal("the token endpoint sent no access token")
            }
            let claims = try await profile(OutboundRequest(.get, url, headers: ["Authorization": "Bearer \(accessToken)", "Accept": "application/json"]),
                                           what: "profile")
            sources["userInfo"] = Self.textMap(claims)
            return ProviderAnswer(claims: claims, sources: sources)
        case .signInWithApple:
            guard let idToken = body["id_token"] as? String else { throw Refusal("the token endpoint sent no ID token") }
            var claims = try await verifiedIDToken(idToken, jwksURI: Self.appleKeys, issuers: [Self.appleIssuer], clientId: clientId,
                                                   nonce: nonce(request))
            // the name comes once, in the first answer's `user` field, never in the ID token
            sources["idToken"] = Self.textMap(claims)
            for (name, value) in Self.appleUser(parameters["user"]) where claims[name] == nil { claims[name] = .string(value) }
            return ProviderAnswer(claims: claims, sources: sources)
        case .saml:
            throw Refusal("a SAML provider answers at /saml2/idpresponse")
        }
    }

    /// RFC 6749 §4.1.3: the code for tokens. OIDC, Google and Amazon take a form POST with the
    /// client's secret in it (client_secret_post, as Cognito sends it) and, for the first two,
    /// the PKCE verifier; Facebook's Graph API takes the same parameters in a GET.
    func redeem(code: String, tokenURL: String, clientId: String, secret: String?, provider: IdentityProvider, pool: UserPool,
                request: AuthorizationRequest) async throws -> [String: Any] {
        var form = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", callbackURL(poolId: pool.id)), ("client_id", clientId)]
        if let secret { form.append(("client_secret", secret)) }
        if Self.usesIDToken(provider.type) { form.append(("code_verifier", verifier(request))) }
        let exchange = provider.type == .facebook
            ? OutboundRequest(.get, tokenURL + (tokenURL.contains("?") ? "&" : "?") + FormEncoding.encode(form.filter { $0.0 != "grant_type" }),
                              headers: ["Accept": "application/json"])
            : OutboundRequest(.post, tokenURL, headers: ["Accept": "application/json"], form: form)
        let answer = try await http.send(exchange)
        guard answer.status == 200, let body = try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any] else {
            throw Refusal("the token endpoint answered HTTP \(answer.status)")
        }
        return body
    }

    /// Apple's client secret: a JWT signed with the team's key (ES256, `kid` = key_id), issued by
    /// the team to Apple for the client, good for five minutes (Apple allows up to six months).
    func appleClientSecret(_ provider: IdentityProvider) async throws -> String {
        guard let pem = try providers.openSecret("private_key", of: provider), let team = provider.details["team_id"],
            let keyId = provider.details["key_id"], let clientId = provider.details["client_id"],
            let key = try? ES256PrivateKey(pem: pem)
        else { throw Refusal("the provider's Apple key is not usable") }
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: key, kid: JWKIdentifier(string: keyId))
        let issued = Int(now().timeIntervalSince1970)
        return try await keys.sign(TokenClaims([
            "iss": .string(team), "iat": .int(issued), "exp": .int(issued + 300), "aud": .string(Self.appleIssuer), "sub": .string(clientId),
        ]), kid: JWKIdentifier(string: keyId))
    }

    /// The `user` field of Apple's first answer: `{"name":{"firstName","lastName"},"email"}`.
    static func appleUser(_ text: String?) -> [String: String] {
        guard let text, let user = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return [:] }
        var claims: [String: String] = [:]
        if let name = user["name"] as? [String: Any] {
            let first = name["firstName"] as? String, last = name["lastName"] as? String
            if let first { claims["firstName"] = first }
            if let last { claims["lastName"] = last }
            let full = [first, last].compactMap { $0 }.joined(separator: " ")
            if !full.isEmpty { claims["name"] = full }
        }
        return claims
    }

    /// A JSON object of claims from the provider (userinfo, the Graph API, Amazon's profile).
    func profile(_ outbound: OutboundRequest, what: String) async throws -> [String: ClaimValue] {
        let answer = try await http.send(outbound)
        guard answer.status == 200, let claims = try? JSONDecoder().decode(TokenClaims.self, from: answer.body) else {
            throw Refusal("the \(what) endpoint answered HTTP \(answer.status)")
        }
        return claims.claims
    }

    /// OIDC Core §3.1.3.7 (see `ProviderIDTokens`), with the nonce this sign-in sent.
    func verifiedIDToken(_ token: String, jwksURI: String, issuers: Set<String>, clientId: String, nonce: String) async throws -> [String: ClaimValue] {
        try await ProviderIDTokens(http: http, keySets: keySets, now: now).verify(token, jwksURI: jwksURI, issuers: issuers, clientIds: [clientId],
                                                                                 nonce: nonce)
    }

    // MARK: The user

    /// The provider's user in this pool, as Cognito makes it: `<ProviderName>_<id>`, status
    /// EXTERNAL_PROVIDER, the `identities` attribute, the group `<poolId>_<ProviderName>`; the
    /// mapped attributes written at every sign-in.
    /// `subject` names the user when the claims do not (a SAML assertion's NameID).
    /// A new user is first offered to the pool's PreSignUp trigger (PreSignUp_ExternalProvider),
    /// whose refusal (a `TriggerError`) makes nobody.
    /// The InboundFederation trigger sees what the provider said (`sources`) at every sign-in; its
    /// `userAttributesToMap`, when not empty, is what the user's attributes become.
    func federatedUser(claims: [String: ClaimValue], provider: IdentityProvider, pool: UserPool, subject: String? = nil,
                       clientId: String? = nil, sources: [String: [String: String]] = [:]) async throws -> User {
        guard let id = Self.subject(claims, provider: provider, given: subject) else {
            throw Refusal("the provider named no \(Self.subjectClaim(provider))")
        }
        let username = "\(provider.name)_\(id)"
        var mapped: [String: String] = [:]
        for (attribute, claim) in provider.attributeMapping where attribute != "username" {
            if let value = claims[claim].flatMap(Self.text) { mapped[attribute] = value }
        }
        if let answer = try await tokens.triggers?.call(
            "InboundFederation", source: "InboundFederation_ExternalProvider", pool: pool, userName: username, clientId: clientId,
            request: ["providerName": provider.name, "providerType": provider.type.rawValue, "attributes": sources])
        {
            switch answer["userAttributesToMap"] {
            case nil, is NSNull: break
            case let given as [String: Any]:
                let attributes = given.compactMapValues { $0 as? String }
                guard attributes.count == given.count else { throw TriggerError.unreadable(trigger: "InboundFederation") }
                // an empty answer keeps what the mapping made; else the answer is the whole of it
                if !attributes.isEmpty { mapped = attributes.filter { !["sub", "identities", "username"].contains($0.key) } }
            default: throw TriggerError.unreadable(trigger: "InboundFederation")
            }
        }
        let date = now()
        let group = "\(pool.id)_\(provider.name)"
        /// The pool's rules for the mapped attributes (formats, lengths, the required ones for a
        /// new user), as Cognito's "Invalid user attributes" refusal.
        func checked(_ existing: User?) throws -> [String: String] {
            let immutable = Set(pool.schema.filter { !$0.mutable }.map(\.name))
            // an immutable attribute is written once, at the first sign-in
            let changes = existing == nil ? mapped : mapped.filter { !immutable.contains($0.key) }
            do {
                try UserAttributeRules.validate(changes, pool: pool, existing: existing)
            } catch {
                throw Refusal("invalid user attributes: \(error.field): \(error.message)")
            }
            return changes
        }
        if let existing = try await store.user(poolId: pool.id, identifierKey: UserIdentifier.key(username, caseSensitive: pool.caseSensitive)) {
            guard existing.status == .externalProvider else {
                // linked to a native user (AdminLinkProviderForUser): the sign-in lands on that user, as it is
                guard existing.linkedIdentities.contains(where: { $0.providerName == provider.name && $0.userId == id }) else {
                    throw Refusal("the user name is held by a user of the pool")
                }
                return existing
            }
            let changes = try checked(existing)
            guard existing.attributes.filter({ changes[$0.key] != nil }) != changes else { return existing }
            return try await store.updateUser(poolId: pool.id, sub: existing.sub, identifiers: { $0.identifiers(in: pool) }) { user in
                user.attributes.merge(changes) { _, new in new }
                user.updatedAt = date
            }
        }
        var attributes = try checked(nil)
        _ = try await tokens.triggers?.call("PreSignUp", source: "PreSignUp_ExternalProvider", pool: pool, userName: username, clientId: clientId,
                                            request: ["userAttributes": attributes, "validationData": [String: String](),
                                                      "clientMetadata": [String: String]()])
        attributes["identities"] = FederatedIdentity.attribute([
            FederatedIdentity(userId: id, providerName: provider.name, providerType: provider.type.rawValue, primary: true, dateCreated: date),
        ])
        let user: User
        do {
            user = try await UserCreator(store: store, credentials: nil, now: now)
                .create(NewUser(username: username, status: .externalProvider, attributes: attributes, password: .none), in: pool)
        } catch AccountError.usernameExists {
            // a racing first sign-in of the same person made it
            guard let made = try await store.user(poolId: pool.id, identifierKey: UserIdentifier.key(username, caseSensitive: pool.caseSensitive))
            else { throw Refusal("the user could not be made") }
            return made
        }
        if try await store.group(poolId: pool.id, name: group) == nil {
            do {
                try await store.createGroup(Group(poolId: pool.id, name: group, description: "Users of \(provider.name)", createdAt: date, updatedAt: date))
            } catch StoreError.duplicate {}  // made by a racing first sign-in
        }
        try await store.addMember(poolId: pool.id, group: group, userSub: user.sub)
        return user
    }

    /// The claim that names the provider's user: the mapped `username`, or the type's own.
    static func subjectClaim(_ provider: IdentityProvider) -> String {
        provider.attributeMapping["username"] ?? IdentityProviderService.usernameClaim(provider.type) ?? "sub"
    }

    /// Who the provider signed in: `given` (a SAML NameID, or the attribute mapped to `username`), or the subject claim.
    static func subject(_ claims: [String: ClaimValue], provider: IdentityProvider, given: String?) -> String? {
        guard let id = given ?? claims[subjectClaim(provider)].flatMap(text), !id.isEmpty else { return nil }
        return id
    }

    /// A claim as an attribute's text: strings as they are, booleans and numbers written out.
    static func text(_ value: ClaimValue) -> String? {
        switch value {
        case .string(let text): text
        case .bool(let flag): flag ? "true" : "false"
        case .int(let number): String(number)
        case .strings(let list): list.joined(separator: ",")
        case .json(let text): text
        }
    }
}

/// Providers' key sets by URL (FederatedSignIn.keySetLifetime); a cache only (any node reads its own).
final class KeySets: Sendable {
    static let capacity = 256
    let entries = NIOLockedValueBox<[String: (keys: JWTKeyCollection, read: Date)]>([:])
    /// SAML IdPs' metadata read from their MetadataURL.
    let metadata = NIOLockedValueBox<[String: (metadata: SAMLMetadata, read: Date)]>([:])
    /// OpenID providers' jwks_uri, read from their discovery documents (identity pools' logins).
    let discovered = NIOLockedValueBox<[String: (uri: String, read: Date)]>([:])
}
