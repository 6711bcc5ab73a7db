import Foundation

/// Where a pool's hosted pages live: a prefix (a host under the server's parent domain, as
/// Cognito's `<prefix>.auth.<region>.amazoncognito.com`) or a custom host name.
public struct UserPoolDomain: Sendable, Equatable, Codable {
    public var domain: String
    public var poolId: String
    public var isCustom: Bool
    public var certificateArn: String?
    public var createdAt: Date

    public init(domain: String, poolId: String, isCustom: Bool, certificateArn: String? = nil, createdAt: Date) {
        self.domain = domain
        self.poolId = poolId
        self.isCustom = isCustom
        self.certificateArn = certificateArn
        self.createdAt = createdAt
    }
}
