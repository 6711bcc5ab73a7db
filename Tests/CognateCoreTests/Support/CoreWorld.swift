import CognateCore
import CognateMemoryStore
import CognateModel
import Crypto
import Foundation
import Logging
import NIOConcurrencyHelpers

/// A clock tests move by hand: Core reads time only through `Now`, so expiry is tested
/// without sleeping.
final class TestClock: Sendable {
    private let date = NIOLockedValueBox(fixedNow)
    var now: Now { { [date] in date.withLockedValue { $0 } } }
    func advance(_ seconds: TimeInterval) { date.withLockedValue { $0 = $0.addingTimeInterval(seconds) } }
}

/// Core's services wired as the server wires them, on the in-memory store, with a cheap
/// Argon2id and a clock the test moves: one authorization code's path, or an account's, runs in
/// milliseconds with no database and no HTTP.
struct CoreWorld {
    let store = MemoryStore()
    let clock = TestClock()
    let masterKey = MasterKey.generate()
    let hasher = PasswordHasher(parameters: Argon2Parameters(memoryKiB: 256, iterations: 1, parallelism: 1), workers: 2)
    let pools: PoolService
    let keyring: Keyring
    let tokens: TokenService
    let accounts: AccountService
    let signIn: SignInService
    let hosted: HostedSignIn
    let tokenEndpoint: TokenEndpoint
    let delivery: MessageDelivery
    let pool: UserPool
    /// A public client of the code flow (PKCE required), `https://app.example/cb`.
    let client: AppClient

    static let issuerBase = "https://id.example"
    static let callback = "https://app.example/cb"

    static func make(configure: (inout UserPool) -> Void = { _ in }) async throws -> CoreWorld {
        try await CoreWorld(configure: configure)
    }

    private init(configure: (inout UserPool) -> Void) async throws {
        let now = clock.now
        pools = PoolService(store: store, masterKey: masterKey, region: "local", now: now)
        keyring = Keyring(store: store, masterKey: masterKey, now: now)
        tokens = TokenService(store: store, keyring: keyring, issuerBase: Self.issuerBase, now: now)
        delivery = MessageDelivery(outbox: store, email: nil, sms: nil, masterKey: masterKey, now: now, logger: Logger(label: "cognate.test"))
        let credentials = Credentials(hasher: hasher, masterKey: masterKey)
        accounts = AccountService(store: store, credentials: credentials, hasher: hasher, delivery: delivery, tokens: tokens,
                                  masterKey: masterKey, events: AuthEvents(store: store, days: 90, now: now), now: now)
        signIn = SignInService(store: store, hasher: hasher, credentials: credentials, tokens: tokens, accounts: accounts,
                               masterKey: masterKey, decoyHash: try await hasher.hash("decoy"), now: now)
        hosted = HostedSignIn(store: store, signIn: signIn, tokens: tokens,
                              limits: AddressLimits(store: store, perHour: 20, signInFailuresPerHour: 100, now: now), now: now)
        tokenEndpoint = TokenEndpoint(hosted: hosted, tokens: tokens, store: store)
        pool = try await pools.createPool { pool in
            pool.name = "core"
            pool.aliasAttributes = ["email"]
            pool.autoVerifiedAttributes = ["email"]
            configure(&pool)
        }
        client = try await pools.createClient(poolId: pool.id, generateSecret: false) { client in
            client.name = "web"
            client.callbackURLs = [Self.callback]
            client.allowedOAuthFlows = [.code, .implicit]
            client.allowedOAuthScopes = ["openid", "email", "profile"]
            client.allowedOAuthFlowsUserPoolClient = true
            client.explicitAuthFlows = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
            client.preventUserExistenceErrors = true
        }.client
    }

    /// A confirmed user with a verified email.
    @discardableResult
    func user(_ name: String, password: String = "Correct-horse-1", status: UserStatus = .confirmed,
              temporaryUntil: Date? = nil) async throws -> User {
        try await UserCreator(store: store, credentials: Credentials(hasher: hasher, masterKey: masterKey), now: clock.now).create(
            NewUser(username: name, status: status, attributes: ["email": "\(name)@example.com", "email_verified": "true"],
                    password: .plain(password), temporaryPasswordExpiresAt: temporaryUntil), in: pool)
    }

    // MARK: PKCE

    static let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    static var challenge: String { Data(SHA256.hash(data: Data(verifier.utf8))).base64URLEncoded }

    /// /oauth2/authorize's parameters for the code flow with PKCE.
    func authorizeParameters(_ extra: [String: String] = [:]) -> [String: String] {
        ["response_type": "code", "client_id": client.clientId, "redirect_uri": Self.callback, "scope": "openid email",
         "state": "st-1", "nonce": "n-1", "code_challenge": Self.challenge, "code_challenge_method": "S256"]
            .merging(extra) { $1 }
    }

    /// Starts a sign-in as a browser would: the stored request and the browser's cookie value.
    func startSignIn(_ extra: [String: String] = [:], browser: String? = nil, session: String? = nil) async throws
        -> (request: AuthorizationRequest, browser: String)
    {
        let decision = try await hosted.authorize(pool: pool, parameters: authorizeParameters(extra), sessionCookie: session, browser: browser)
        guard case .login(let request, let binding) = decision else { throw WorldError("expected the login page, got \(decision)") }
        return (request, binding)
    }

    /// The `code` (and `state`) of a redirect to the callback.
    static func query(_ redirect: String) -> [String: String] {
        let items = URLComponents(string: redirect)?.queryItems ?? []
        return Dictionary(items.map { ($0.name, $0.value ?? "") }) { first, _ in first }
    }

    /// POST /oauth2/token with grant_type=authorization_code, as a public client.
    func redeem(_ code: String, verifier: String? = CoreWorld.verifier, redirectURI: String = CoreWorld.callback) async throws -> IssuedTokens {
        var parameters = ["grant_type": "authorization_code", "code": code, "redirect_uri": redirectURI, "client_id": client.clientId]
        parameters["code_verifier"] = verifier
        return try await tokenEndpoint.token(poolId: pool.id, parameters: parameters,
                                             credentials: ClientCredentials(clientId: client.clientId, secret: nil))
    }

    /// The plain text of the newest message sent to `destination`.
    func lastMessage(to destination: String) async throws -> String? {
        try await delivery.outbox(poolId: pool.id, limit: 50, after: nil).items.first { $0.destination == destination }?.body
    }
}

struct WorldError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
