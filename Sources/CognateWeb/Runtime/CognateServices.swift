import CognateCognitoAPI
import CognateCore
import CognateModel
import CognateStore
import Foundation
import NIOConcurrencyHelpers
import Vapor

/// The services every request and command uses, made once the database is migrated and the
/// master key proven. They hold no per-user state: any node can serve any request. A class, so
/// a request takes one reference instead of copying (and retaining) every service.
public final class CognateServices: Sendable {
    public let configuration: CognateConfiguration
    /// The store, by its protocols: nothing above the store layer depends on Fluent.
    public let store: any CognateStore
    public let masterKey: MasterKey
    public let hasher: CognateCore.PasswordHasher
    public let credentials: Credentials
    public let keyring: Keyring
    public let pools: PoolService
    public let adminCredentials: AdminCredentials
    /// Cognito's Identity Provider JSON API.
    public let api: CognitoAPI
    public let domains: HostedDomains
    public let tokens: TokenService
    public let hosted: HostedSignIn
    /// /oauth2/token, /oauth2/revoke and /oauth2/userInfo.
    public let tokenEndpoint: TokenEndpoint
    /// Sign-in through outside OpenID providers (/oauth2/idpresponse).
    public let federated: FederatedSignIn
    public let accounts: AccountService
    /// Sends messages; reads the outbox with the texts opened.
    public let delivery: MessageDelivery
    public let limits: AddressLimits
    /// `{base}/gateway/check`: token checks for proxies.
    public let gateway: GatewayCheck
    /// The public base URL without a trailing slash; issuers are `{publicURL}/{pool id}`.
    public let publicURL: String
    public let now: Now

    init(configuration: CognateConfiguration, store: any CognateStore, masterKey: MasterKey, hasher: CognateCore.PasswordHasher,
         credentials: Credentials, keyring: Keyring, pools: PoolService, adminCredentials: AdminCredentials, api: CognitoAPI,
         domains: HostedDomains, tokens: TokenService, hosted: HostedSignIn, federated: FederatedSignIn, accounts: AccountService,
         delivery: MessageDelivery,
         limits: AddressLimits, publicURL: String, now: @escaping Now) {
        self.configuration = configuration
        self.store = store
        self.masterKey = masterKey
        self.hasher = hasher
        self.credentials = credentials
        self.keyring = keyring
        self.pools = pools
        self.adminCredentials = adminCredentials
        self.api = api
        self.domains = domains
        self.tokens = tokens
        self.hosted = hosted
        self.tokenEndpoint = TokenEndpoint(hosted: hosted, tokens: tokens, store: store)
        self.federated = federated
        self.accounts = accounts
        self.delivery = delivery
        self.limits = limits
        self.gateway = GatewayCheck(tokens: tokens, keyring: keyring, store: store, masterKey: masterKey,
                                    cacheSeconds: configuration.gatewayCacheSeconds, now: now)
        self.publicURL = publicURL
        self.now = now
    }

    public var imports: UserImports { api.imports }

    public func issuer(poolId: String) -> String { "\(publicURL)/\(poolId)" }
}

extension Application {
    struct ServicesKey: StorageKey {
        typealias Value = CognateServices
    }

    struct SettingsKey: StorageKey {
        typealias Value = CognateSettings
    }

    /// Set by `CognateRuntime.prepare`; `nil` before.
    public var cognate: CognateServices? {
        get { storage[ServicesKey.self] }
        set { storage[ServicesKey.self] = newValue }
    }

    /// Set once a stopping node drains (COGNATE_SHUTDOWN_DRAIN_SECONDS): `/ready` answers 503.
    /// Made by `configure`, before any request, so requests only read the storage.
    var draining: NIOLockedValueBox<Bool> {
        get { storage[DrainingKey.self] ?? NIOLockedValueBox(false) }
        set { storage[DrainingKey.self] = newValue }
    }

    var cognateSettings: CognateSettings? {
        get { storage[SettingsKey.self] }
        set { storage[SettingsKey.self] = newValue }
    }
}

extension Request {
    /// The services, or 503 while the server is still starting.
    func services() throws -> CognateServices {
        guard let services = application.cognate else {
            throw Abort(.serviceUnavailable, reason: "Cognate is starting")
        }
        return services
    }

    /// The client's address: the peer's, or behind a trusted proxy (COGNATE_TRUSTED_PROXIES)
    /// the rightmost untrusted hop of X-Forwarded-For.
    var clientAddress: String? {
        let peer = remoteAddress?.ipAddress
        guard let proxies = application.cognate?.configuration.trustedProxies, !proxies.networks.isEmpty else { return peer }
        return proxies.client(peer: peer, forwardedFor: headers[.xForwardedFor])
    }
}

/// What `configure` learned before the database was opened.
struct CognateSettings: Sendable {
    var configuration: CognateConfiguration
    var configFile: ConfigFile?
    var port: Int
    var now: Now
}

struct DrainingKey: StorageKey {
    typealias Value = NIOLockedValueBox<Bool>
}
