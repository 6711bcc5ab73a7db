import Foundation

/// A request Cognate makes to an outside provider (discovery, JWKS, token, userinfo, SAML
/// metadata). Core says what to ask; the web layer sends it, with a bounded time and size.
public struct OutboundRequest: Sendable {
    public enum Method: String, Sendable { case get = "GET", post = "POST" }

    public var method: Method
    public var url: String
    public var headers: [String: String]
    /// Sent as application/x-www-form-urlencoded when set.
    public var form: [(String, String)]?
    /// Sent as it is (with the Content-Type in `headers`) when set and there is no form.
    public var body: Data?
    /// How long to wait for the answer; nil: the sender's own bound (ten seconds).
    public var timeout: TimeInterval?

    public init(_ method: Method = .get, _ url: String, headers: [String: String] = [:], form: [(String, String)]? = nil,
                body: Data? = nil, timeout: TimeInterval? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.form = form
        self.body = body
        self.timeout = timeout
    }
}

public struct OutboundAnswer: Sendable {
    public var status: Int
    public var body: Data

    public init(status: Int, body: Data) {
        self.status = status
        self.body = body
    }
}

/// Why an outside request gave nothing usable; the message says what, never a secret.
public struct OutboundError: Error, Equatable, CustomStringConvertible {
    public var description: String
    /// The time allowed ran out (rather than the host refusing or the answer being too large).
    public var timedOut = false
    public init(_ description: String, timedOut: Bool = false) {
        self.description = description
        self.timedOut = timedOut
    }
}

public protocol OutboundHTTP: Sendable {
    /// Sends the request; throws `OutboundError` when the host cannot be reached in time or the
    /// answer is larger than a provider's documents ever are.
    func send(_ request: OutboundRequest) async throws -> OutboundAnswer
}

/// An OpenID provider's endpoints, read from `{issuer}/.well-known/openid-configuration`
/// (OpenID Connect Discovery 1.0 §4).
public struct OIDCDiscovery: Sendable, Equatable {
    public var authorizeURL: String
    public var tokenURL: String
    public var userInfoURL: String?
    public var jwksURI: String

    public static func read(issuer: String, http: any OutboundHTTP) async throws -> OIDCDiscovery {
        let trimmed = issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer
        let answer = try await http.send(OutboundRequest(.get, trimmed + "/.well-known/openid-configuration",
                                                         headers: ["Accept": "application/json"]))
        guard answer.status == 200 else { throw OutboundError("the discovery document answered HTTP \(answer.status)") }
        guard let document = try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any] else {
            throw OutboundError("the discovery document is not a JSON object")
        }
        // §4.3: the issuer in the document must be exactly the one it was read for
        guard let named = document["issuer"] as? String, named == issuer || named == trimmed else {
            throw OutboundError("the discovery document names another issuer (\(document["issuer"] as? String ?? "none"))")
        }
        func endpoint(_ name: String) throws -> String {
            guard let value = document[name] as? String, IdentityProviderService.isProviderURL(value) else {
                throw OutboundError("the discovery document has no usable \(name)")
            }
            return value
        }
        return OIDCDiscovery(authorizeURL: try endpoint("authorization_endpoint"), tokenURL: try endpoint("token_endpoint"),
                             userInfoURL: try? endpoint("userinfo_endpoint"), jwksURI: try endpoint("jwks_uri"))
    }
}
