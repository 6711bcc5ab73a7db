import Crypto
import Foundation

/// The key that seals signing keys and other secrets at rest (AES-256-GCM).
public struct MasterKey: Sendable {
    let key: SymmetricKey

    public init(key: SymmetricKey) {
        self.key = key
    }

    /// Parses the base64 form used in COGNATE_MASTER_KEY and in `master.key`: 32 bytes.
    public init?(base64 text: String) {
        guard let data = Data(lenientBase64: text.trimmingCharacters(in: .whitespacesAndNewlines)),
            data.count == 32
        else { return nil }
        self.key = SymmetricKey(data: data)
    }

    public static func generate(random: any RandomSource = SystemRandomSource()) -> MasterKey {
        MasterKey(key: SymmetricKey(data: random.bytes(32)))
    }

    public var base64: String {
        key.withUnsafeBytes { Data($0).base64EncodedString() }
    }

    /// A key for one purpose (HMAC of verification codes, …), derived with HKDF-SHA256 so the
    /// master key itself is never used for two things.
    public func derivedKey(purpose: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: key, info: Data("cognate:\(purpose)".utf8), outputByteCount: 32)
    }

    /// Seals `plaintext`; `context` is bound as associated data, so a sealed value moved to
    /// another record (another key id, another purpose) no longer opens.
    public func seal(_ plaintext: Data, context: String) throws -> Data {
        let box = try AES.GCM.seal(plaintext, using: key, authenticating: Data(context.utf8))
        guard let combined = box.combined else { throw MasterKeyError.cannotOpen(context) }
        return combined
    }

    public func open(_ sealed: Data, context: String) throws -> Data {
        do {
            let box = try AES.GCM.SealedBox(combined: sealed)
            return try AES.GCM.open(box, using: key, authenticating: Data(context.utf8))
        } catch {
            throw MasterKeyError.cannotOpen(context)
        }
    }
}

extension MasterKey {
    /// A value as an opaque token for a client to hand back (a challenge session, a cookie):
    /// JSON with dates as seconds, sealed under `context`, base64url. Any node opens it.
    public func sealToken(_ value: some Encodable, context: String) throws -> String {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        return try seal(try encoder.encode(value), context: context).base64URLEncoded
    }

    /// What a token holds; nil when it is not one sealed under `context` (or is longer than
    /// `maxLength`, which no token of ours is).
    public func openToken<T: Decodable>(_ text: String, as type: T.Type, context: String, maxLength: Int = 8192) -> T? {
        guard text.utf8.count <= maxLength, let sealed = Data(lenientBase64: text), let plain = try? open(sealed, context: context) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return try? decoder.decode(type, from: plain)
    }
}

public enum MasterKeyError: Error, Equatable, CustomStringConvertible {
    case cannotOpen(String)
    /// The key given does not open what the database was sealed with.
    case mismatch

    public var description: String {
        switch self {
        case .cannotOpen(let context):
            "cannot open \(context) with the master key"
        case .mismatch:
            "COGNATE_MASTER_KEY does not match the key this database was set up with; refusing to start (no key was changed)"
        }
    }
}
