import Foundation

/// Where and how to send mail, from COGNATE_SMTP_URL: `smtp://` (plain, port 25),
/// `smtps://` (TLS from the first byte, port 465) or `smtp+starttls://` (STARTTLS required,
/// port 587), with `user:password@` for AUTH PLAIN or LOGIN.
public struct SMTPConfiguration: Sendable, Equatable {
    public enum Security: String, Sendable {
        case plain, tls, startTLS
    }

    public var host: String
    public var port: Int
    public var security: Security
    public var username: String?
    public var password: String?
    public var from: String
    /// Extra PEM trust roots for the server's certificate (a private CA); the system roots always count.
    public var caFile: String?
    /// The name given in EHLO.
    public var heloName: String

    public init?(url: URL, from: String, caFile: String? = nil, heloName: String = "cognate.localhost") {
        guard let host = url.host, !host.isEmpty else { return nil }
        switch url.scheme {
        case "smtp": security = .plain
        case "smtps": security = .tls
        case "smtp+starttls": security = .startTLS
        default: return nil
        }
        self.host = host
        self.port = url.port ?? (security == .tls ? 465 : security == .startTLS ? 587 : 25)
        self.username = url.user?.removingPercentEncoding
        self.password = url.password?.removingPercentEncoding
        self.from = from
        self.caFile = caFile
        self.heloName = heloName
    }
}
