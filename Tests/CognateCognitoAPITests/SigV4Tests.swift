@testable import CognateCognitoAPI
import CognateCore
import Foundation
import Testing

/// Cases from AWS's Signature Version 4 test suite (credentials AKIDEXAMPLE, 20150830T123600Z,
/// us-east-1, service "service"), then tampered requests.
@Suite struct SigV4Tests {
    static let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    static let signedAt = Date(timeIntervalSince1970: 1_440_938_160)  // 2015-08-30T12:36:00Z

    static func verifier(now: Date = signedAt) -> SigV4Verifier {
        SigV4Verifier(region: "us-east-1", service: "service", now: { now }) { $0 == "AKIDEXAMPLE" ? secret : nil }
    }

    static func request(_ method: String, query: String = "", body: String = "", signature: String,
                        signedHeaders: String = "host;x-amz-date", extra: [(String, String)] = []) -> SignableRequest {
        SignableRequest(
            method: method, path: "/", query: query,
            headers: [("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z"),
                      ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=\(signedHeaders), Signature=\(signature)")] + extra,
            body: Array(body.utf8))
    }

    struct Vector: Sendable, CustomTestStringConvertible {
        var name: String
        var method: String
        var query: String
        var signature: String
        var testDescription: String { name }
    }

    static let vectors = [
        Vector(name: "get-vanilla", method: "GET", query: "", signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        Vector(name: "post-vanilla", method: "POST", query: "", signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
        Vector(name: "get-vanilla-query-order-key-case", method: "GET", query: "Param2=value2&Param1=value1",
               signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
    ]

    @Test(arguments: vectors)
    func awsTestSuiteRequestVerifies(_ vector: Vector) async throws {
        let key = try await Self.verifier().verify(Self.request(vector.method, query: vector.query, signature: vector.signature))
        #expect(key == "AKIDEXAMPLE")
    }

    @Test(arguments: vectors)
    func signatureWeComputeMatchesTheSuite(_ vector: Vector) {
        let computed = SigV4.signature(
            request: Self.request(vector.method, query: vector.query, signature: ""), signedHeaders: ["host", "x-amz-date"],
            amzDate: "20150830T123600Z", scope: "20150830/us-east-1/service/aws4_request", secret: Self.secret)
        #expect(computed == vector.signature)
    }

    @Test(arguments: vectors)
    func theSignerSignsAsTheSuite(_ vector: Vector) {
        var request = OutboundRequest(vector.method == "POST" ? .post : .get,
                                      "https://example.amazonaws.com/" + (vector.query.isEmpty ? "" : "?" + vector.query))
        SigV4.sign(&request, service: "service", region: "us-east-1",
                   credentials: AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: Self.secret), date: Self.signedAt)
        #expect(request.headers["Host"] == "example.amazonaws.com" && request.headers["X-Amz-Date"] == "20150830T123600Z")
        #expect(request.headers["Authorization"] == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                + "SignedHeaders=host;x-amz-date, Signature=\(vector.signature)")
    }

    /// What Cognate signs (to an old Cognito pool) its own verifier takes, target, body, port and
    /// session token signed; a changed body is refused.
    @Test func signedRequestsVerify() async throws {
        var request = OutboundRequest(.post, "http://127.0.0.1:9229/", headers: [
            "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AWSCognitoIdentityProviderService.ListUsers",
        ], body: Data(#"{"UserPoolId":"us-east-1_abc"}"#.utf8))
        SigV4.sign(&request, service: "service", region: "us-east-1",
                   credentials: AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: Self.secret, sessionToken: "token"),
                   date: Self.signedAt)
        #expect(request.headers["Host"] == "127.0.0.1:9229" && request.headers["X-Amz-Security-Token"] == "token")
        var signable = SignableRequest(method: "POST", path: "/", query: "", headers: request.headers.map { ($0.key, $0.value) },
                                       body: Array(request.body ?? Data()))
        #expect(try await Self.verifier().verify(signable) == "AKIDEXAMPLE")
        signable.body = Array(#"{"UserPoolId":"us-east-1_xyz"}"#.utf8)
        #expect(await Self.failure(signable)?.type == "InvalidSignatureException")
    }

    static func failure(_ request: SignableRequest, verifier: SigV4Verifier = verifier()) async -> CognitoError? {
        do {
            _ = try await verifier.verify(request)
            return nil
        } catch {
            return error as? CognitoError
        }
    }

    @Test func changedBodyIsRefused() async {
        let tampered = Self.request("POST", body: "{\"x\":1}", signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b")
        #expect(await Self.failure(tampered)?.type == "InvalidSignatureException")
    }

    @Test func changedSignedHeaderIsRefused() async {
        var tampered = Self.request("GET", signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
        tampered.headers[0] = ("Host", "evil.example.com")
        #expect(await Self.failure(tampered)?.type == "InvalidSignatureException")
    }

    @Test func wrongSecretIsRefused() async {
        let verifier = SigV4Verifier(region: "us-east-1", service: "service", now: { Self.signedAt }) { _ in "another secret" }
        let request = Self.request("GET", signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
        #expect(await Self.failure(request, verifier: verifier)?.type == "InvalidSignatureException")
    }

    @Test func unknownAccessKeyIsUnrecognized() async {
        let verifier = SigV4Verifier(region: "us-east-1", service: "service", now: { Self.signedAt }) { _ in nil }
        let request = Self.request("GET", signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
        #expect(await Self.failure(request, verifier: verifier)?.type == "UnrecognizedClientException")
    }

    @Test(arguments: [-301.0, 301.0])
    func dateMoreThanFiveMinutesOffIsRefused(_ skew: Double) async {
        let request = Self.request("GET", signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
        let error = await Self.failure(request, verifier: Self.verifier(now: Self.signedAt.addingTimeInterval(skew)))
        #expect(error?.type == "InvalidSignatureException")
        #expect(error?.message.hasPrefix("Signature expired") == true)
    }

    @Test func dateWithinFiveMinutesIsAccepted() async throws {
        let request = Self.request("GET", signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
        _ = try await Self.verifier(now: Self.signedAt.addingTimeInterval(299)).verify(request)
    }

    @Test func missingAuthorizationIsMissingToken() async {
        var request = Self.request("GET", signature: "x")
        request.headers.removeAll { $0.name == "Authorization" }
        #expect(await Self.failure(request)?.type == "MissingAuthenticationTokenException")
    }

    @Test(arguments: ["Bearer abc", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1, SignedHeaders=host, Signature=00",
                      "AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date"])
    func malformedAuthorizationIsIncomplete(_ header: String) async {
        var request = Self.request("GET", signature: "x")
        request.headers[2] = ("Authorization", header)
        #expect(await Self.failure(request)?.type == "IncompleteSignatureException")
    }

    @Test func unsignedDateHeaderIsRefused() async {
        let request = Self.request("GET", signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31", signedHeaders: "host")
        #expect(await Self.failure(request)?.type == "IncompleteSignatureException")
    }

    @Test func scopeForAnotherRegionIsRefused() async {
        let verifier = SigV4Verifier(region: "local", service: "service", now: { Self.signedAt }) { _ in Self.secret }
        let request = Self.request("GET", signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
        #expect(await Self.failure(request, verifier: verifier)?.type == "InvalidSignatureException")
    }

    @Test func amzDatesAreReadAndWrittenInUTC() {
        #expect(SigV4.parseDate("20150830T123600Z") == Date(timeIntervalSince1970: 1_440_938_160))
        #expect(SigV4.format(Date(timeIntervalSince1970: 1_440_938_160)) == "20150830T123600Z")
        #expect(SigV4.format(Date(timeIntervalSince1970: 951_782_400.9)) == "20000229T000000Z")
        #expect(SigV4.parseDate("20000229T000000Z") == Date(timeIntervalSince1970: 951_782_400))
        for bad in ["20150830T123600", "2015-08-30T12:36:00Z", "20150230T123600Z", "20151301T000000Z", "20150830T240000Z",
                    "20150830T126000Z", "2015083OT123600Z", "20150830X123600Z", "+0150830T123600Z", "", "20150830T123600Z "] {
            #expect(SigV4.parseDate(bad) == nil, "\(bad)")
        }
    }
}
