import CognateSAML
import Crypto
import Foundation

/// Why a passkey registration or assertion is refused; the API names each as Cognito does.
public enum WebAuthnError: Error, Equatable, Sendable {
    /// The pool does not offer passkeys (WEB_AUTHN is not among its first factors).
    case notEnabled
    /// The pool has no relying party: no RelyingPartyId, domain or public URL.
    case configurationMissing
    /// The challenge the browser signed is not one Cognate gave out for this, or is spent or old.
    case challengeNotFound
    /// The authenticator signed for another relying party (rpIdHash).
    case relyingPartyMismatch
    /// The page that ran the ceremony is not one of the relying party's.
    case originNotAllowed(String)
    /// The client data is not a registration (webauthn.create) or an assertion (webauthn.get).
    case clientMismatch(String)
    /// A key algorithm or attestation format Cognate does not accept.
    case notSupported(String)
    /// The credential JSON, its CBOR or its signature is wrong.
    case invalid(String)
    /// The pool requires user verification and the authenticator did not do it.
    case userVerificationRequired
    /// The authenticator's signature counter went backwards: a cloned authenticator, maybe.
    case counterRegressed
    /// The credential is registered already.
    case credentialExists
    /// The user has as many passkeys as a user may have.
    case limitExceeded
}

/// The relying party a ceremony is checked against: its id (a domain) and the pages allowed to
/// speak for it.
public struct RelyingParty: Sendable, Equatable {
    public var id: String
    /// The server's own origin (COGNATE_PUBLIC_URL's), allowed where its host is the RP id or under it.
    public var serverOrigin: String?
    public var userVerificationRequired: Bool

    public init(id: String, serverOrigin: String?, userVerificationRequired: Bool) {
        self.id = id.lowercased()
        self.serverOrigin = serverOrigin?.lowercased()
        self.userVerificationRequired = userVerificationRequired
    }

    /// WebAuthn's rule: an https origin whose host is the RP id or a subdomain of it; plain
    /// http only on localhost (browsers allow it there) or where it is the server's own origin.
    public func allows(origin: String) -> Bool {
        guard let url = URL(string: origin), let scheme = url.scheme?.lowercased(), let host = url.host?.lowercased(),
            url.path.isEmpty, url.query == nil, url.user == nil
        else { return false }
        let under = host == id || host.hasSuffix("." + id)
        switch scheme {
        case "https": return under
        case "http": return under && (host == "localhost" || origin.lowercased() == serverOrigin)
        default: return false
        }
    }

    var idHash: Data { Data(SHA256.hash(data: Data(id.utf8))) }
}

/// The browser's record of a ceremony (CollectedClientData), parsed from its JSON bytes.
struct ClientData: Decodable {
    var type: String
    var challenge: String
    var origin: String
    var crossOrigin: Bool?
}

/// Authenticator data (WebAuthn §6.1): the RP id hash, flags, counter, and for a registration
/// the new credential's id and COSE key.
public struct AuthenticatorData: Sendable {
    public var rpIdHash: Data
    public var flags: UInt8
    public var signCount: UInt32
    public var credentialId: Data?
    public var publicKey: Data?

    public var userPresent: Bool { flags & 0x01 != 0 }
    public var userVerified: Bool { flags & 0x04 != 0 }
    var attested: Bool { flags & 0x40 != 0 }
    var hasExtensions: Bool { flags & 0x80 != 0 }

    public init(_ bytes: Data) throws {
        let raw = [UInt8](bytes)
        guard raw.count >= 37 else { throw WebAuthnError.invalid("authenticator data is shorter than 37 bytes") }
        rpIdHash = Data(raw[0..<32])
        flags = raw[32]
        signCount = raw[33..<37].reduce(0) { $0 << 8 | UInt32($1) }
        var offset = 37
        if flags & 0x40 != 0 {
            guard raw.count >= offset + 18 else { throw WebAuthnError.invalid("attested credential data is cut off") }
            let length = Int(raw[offset + 16]) << 8 | Int(raw[offset + 17])
            offset += 18
            guard length > 0, length <= 1023, raw.count >= offset + length else { throw WebAuthnError.invalid("the credential id is cut off or too long") }
            credentialId = Data(raw[offset..<offset + length])
            offset += length
            var consumed = 0
            do { _ = try CBOR.decode(raw[offset...], consumed: &consumed) } catch { throw WebAuthnError.invalid("the credential public key is not CBOR") }
            publicKey = Data(raw[offset..<offset + consumed])
            offset += consumed
        }
        if flags & 0x80 != 0 {
            var consumed = 0
            do { _ = try CBOR.decode(raw[offset...], consumed: &consumed) } catch { throw WebAuthnError.invalid("the extensions are not CBOR") }
            offset += consumed
        }
        guard offset == raw.count else { throw WebAuthnError.invalid("authenticator data has \(raw.count - offset) bytes too many") }
    }
}

/// The checks of WebAuthn Level 2 §7.1 (registration) and §7.2 (authentication), on the JSON
/// forms browsers' `toJSON()` give (RegistrationResponseJSON, AuthenticationResponseJSON).
public enum WebAuthnCeremony {
    /// A registration that passed its checks but the challenge's: the caller checks that.
    public struct Registration: Sendable {
        public var credentialId: String
        public var publicKey: Data
        public var signCount: UInt32
        public var userVerified: Bool
        public var transports: [String]
        public var attachment: String?
        /// The challenge the browser signed, base64url as it sent it.
        public var challenge: String
        public var attestationFormat: String
    }

    /// An assertion parsed: the credential it names and the challenge it signed.
    public struct Assertion: Sendable {
        public var credentialId: String
        public var challenge: String
        let clientDataJSON: Data
        let clientData: ClientData
        let authenticatorData: Data
        let signature: Data
        public var userHandle: Data?
    }

    static let transports: Set<String> = ["usb", "nfc", "ble", "internal", "hybrid", "smart-card"]

    static func object(_ value: JSONValue?, _ name: String) throws -> [String: JSONValue] {
        guard case .object(let fields) = value else { throw WebAuthnError.invalid("\(name) must be an object") }
        return fields
    }

    static func string(_ value: JSONValue?, _ name: String) throws -> String {
        guard case .string(let text) = value, !text.isEmpty else { throw WebAuthnError.invalid("\(name) must be a string") }
        return text
    }

    static func binary(_ value: JSONValue?, _ name: String, max: Int = 64 * 1024) throws -> Data {
        let text = try string(value, name)
        guard text.utf8.count <= max * 4 / 3 + 4, let data = Data(base64URL: text) else { throw WebAuthnError.invalid("\(name) must be base64url") }
        return data
    }

    static func clientData(_ bytes: Data, type: String, rp: RelyingParty) throws -> ClientData {
        guard let data = try? JSONDecoder().decode(ClientData.self, from: bytes) else { throw WebAuthnError.invalid("clientDataJSON is not client data") }
        guard data.type == type else { throw WebAuthnError.clientMismatch("the client data is a \(data.type), not a \(type)") }
        guard rp.allows(origin: data.origin) else { throw WebAuthnError.originNotAllowed(data.origin) }
        guard data.crossOrigin != true else { throw WebAuthnError.originNotAllowed("a cross-origin frame of \(data.origin)") }
        return data
    }

    static func common(_ credential: JSONValue) throws -> (id: String, response: [String: JSONValue], fields: [String: JSONValue]) {
        let fields = try object(credential, "Credential")
        guard try string(fields["type"], "type") == "public-key" else { throw WebAuthnError.invalid("type must be public-key") }
        let id = try string(fields["id"], "id")
        guard let raw = Data(base64URL: id), !raw.isEmpty, raw.count <= 1023 else { throw WebAuthnError.invalid("id must be a base64url credential id") }
        if let rawId = fields["rawId"], try binary(rawId, "rawId") != raw { throw WebAuthnError.invalid("rawId and id differ") }
        return (raw.base64URLEncoded, try object(fields["response"], "response"), fields)
    }

    /// §7.1 steps 5–20 but the challenge's: the client data, the RP id hash, the flags, the key, the attestation.
    public static func register(_ credential: JSONValue, rp: RelyingParty) throws -> Registration {
        let (id, response, fields) = try common(credential)
        let clientDataJSON = try binary(response["clientDataJSON"], "clientDataJSON")
        let client = try clientData(clientDataJSON, type: "webauthn.create", rp: rp)
        let attestationBytes = try binary(response["attestationObject"], "attestationObject")
        let attestation: CBOR
        do { attestation = try CBOR.decode(attestationBytes) } catch { throw WebAuthnError.invalid("attestationObject is not CBOR: \(error)") }
        guard let format = attestation["fmt"]?.string, let authBytes = attestation["authData"]?.data, case .map = attestation["attStmt"] else {
            throw WebAuthnError.invalid("attestationObject needs fmt, attStmt and authData")
        }
        let authData = try AuthenticatorData(authBytes)
        guard authData.rpIdHash == rp.idHash else { throw WebAuthnError.relyingPartyMismatch }
        guard authData.userPresent else { throw WebAuthnError.invalid("the authenticator did not see the user (UP flag)") }
        if rp.userVerificationRequired, !authData.userVerified { throw WebAuthnError.userVerificationRequired }
        guard authData.attested, let credentialId = authData.credentialId, let publicKeyBytes = authData.publicKey else {
            throw WebAuthnError.invalid("the authenticator data carries no credential")
        }
        guard credentialId.base64URLEncoded == id else { throw WebAuthnError.invalid("the credential id differs from the authenticator's") }
        let key: COSEKey
        do { key = try COSEKey(bytes: publicKeyBytes) } catch { throw WebAuthnError.notSupported("\(error)") }
        let statement = attestation["attStmt"] ?? .map([:])
        let signed = authBytes + Data(SHA256.hash(data: clientDataJSON))
        switch format {
        case "none":
            guard statement == .map([:]) else { throw WebAuthnError.invalid("a none attestation has an empty statement") }
        case "packed":
            guard let algorithm = statement["alg"]?.int, let signature = statement["sig"]?.data else {
                throw WebAuthnError.invalid("a packed attestation needs alg and sig")
            }
            if case .array(let chain) = statement["x5c"] {
                // full attestation: the first certificate's key signed; which makers to trust is the deployment's call, none are pinned
                guard let leaf = chain.first?.data, let spki = (try? X509Certificate(der: leaf))?.subjectPublicKeyInfo,
                    COSEKey.verifies(signature, over: signed, spki: spki, algorithm: algorithm)
                else { throw WebAuthnError.invalid("the packed attestation's signature does not verify with its certificate") }
            } else {
                // self attestation: the new credential's own key signed
                guard algorithm == key.algorithm, key.verifies(signature, over: signed) else {
                    throw WebAuthnError.invalid("the self attestation's signature does not verify with the credential's key")
                }
            }
        default:
            throw WebAuthnError.notSupported("attestation format \(format) (Cognate asks for none and reads packed)")
        }
        var transports: [String] = []
        if case .array(let listed) = response["transports"] {
            transports = listed.compactMap { if case .string(let name) = $0, Self.transports.contains(name) { name } else { nil } }
        }
        var attachment: String?
        if case .string(let value) = fields["authenticatorAttachment"], ["platform", "cross-platform"].contains(value) { attachment = value }
        return Registration(credentialId: id, publicKey: publicKeyBytes, signCount: authData.signCount, userVerified: authData.userVerified,
                            transports: transports, attachment: attachment, challenge: client.challenge, attestationFormat: format)
    }

    /// Reads an assertion: which credential, which challenge. `verify` does the rest.
    public static func assertion(_ credential: JSONValue, rp: RelyingParty) throws -> Assertion {
        let (id, response, _) = try common(credential)
        let clientDataJSON = try binary(response["clientDataJSON"], "clientDataJSON")
        let client = try clientData(clientDataJSON, type: "webauthn.get", rp: rp)
        var handle: Data?
        if let value = response["userHandle"], value != .null { handle = try binary(value, "userHandle", max: 64) }
        return Assertion(credentialId: id, challenge: client.challenge, clientDataJSON: clientDataJSON, clientData: client,
                         authenticatorData: try binary(response["authenticatorData"], "authenticatorData"),
                         signature: try binary(response["signature"], "signature", max: 1024), userHandle: handle)
    }

    /// §7.2 steps 15–21: the RP id hash, the flags, the signature with the stored key, the counter.
    /// Returns the new counter and whether the user was verified.
    public static func verify(_ assertion: Assertion, publicKey: Data, storedCount: UInt32, rp: RelyingParty) throws -> (signCount: UInt32, userVerified: Bool) {
        let authData = try AuthenticatorData(assertion.authenticatorData)
        guard authData.rpIdHash == rp.idHash else { throw WebAuthnError.relyingPartyMismatch }
        guard authData.userPresent else { throw WebAuthnError.invalid("the authenticator did not see the user (UP flag)") }
        if rp.userVerificationRequired, !authData.userVerified { throw WebAuthnError.userVerificationRequired }
        let key: COSEKey
        do { key = try COSEKey(bytes: publicKey) } catch { throw WebAuthnError.notSupported("\(error)") }
        guard key.verifies(assertion.signature, over: assertion.authenticatorData + Data(SHA256.hash(data: assertion.clientDataJSON))) else {
            throw WebAuthnError.invalid("the signature does not verify with the passkey's key")
        }
        // a counter that does not go up where either side counts: the authenticator may be a clone
        if authData.signCount != 0 || storedCount != 0, authData.signCount <= storedCount { throw WebAuthnError.counterRegressed }
        return (authData.signCount, authData.userVerified)
    }
}
