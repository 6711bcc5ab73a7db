/// An OAuth 2.0 error (RFC 6749 §4.1.2.1, §5.2; RFC 6750 §3.1) with the HTTP status it is sent with.
public struct OAuthError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: String
    public let description: String
    public let status: Int

    public init(_ code: String, _ description: String, status: Int = 400) {
        self.code = code
        self.description = description
        self.status = status
    }

    public static func invalidRequest(_ why: String) -> OAuthError { .init("invalid_request", why) }
    public static func invalidClient(_ why: String) -> OAuthError { .init("invalid_client", why, status: 401) }
    public static func invalidGrant(_ why: String) -> OAuthError { .init("invalid_grant", why) }
    public static func unauthorizedClient(_ why: String) -> OAuthError { .init("unauthorized_client", why) }
    public static func unsupportedGrantType(_ why: String) -> OAuthError { .init("unsupported_grant_type", why) }
    public static func unsupportedResponseType(_ why: String) -> OAuthError { .init("unsupported_response_type", why) }
    public static func invalidScope(_ why: String) -> OAuthError { .init("invalid_scope", why) }
    public static func loginRequired(_ why: String) -> OAuthError { .init("login_required", why) }
    public static func invalidToken(_ why: String) -> OAuthError { .init("invalid_token", why, status: 401) }
}
