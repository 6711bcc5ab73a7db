import CognateModel
import Foundation
import JWTKit
import NIOConcurrencyHelpers

/// A pool's keys as the token service and the JWKS endpoint need them.
///
/// Which key is active is read from the store on each call, so a rotation made by any node
/// is seen by all; the parsed private keys are cached by kid, which is safe because a kid
/// names one immutable key (its RFC 7638 thumbprint).
public final class Keyring: Sendable {
    let store: any SigningKeyStore & AppClientStore & UserPoolStore
    let factory: SigningKeyFactory
    let masterKey: MasterKey
    let now: Now
    private let parsed = NIOLockedValueBox<[String: JWTKeyCollection]>([:])
    private let rsaSigners = NIOLockedValueBox<[String: RS256Signer]>([:])

    public init(store: any SigningKeyStore & AppClientStore & UserPoolStore, masterKey: MasterKey, now: @escaping Now) {
        self.store = store
        self.masterKey = masterKey
        self.factory = SigningKeyFactory(masterKey: masterKey)
        self.now = now
    }

    /// The keys a relying party may still meet in a token: the active key, plus keys retired
    /// less than the longest ID or access token lifetime of the pool's clients ago.
    public func publishedKeys(poolId: String) async throws -> [SigningKey] {
        let keys = try await store.signingKeys(poolId: poolId)
        if !keys.contains(where: { $0.retiredAt != nil }) { return keys }  // no lifetimes to read
        let horizon = now().addingTimeInterval(-TimeInterval(try await longestTokenLifetime(poolId: poolId)))
        return keys.filter { key in key.retiredAt.map { $0 > horizon } ?? true }
    }

    /// The JWKS document (RFC 7517 §5) of `keys`, the pool's published keys.
    public static func jwks(_ keys: [SigningKey]) -> Data {
        Data("{\"keys\":[\(keys.map(\.publicJWK).joined(separator: ","))]}".utf8)
    }

    /// Makes a new active key for the pool; the old one stays published until tokens signed
    /// with it have expired.
    @discardableResult
    public func rotate(poolId: String, algorithm: SigningAlgorithm? = nil) async throws -> SigningKey {
        guard let pool = try await store.pool(id: poolId) else { throw StoreError.notFound("user pool \(poolId)") }
        let key = try await factory.make(poolId: poolId, algorithm: algorithm ?? pool.signingAlgorithm, at: now())
        try await store.rotate(to: key)
        return key
    }

    /// Signs `payload` with the pool's active key; the header carries its kid. RS256 keys sign
    /// with OpenSSL (`RS256Signer`), ES256 keys with JWTKit.
    public func sign(_ payload: some JWTPayload, poolId: String) async throws -> String {
        guard let active = try await store.signingKeys(poolId: poolId).first(where: \.isActive) else {
            throw StoreError.notFound("active signing key of \(poolId)")
        }
        return try await sign(payload, with: active)
    }

    /// Signs `payload` with `active`, whoever owns it (a pool, the identity pools).
    func sign(_ payload: some JWTPayload, with active: SigningKey) async throws -> String {
        guard active.algorithm == .rs256 else {
            let collection = try await collection(for: active)
            return try await collection.sign(payload, kid: JWKIdentifier(string: active.kid))
        }
        let signer = try rsaSigner(for: active)
        // RFC 7515 §7.1: BASE64URL(header) . BASE64URL(payload) . BASE64URL(signature)
        let header = Data("{\"alg\":\"RS256\",\"kid\":\"\(active.kid)\",\"typ\":\"JWT\"}".utf8).base64URLEncoded
        let body = try ((payload as? TokenClaims)?.json).map { Data($0) } ?? Self.payloadEncoder.encode(payload)
        let encodedBody = body.base64URLEncoded
        let signingInput = header + "." + encodedBody
        let signature = try signer.sign(Array(signingInput.utf8))
        return signingInput + "." + Data(signature).base64URLEncoded
    }

    static let payloadEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .secondsSince1970
        return encoder
    }()

    /// The OpenSSL signer for an RS256 key, opened and parsed once per process.
    func rsaSigner(for key: SigningKey) throws -> RS256Signer {
        if let cached = rsaSigners.withLockedValue({ $0[key.kid] }) { return cached }
        let signer = try RS256Signer(pem: try privateKeyPEM(key))
        return rsaSigners.withLockedValue { cache in
            if let existing = cache[key.kid] { return existing }
            cache[key.kid] = signer
            return signer
        }
    }

    /// The key's private PEM, opened with the master key (bound to its pool and kid).
    func privateKeyPEM(_ key: SigningKey) throws -> String {
        String(decoding: try masterKey.open(key.sealedPrivateKey, context: SigningKeyFactory.sealContext(poolId: key.poolId, kid: key.kid)),
               as: UTF8.self)
    }

    /// The parsed key for `key.kid`, opened and parsed once per process.
    func collection(for key: SigningKey) async throws -> JWTKeyCollection {
        if let cached = parsed.withLockedValue({ $0[key.kid] }) { return cached }
        let pem = try privateKeyPEM(key)
        let collection = JWTKeyCollection()
        switch key.algorithm {
        case .rs256:
            await collection.add(rsa: try Insecure.RSA.PrivateKey(pem: pem), digestAlgorithm: .sha256, kid: JWKIdentifier(string: key.kid))
        case .es256:
            await collection.add(ecdsa: try ES256PrivateKey(pem: pem), kid: JWKIdentifier(string: key.kid))
        }
        return parsed.withLockedValue { cache in
            if let existing = cache[key.kid] { return existing }
            cache[key.kid] = collection
            return collection
        }
    }

    /// Verifies a token's signature against the key its `kid` names, if that key belongs to a pool
    /// and is still published. Returns the claims; the caller checks what they say.
    public func verify(_ token: String) async throws -> TokenClaims {
        guard let kid = Self.header(of: token)?["kid"] else { throw TokenError.invalidToken("malformed") }
        guard let key = try await store.signingKey(kid: kid) else { throw TokenError.invalidToken("unknown key") }
        // The active key needs no more reads; only a retired one is checked against the horizon.
        if let retiredAt = key.retiredAt {
            let horizon = now().addingTimeInterval(-TimeInterval(try await longestTokenLifetime(poolId: key.poolId)))
            guard retiredAt > horizon else { throw TokenError.invalidToken("key retired") }
        }
        do {
            return try await collection(for: key).verify(token, as: TokenClaims.self)
        } catch {
            throw TokenError.invalidToken("signature")
        }
    }

    /// A compact JWS's header (its string members), or nil when the token is not three parts with a JSON header.
    static func header(of token: String) -> [String: String]? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let data = Data(lenientBase64: parts[0]) else { return nil }
        return try? JSONDecoder().decode([String: String].self, from: data)
    }

    /// Number of keys parsed so far (for tests of the cache).
    public var parsedKeyCount: Int {
        Set(parsed.withLockedValue { Array($0.keys) } + rsaSigners.withLockedValue { Array($0.keys) }).count
    }

    func longestTokenLifetime(poolId: String) async throws -> Int {
        var longest = TokenValidity.idAccessRange.lowerBound
        if let pool = try await store.pool(id: poolId) {
            longest = max(longest, pool.tokenValidity.idToken, pool.tokenValidity.accessToken)
        }
        var cursor: String?
        repeat {
            let page = try await store.listClients(poolId: poolId, limit: 60, after: cursor)
            for client in page.items {
                longest = max(longest, client.tokenValidity.idToken, client.tokenValidity.accessToken)
            }
            cursor = page.next
        } while cursor != nil
        return longest
    }
}
