import CognateModel
import Foundation

/// Where a pool's hosted endpoints answer. A prefix domain is a host under `parent`
/// (COGNATE_DOMAIN_PARENT), reached with the scheme and port of the public URL; a custom domain
/// is its own host name behind TLS (a reverse proxy or load balancer points it at Cognate).
public struct HostedDomains: Sendable {
    public let parent: String
    public let publicURL: URL

    public init(parent: String, publicURL: URL) {
        self.parent = parent
        self.publicURL = publicURL
    }

    public func host(of domain: UserPoolDomain) -> String {
        domain.isCustom ? domain.domain : "\(domain.domain).\(parent)"
    }

    public func baseURL(of domain: UserPoolDomain) -> String {
        if domain.isCustom { return "https://\(domain.domain)" }
        let port = publicURL.port.map { ":\($0)" } ?? ""
        return "\(publicURL.scheme ?? "https")://\(host(of: domain))\(port)"
    }

    /// The domain name a request's Host header names, if it is under this server's parent or
    /// could be a custom domain; the store says whether it exists.
    public func domainName(forHost hostHeader: String) -> String {
        let host = hostHeader.split(separator: ":").first.map { $0.lowercased() } ?? ""
        let suffix = ".\(parent.lowercased())"
        return host.hasSuffix(suffix) ? String(host.dropLast(suffix.count)) : host
    }

    /// The base URL for a pool's OAuth endpoints: its custom domain, else its prefix domain, else the issuer.
    public func endpointBase(domains: [UserPoolDomain], issuer: String) -> String {
        if let custom = domains.first(where: \.isCustom) { return baseURL(of: custom) }
        if let prefix = domains.first(where: { !$0.isCustom }) { return baseURL(of: prefix) }
        return issuer
    }
}
