import Foundation

/// STS's AssumeRoleWithWebIdentity (docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html),
/// the call that turns an identity's OpenID token into temporary credentials. The token is the
/// proof, so AWS needs no signature; the call is signed all the same when Cognate has AWS
/// credentials in its environment (STS accepts that, and STS-compatible services that check
/// every caller, such as moto's with authentication on, require it). The endpoint is
/// `COGNATE_STS_ENDPOINT` (AWS's global one by default).
public struct STSClient: Sendable {
    public static let defaultEndpoint = "https://sts.amazonaws.com"

    let http: any OutboundHTTP
    let endpoint: String
    let credentials: AWSCredentials?
    let now: Now

    public init(http: any OutboundHTTP, endpoint: String? = nil, credentials: AWSCredentials? = nil, now: @escaping Now = { Date() }) {
        self.http = http
        self.credentials = credentials
        self.now = now
        let chosen = endpoint ?? Self.defaultEndpoint
        self.endpoint = chosen.hasSuffix("/") ? String(chosen.dropLast()) : chosen
    }

    public struct Credentials: Sendable, Equatable {
        public var accessKeyId: String
        public var secretKey: String
        public var sessionToken: String
        public var expiration: Date
    }

    public enum Failure: Error, Equatable {
        /// STS refused: the role, its trust policy or the token (its code and message, for the log).
        case refused(code: String, message: String)
        /// STS could not be reached or gave no usable answer.
        case unreachable(String)
    }

    public func assumeRoleWithWebIdentity(roleArn: String, token: String, sessionName: String, policy: String?,
                                          seconds: Int = 3600) async throws -> Credentials {
        var form = [("Action", "AssumeRoleWithWebIdentity"), ("Version", "2011-06-15"), ("RoleArn", roleArn),
                    ("RoleSessionName", sessionName), ("WebIdentityToken", token), ("DurationSeconds", String(seconds))]
        if let policy { form.append(("Policy", policy)) }
        var request = OutboundRequest(.post, endpoint + "/", headers: ["Content-Type": "application/x-www-form-urlencoded; charset=utf-8"],
                                      body: Data(FormEncoding.encode(form).utf8), timeout: 10)
        if let credentials { SigV4.sign(&request, service: "sts", region: signingRegion, credentials: credentials, date: now()) }
        let answer: OutboundAnswer
        do {
            answer = try await http.send(request)
        } catch {
            throw Failure.unreachable(String(describing: error))
        }
        let text = String(decoding: answer.body, as: UTF8.self)
        guard answer.status == 200 else {
            if answer.status >= 500 || answer.status == 429 { throw Failure.unreachable("STS answered HTTP \(answer.status)") }
            throw Failure.refused(code: Self.element("Code", in: text) ?? "HTTP \(answer.status)", message: Self.element("Message", in: text) ?? "")
        }
        guard let keyId = Self.element("AccessKeyId", in: text), let secret = Self.element("SecretAccessKey", in: text),
            let session = Self.element("SessionToken", in: text), let expiration = Self.element("Expiration", in: text).flatMap(Self.date)
        else { throw Failure.unreachable("STS's answer held no credentials") }
        return Credentials(accessKeyId: keyId, secretKey: secret, sessionToken: session, expiration: expiration)
    }

    /// `sts.<region>.amazonaws.com` signs for its region; the global endpoint (and any other) for us-east-1.
    var signingRegion: String {
        let host = URLComponents(string: endpoint)?.host ?? ""
        let parts = host.split(separator: ".")
        return parts.count == 4 && parts[0] == "sts" && host.hasSuffix(".amazonaws.com") ? String(parts[1]) : "us-east-1"
    }

    /// The text of the first `<name>…</name>` (STS's answers are flat enough for this), unescaped.
    static func element(_ name: String, in xml: String) -> String? {
        guard let start = xml.range(of: "<\(name)>"), let end = xml.range(of: "</\(name)>", range: start.upperBound..<xml.endIndex) else {
            return nil
        }
        return String(xml[start.upperBound..<end.lowerBound]).replacingOccurrences(of: "&lt;", with: "<")
            .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&quot;", with: "\"")
            .replacingOccurrences(of: "&apos;", with: "'").replacingOccurrences(of: "&amp;", with: "&")
    }

    static func date(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}
