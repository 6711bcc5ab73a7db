import Crypto
import Foundation

/// An HTTP request as Signature Version 4 sees it.
public struct SignableRequest: Sendable {
    public var method: String
    /// The path as sent, percent-encoding included.
    public var path: String
    /// The raw query string, without `?`.
    public var query: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(method: String, path: String, query: String, headers: [(name: String, value: String)], body: [UInt8]) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name }?.value
    }
}

/// AWS Signature Version 4's arithmetic (docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html),
/// shared by the side that checks signatures (the Cognito API) and the side that makes them
/// (requests to an old Cognito pool, to Lambda).
public enum SigV4 {
    public static func signature(request: SignableRequest, signedHeaders: [String], amzDate: String, scope: String, secret: String) -> String {
        let canonical = canonicalRequest(request, signedHeaders: signedHeaders)
        let stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, SHA256.hash(data: Data(canonical.utf8)).hexString].joined(separator: "\n")
        var key = SymmetricKey(data: Data("AWS4\(secret)".utf8))
        for part in scope.split(separator: "/") {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        return HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: key).hexString
    }

    public static func canonicalRequest(_ request: SignableRequest, signedHeaders: [String]) -> String {
        var values: [String: [String]] = [:]
        for (name, value) in request.headers {
            let collapsed = value.trimmingCharacters(in: .whitespaces).split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            values[name.lowercased(), default: []].append(collapsed)
        }
        let headers = signedHeaders.map { "\($0):\((values[$0] ?? []).joined(separator: ","))\n" }.joined()
        let payloadHash = SHA256.hash(data: Data(request.body)).hexString
        return [request.method.uppercased(), canonicalURI(request.path), canonicalQuery(request.query), headers,
                signedHeaders.joined(separator: ";"), payloadHash].joined(separator: "\n")
    }

    /// Each segment of the path as sent URI-encoded once more: encoded twice in all, as AWS
    /// services other than S3 expect (a Lambda function's `arn%3Aaws…` is signed as `arn%253Aaws…`).
    public static func canonicalURI(_ path: String) -> String {
        guard !path.isEmpty else { return "/" }
        return path.split(separator: "/", omittingEmptySubsequences: false).map { uriEncode(String($0)) }.joined(separator: "/")
    }

    public static func canonicalQuery(_ query: String) -> String {
        guard !query.isEmpty else { return "" }
        var pairs: [(name: String, value: String)] = []
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            let value = parts.count > 1 ? String(parts[1]) : ""
            pairs.append((uriEncode(name.removingPercentEncoding ?? name), uriEncode(value.removingPercentEncoding ?? value)))
        }
        pairs.sort { lhs, rhs in lhs.name == rhs.name ? lhs.value < rhs.value : lhs.name < rhs.name }
        return pairs.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
    }

    public static func uriEncode(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                result.append(Character(UnicodeScalar(byte)))
            default:
                result += String(format: "%%%02X", byte)
            }
        }
        return result
    }

    /// `20150830T123600Z` (ISO 8601 basic format, UTC), read by hand: a DateFormatter per
    /// request (they are not safe to share across threads) cost more than checking the signature.
    public static func parseDate(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count == 16, bytes[8] == UInt8(ascii: "T"), bytes[15] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int32? {
            var value: Int32 = 0
            for byte in bytes[range] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int32(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(4..<6), let day = number(6..<8),
            let hour = number(9..<11), let minute = number(11..<13), let second = number(13..<15)
        else { return nil }
        var fields = tm()
        (fields.tm_year, fields.tm_mon, fields.tm_mday) = (year - 1900, month - 1, day)
        (fields.tm_hour, fields.tm_min, fields.tm_sec) = (hour, minute, second)
        var seconds = timegm(&fields)
        // timegm rolls an impossible date (February 30, hour 24) over; such a date is refused
        var check = tm()
        guard gmtime_r(&seconds, &check) != nil, check.tm_year == year - 1900, check.tm_mon == month - 1, check.tm_mday == day,
            check.tm_hour == hour, check.tm_min == minute, check.tm_sec == second
        else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    public static func format(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var fields = tm()
        gmtime_r(&seconds, &fields)
        func digits(_ value: Int32, _ count: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, count - text.count)) + text
        }
        return digits(fields.tm_year + 1900, 4) + digits(fields.tm_mon + 1, 2) + digits(fields.tm_mday, 2) + "T"
            + digits(fields.tm_hour, 2) + digits(fields.tm_min, 2) + digits(fields.tm_sec, 2) + "Z"
    }
}

/// AWS credentials Cognate signs its own requests with (to an old Cognito pool, to Lambda).
public struct AWSCredentials: Sendable, Equatable, Codable {
    public var accessKeyId: String
    public var secretAccessKey: String
    public var sessionToken: String?

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    /// The usual variables: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> AWSCredentials? {
        guard let id = environment["AWS_ACCESS_KEY_ID"], !id.isEmpty, let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty
        else { return nil }
        return AWSCredentials(accessKeyId: id, secretAccessKey: secret,
                              sessionToken: environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 })
    }
}

extension SigV4 {
    /// Signs an outgoing request in place: `Host`, `X-Amz-Date` (and `X-Amz-Security-Token` for
    /// temporary credentials) are added, and every header is signed.
    public static func sign(_ request: inout OutboundRequest, service: String, region: String, credentials: AWSCredentials, date: Date) {
        guard let url = URLComponents(string: request.url), let host = url.host else { return }
        let defaultPort = url.scheme == "https" ? 443 : 80
        request.headers["Host"] = url.port.map { $0 == defaultPort ? host : "\(host):\($0)" } ?? host
        let amzDate = format(date)
        request.headers["X-Amz-Date"] = amzDate
        if let token = credentials.sessionToken { request.headers["X-Amz-Security-Token"] = token }
        let headers = request.headers.map { (name: $0.key, value: $0.value) }
        let signedHeaders = Set(headers.map { $0.name.lowercased() }).sorted()
        let signable = SignableRequest(method: request.method.rawValue, path: url.percentEncodedPath.isEmpty ? "/" : url.percentEncodedPath,
                                       query: url.percentEncodedQuery ?? "", headers: headers, body: Array(request.body ?? Data()))
        let scope = "\(amzDate.prefix(8))/\(region)/\(service)/aws4_request"
        let signature = signature(request: signable, signedHeaders: signedHeaders, amzDate: amzDate, scope: scope,
                                  secret: credentials.secretAccessKey)
        request.headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyId)/\(scope), "
            + "SignedHeaders=\(signedHeaders.joined(separator: ";")), Signature=\(signature)"
    }
}
