import CognateModel
import Crypto
import Foundation

/// Passkeys (WebAuthn) as Cognito models them: a signed-in user registers one
/// (StartWebAuthnRegistration, CompleteWebAuthnRegistration), lists and deletes them, and signs
/// in with one through USER_AUTH's WEB_AUTHN challenge, without a password. The pool offers them
/// when WEB_AUTHN is among its first factors; its WebAuthnConfiguration names the relying party
/// and whether user verification is required.
extension SignInService {
    /// Cognito's quota of passkeys per user.
    public static let passkeysPerUser = 20
    /// How long a registration's or a sign-in's challenge may be answered (the options' timeout).
    static let passkeyTimeout: TimeInterval = 300

    /// The pool's relying party: its RelyingPartyId, else the public URL's host; the public URL's origin may run ceremonies too.
    public func relyingParty(for pool: UserPool) throws -> RelyingParty {
        let configuration = pool.webAuthnConfiguration ?? WebAuthnConfiguration()
        let server = URL(string: tokens.issuerBase)
        guard let id = configuration.relyingPartyId ?? server?.host, !id.isEmpty else { throw WebAuthnError.configurationMissing }
        var origin: String?
        if let server, let scheme = server.scheme, let host = server.host { origin = "\(scheme)://\(host)" + (server.port.map { ":\($0)" } ?? "") }
        return RelyingParty(id: id, serverOrigin: origin, userVerificationRequired: configuration.userVerification == "required")
    }

    func requirePasskeys(_ pool: UserPool) throws {
        guard pool.firstAuthFactors.contains("WEB_AUTHN") else { throw WebAuthnError.notEnabled }
    }

    var passkeyChallengeKey: SymmetricKey { masterKey.derivedKey(purpose: "webauthn-registration") }

    /// A registration challenge the server need not keep: a nonce, its expiry and a MAC binding both to the user.
    func registrationChallenge(user: User, expiresAt: Date) -> String {
        let nonce = random.bytes(16)
        let expiry = withUnsafeBytes(of: UInt64(expiresAt.timeIntervalSince1970).bigEndian) { Array($0) }
        return Data(nonce + expiry + registrationMAC(user: user, nonce: nonce, expiry: expiry)).base64URLEncoded
    }

    func registrationMAC(user: User, nonce: [UInt8], expiry: [UInt8]) -> [UInt8] {
        let message = Data("\(user.poolId)|\(user.sub.uuidString.lowercased())|".utf8) + Data(nonce + expiry)
        return Array(HMAC<SHA256>.authenticationCode(for: message, using: passkeyChallengeKey).prefix(16))
    }

    /// The challenge a registration signed: one this server made for this user, not expired, not used before.
    func spendRegistrationChallenge(_ text: String, user: User) async throws {
        guard let raw = Data(base64URL: text).map(Array.init), raw.count == 40 else { throw WebAuthnError.challengeNotFound }
        let nonce = Array(raw[0..<16])
        let expiry = Array(raw[16..<24])
        let expected = registrationMAC(user: user, nonce: nonce, expiry: expiry)
        guard Self.constantTimeEqual(expected, Array(raw[24..<40])) else { throw WebAuthnError.challengeNotFound }
        let expiresAt = Date(timeIntervalSince1970: TimeInterval(expiry.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }))
        guard expiresAt > now(), try await store.claimOnce("webauthn-registration:" + Data(nonce).base64URLEncoded, until: expiresAt) else {
            throw WebAuthnError.challengeNotFound
        }
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// The user's passkeys, all of them (a user has 20 at most).
    func allPasskeys(of user: User) async throws -> [WebAuthnCredential] {
        try await store.webAuthnCredentials(poolId: user.poolId, userSub: user.sub, limit: Self.passkeysPerUser * 2, after: nil).items
    }

    /// StartWebAuthnRegistration: the options for `navigator.credentials.create` (PublicKeyCredentialCreationOptionsJSON).
    public func startPasskeyRegistration(user: User, pool: UserPool) async throws -> JSONValue {
        try requirePasskeys(pool)
        let rp = try relyingParty(for: pool)
        let existing = try await allPasskeys(of: user)
        guard existing.count < Self.passkeysPerUser else { throw WebAuthnError.limitExceeded }
        let configuration = pool.webAuthnConfiguration ?? WebAuthnConfiguration()
        let displayName = user.attributes["email"] ?? user.attributes["phone_number"] ?? user.username
        return .object([
            "challenge": .string(registrationChallenge(user: user, expiresAt: now().addingTimeInterval(Self.passkeyTimeout))),
            "rp": .object(["id": .string(rp.id), "name": .string(pool.name)]),
            "user": .object(["id": .string(Self.userHandle(user.sub).base64URLEncoded), "name": .string(user.username),
                             "displayName": .string(displayName)]),
            "pubKeyCredParams": .array(COSEKey.algorithms.map { .object(["type": .string("public-key"), "alg": .integer(Int64($0))]) }),
            "timeout": .integer(Int64(Self.passkeyTimeout * 1000)),
            "attestation": .string("none"),
            "excludeCredentials": .array(existing.map(Self.descriptor)),
            "authenticatorSelection": .object(["residentKey": .string("required"), "requireResidentKey": .bool(true),
                                               "userVerification": .string(configuration.userVerification)]),
        ])
    }

    /// The user handle passkeys carry: the sub's 16 bytes (never the name or an address).
    static func userHandle(_ sub: UUID) -> Data { withUnsafeBytes(of: sub.uuid) { Data($0) } }

    static func descriptor(_ passkey: WebAuthnCredential) -> JSONValue {
        var fields: [String: JSONValue] = ["type": .string("public-key"), "id": .string(passkey.id)]
        if !passkey.transports.isEmpty { fields["transports"] = .array(passkey.transports.map(JSONValue.string)) }
        return .object(fields)
    }

    /// CompleteWebAuthnRegistration: the browser's answer checked (WebAuthnCeremony) and its key kept.
    public func completePasskeyRegistration(user: User, pool: UserPool, credential: JSONValue) async throws -> WebAuthnCredential {
        try requirePasskeys(pool)
        let rp = try relyingParty(for: pool)
        let registration = try WebAuthnCeremony.register(credential, rp: rp)
        try await spendRegistrationChallenge(registration.challenge, user: user)
        let date = now()
        let passkey = WebAuthnCredential(
            id: registration.credentialId, poolId: pool.id, userSub: user.sub, publicKey: registration.publicKey, signCount: registration.signCount,
            relyingPartyId: rp.id, friendlyName: Self.friendlyName(attachment: registration.attachment, at: date), attachment: registration.attachment,
            transports: registration.transports, createdAt: date)
        do {
            // the limit is counted as the key is kept: registrations finished at once cannot pass it
            guard try await store.createWebAuthnCredential(passkey, limit: Self.passkeysPerUser) else { throw WebAuthnError.limitExceeded }
        } catch StoreError.duplicate {
            throw WebAuthnError.credentialExists
        }
        return passkey
    }

    static func friendlyName(attachment: String?, at date: Date) -> String {
        let day = ISO8601DateFormatter.string(from: date, timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withFullDate])
        return (attachment == "cross-platform" ? "Security key" : "Passkey") + " added \(day)"
    }

    public func passkeys(of user: User, limit: Int, after cursor: String?) async throws -> ListPage<WebAuthnCredential> {
        try await store.webAuthnCredentials(poolId: user.poolId, userSub: user.sub, limit: limit, after: cursor)
    }

    /// DeleteWebAuthnCredential: `StoreError.notFound` when the user has no such passkey.
    public func deletePasskey(of user: User, id: String) async throws {
        try await store.deleteWebAuthnCredential(poolId: user.poolId, userSub: user.sub, id: id)
    }

    // MARK: signing in

    /// USER_AUTH's WEB_AUTHN: a challenge for the user's passkeys. A name no one holds gets one
    /// for a credential id derived from the name, as stable as a real user's; its answer fails.
    func passkeyChallenge(user: User?, username: String, pool: UserPool, client: AppClient) async throws -> SignInOutcome {
        let rp = try relyingParty(for: pool)
        let challenge = Data(random.bytes(32)).base64URLEncoded
        let allowed: [JSONValue]
        if let user {
            allowed = try await allPasskeys(of: user).map(Self.descriptor)
        } else {
            let id = Data(phantoms.bytes("passkey", pool: pool, name: username, count: 32)).base64URLEncoded
            allowed = [.object(["type": .string("public-key"), "id": .string(id), "transports": .array([.string("internal"), .string("hybrid")])])]
        }
        let options = Self.requestOptions(challenge: challenge, rp: rp, pool: pool, allowed: allowed)
        let validity = min(Double(client.authSessionValidity) * 60, Self.passkeyTimeout)
        let session = try seal(ChallengeSession(
            poolId: pool.id, clientId: client.clientId, sub: user?.sub ?? phantoms.sub(pool: pool, name: username), challenge: "WEB_AUTHN",
            passwordFingerprint: user == nil ? Self.phantomFingerprint : "passkey", expiresAt: now().addingTimeInterval(validity),
            webAuthnChallenge: challenge))
        return .challenge(name: "WEB_AUTHN", session: session, parameters: ["CREDENTIAL_REQUEST_OPTIONS": options])
    }

    /// The options for `navigator.credentials.get` (PublicKeyCredentialRequestOptionsJSON), as JSON
    /// text; `allowed` empty asks for any of the pool's discoverable passkeys.
    static func requestOptions(challenge: String, rp: RelyingParty, pool: UserPool, allowed: [JSONValue]) -> String {
        let options: JSONValue = .object([
            "challenge": .string(challenge), "rpId": .string(rp.id), "timeout": .integer(Int64(passkeyTimeout * 1000)),
            "allowCredentials": .array(allowed),
            "userVerification": .string((pool.webAuthnConfiguration ?? WebAuthnConfiguration()).userVerification),
        ])
        return String(decoding: (try? JSONEncoder().encode(options)) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// The WEB_AUTHN answer (CREDENTIAL: AuthenticationResponseJSON). The session answers once;
    /// a passkey signs in alone, unless the pool requires MFA and the passkey does not count as
    /// two factors: then the second factor follows.
    public func answerPasskey(pool: UserPool, client: AppClient, session: String, credential: String, scopes: [String]) async throws -> SignInOutcome {
        let state = try open(session, pool: pool, client: client, challenge: "WEB_AUTHN")
        guard state.passwordFingerprint != Self.phantomFingerprint, let expected = state.webAuthnChallenge else { throw Self.passkeyRefused }
        let (user, verified) = try await provePasskey(pool: pool, credential: credential, challenge: expected, sub: state.sub,
                                                      claim: "challenge:" + SecretDigest.sha256Hex(session), until: state.expiresAt,
                                                      clientId: client.clientId)
        if pool.mfaConfiguration == .on, !Self.passkeyCountsAsTwoFactors(pool, userVerified: verified) {
            let eventId = UUID()
            if let next = try await mfaChallenge(user: user, pool: pool, client: client, eventId: eventId, withoutPassword: true) {
                await events.record(.signIn, .inProgress, user: user, clientId: client.clientId, steps: [], id: eventId)
                return next
            }
        }
        await events.record(.signIn, .pass, user: user, clientId: client.clientId, steps: [])
        return .tokens(try await tokensAfterSignIn(user: user, pool: pool, client: client, scopes: scopes))
    }

    static let passkeyRefused = SignInError.notAuthorized("Incorrect username or passkey.")

    /// Where the pool requires MFA, a passkey is enough alone only if it verified the user and the
    /// pool's FactorConfiguration counts that as two factors.
    public static func passkeyCountsAsTwoFactors(_ pool: UserPool, userVerified: Bool) -> Bool {
        userVerified && pool.webAuthnConfiguration?.factorConfiguration == "MULTI_FACTOR_WITH_USER_VERIFICATION"
    }

    /// A passkey's answer (AuthenticationResponseJSON) to `expected` checked: its passkey is one
    /// of the pool's (of `sub`, where the challenge was made for a user; else whoever's it is,
    /// as its user handle must then say), the ceremony passes (WebAuthnCeremony.verify), `claim`
    /// is spent (so an answer signs in once), and the counter moves from the value read. Returns
    /// the user (enabled and confirmed) and whether the authenticator verified them.
    func provePasskey(pool: UserPool, credential: String, challenge expected: String, sub: UUID?, claim: String, until: Date,
                      clientId: String?) async throws -> (user: User, userVerified: Bool) {
        let rp = try relyingParty(for: pool)
        guard credential.utf8.count <= 256 * 1024, let json = try? JSONDecoder().decode(JSONValue.self, from: Data(credential.utf8)) else {
            throw SignInError.invalidParameter("CREDENTIAL must be the passkey's answer as JSON")
        }
        let assertion = try WebAuthnCeremony.assertion(json, rp: rp)
        guard Self.constantTimeEqual(Array(assertion.challenge.utf8), Array(expected.utf8)) else { throw WebAuthnError.challengeNotFound }
        guard let passkey = try await store.webAuthnCredential(poolId: pool.id, id: assertion.credentialId), sub == nil || passkey.userSub == sub
        else { throw Self.passkeyRefused }
        // a discoverable sign-in names its user only through the handle: it must be there and match
        if let handle = assertion.userHandle { guard handle == Self.userHandle(passkey.userSub) else { throw Self.passkeyRefused } }
        else if sub == nil { throw Self.passkeyRefused }
        guard passkey.relyingPartyId == rp.id else { throw WebAuthnError.relyingPartyMismatch }
        let owner = try await store.user(poolId: pool.id, sub: passkey.userSub)
        let verified: (signCount: UInt32, userVerified: Bool)
        do {
            verified = try WebAuthnCeremony.verify(assertion, publicKey: passkey.publicKey, storedCount: passkey.signCount, rp: rp)
        } catch {
            if let owner { await events.record(.signIn, .fail, user: owner, clientId: clientId, steps: []) }
            throw error
        }
        guard try await store.claimOnce(claim, until: until) else { throw SignInError.invalidSession }
        // the counter moves from the value read; a use in between (a clone's) makes this one fail
        guard try await store.recordWebAuthnUse(poolId: pool.id, id: passkey.id, expected: passkey.signCount, signCount: verified.signCount, at: now())
        else { throw WebAuthnError.counterRegressed }
        guard let user = owner, user.enabled else { throw SignInError.notAuthorized("User is disabled.") }
        guard user.status == .confirmed else { throw Self.passkeyRefused }
        return (user, verified.userVerified)
    }
}
