import CognateModel
import Foundation

extension SignInService {
    /// The server's state between USER_SRP_AUTH and PASSWORD_VERIFIER, sealed into the
    /// challenge's SECRET_BLOCK: no node has to remember it, and it is good for one answer.
    struct SRPState: Codable {
        var poolId: String
        var clientId: String
        /// The user's sub, or the phantom's for a name no one holds (it finds no user).
        var sub: UUID?
        var bigA: String
        var b: String
        var bigB: String
        var expiresAt: Date
    }

    static let srpContext = "srp-secret-block"
    /// How far the client's TIMESTAMP may be from the server's clock.
    static let srpTimestampSkew: TimeInterval = 300

    /// USER_SRP_AUTH: answers PASSWORD_VERIFIER with the salt, B and the sealed state. An unknown
    /// user (where the client hides that) gets a challenge that cannot be answered, shaped like a real one.
    public func startSRP(pool: UserPool, client: AppClient, username: String, srpA: String) async throws -> SignInOutcome {
        guard let a = BigNumber(hex: srpA), !a.modulo(CognitoSRP.n).isZero else {
            throw SignInError.invalidParameter("Invalid SRP_A")
        }
        let user = try await store.user(in: pool, named: username)
        let known: (user: User, salt: String, verifier: String)? = try user.flatMap { user in
            try credentials.openVerifier(of: user).map { (user, $0.salt, $0.verifier) }
        }
        if known == nil, !client.preventUserExistenceErrors, user == nil { throw SignInError.userNotFound }
        // A name no one holds gets the same salt on every call, as a user's stays the same.
        let verifier = known?.verifier ?? BigNumber(bytes: phantoms.bytes("srp-verifier", pool: pool, name: username, count: 384)).modulo(CognitoSRP.n).hex
        let salt = known?.salt ?? BigNumber(bytes: phantoms.bytes("srp-salt", pool: pool, name: username, count: 16)).hex
        let secret = random.bytes(32)
        guard let exchange = try await hasher.offload({ CognitoSRP.start(verifier: verifier, random: secret) }) else {
            throw SignInError.invalidParameter("Invalid SRP state")
        }
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        let sub = user?.sub ?? phantoms.sub(pool: pool, name: username)
        let state = SRPState(poolId: pool.id, clientId: client.clientId, sub: sub, bigA: srpA, b: exchange.b,
                             bigB: exchange.bigB, expiresAt: now().addingTimeInterval(Double(client.authSessionValidity) * 60))
        let block = try masterKey.seal(try encoder.encode(state), context: Self.srpContext)
        // Where email or phone is the user name, a user's USER_ID_FOR_SRP is its sub: a name no
        // one holds answers its phantom's, not the name it was asked with. So does an unknown
        // email or phone number typed where those are aliases: an account found by its alias
        // answers its own user name, which is never the address (Cognito refuses user names
        // shaped like an alias there), and a sub-shaped name is what such pools commonly use.
        let aliasShaped = (pool.aliasAttributes.contains("email") && UserAttributeRules.isEmail(username))
            || (pool.aliasAttributes.contains("phone_number") && username.hasPrefix("+") && username.dropFirst().allSatisfy(\.isNumber))
        let userId = user?.username ?? (pool.usernameAttributes.isEmpty && !aliasShaped ? username : sub.uuidString.lowercased())
        return .challenge(name: "PASSWORD_VERIFIER", session: "", parameters: [
            "SALT": salt, "SRP_B": exchange.bigB, "SECRET_BLOCK": block.base64EncodedString(),
            "USERNAME": userId, "USER_ID_FOR_SRP": userId,
        ])
    }

    /// PASSWORD_VERIFIER: checks the client's proof of the password; then as a password sign-in.
    public func completeSRP(pool: UserPool, client: AppClient, secretBlock: String, timestamp: String,
                            signature: String, scopes: [String] = [], deviceKey: String? = nil) async throws -> SignInOutcome {
        let user = try await proveSRP(pool: pool, client: client, secretBlock: secretBlock, timestamp: timestamp, signature: signature)
        return try await passwordProven(user: user, pool: pool, client: client, scopes: scopes, deviceKey: deviceKey)
    }

    /// The user whose password the PASSWORD_VERIFIER answer proves (each SECRET_BLOCK answers
    /// once, each try counted by the lockout); refused as a wrong password otherwise.
    func proveSRP(pool: UserPool, client: AppClient, secretBlock: String, timestamp: String, signature: String) async throws -> User {
        let refused = SignInError.notAuthorized("Incorrect username or password.")
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        guard let block = Data(base64Encoded: secretBlock),
            let plain = try? masterKey.open(block, context: Self.srpContext),
            let state = try? decoder.decode(SRPState.self, from: plain),
            state.poolId == pool.id, state.clientId == client.clientId
        else { throw SignInError.invalidSession }
        guard state.expiresAt > now() else { throw SignInError.invalidSession }
        guard let signedAt = CognitoSRP.parseTimestamp(timestamp), abs(signedAt.timeIntervalSince(now())) <= Self.srpTimestampSkew else {
            throw SignInError.invalidParameter("TIMESTAMP is malformed or too far from the server's clock")
        }
        guard try await store.claimOnce("srp:" + SecretDigest.sha256Hex(secretBlock), until: state.expiresAt) else {
            throw SignInError.invalidSession
        }
        guard let sub = state.sub else { throw refused }
        var found: User?
        let right = try await lockout.attempt(poolId: pool.id, sub: sub) {
            guard let user = try await store.user(poolId: pool.id, sub: sub), let stored = try credentials.openVerifier(of: user) else { return false }
            let exchange = CognitoSRP.Exchange(b: state.b, bigB: state.bigB)
            let verifier = stored.verifier
            guard let key = try await hasher.offload({ CognitoSRP.sessionKey(bigA: state.bigA, exchange: exchange, verifier: verifier) }) else {
                return false
            }
            let expected = CognitoSRP.signature(key: key, poolId: pool.id, userId: user.username, secretBlock: Array(block), timestamp: timestamp)
            guard constantTimeEquals(Array(expected.utf8), Array(signature.utf8)) else { return false }
            found = user
            return true
        }
        guard right, let user = found else { throw refused }
        return user
    }
}
