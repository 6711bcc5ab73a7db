import Foundation

/// Where a pool's hosted pages live: a prefix (a host under the server's parent domain, as
/// Cognito's `<prefix>.auth.<region>.amazoncognito.com`) or a custom host name.
public struct UserPoolDomain: Sendable, Equatable, Codable {
    public var domain: String
    public var poolId: String
    public var isCustom: Bool
    public var certificateArn: String?
    /// Cognito's ManagedLoginVersion (1 classic hosted UI, 2 managed login); nil reads 1. Cognate
    /// serves the same pages for both; the number is kept and shown as given.
    public var managedLoginVersion: Int?
    public var createdAt: Date

    public init(domain: String, poolId: String, isCustom: Bool, certificateArn: String? = nil, createdAt: Date) {
        self.domain = domain
        self.poolId = poolId
        self.isCustom = isCustom
        self.certificateArn = certificateArn
        self.createdAt = createdAt
    }
}
