import Foundation

public struct Group: Sendable, Equatable, Codable {
    public var poolId: String
    public var name: String
    public var description: String?
    public var precedence: Int?
    public var roleArn: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        poolId: String, name: String, description: String? = nil, precedence: Int? = nil,
        roleArn: String? = nil, createdAt: Date, updatedAt: Date
    ) {
        self.poolId = poolId
        self.name = name
        self.description = description
        self.precedence = precedence
        self.roleArn = roleArn
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
