import CognateCore
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

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name }?.value
    }
}

/// AWS Signature Version 4 (docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html),
/// from the verifying side: rebuild the canonical request from what arrived, derive the signing
/// key from the stored secret, compare signatures in constant time.
public struct SigV4Verifier: Sendable {
    public let region: String
    public let service: String
    /// How far X-Amz-Date may be from the server's clock, either way (AWS: 5 minutes).
    public let allowedSkew: TimeInterval = 300
    let now: Now
    let secret: @Sendable (String) async throws -> String?

    public init(region: String, service: String = "cognito-idp", now: @escaping Now,
                secret: @escaping @Sendable (String) async throws -> String?) {
        self.region = region
        self.service = service
        self.now = now
        self.secret = secret
    }

    struct Authorization {
        var accessKeyId: String
        var date: String
        var region: String
        var service: String
        var signedHeaders: [String]
        var signature: String
    }

    /// Returns the access key id that signed the request, or throws the error AWS gives.
    public func verify(_ request: SignableRequest) async throws -> String {
        guard let header = request.header("authorization") else {
            throw CognitoError("MissingAuthenticationTokenException", "Missing Authentication Token")
        }
        let authorization = try Self.parse(header)
        guard let amzDate = request.header("x-amz-date"), let signedAt = Self.parseDate(amzDate) else {
            throw CognitoError("IncompleteSignatureException", "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
        }
        guard authorization.signedHeaders.contains("host"), authorization.signedHeaders.contains("x-amz-date") else {
            throw CognitoError("IncompleteSignatureException", "'Host' and 'X-Amz-Date' must be signed headers.")
        }
        // The target names the operation: unsigned, one signature would be good for every operation on the same body.
        if request.header("x-amz-target") != nil, !authorization.signedHeaders.contains("x-amz-target") {
            throw CognitoError("IncompleteSignatureException", "'X-Amz-Target' must be a signed header.")
        }
        guard amzDate.hasPrefix(authorization.date) else {
            throw CognitoError("InvalidSignatureException", "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '\(authorization.date)' != '\(amzDate.prefix(8))'")
        }
        guard authorization.region == region, authorization.service == service else {
            throw CognitoError("InvalidSignatureException", "Credential should be scoped to a valid region and service ('\(region)', '\(service)'), not '\(authorization.region)', '\(authorization.service)'.")
        }
        let current = now()
        if abs(current.timeIntervalSince(signedAt)) > allowedSkew {
            throw CognitoError("InvalidSignatureException", "Signature expired: \(amzDate) is now earlier or later than \(Self.format(current.addingTimeInterval(-allowedSkew))) (\(Self.format(current)) - 5 min.)")
        }
        guard let secret = try await secret(authorization.accessKeyId) else {
            throw CognitoError("UnrecognizedClientException", "The security token included in the request is invalid.")
        }
        let expected = Self.signature(
            request: request, signedHeaders: authorization.signedHeaders, amzDate: amzDate,
            scope: "\(authorization.date)/\(region)/\(service)/aws4_request", secret: secret)
        guard constantTimeEquals(Array(expected.utf8), Array(authorization.signature.lowercased().utf8)) else {
            throw CognitoError("InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.")
        }
        return authorization.accessKeyId
    }

    /// `AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=…`
    static func parse(_ header: String) throws -> Authorization {
        let incomplete = CognitoError("IncompleteSignatureException", "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters.")
        guard header.hasPrefix("AWS4-HMAC-SHA256 ") else { throw incomplete }
        var fields: [String: String] = [:]
        for part in header.dropFirst("AWS4-HMAC-SHA256 ".count).split(separator: ",") {
            let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if pair.count == 2 { fields[String(pair[0])] = String(pair[1]) }
        }
        guard let credential = fields["Credential"], let signed = fields["SignedHeaders"], let signature = fields["Signature"] else {
            throw incomplete
        }
        let scope = credential.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard scope.count == 5, scope[4] == "aws4_request", !scope[0].isEmpty, scope[1].count == 8 else {
            throw CognitoError("IncompleteSignatureException", "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '\(credential)'")
        }
        return Authorization(
            accessKeyId: scope[0], date: scope[1], region: scope[2], service: scope[3],
            signedHeaders: signed.split(separator: ";").map { $0.lowercased() }, signature: signature)
    }

    static func signature(request: SignableRequest, signedHeaders: [String], amzDate: String, scope: String, secret: String) -> String {
        let canonical = canonicalRequest(request, signedHeaders: signedHeaders)
        let stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, SHA256.hash(data: Data(canonical.utf8)).hexString].joined(separator: "\n")
        var key = SymmetricKey(data: Data("AWS4\(secret)".utf8))
        for part in scope.split(separator: "/") {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        return HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: key).hexString
    }

    static func canonicalRequest(_ request: SignableRequest, signedHeaders: [String]) -> String {
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

    /// Each path segment URI-encoded once (after undoing the client's encoding), as AWS services other than S3 expect.
    static func canonicalURI(_ path: String) -> String {
        guard !path.isEmpty else { return "/" }
        return path.split(separator: "/", omittingEmptySubsequences: false)
            .map { uriEncode(String($0).removingPercentEncoding ?? String($0)) }
            .joined(separator: "/")
    }

    static func canonicalQuery(_ query: String) -> String {
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

    static func uriEncode(_ text: String) -> String {
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
    static func parseDate(_ text: String) -> Date? {
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

    static func format(_ date: Date) -> String {
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
