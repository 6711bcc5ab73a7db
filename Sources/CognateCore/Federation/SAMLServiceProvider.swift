import CognateModel
import CognateSAML
import CryptoExtras
import Foundation
import NIOConcurrencyHelpers

/// Cognate as a SAML 2.0 service provider of a pool: its entity id, as Cognito names it, its
/// two keys (one signs AuthnRequests and LogoutRequests, one decrypts assertions; each shown to
/// IdPs as a ten-year self-signed certificate), and the metadata an IdP administrator loads to
/// trust it (SAML 2.0 Metadata §2.4.4).
public struct SAMLServiceProvider: Sendable {
    /// A private key (PEM) and its certificate.
    public struct Key: Sendable {
        public var privateKeyPEM: String
        public var certificate: Data
    }

    public struct Keys: Sendable {
        public var signing: Key
        public var encryption: Key
    }

    let store: any SettingStore
    let masterKey: MasterKey
    let now: Now
    /// The keys once read (they never change once made): a cache, every node reads its own.
    let kept = NIOLockedValueBox<[String: Keys]>([:])

    public init(store: any SettingStore, masterKey: MasterKey, now: @escaping Now) {
        self.store = store
        self.masterKey = masterKey
        self.now = now
    }

    /// `urn:amazon:cognito:sp:<poolId>`: the Audience every assertion for the pool must name.
    public static func entityId(poolId: String) -> String { "urn:amazon:cognito:sp:\(poolId)" }

    /// What is stored (a setting per pool): the private keys sealed with the master key.
    struct Stored: Codable {
        struct SealedKey: Codable {
            var sealedPrivateKey: Data
            var certificate: Data
        }
        var signing: SealedKey
        var encryption: SealedKey
    }

    static func keyContext(_ purpose: String, poolId: String) -> String { "saml-\(purpose):\(poolId)" }

    /// The pool's keys, made on first use; two nodes making them at once keep the first stored.
    public func keys(poolId: String) async throws -> Keys {
        if let keys = kept.withLockedValue({ $0[poolId] }) { return keys }
        let name = PoolSettings.name("saml-sp-keys", poolId: poolId)
        let text: String
        if let existing = try await store.setting(name) {
            text = existing
        } else {
            let made = Stored(signing: try makeKey(poolId: poolId, purpose: "signing"), encryption: try makeKey(poolId: poolId, purpose: "encryption"))
            text = try await store.setSettingIfAbsent(name, value: String(decoding: try JSONEncoder().encode(made), as: UTF8.self))
        }
        let stored = try JSONDecoder().decode(Stored.self, from: Data(text.utf8))
        func open(_ key: Stored.SealedKey, _ purpose: String) throws -> Key {
            let pem = String(decoding: try masterKey.open(key.sealedPrivateKey, context: Self.keyContext(purpose, poolId: poolId)), as: UTF8.self)
            return Key(privateKeyPEM: pem, certificate: key.certificate)
        }
        let keys = Keys(signing: try open(stored.signing, "signing"), encryption: try open(stored.encryption, "encryption"))
        kept.withLockedValue { $0[poolId] = keys }
        return keys
    }

    /// A new RSA-2048 key, sealed, with its certificate.
    func makeKey(poolId: String, purpose: String) throws -> Stored.SealedKey {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let certificate = try X509Certificate.selfSigned(privateKeyPEM: key.pemRepresentation, commonName: Self.entityId(poolId: poolId),
                                                         now: now())
        let sealed = try masterKey.seal(Data(key.pemRepresentation.utf8), context: Self.keyContext(purpose, poolId: poolId))
        return Stored.SealedKey(sealedPrivateKey: sealed, certificate: certificate.der)
    }

    /// The SP metadata of a pool whose hosted endpoints are at `base` (its issuer): responses
    /// are posted to `{base}/saml2/idpresponse` (HTTP-POST), logout answers to `{base}/saml2/logout`
    /// (HTTP-POST, as Cognito asks, or HTTP-Redirect).
    public static func metadata(poolId: String, base: String, keys: Keys) -> String {
        let entity = SAMLMessages.escape(entityId(poolId: poolId))
        let base = SAMLMessages.escape(base)
        func descriptor(_ use: String, _ key: Key) -> String {
            """
                <md:KeyDescriptor use="\(use)"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>\(key.certificate.base64EncodedString())</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
            """
        }
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="\(entity)">
              <md:SPSSODescriptor AuthnRequestsSigned="false" WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
            \(descriptor("signing", keys.signing))
            \(descriptor("encryption", keys.encryption))
                <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="\(base)/saml2/logout"/>
                <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="\(base)/saml2/logout"/>
                <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified</md:NameIDFormat>
                <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
                <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
                <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="\(base)/saml2/idpresponse" index="1" isDefault="true"/>
              </md:SPSSODescriptor>
            </md:EntityDescriptor>

            """
    }
}
