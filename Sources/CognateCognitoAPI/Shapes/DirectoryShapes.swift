import CognateModel
import Foundation

struct ResourceServerScopeType: Codable, Sendable {
    var ScopeName: String
    var ScopeDescription: String
}

struct ResourceServerType: Encodable, Sendable {
    var UserPoolId: String
    var Identifier: String
    var Name: String
    var Scopes: [ResourceServerScopeType]

    init(_ server: ResourceServer) {
        UserPoolId = server.poolId
        Identifier = server.identifier
        Name = server.name
        Scopes = server.scopes.map { ResourceServerScopeType(ScopeName: $0.name, ScopeDescription: $0.description) }
    }
}

struct GroupType: Encodable, Sendable {
    var GroupName: String
    var UserPoolId: String
    var Description: String?
    var RoleArn: String?
    var Precedence: Int?
    var LastModifiedDate: Date
    var CreationDate: Date

    init(_ group: Group) {
        GroupName = group.name
        UserPoolId = group.poolId
        Description = group.description
        RoleArn = group.roleArn
        Precedence = group.precedence
        LastModifiedDate = group.updatedAt
        CreationDate = group.createdAt
    }
}
