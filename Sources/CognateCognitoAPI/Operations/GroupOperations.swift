import CognateCore
import CognateModel
import Foundation

struct GroupInput: Decodable, Sendable {
    var GroupName: String
    var UserPoolId: String
    var Description: String?
    var RoleArn: String?
    var Precedence: Int?
}

struct GroupOutput: Encodable, Sendable {
    var Group: GroupType
}

struct CreateGroup: APIOperation {
    static let name = "CreateGroup"

    static func run(_ input: GroupInput, _ context: APIContext) async throws -> GroupOutput {
        _ = try await context.existingPool(input.UserPoolId)
        let date = context.now()
        let group = Group(
            poolId: input.UserPoolId, name: input.GroupName, description: input.Description,
            precedence: input.Precedence, roleArn: input.RoleArn, createdAt: date, updatedAt: date)
        do {
            try await context.store.createGroup(group)
        } catch StoreError.duplicate {
            throw CognitoError("GroupExistsException", "A group with the name \(input.GroupName) already exists.")
        }
        return GroupOutput(Group: GroupType(group))
    }
}

struct GetGroup: APIOperation {
    struct Input: Decodable, Sendable {
        var GroupName: String
        var UserPoolId: String
    }

    static let name = "GetGroup"

    static func run(_ input: Input, _ context: APIContext) async throws -> GroupOutput {
        GroupOutput(Group: GroupType(try await context.existingGroup(input.UserPoolId, input.GroupName)))
    }
}

/// Only the members given change, as in Cognito.
struct UpdateGroup: APIOperation {
    static let name = "UpdateGroup"

    static func run(_ input: GroupInput, _ context: APIContext) async throws -> GroupOutput {
        _ = try await context.existingGroup(input.UserPoolId, input.GroupName)
        let date = context.now()
        let updated = try await context.store.updateGroup(poolId: input.UserPoolId, name: input.GroupName) { group in
            if let description = input.Description { group.description = description }
            if let role = input.RoleArn { group.roleArn = role }
            if let precedence = input.Precedence { group.precedence = precedence }
            group.updatedAt = date
        }
        return GroupOutput(Group: GroupType(updated))
    }
}

struct DeleteGroup: APIOperation {
    struct Input: Decodable, Sendable {
        var GroupName: String
        var UserPoolId: String
    }

    struct Output: Encodable, Sendable {}

    static let name = "DeleteGroup"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        _ = try await context.existingGroup(input.UserPoolId, input.GroupName)
        try await context.store.deleteGroup(poolId: input.UserPoolId, name: input.GroupName)
        return Output()
    }
}

struct ListGroups: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var Limit: Int?
        var NextToken: String?
    }

    struct Output: Encodable, Sendable {
        var Groups: [GroupType]
        var NextToken: String?
    }

    static let name = "ListGroups"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        _ = try await context.existingPool(input.UserPoolId)
        let page = try await context.store.listGroups(poolId: input.UserPoolId, limit: input.Limit ?? 60, after: input.NextToken)
        return Output(Groups: page.items.map(GroupType.init), NextToken: page.next)
    }
}

extension APIContext {
    func existingGroup(_ poolId: String, _ name: String) async throws -> Group {
        _ = try await existingPool(poolId)
        guard let group = try await store.group(poolId: poolId, name: name) else {
            throw CognitoError.resourceNotFound("Group \(name) not found.")
        }
        return group
    }
}
