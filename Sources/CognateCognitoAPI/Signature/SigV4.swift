import CognateCore
import Crypto
import Foundation

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
        guard let amzDate = request.header("x-amz-date"), let signedAt = SigV4.parseDate(amzDate) else {
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
            throw CognitoError("InvalidSignatureException", "Signature expired: \(amzDate) is now earlier or later than \(SigV4.format(current.addingTimeInterval(-allowedSkew))) (\(SigV4.format(current)) - 5 min.)")
        }
        guard let secret = try await secret(authorization.accessKeyId) else {
            throw CognitoError("UnrecognizedClientException", "The security token included in the request is invalid.")
        }
        let expected = SigV4.signature(
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
}
