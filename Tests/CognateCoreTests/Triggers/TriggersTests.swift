import CognateCore
import CognateMemoryStore
import CognateModel
import Foundation
import Testing

/// Trigger calls: Standard Webhooks signatures (the scheme's own example), the secrets' rotation,
/// and how answers become Cognito's errors: refusals are not tried again, silence is, three times.
@Suite struct TriggersTests {
    @Test func signaturesFollowTheStandardWebhooksExample() {
        // from the Standard Webhooks specification's example
        let body = Data(#"{"test": 2432232314}"#.utf8)
        #expect(WebhookSigning.signature(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: body,
                                         secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])
            == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        // two secrets during a rotation: two signatures; a malformed secret signs nothing
        let both = WebhookSigning.signature(id: "m", timestamp: 1, body: body, secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                                                                                         WebhookSigning.makeSecret(CountingRandom())])
        #expect(both.split(separator: " ").count == 2)
        #expect(WebhookSigning.key("whsec_c2hvcnQ=") == nil && WebhookSigning.key("nope") == nil)
    }

    @Test func secretsAreMadeOnceRotatedAndRetired() async throws {
        let store = MemoryStore()
        let secrets = TriggerSecrets(store: store, masterKey: MasterKey.generate())
        let first = try await secrets.secrets(poolId: "local_Abc123456")
        #expect(first.count == 1 && first[0].hasPrefix("whsec_"))
        #expect(try await secrets.secrets(poolId: "local_Abc123456") == first, "made once")
        let rotated = try await secrets.rotate(poolId: "local_Abc123456")
        #expect(rotated.count == 2 && rotated[1] == first[0] && rotated[0] != first[0])
        #expect(try await secrets.retire(poolId: "local_Abc123456") == [rotated[0]])
        // kept sealed, never as written
        #expect(try await store.setting("trigger-secrets:local_Abc123456")?.contains("whsec_") == false)
        // many rotations at once: each lands on what the one before left
        try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<8 { group.addTask { try await secrets.rotate(poolId: "local_Abc123456") } }
            for try await _ in group {}
        }
        #expect(try await secrets.secrets(poolId: "local_Abc123456").count == 2)
    }

    /// An outside endpoint answering as told, counting the requests.
    final class Endpoint: OutboundHTTP, @unchecked Sendable {
        let answer: @Sendable (Int) throws -> OutboundAnswer
        private let lock = NSLock()
        private var count = 0
        var requests: Int { lock.withLock { count } }
        init(_ answer: @escaping @Sendable (Int) throws -> OutboundAnswer) { self.answer = answer }
        func send(_ request: OutboundRequest) async throws -> OutboundAnswer {
            let attempt = lock.withLock { count += 1; return count }
            #expect(request.timeout == 5 && request.headers["webhook-signature"]?.hasPrefix("v1,") == true)
            return try answer(attempt)
        }
    }

    static func pool(_ target: String = "https://hooks.example.com/x") -> UserPool {
        var pool = UserPool(id: "local_Abc123456", name: "p", createdAt: fixedNow, updatedAt: fixedNow)
        pool.lambdaConfig = LambdaConfig(targets: ["PreSignUp": target])
        return pool
    }

    func call(_ endpoint: Endpoint, pool: UserPool = pool()) async throws -> [String: Any]? {
        let triggers = Triggers(http: endpoint, secrets: TriggerSecrets(store: MemoryStore(), masterKey: MasterKey.generate()), region: "local",
                                now: { fixedNow })
        return try await triggers.call("PreSignUp", source: "PreSignUp_SignUp", pool: pool, userName: "ann", clientId: "c", request: [:])
    }

    @Test func answersBecomeCognitosErrors() async throws {
        let ok = Endpoint { _ in OutboundAnswer(status: 200, body: Data(#"{"response": {"autoConfirmUser": true}}"#.utf8)) }
        #expect(try await call(ok)?["autoConfirmUser"] as? Bool == true)
        let refusing = Endpoint { _ in OutboundAnswer(status: 400, body: Data(#"{"errorMessage": "no"}"#.utf8)) }
        await #expect(throws: TriggerError.failed(trigger: "PreSignUp", message: "no")) { try await call(refusing) }
        #expect(refusing.requests == 1, "a refusal is not tried again")
        let silent = Endpoint { _ in throw OutboundError("late", timedOut: true) }
        await #expect(throws: TriggerError.unreachable(trigger: "PreSignUp", reason: "Socket timeout while invoking Lambda function")) {
            try await call(silent)
        }
        #expect(silent.requests == 3)
        let failingThenFine = Endpoint { attempt in
            attempt < 3 ? OutboundAnswer(status: 503, body: Data()) : OutboundAnswer(status: 200, body: Data(#"{"response": {}}"#.utf8))
        }
        #expect(try await call(failingThenFine) != nil && failingThenFine.requests == 3)
        let garbled = Endpoint { _ in OutboundAnswer(status: 200, body: Data("<html>".utf8)) }
        await #expect(throws: TriggerError.unreadable(trigger: "PreSignUp")) { try await call(garbled) }
        let wrongShape = Endpoint { _ in OutboundAnswer(status: 200, body: Data(#"{"response": "yes"}"#.utf8)) }
        await #expect(throws: TriggerError.unreadable(trigger: "PreSignUp")) { try await call(wrongShape) }
        // no trigger, no call
        var plain = Self.pool()
        plain.lambdaConfig = nil
        #expect(try await call(ok, pool: plain) == nil && ok.requests == 1)
    }

    /// A Lambda Invoke endpoint answering as told, keeping the requests.
    final class LambdaAPI: OutboundHTTP, @unchecked Sendable {
        let answer: @Sendable (Int) -> OutboundAnswer
        private let lock = NSLock()
        private var seen: [OutboundRequest] = []
        var requests: [OutboundRequest] { lock.withLock { seen } }
        init(_ answer: @escaping @Sendable (Int) -> OutboundAnswer) { self.answer = answer }
        func send(_ request: OutboundRequest) async throws -> OutboundAnswer {
            let attempt = lock.withLock { seen.append(request); return seen.count }
            return answer(attempt)
        }
    }

    @Test func lambdaFunctionsAreInvokedThroughTheLambdaAPISigned() async throws {
        let arn = "arn:aws:lambda:eu-west-1:123456789012:function:pre-sign-up:live"
        for good in [arn, "arn:aws:lambda:us-east-1:123456789012:function:x_y-z"] { #expect(Triggers.isTarget(good), "\(good)") }
        for bad in ["arn:aws:lambda:eu.evil.test:123456789012:function:x", "arn:aws:lambda:eu-west-1:123:function:x",
                    "arn:aws:sqs:eu-west-1:123456789012:function:x", "arn:aws:lambda:eu-west-1:123456789012:layer:x",
                    "arn:aws:lambda:eu-west-1:123456789012:function:a/b", "arn:aws:lambda:eu-west-1:123456789012:function:"] {
            #expect(!Triggers.isTarget(bad), "\(bad)")
        }
        func call(_ api: LambdaAPI, credentials: AWSCredentials? = AWSCredentials(accessKeyId: "AKID", secretAccessKey: "secret", sessionToken: "tok"))
            async throws -> [String: Any]? {
            let triggers = Triggers(http: api, secrets: TriggerSecrets(store: MemoryStore(), masterKey: MasterKey.generate()), region: "local",
                                    lambda: LambdaInvocation(endpoint: "http://127.0.0.1:9999/", credentials: credentials), now: { fixedNow })
            return try await triggers.call("PreSignUp", source: "PreSignUp_SignUp", pool: Self.pool(arn), userName: "ann", clientId: "c", request: [:])
        }
        let ok = LambdaAPI { _ in OutboundAnswer(status: 200, body: Data(#"{"response": {"autoConfirmUser": true}}"#.utf8)) }
        #expect(try await call(ok)?["autoConfirmUser"] as? Bool == true)
        let sent = try #require(ok.requests.first)
        #expect(sent.url == "http://127.0.0.1:9999/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-west-1%3A123456789012%3Afunction%3Apre-sign-up%3Alive/invocations")
        #expect(sent.headers["Authorization"]?.hasPrefix("AWS4-HMAC-SHA256 Credential=AKID/") == true
            && sent.headers["Authorization"]?.contains("/eu-west-1/lambda/aws4_request") == true)
        #expect(sent.headers["X-Amz-Security-Token"] == "tok" && sent.headers["webhook-signature"] == nil)
        // the function's own error (Lambda answers it with 200): the app's refusal, not tried again
        let failing = LambdaAPI { _ in OutboundAnswer(status: 200, body: Data(#"{"errorMessage": "closed", "errorType": "Exception"}"#.utf8)) }
        await #expect(throws: TriggerError.failed(trigger: "PreSignUp", message: "closed")) { try await call(failing) }
        #expect(failing.requests.count == 1)
        // Lambda refusing the call: not tried again; throttled: tried three times
        let missing = LambdaAPI { _ in OutboundAnswer(status: 404, body: Data(#"{"Type": "User", "message": "Function not found"}"#.utf8)) }
        await #expect(throws: TriggerError.unreachable(trigger: "PreSignUp", reason: "Lambda answered HTTP 404: Function not found")) {
            try await call(missing)
        }
        #expect(missing.requests.count == 1)
        let throttled = LambdaAPI { _ in OutboundAnswer(status: 429, body: Data(#"{"message": "Rate exceeded"}"#.utf8)) }
        await #expect(throws: TriggerError.self) { try await call(throttled) }
        #expect(throttled.requests.count == 3)
        // no credentials: nothing is sent
        let unused = LambdaAPI { _ in OutboundAnswer(status: 200, body: Data("{}".utf8)) }
        await #expect(throws: TriggerError.self) { try await call(unused, credentials: nil) }
        #expect(unused.requests.isEmpty)
    }

    @Test func customSendersNeedAKMSKeyAndV1() {
        let sender = "arn:aws:lambda:eu-west-1:123456789012:function:send"
        var config = LambdaConfig(targets: ["CustomEmailSender": sender], versions: ["CustomEmailSender": "V1_0"])
        #expect(config.customSenderProblem?.contains("KMSKeyID is required") == true)
        config.kmsKeyID = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        #expect(config.customSenderProblem == nil)
        for bad in ["arn:aws:kms:eu.evil.test:123456789012:key/x", "arn:aws:lambda:eu-west-1:123456789012:function:x", "key/x"] {
            config.kmsKeyID = bad
            #expect(config.customSenderProblem != nil, "\(bad)")
        }
        config.kmsKeyID = "arn:aws:kms:eu-west-1:123456789012:alias/senders"
        config.versions["CustomEmailSender"] = "V2_0"
        #expect(config.customSenderProblem == "CustomEmailSender needs LambdaVersion V1_0.")
        #expect(LambdaConfig(targets: ["PreSignUp": sender]).customSenderProblem == nil)
    }

    @Test func encryptionSDKMessagesAreFramedAsTheFormatSays() throws {
        let message = try EncryptionSDKMessage.encrypt(Array("864209".utf8), dataKey: [UInt8](repeating: 7, count: 32),
                                                       encryptedDataKey: [1, 2, 3], keyArn: "arn:aws:kms:eu-west-1:123456789012:key/k",
                                                       context: ["userpool-id": "local_Abc123456"], messageId: [UInt8](repeating: 9, count: 32))
        // version 2, suite 0x0478, the message id, then the context: one pair
        #expect(Array(message.prefix(3)) == [0x02, 0x04, 0x78] && Array(message[3..<35]) == [UInt8](repeating: 9, count: 32))
        #expect(Array(message[35..<39]) == [0x00, 0x20, 0x00, 0x01])  // 2 + 2 + 11 + 2 + 15 bytes
        // the body ends with the final frame: marker, sequence 1, IV, six bytes of ciphertext and a tag
        let frame = Array(message.suffix(4 + 4 + 12 + 4 + 6 + 16))
        #expect(Array(frame.prefix(8)) == [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 1] && Array(frame[8..<20]) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
        #expect(Array(frame[20..<24]) == [0, 0, 0, 6] && !message.contains(subsequence: Array("864209".utf8)))
        #expect(throws: EncryptionSDKError.tooLong) {
            try EncryptionSDKMessage.encrypt([UInt8](repeating: 0, count: 5000), dataKey: [UInt8](repeating: 7, count: 32), encryptedDataKey: [1],
                                             keyArn: "k", context: [:], messageId: [UInt8](repeating: 9, count: 32))
        }
    }
}

extension Array where Element == UInt8 {
    func contains(subsequence: [UInt8]) -> Bool {
        guard subsequence.count <= count else { return false }
        return (0...(count - subsequence.count)).contains { Array(self[$0..<($0 + subsequence.count)]) == subsequence }
    }
}
