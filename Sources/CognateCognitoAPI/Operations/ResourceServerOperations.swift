import CognateCore
import CognateModel
import Foundation

struct ResourceServerInput: Decodable, Sendable {
    var UserPoolId: String
    var Identifier: String
    var Name: String
    var Scopes: [ResourceServerScopeType]?

    func server() throws -> ResourceServer {
        var seen: Set<String> = []
        for scope in Scopes ?? [] where !seen.insert(scope.ScopeName).inserted {
            throw CognitoError.invalidParameter("Scope \(scope.ScopeName) is declared twice.")
        }
        return ResourceServer(
            poolId: UserPoolId, identifier: Identifier, name: Name,
            scopes: (Scopes ?? []).map { .init(name: $0.ScopeName, description: $0.ScopeDescription) })
    }
}

struct ResourceServerOutput: Encodable, Sendable {
    var ResourceServer: ResourceServerType
}

struct CreateResourceServer: APIOperation {
    static let name = "CreateResourceServer"

    static func run(_ input: ResourceServerInput, _ context: APIContext) async throws -> ResourceServerOutput {
        _ = try await context.existingPool(input.UserPoolId)
        let server = try input.server()
        do {
            try await context.store.createResourceServer(server)
        } catch StoreError.duplicate {
            throw CognitoError.invalidParameter("\(input.Identifier) already exists in user pool \(input.UserPoolId).")
        }
        return ResourceServerOutput(ResourceServer: ResourceServerType(server))
    }
}

struct DescribeResourceServer: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var Identifier: String
    }

    static let name = "DescribeResourceServer"

    static func run(_ input: Input, _ context: APIContext) async throws -> ResourceServerOutput {
        ResourceServerOutput(ResourceServer: ResourceServerType(try await context.existingResourceServer(input.UserPoolId, input.Identifier)))
    }
}

/// As Cognito: the scopes given replace the old ones.
struct UpdateResourceServer: APIOperation {
    static let name = "UpdateResourceServer"

    static func run(_ input: ResourceServerInput, _ context: APIContext) async throws -> ResourceServerOutput {
        _ = try await context.existingResourceServer(input.UserPoolId, input.Identifier)
        let desired = try input.server()
        let updated = try await context.store.updateResourceServer(poolId: input.UserPoolId, identifier: input.Identifier) { $0 = desired }
        return ResourceServerOutput(ResourceServer: ResourceServerType(updated))
    }
}

struct ListResourceServers: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var MaxResults: Int?
        var NextToken: String?
    }

    struct Output: Encodable, Sendable {
        var ResourceServers: [ResourceServerType]
        var NextToken: String?
    }

    static let name = "ListResourceServers"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        _ = try await context.existingPool(input.UserPoolId)
        let page = try await context.store.listResourceServers(poolId: input.UserPoolId, limit: input.MaxResults ?? 50, after: input.NextToken)
        return Output(ResourceServers: page.items.map(ResourceServerType.init), NextToken: page.next)
    }
}

struct DeleteResourceServer: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var Identifier: String
    }

    struct Output: Encodable, Sendable {}

    static let name = "DeleteResourceServer"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        _ = try await context.existingResourceServer(input.UserPoolId, input.Identifier)
        try await context.store.deleteResourceServer(poolId: input.UserPoolId, identifier: input.Identifier)
        return Output()
    }
}

extension APIContext {
    func existingResourceServer(_ poolId: String, _ identifier: String) async throws -> ResourceServer {
        _ = try await existingPool(poolId)
        guard let server = try await store.resourceServer(poolId: poolId, identifier: identifier) else {
            throw CognitoError.resourceNotFound("Resource server \(identifier) does not exist in user pool \(poolId).")
        }
        return server
    }
}
