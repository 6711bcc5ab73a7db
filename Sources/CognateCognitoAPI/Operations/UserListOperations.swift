import CognateCore
import CognateModel
import Foundation

/// ListUsers with Cognito's filter language: `attribute = "value"` or `attribute ^= "prefix"`
/// on the attributes Cognito allows.
struct ListUsers: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var AttributesToGet: [String]?
        var Limit: Int?
        var PaginationToken: String?
        var Filter: String?
    }

    struct Output: Encodable, Sendable {
        var Users: [UserType]
        var PaginationToken: String?
    }

    static let name = "ListUsers"
    static let filterable: Set<String> = [
        "username", "email", "phone_number", "name", "given_name", "family_name", "preferred_username",
        "cognito:user_status", "status", "sub",
    ]

    static func parse(_ text: String?) throws -> UserFilter? {
        guard let text, !text.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        let invalid = CognitoError.invalidParameter("Error while parsing filter.")
        let op: String
        if let range = text.range(of: "^=") { op = String(text[range]) } else if text.contains("=") { op = "=" } else { throw invalid }
        let parts = text.components(separatedBy: op)
        guard parts.count == 2 else { throw invalid }
        let attribute = parts[0].trimmingCharacters(in: .whitespaces)
        var value = parts[1].trimmingCharacters(in: .whitespaces)
        guard value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") else { throw invalid }
        value = String(value.dropFirst().dropLast())
        guard filterable.contains(attribute) else {
            throw CognitoError.invalidParameter("Invalid search attribute: \(attribute)")
        }
        let field: UserFilter.Field = switch attribute {
        case "username": .username
        case "cognito:user_status": .status
        case "status": .enabled
        case "sub": .sub
        default: .attribute(attribute)
        }
        return UserFilter(field: field, value: value, prefix: op == "^=")
    }

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        let pool = try await context.existingPool(input.UserPoolId)
        let limit = input.Limit ?? 60
        // the database matches the filter: a page is full unless it is the last
        let page = if let filter = try parse(input.Filter) {
            try await context.store.listUsers(poolId: pool.id, matching: filter, limit: limit, after: input.PaginationToken)
        } else {
            try await context.store.listUsers(poolId: pool.id, limit: limit, after: input.PaginationToken)
        }
        let only = input.AttributesToGet.map(Set.init)
        return Output(Users: page.items.map { UserType($0, only: only) }, PaginationToken: page.next)
    }
}

struct AdminAddUserToGroup: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var Username: String
        var GroupName: String
    }

    static let name = "AdminAddUserToGroup"

    static func run(_ input: Input, _ context: APIContext) async throws -> EmptyOutput {
        let pool = try await context.existingPool(input.UserPoolId)
        let group = try await context.existingGroup(pool.id, input.GroupName)
        let user = try await context.existingUser(pool, input.Username)
        try await context.store.addMember(poolId: pool.id, group: group.name, userSub: user.sub)
        return EmptyOutput()
    }
}

struct AdminRemoveUserFromGroup: APIOperation {
    static let name = "AdminRemoveUserFromGroup"

    static func run(_ input: AdminAddUserToGroup.Input, _ context: APIContext) async throws -> EmptyOutput {
        let pool = try await context.existingPool(input.UserPoolId)
        let group = try await context.existingGroup(pool.id, input.GroupName)
        let user = try await context.existingUser(pool, input.Username)
        try await context.store.removeMember(poolId: pool.id, group: group.name, userSub: user.sub)
        return EmptyOutput()
    }
}

struct AdminListGroupsForUser: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var Username: String
        var Limit: Int?
        var NextToken: String?
    }

    struct Output: Encodable, Sendable {
        var Groups: [GroupType]
        var NextToken: String?
    }

    static let name = "AdminListGroupsForUser"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        let pool = try await context.existingPool(input.UserPoolId)
        let user = try await context.existingUser(pool, input.Username)
        let groups = try await context.store.groups(poolId: pool.id, userSub: user.sub)
        // A user belongs to at most a few hundred groups: page over the sorted list by name.
        let after = input.NextToken.flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }
        let remaining = groups.filter { after == nil || $0.name > after! }
        let limit = input.Limit ?? 60
        let page = Array(remaining.prefix(limit))
        let next = remaining.count > limit ? page.last.map { Data($0.name.utf8).base64EncodedString() } : nil
        return Output(Groups: page.map(GroupType.init), NextToken: next)
    }
}

struct ListUsersInGroup: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var GroupName: String
        var Limit: Int?
        var NextToken: String?
    }

    struct Output: Encodable, Sendable {
        var Users: [UserType]
        var NextToken: String?
    }

    static let name = "ListUsersInGroup"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        let group = try await context.existingGroup(input.UserPoolId, input.GroupName)
        let page = try await context.store.members(poolId: group.poolId, group: group.name, limit: input.Limit ?? 60, after: input.NextToken)
        return Output(Users: page.items.map { UserType($0) }, NextToken: page.next)
    }
}

/// Adds custom attributes to a pool's schema; existing ones cannot be changed or removed.
struct AddCustomAttributes: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var CustomAttributes: [SchemaAttributeType]
    }

    static let name = "AddCustomAttributes"

    static func run(_ input: Input, _ context: APIContext) async throws -> EmptyOutput {
        let pool = try await context.existingPool(input.UserPoolId)
        var added: [SchemaAttribute] = []
        for (index, shape) in input.CustomAttributes.enumerated() {
            var attribute = try StandardSchema.attribute(from: shape, index: index)
            if !attribute.name.hasPrefix("custom:") { attribute.name = "custom:\(attribute.name)" }
            if pool.schema.contains(where: { $0.name == attribute.name }) || added.contains(where: { $0.name == attribute.name }) {
                throw CognitoError.invalidParameter("Existing attribute already has name \(attribute.name).")
            }
            added.append(attribute)
        }
        if pool.schema.filter({ $0.name.hasPrefix("custom:") }).count + added.count > 50 {
            throw CognitoError.limitExceeded("A user pool can have at most 50 custom attributes.")
        }
        let date = context.now()
        let final = added
        try await context.store.updatePool(id: pool.id) { pool in
            pool.schema += final
            pool.updatedAt = date
            if let error = PoolRules.validate(pool).first { throw error }
        }
        return EmptyOutput()
    }
}
