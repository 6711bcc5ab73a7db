import CognateModel
import Crypto
import Foundation

/// Remembered devices (the pool's DeviceConfiguration), as Cognito and its SDKs use them: a
/// sign-in without a known device hands out NewDeviceMetadata (a device key and group key), the
/// app registers an SRP verifier for a secret only it holds (ConfirmDevice), and later sign-ins
/// that name the device prove that secret (DEVICE_SRP_AUTH, DEVICE_PASSWORD_VERIFIER) after the
/// password; a remembered device then skips the second factor where the pool says so.
extension SignInService {
    static let deviceVerifierContextPrefix = "device-verifier:"
    static let deviceSRPContext = "device-srp-secret-block"

    /// What ConfirmDevice registered: the SRP salt and verifier, hex.
    struct DeviceVerifier: Codable {
        var salt: String
        var verifier: String
    }

    /// The server's state between DEVICE_SRP_AUTH and DEVICE_PASSWORD_VERIFIER, sealed into the
    /// challenge's SECRET_BLOCK (answered once).
    struct DeviceSRPState: Codable {
        var poolId: String
        var clientId: String
        var sub: UUID
        var deviceKey: String
        var bigA: String
        var b: String
        var bigB: String
        var expiresAt: Date
        var eventId: UUID?
    }

    /// A device for a sign-in on a pool that tracks devices and named none it knows; nil where the pool does not.
    func newDevice(user: User, pool: UserPool) async throws -> Device? {
        guard pool.deviceConfiguration != nil else { return nil }
        let region = pool.id.split(separator: "_").first.map(String.init) ?? "local"
        let device = Device(key: "\(region)_\(UUID().uuidString.lowercased())", poolId: pool.id, userSub: user.sub,
                            groupKey: "-" + random.string(count: 9, alphabet: Alphabet.alphanumeric), createdAt: now())
        try await store.createDevice(device)
        return device
    }

    /// The user's confirmed device a sign-in names (DEVICE_KEY) on a pool that tracks devices; nil otherwise.
    func knownDevice(_ key: String?, user: User, pool: UserPool) async throws -> Device? {
        guard pool.deviceConfiguration != nil, let key, !key.isEmpty, key.count <= 55,
            let device = try await store.device(poolId: pool.id, key: key), device.userSub == user.sub, device.isConfirmed
        else { return nil }
        return device
    }

    /// DEVICE_SRP_AUTH, asked after the password of a sign-in that names a confirmed device of the user.
    func deviceChallenge(device: Device, user: User, client: AppClient, eventId: UUID?) throws -> SignInOutcome {
        let session = try seal(ChallengeSession(
            poolId: user.poolId, clientId: client.clientId, sub: user.sub, challenge: "DEVICE_SRP_AUTH",
            passwordFingerprint: Self.fingerprint(user.passwordHash ?? ""),
            expiresAt: now().addingTimeInterval(Double(client.authSessionValidity) * 60), eventId: eventId, deviceKey: device.key))
        return .challenge(name: "DEVICE_SRP_AUTH", session: session, parameters: ["USERNAME": user.username, "DEVICE_KEY": device.key])
    }

    /// The answer to DEVICE_SRP_AUTH (the device's SRP_A, with the session the password step
    /// gave): DEVICE_PASSWORD_VERIFIER with the device's salt, B and the sealed state, which
    /// carries the exchange on (no session: as PASSWORD_VERIFIER's).
    public func startDeviceSRP(pool: UserPool, client: AppClient, session: String, deviceKey: String, srpA: String) async throws -> SignInOutcome {
        let (user, state) = try await sessionUser(session, pool: pool, client: client, challenge: "DEVICE_SRP_AUTH")
        guard state.deviceKey == deviceKey, let device = try await knownDevice(deviceKey, user: user, pool: pool),
            let stored = try openVerifier(of: device)
        else { throw SignInError.notAuthorized("Device does not exist.") }
        guard let a = BigNumber(hex: srpA), !a.modulo(CognitoSRP.n).isZero else { throw SignInError.invalidParameter("Invalid SRP_A") }
        let secret = random.bytes(32)
        guard let exchange = try await hasher.offload({ CognitoSRP.start(verifier: stored.verifier, random: secret) }) else {
            throw SignInError.invalidParameter("Invalid SRP state")
        }
        // the session answers once: a second SRP_A for it is refused
        guard try await store.claimOnce("challenge:" + SecretDigest.sha256Hex(session), until: state.expiresAt) else {
            throw SignInError.invalidSession
        }
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        let block = try masterKey.seal(try encoder.encode(DeviceSRPState(
            poolId: pool.id, clientId: client.clientId, sub: user.sub, deviceKey: device.key, bigA: srpA, b: exchange.b, bigB: exchange.bigB,
            expiresAt: state.expiresAt, eventId: state.eventId)), context: Self.deviceSRPContext)
        return .challenge(name: "DEVICE_PASSWORD_VERIFIER", session: "", parameters: [
            "USERNAME": user.username, "DEVICE_KEY": device.key, "SRP_B": exchange.bigB, "SALT": stored.salt,
            "SECRET_BLOCK": block.base64EncodedString(),
        ])
    }

    /// DEVICE_PASSWORD_VERIFIER: the device proves its secret (the SECRET_BLOCK carries the
    /// exchange and answers once); then the second factor, unless the device is remembered and
    /// the pool lets remembered devices skip it; then tokens that name the device.
    public func completeDeviceSRP(pool: UserPool, client: AppClient, secretBlock: String, timestamp: String, signature: String,
                                  deviceKey: String?, scopes: [String] = []) async throws -> SignInOutcome {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        guard let block = Data(base64Encoded: secretBlock),
            let plain = try? masterKey.open(block, context: Self.deviceSRPContext),
            let state = try? decoder.decode(DeviceSRPState.self, from: plain),
            state.poolId == pool.id, state.clientId == client.clientId, state.expiresAt > now(),
            deviceKey == nil || deviceKey == state.deviceKey
        else { throw SignInError.invalidSession }
        guard let signedAt = CognitoSRP.parseTimestamp(timestamp), abs(signedAt.timeIntervalSince(now())) <= Self.srpTimestampSkew else {
            throw SignInError.invalidParameter("TIMESTAMP is malformed or too far from the server's clock")
        }
        guard try await store.claimOnce("device-srp:" + SecretDigest.sha256Hex(secretBlock), until: state.expiresAt) else {
            throw SignInError.invalidSession
        }
        guard let user = try await store.user(poolId: pool.id, sub: state.sub), user.enabled, user.status == .confirmed else {
            throw SignInError.invalidSession
        }
        let refused = SignInError.notAuthorized("Incorrect username or password.")
        guard let device = try await knownDevice(state.deviceKey, user: user, pool: pool), let stored = try openVerifier(of: device) else {
            throw SignInError.notAuthorized("Device does not exist.")
        }
        let exchange = CognitoSRP.Exchange(b: state.b, bigB: state.bigB)
        guard let key = try await hasher.offload({ CognitoSRP.sessionKey(bigA: state.bigA, exchange: exchange, verifier: stored.verifier) }) else {
            throw refused
        }
        let message = Array(device.groupKey.utf8) + Array(device.key.utf8) + Array(block) + Array(timestamp.utf8)
        let expected = Data(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key))).base64EncodedString()
        guard constantTimeEquals(Array(expected.utf8), Array(signature.utf8)) else {
            await events.settle(state.eventId, poolId: pool.id, .fail, steps: [.init(.password, true)])
            throw refused
        }
        let date = now()
        let authenticated = try await store.updateDevice(poolId: pool.id, key: device.key) { $0.lastAuthenticatedAt = date }
        let skipsSecondFactor = authenticated.remembered && pool.deviceConfiguration?.challengeRequiredOnNewDevice == true
        if !skipsSecondFactor,
            let challenge = try await mfaChallenge(user: user, pool: pool, client: client, eventId: state.eventId, deviceKey: device.key)
        {
            return challenge
        }
        let issued = try await tokensAfterSignIn(user: user, pool: pool, client: client, scopes: scopes, device: device.key)
        await events.settle(state.eventId, poolId: pool.id, .pass, steps: [.init(.password, true)])
        return .tokens(issued)
    }

    func openVerifier(of device: Device) throws -> DeviceVerifier? {
        guard let sealed = device.sealedVerifier else { return nil }
        return try JSONDecoder().decode(DeviceVerifier.self, from: try masterKey.open(sealed, context: Self.deviceVerifierContextPrefix + device.key))
    }

    // MARK: The devices API

    /// ConfirmDevice: the device's SRP salt and verifier (base64, as the SDKs send them) for a
    /// device a sign-in of this user handed out. Returns whether the user must still choose to
    /// remember it (UserConfirmationNecessary: the pool's DeviceOnlyRememberedOnUserPrompt).
    public func confirmDevice(user: User, pool: UserPool, deviceKey: String, verifier: String, salt: String, name: String?,
                              address: String?) async throws -> Bool {
        guard let configuration = pool.deviceConfiguration else {
            throw SignInError.invalidParameter("Device tracking is not enabled for this user pool.")
        }
        guard let verifierBytes = Data(base64Encoded: verifier), (1...385).contains(verifierBytes.count),  // 3072 bits, padded with 00 when the top bit is set
            let v = BigNumber(hex: verifierBytes.hexString), !v.isZero, v.isLess(than: CognitoSRP.n)
        else { throw SignInError.invalidParameter("DeviceSecretVerifierConfig.PasswordVerifier is not a valid SRP verifier.") }
        guard let saltBytes = Data(base64Encoded: salt), (1...64).contains(saltBytes.count) else {
            throw SignInError.invalidParameter("DeviceSecretVerifierConfig.Salt is not a valid salt.")
        }
        let sealed = try masterKey.seal(try JSONEncoder().encode(DeviceVerifier(salt: saltBytes.hexString, verifier: v.hex)),
                                        context: Self.deviceVerifierContextPrefix + deviceKey)
        let date = now()
        _ = try await updateOwnDevice(user: user, pool: pool, key: deviceKey) { device in
            guard !device.isConfirmed else { throw SignInError.invalidParameter("The device has already been confirmed.") }
            device.sealedVerifier = sealed
            device.name = name
            device.lastIP = address
            device.remembered = !configuration.deviceOnlyRememberedOnUserPrompt
            device.updatedAt = date
            device.lastAuthenticatedAt = date
        }
        return configuration.deviceOnlyRememberedOnUserPrompt
    }

    /// ListDevices: the user's confirmed devices.
    public func devices(of user: User, pool: UserPool, limit: Int, after cursor: String?) async throws -> ListPage<Device> {
        try await store.devices(poolId: pool.id, userSub: user.sub, limit: limit, after: cursor)
    }

    /// UpdateDeviceStatus: remembered or not.
    public func setDeviceRemembered(_ remembered: Bool, user: User, pool: UserPool, deviceKey: String) async throws {
        let date = now()
        _ = try await updateOwnDevice(user: user, pool: pool, key: deviceKey, confirmed: true) { device in
            device.remembered = remembered
            device.updatedAt = date
        }
    }

    /// The user's device (confirmed, unless `confirmed` is false); ResourceNotFoundException otherwise.
    public func device(of user: User, pool: UserPool, key: String, confirmed: Bool = true) async throws -> Device {
        guard let device = try await store.device(poolId: pool.id, key: key), device.userSub == user.sub, !confirmed || device.isConfirmed else {
            throw ServiceRefusal("ResourceNotFoundException", "Device does not exist.")
        }
        return device
    }

    /// ForgetDevice: the device is gone; a sign-in naming it is a new device's again.
    public func forgetDevice(user: User, pool: UserPool, key: String) async throws {
        _ = try await device(of: user, pool: pool, key: key, confirmed: false)
        do {
            try await store.deleteDevice(poolId: pool.id, key: key)
        } catch StoreError.notFound {
            throw ServiceRefusal("ResourceNotFoundException", "Device does not exist.")  // forgotten a moment ago
        }
    }

    func updateOwnDevice(user: User, pool: UserPool, key: String, confirmed: Bool = false,
                         _ change: @escaping @Sendable (inout Device) throws -> Void) async throws -> Device {
        _ = try await device(of: user, pool: pool, key: key, confirmed: confirmed)
        do {
            return try await store.updateDevice(poolId: pool.id, key: key, change)
        } catch StoreError.notFound {
            throw ServiceRefusal("ResourceNotFoundException", "Device does not exist.")
        }
    }
}
