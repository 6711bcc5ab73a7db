import CognateModel
import Crypto
import Foundation

/// The AWS Encryption SDK's message format (version 2, algorithm suite 0x0478:
/// AES-256-GCM, HKDF-SHA512 key derivation and key commitment, no signature), as Cognito
/// encrypts the codes it hands to the custom sender triggers; a function decrypts it with the
/// Encryption SDK and its KMS key, as it does Cognito's.
public enum EncryptionSDKMessage {
    static let suite: UInt16 = 0x0478
    static let frameLength: UInt32 = 4096

    /// The serialized message for `plaintext` under `dataKey`, whose KMS-encrypted copy
    /// (`encryptedDataKey`, by the key `keyArn`) travels in the header.
    public static func encrypt(_ plaintext: [UInt8], dataKey: [UInt8], encryptedDataKey: [UInt8], keyArn: String,
                               context: [String: String], messageId: [UInt8]) throws -> [UInt8] {
        precondition(messageId.count == 32 && dataKey.count == 32)
        let source = SymmetricKey(data: dataKey)
        let salt = Data(messageId)
        let key = HKDF<SHA512>.deriveKey(inputKeyMaterial: source, salt: salt, info: Data(be16(suite) + Array("DERIVEKEY".utf8)), outputByteCount: 32)
        let commitment = HKDF<SHA512>.deriveKey(inputKeyMaterial: source, salt: salt, info: Data("COMMITKEY".utf8), outputByteCount: 32)
        var header: [UInt8] = [0x02] + be16(suite) + messageId
        let serializedContext = try serialize(context)
        header += be16(UInt16(serializedContext.count)) + serializedContext
        header += be16(1)  // one encrypted data key
        for part in [Array("aws-kms".utf8), Array(keyArn.utf8), encryptedDataKey] {
            guard part.count <= Int(UInt16.max) else { throw EncryptionSDKError.tooLong }
            header += be16(UInt16(part.count)) + part
        }
        header += [0x02] + be32(frameLength)  // framed content
        header += commitment.withUnsafeBytes { Array($0) }
        // the header's authentication: GCM over no plaintext, the header as AAD, a zero IV
        let headerAuth = try AES.GCM.seal(Data(), using: key, nonce: try AES.GCM.Nonce(data: Data(repeating: 0, count: 12)),
                                          authenticating: Data(header))
        var message = header + Array(headerAuth.tag)
        // the body: one final frame (the plaintext is shorter than a frame), sequence number 1
        guard plaintext.count < Int(frameLength) else { throw EncryptionSDKError.tooLong }
        let sequence: UInt32 = 1
        let iv = [UInt8](repeating: 0, count: 8) + be32(sequence)
        let aad = messageId + Array("AWSKMSEncryptionClient Final Frame".utf8) + be32(sequence) + be64(UInt64(plaintext.count))
        let frame = try AES.GCM.seal(Data(plaintext), using: key, nonce: try AES.GCM.Nonce(data: Data(iv)), authenticating: Data(aad))
        message += be32(0xFFFF_FFFF) + be32(sequence) + iv + be32(UInt32(plaintext.count)) + Array(frame.ciphertext) + Array(frame.tag)
        return message
    }

    /// The encryption context as the format writes it: a count, then key and value pairs sorted by key.
    static func serialize(_ context: [String: String]) throws -> [UInt8] {
        guard !context.isEmpty else { return [] }
        var bytes = be16(UInt16(context.count))
        for (key, value) in context.map({ (Array($0.key.utf8), Array($0.value.utf8)) }).sorted(by: { $0.0.lexicographicallyPrecedes($1.0) }) {
            guard key.count <= Int(UInt16.max), value.count <= Int(UInt16.max) else { throw EncryptionSDKError.tooLong }
            bytes += be16(UInt16(key.count)) + key + be16(UInt16(value.count)) + value
        }
        return bytes
    }

    static func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
    static func be32(_ value: UInt32) -> [UInt8] { (0..<4).reversed().map { UInt8((value >> (8 * UInt32($0))) & 0xFF) } }
    static func be64(_ value: UInt64) -> [UInt8] { (0..<8).reversed().map { UInt8((value >> (8 * UInt64($0))) & 0xFF) } }
}

public enum EncryptionSDKError: Error, Equatable {
    case tooLong
}

/// Data keys from AWS KMS (GenerateDataKey, SigV4) at COGNATE_KMS_ENDPOINT, else AWS's endpoint of
/// the key's region.
public struct KMSDataKeys: Sendable {
    let http: any OutboundHTTP
    let endpoint: String?
    let credentials: AWSCredentials?
    let now: Now

    public init(http: any OutboundHTTP, endpoint: String? = nil, credentials: AWSCredentials?, now: @escaping Now) {
        self.http = http
        self.endpoint = endpoint.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        self.credentials = credentials
        self.now = now
    }

    public struct DataKey: Sendable {
        public var plaintext: [UInt8]
        public var ciphertext: [UInt8]
        /// The key's ARN, as KMS names it.
        public var keyArn: String
    }

    /// Why no data key came: said in words for the outbox's error, never a secret.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public func generateDataKey(keyId: String, context: [String: String]) async throws -> DataKey {
        guard let credentials else { throw Failure(description: "no AWS credentials to ask KMS for a data key with") }
        let parts = keyId.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 6, parts[0] == "arn", parts[2] == "kms", !parts[3].isEmpty,
            parts[3].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") })
        else { throw Failure(description: "KMSKeyID is not a KMS key ARN") }
        let region = String(parts[3])
        let body = try JSONSerialization.data(withJSONObject: ["KeyId": keyId, "NumberOfBytes": 32, "EncryptionContext": context] as [String: Any],
                                              options: [.sortedKeys])
        var request = OutboundRequest(.post, (endpoint ?? "https://kms.\(region).amazonaws.com") + "/", headers: [
            "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "TrentService.GenerateDataKey",
        ], body: body, timeout: 10)
        SigV4.sign(&request, service: "kms", region: region, credentials: credentials, date: now())
        let answer = try await http.send(request)
        let object = try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any]
        guard answer.status == 200, let object else {
            let type = (object?["__type"] as? String).map { " (\($0))" } ?? ""
            throw Failure(description: "KMS answered HTTP \(answer.status)\(type)")
        }
        guard let plain = (object["Plaintext"] as? String).flatMap({ Data(base64Encoded: $0) }), plain.count == 32,
            let blob = (object["CiphertextBlob"] as? String).flatMap({ Data(base64Encoded: $0) }), !blob.isEmpty,
            let arn = object["KeyId"] as? String, !arn.isEmpty
        else { throw Failure(description: "KMS's answer held no data key") }
        return DataKey(plaintext: Array(plain), ciphertext: Array(blob), keyArn: arn)
    }
}

/// What a custom sender's message holds in the outbox (sealed there, as every message's text):
/// what its event needs, the code itself still in clear until it is sent.
public struct CustomSenderRequest: Codable, Sendable, Equatable {
    public var triggerSource: String
    public var userName: String
    public var code: String
    public var userAttributes: [String: String]
    public var clientId: String?

    public init(triggerSource: String, userName: String, code: String, userAttributes: [String: String], clientId: String? = nil) {
        self.triggerSource = triggerSource
        self.userName = userName
        self.code = code
        self.userAttributes = userAttributes
        self.clientId = clientId
    }

    /// The outbox message for a pool whose CustomEmailSender or CustomSMSSender sends it;
    /// nil where the pool has no such trigger (the message goes out as Cognate words it).
    /// `source` is the event's kind after the prefix: SignUp, ResendCode, ForgotPassword, …
    public static func message(pool: UserPool, user: User, email: Bool, destination: String, source: String, code: String,
                               now: Date) throws -> OutboundMessage? {
        let trigger = email ? "CustomEmailSender" : "CustomSMSSender"
        guard Triggers.has(trigger, pool) else { return nil }
        let request = CustomSenderRequest(triggerSource: "\(trigger)_\(source)", userName: user.username, code: code,
                                          userAttributes: Triggers.attributes(user))
        return OutboundMessage(id: UUID(), poolId: pool.id, userSub: user.sub, channel: email ? .customEmail : .customSMS,
                               destination: destination, subject: request.triggerSource,
                               body: String(decoding: try JSONEncoder().encode(request), as: UTF8.self), createdAt: now)
    }
}

/// Delivers the custom senders' messages from the outbox: the code is encrypted for the pool's
/// KMS key (encryption context `userpool-id`) in the Encryption SDK's format, and the event
/// (`type` customEmailSenderRequestV1 or customSMSSenderRequestV1, `code`, `userAttributes`,
/// `clientMetadata`) goes to the trigger asynchronously, as Cognito invokes it; a failure is
/// the outbox's to retry.
public struct CustomSenders: MessageSender {
    let triggers: Triggers
    let kms: KMSDataKeys
    let pool: @Sendable (String) async throws -> UserPool?
    let random: any RandomSource

    public init(triggers: Triggers, kms: KMSDataKeys, random: any RandomSource = SystemRandomSource(),
                pool: @escaping @Sendable (String) async throws -> UserPool?) {
        self.triggers = triggers
        self.kms = kms
        self.random = random
        self.pool = pool
    }

    public struct Undeliverable: Error, CustomStringConvertible {
        public var description: String
    }

    public func send(_ message: OutboundMessage) async throws {
        let email = message.channel == .customEmail
        let trigger = email ? "CustomEmailSender" : "CustomSMSSender"
        guard let request = try? JSONDecoder().decode(CustomSenderRequest.self, from: Data(message.body.utf8)) else {
            throw Undeliverable(description: "the message is not a custom sender's")
        }
        guard let pool = try await pool(message.poolId), Triggers.has(trigger, pool) else {
            throw Undeliverable(description: "the pool no longer has its \(trigger) trigger")
        }
        guard let keyId = pool.lambdaConfig?.kmsKeyID else { throw Undeliverable(description: "the pool has no KMSKeyID") }
        let context = ["userpool-id": pool.id]
        let dataKey = try await kms.generateDataKey(keyId: keyId, context: context)
        let encrypted = try EncryptionSDKMessage.encrypt(Array(request.code.utf8), dataKey: dataKey.plaintext, encryptedDataKey: dataKey.ciphertext,
                                                         keyArn: dataKey.keyArn, context: context, messageId: random.bytes(32))
        _ = try await triggers.call(trigger, source: request.triggerSource, pool: pool, userName: request.userName, clientId: request.clientId,
                                    request: ["type": email ? "customEmailSenderRequestV1" : "customSMSSenderRequestV1",
                                              "code": Data(encrypted).base64EncodedString(), "clientMetadata": [String: String](),
                                              "userAttributes": request.userAttributes],
                                    asynchronous: true)
    }
}
