import CognateModel
import Foundation
import NIOConcurrencyHelpers

/// The key Cognate signs identity pools' OpenID tokens with (GetOpenIdToken,
/// GetOpenIdTokenForDeveloperIdentity): RS256, made by the first node that needs it and kept in
/// the settings (its private half sealed with the master key, bound to its kid), so every node
/// signs with the same key. Published at `{issuer}/.well-known/jwks.json`.
public final class IdentityTokenKey: Sendable {
    static let settingName = "identity-pools:signing-key"
    /// The owner name the key is made and sealed under (no user pool has it: pool ids hold an underscore).
    static let owner = "identity-pools"

    let store: any SettingStore
    let keyring: Keyring
    let now: Now
    private let loaded = NIOLockedValueBox<SigningKey?>(nil)

    public init(store: any SettingStore, keyring: Keyring, now: @escaping Now) {
        self.store = store
        self.keyring = keyring
        self.now = now
    }

    /// The key, made on first use; two nodes making one at once keep the one stored first.
    public func key() async throws -> SigningKey {
        if let key = loaded.withLockedValue({ $0 }) { return key }
        var stored = try await store.setting(Self.settingName)
        if stored == nil {
            let made = try await keyring.factory.make(poolId: Self.owner, algorithm: .rs256, at: now())
            let text = String(decoding: try JSONEncoder().encode(made), as: UTF8.self)
            stored = try await store.setSettingIfAbsent(Self.settingName, value: text)
        }
        guard let stored, let key = try? JSONDecoder().decode(SigningKey.self, from: Data(stored.utf8)) else {
            throw StoreError.unavailable("the identity pools' signing key is unreadable")
        }
        loaded.withLockedValue { $0 = key }
        return key
    }

    public func sign(_ claims: TokenClaims) async throws -> String {
        try await keyring.sign(claims, with: try await key())
    }

    /// The claims of a token this key signed; throws `TokenError.invalidToken` for any other.
    public func verify(_ token: String) async throws -> TokenClaims {
        let key = try await key()
        guard Keyring.header(of: token)?["kid"] == key.kid else { throw TokenError.invalidToken("not signed by the identity pools' key") }
        do {
            return try await keyring.collection(for: key).verify(token, as: TokenClaims.self)
        } catch {
            throw TokenError.invalidToken("signature")
        }
    }

    public func jwks() async throws -> Data {
        Keyring.jwks([try await key()])
    }
}
