import CognateModel
import Crypto
import Foundation

/// Why a trigger gave no usable answer, as Cognito names it to the caller.
public enum TriggerError: Error, Equatable, Sendable {
    /// The trigger answered with an error: UserLambdaValidationException,
    /// "<Trigger> failed with error <message>."
    case failed(trigger: String, message: String)
    /// It could not be reached, or did not answer in time, in every attempt: UnexpectedLambdaException.
    case unreachable(trigger: String, reason: String)
    /// Its answer is not the event with a response: InvalidLambdaResponseException.
    case unreadable(trigger: String)

    /// Cognito's words for it.
    public var message: String {
        switch self {
        case .failed(let trigger, let message): "\(trigger) failed with error \(message)."
        case .unreachable(let trigger, let reason): "\(trigger) invocation failed due to error \(reason)."
        case .unreadable: "Unrecognizable lambda output"
        }
    }

    /// The exception Cognito's API names it by.
    public var exception: String {
        switch self {
        case .failed: "UserLambdaValidationException"
        case .unreachable: "UnexpectedLambdaException"
        case .unreadable: "InvalidLambdaResponseException"
        }
    }
}

/// The Standard Webhooks signing scheme (standardwebhooks.com): a secret `whsec_<base64>`, and
/// `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">` (several, space-separated,
/// while a secret is being rotated).
public enum WebhookSigning {
    public static let prefix = "whsec_"

    /// A new secret: 32 random bytes.
    public static func makeSecret(_ random: any RandomSource) -> String {
        prefix + Data(random.bytes(32)).base64EncodedString()
    }

    /// The key a secret stands for; nil for one that is not `whsec_` and base64 of 24 to 64 bytes.
    public static func key(_ secret: String) -> SymmetricKey? {
        guard secret.hasPrefix(prefix), let bytes = Data(base64Encoded: String(secret.dropFirst(prefix.count))), (24...64).contains(bytes.count)
        else { return nil }
        return SymmetricKey(data: bytes)
    }

    /// The `webhook-signature` header's value for these secrets.
    public static func signature(id: String, timestamp: Int, body: Data, secrets: [String]) -> String {
        let signed = Data("\(id).\(timestamp).".utf8) + body
        return secrets.compactMap(key).map { key in
            "v1," + Data(HMAC<SHA256>.authenticationCode(for: signed, using: key)).base64EncodedString()
        }.joined(separator: " ")
    }
}

/// A pool's webhook secrets, newest first (two while one is being rotated), sealed with the
/// master key in the settings store (`trigger-secrets:<pool>`), so every node signs alike.
public struct TriggerSecrets: Sendable {
    let store: any SettingStore
    let masterKey: MasterKey
    let random: any RandomSource

    public init(store: any SettingStore, masterKey: MasterKey, random: any RandomSource = SystemRandomSource()) {
        self.store = store
        self.masterKey = masterKey
        self.random = random
    }

    static func name(_ poolId: String) -> String { PoolSettings.name("trigger-secrets", poolId: poolId) }

    func open(_ stored: String?, poolId: String) -> [String] {
        guard let stored, let sealed = Data(lenientBase64: stored),
            let plain = try? masterKey.open(sealed, context: Self.name(poolId)),
            let secrets = try? JSONDecoder().decode([String].self, from: plain)
        else { return [] }
        return secrets
    }

    func seal(_ secrets: [String], poolId: String) throws -> String {
        try masterKey.seal(try JSONEncoder().encode(secrets), context: Self.name(poolId)).base64URLEncoded
    }

    /// The secrets requests are signed with; one is made the first time.
    public func secrets(poolId: String) async throws -> [String] {
        let stored = try await store.setting(Self.name(poolId))
        let secrets = open(stored, poolId: poolId)
        if !secrets.isEmpty { return secrets }
        return try await change(poolId: poolId) { current in current.isEmpty ? [WebhookSigning.makeSecret(random)] : current }
    }

    /// A new secret first, the newest old one kept beside it (both are signed with) until `retire`.
    public func rotate(poolId: String) async throws -> [String] {
        try await change(poolId: poolId) { current in [WebhookSigning.makeSecret(random)] + current.prefix(1) }
    }

    /// Only the newest secret from now on.
    public func retire(poolId: String) async throws -> [String] {
        try await change(poolId: poolId) { current in Array(current.prefix(1)) }
    }

    /// The config file's secret, alone (unchanged when it is already the only one).
    public func set(poolId: String, secret: String) async throws {
        _ = try await change(poolId: poolId) { _ in [secret] }
    }

    func change(poolId: String, _ transform: ([String]) -> [String]) async throws -> [String] {
        for _ in 0..<10 {
            let stored = try await store.setting(Self.name(poolId))
            let current = open(stored, poolId: poolId)
            let next = transform(current)
            if next == current, stored != nil { return current }
            if try await store.replaceSetting(Self.name(poolId), expected: stored, value: try seal(next, poolId: poolId)) { return next }
        }
        throw StoreError.unavailable("the trigger secrets of \(poolId) kept changing")
    }
}

/// Calls a pool's triggers as Cognito calls its Lambda functions: the same event (version,
/// triggerSource, region, userPoolId, userName, callerContext, request, response), POSTed as
/// JSON to the trigger's URL and signed with the pool's secrets (Standard Webhooks); the answer
/// is the event with `response` filled. Five seconds an attempt, three attempts for a trigger
/// that cannot be reached or fails on its side; an error it answers (a JSON body with
/// `errorMessage`, as Lambda reports a function's error) is not tried again.
public struct Triggers: Sendable {
    let http: any OutboundHTTP
    let secrets: TriggerSecrets
    let region: String
    let lambda: LambdaInvocation
    let random: any RandomSource
    let now: Now

    public static let timeout: TimeInterval = 5
    public static let attempts = 3

    public init(http: any OutboundHTTP, secrets: TriggerSecrets, region: String, lambda: LambdaInvocation = LambdaInvocation(),
                random: any RandomSource = SystemRandomSource(), now: @escaping Now) {
        self.http = http
        self.secrets = secrets
        self.region = region
        self.lambda = lambda
        self.random = random
        self.now = now
    }

    /// What a trigger may name: an https:// URL (http only on a loopback host, for a receiver
    /// beside Cognate), or an AWS Lambda function's ARN.
    public static func isTarget(_ target: String) -> Bool {
        guard target.count <= 2048 else { return false }
        if target.hasPrefix("arn:") {
            // arn:aws:lambda:<region>:<account>:function:<name>[:<version or alias>]; the region
            // becomes part of a host name, so it is letters, digits and dashes only
            let parts = target.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            func plain(_ text: String) -> Bool { !text.isEmpty && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") } }
            return (7...8).contains(parts.count) && parts[1].hasPrefix("aws") && parts[2] == "lambda" && plain(parts[3])
                && !parts[3].contains("_") && parts[4].count == 12 && parts[4].allSatisfy(\.isNumber) && parts[5] == "function"
                && parts[6...].allSatisfy(plain)
        }
        guard let url = URLComponents(string: target), let host = url.host, !host.isEmpty, url.user == nil, url.password == nil else { return false }
        return url.scheme == "https" || (url.scheme == "http" && ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host))
    }

    /// Whether the pool has the trigger.
    public static func has(_ trigger: String, _ pool: UserPool) -> Bool { pool.lambdaConfig?[trigger] != nil }

    /// Calls `trigger` with `request` and answers the reply's `response` object; nil when the
    /// pool has no such trigger. Throws `TriggerError`. `version` is the event's (PreTokenGeneration's
    /// V2_0 and V3_0 events say "2" and "3"). `asynchronous`: the event is handed over and no
    /// answer is read (the custom senders; a Lambda function is invoked with InvocationType Event).
    public func call(_ trigger: String, source: String, pool: UserPool, userName: String?, clientId: String?,
                     request: [String: Any], version: String = "1", asynchronous: Bool = false) async throws -> [String: Any]? {
        guard pool.lambdaConfig?[trigger] != nil else { return nil }
        do {
            let answer = try await invoke(trigger, source: source, pool: pool, userName: userName, clientId: clientId, request: request,
                                          version: version, asynchronous: asynchronous)
            CognateMetrics.triggerCall(trigger, result: "ok")
            return answer
        } catch {
            CognateMetrics.triggerCall(trigger, result: "failed")
            throw error
        }
    }

    func invoke(_ trigger: String, source: String, pool: UserPool, userName: String?, clientId: String?,
                request: [String: Any], version: String, asynchronous: Bool) async throws -> [String: Any]? {
        guard let target = pool.lambdaConfig?[trigger] else { return nil }
        let event: [String: Any] = [
            "version": version, "triggerSource": source, "region": region, "userPoolId": pool.id, "userName": userName ?? NSNull(),
            "callerContext": ["awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": clientId ?? "CLIENT_ID_NOT_APPLICABLE"],
            "request": request, "response": [String: Any](),
        ]
        let body = try JSONSerialization.data(withJSONObject: event, options: [.sortedKeys, .withoutEscapingSlashes])
        let function = target.hasPrefix("arn:") ? target : nil
        let signingSecrets = function == nil ? try await secrets.secrets(poolId: pool.id) : []
        var lastReason = "no answer"
        for _ in 0..<Self.attempts {
            let request: OutboundRequest
            if let function {
                // an AWS Lambda function, invoked as the Lambda API does it (SigV4)
                guard let signed = lambda.request(function: function, body: body, timeout: Self.timeout, date: now(),
                                                  invocationType: asynchronous ? "Event" : "RequestResponse") else {
                    throw TriggerError.unreachable(trigger: trigger, reason: "no AWS credentials to invoke \(function) with")
                }
                request = signed
            } else {
                let id = "msg_" + random.string(count: 24, alphabet: "abcdefghijklmnopqrstuvwxyz0123456789")
                let timestamp = Int(now().timeIntervalSince1970)
                request = OutboundRequest(.post, target, headers: [
                    "Content-Type": "application/json", "webhook-id": id, "webhook-timestamp": String(timestamp),
                    "webhook-signature": WebhookSigning.signature(id: id, timestamp: timestamp, body: body, secrets: signingSecrets),
                ], body: body, timeout: Self.timeout)
            }
            let answer: OutboundAnswer
            do {
                answer = try await http.send(request)
            } catch let error as OutboundError {
                lastReason = error.timedOut ? "Socket timeout while invoking Lambda function" : error.description
                continue
            }
            let object = try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any]
            if (200..<300).contains(answer.status) {
                if asynchronous { return [:] }
                guard let object else { throw TriggerError.unreadable(trigger: trigger) }
                // a function's own error: Lambda answers it with 200 and its errorMessage
                if object["response"] == nil, let message = object["errorMessage"] as? String {
                    throw TriggerError.failed(trigger: trigger, message: message)
                }
                guard let response = object["response"] else { return [:] }
                guard let filled = response as? [String: Any] else {
                    if response is NSNull { return [:] }
                    throw TriggerError.unreadable(trigger: trigger)
                }
                return filled
            }
            if let message = object?["errorMessage"] as? String { throw TriggerError.failed(trigger: trigger, message: message) }
            lastReason = "the trigger answered HTTP \(answer.status)"
            if function != nil, (400..<500).contains(answer.status), answer.status != 429 {
                // Lambda refused the call itself (no such function, not allowed): trying again changes nothing
                let said = (object?["message"] ?? object?["Message"]) as? String
                throw TriggerError.unreachable(trigger: trigger, reason: said.map { "Lambda answered HTTP \(answer.status): \($0)" } ?? lastReason)
            }
        }
        throw TriggerError.unreachable(trigger: trigger, reason: lastReason)
    }

    /// Attributes a function answered (`userAttributes`): text as it is, true and false as text,
    /// and never the sub or the status, which are Cognate's to say.
    public static func textAttributes(_ given: [String: Any]) -> [String: String] {
        given.compactMapValues { value -> String? in
            if let text = value as? String { return text }
            if let flag = value as? Bool { return flag ? "true" : "false" }
            return nil
        }.filter { $0.key != "sub" && $0.key != "cognito:user_status" }
    }

    /// `userAttributes` as events carry them: every attribute as text, the sub included.
    public static func attributes(_ user: User) -> [String: String] {
        var attributes = user.attributes
        attributes["sub"] = user.sub.uuidString.lowercased()
        attributes["cognito:user_status"] = user.status.rawValue
        return attributes
    }
}

/// How a trigger named by a Lambda function's ARN is invoked: the Lambda Invoke API
/// (`POST /2015-03-31/functions/{arn}/invocations`, RequestResponse, or Event for the custom
/// senders) at COGNATE_LAMBDA_ENDPOINT,
/// else AWS's endpoint of the function's region, signed (SigV4) with the usual AWS variables.
public struct LambdaInvocation: Sendable {
    let endpoint: String?
    let credentials: AWSCredentials?

    public init(endpoint: String? = nil, credentials: AWSCredentials? = nil) {
        self.endpoint = endpoint.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        self.credentials = credentials
    }

    /// The signed Invoke request; nil without credentials.
    func request(function arn: String, body: Data, timeout: TimeInterval, date: Date, invocationType: String = "RequestResponse") -> OutboundRequest? {
        guard let credentials else { return nil }
        // arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]
        let region = arn.split(separator: ":", omittingEmptySubsequences: false).dropFirst(3).first.map(String.init) ?? "us-east-1"
        let base = endpoint ?? "https://lambda.\(region).amazonaws.com"
        var request = OutboundRequest(.post, "\(base)/2015-03-31/functions/\(SigV4.uriEncode(arn))/invocations", headers: [
            "Content-Type": "application/json", "X-Amz-Invocation-Type": invocationType,
        ], body: body, timeout: timeout)
        SigV4.sign(&request, service: "lambda", region: region, credentials: credentials, date: date)
        return request
    }
}
