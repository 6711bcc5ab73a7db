import CognateCore
import CognateModel
import Foundation

struct CreateUserPoolClient: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var ClientName: String
        var GenerateSecret: Bool?
        var ClientSecret: String?
        var settings: ClientSettings

        enum CodingKeys: String, CodingKey { case UserPoolId, ClientName, GenerateSecret, ClientSecret }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            UserPoolId = try container.decode(String.self, forKey: .UserPoolId)
            ClientName = try container.decode(String.self, forKey: .ClientName)
            GenerateSecret = try container.decodeIfPresent(Bool.self, forKey: .GenerateSecret)
            ClientSecret = try container.decodeIfPresent(String.self, forKey: .ClientSecret)
            settings = try ClientSettings(from: decoder)
        }
    }

    struct Output: Encodable, Sendable {
        var UserPoolClient: UserPoolClientType
    }

    static let name = "CreateUserPoolClient"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        let pool = try await context.existingPool(input.UserPoolId)
        if input.ClientSecret != nil && input.GenerateSecret != true {
            throw CognitoError.invalidParameter("ClientSecret can only be set when GenerateSecret is true.")
        }
        // Check first, so a refused request leaves no client behind.
        var draft = AppClient(
            poolId: pool.id, clientId: String(repeating: "a", count: 26), name: input.ClientName,
            secretHash: input.GenerateSecret == true ? "" : nil, createdAt: context.now(), updatedAt: context.now())
        try await input.settings.apply(to: &draft, pool: pool, context: context)
        let settings = draft
        let (client, secret) = try await context.pools.createClient(
            poolId: pool.id, generateSecret: input.GenerateSecret == true, secret: input.ClientSecret
        ) { client in
            let (id, secretHash, created) = (client.clientId, client.secretHash, client.createdAt)
            client = settings
            client.clientId = id
            client.secretHash = secretHash
            client.sealedSecret = nil
            client.createdAt = created
            client.updatedAt = created
        }
        return Output(UserPoolClient: UserPoolClientType(client, secret: secret))
    }
}

struct DescribeUserPoolClient: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var ClientId: String
    }

    struct Output: Encodable, Sendable {
        var UserPoolClient: UserPoolClientType
    }

    static let name = "DescribeUserPoolClient"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        let client = try await context.existingClient(input.UserPoolId, input.ClientId)
        return Output(UserPoolClient: UserPoolClientType(client, secret: try context.pools.secret(of: client)))
    }
}

struct ListUserPoolClients: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var MaxResults: Int?
        var NextToken: String?
    }

    struct Output: Encodable, Sendable {
        var UserPoolClients: [UserPoolClientDescription]
        var NextToken: String?
    }

    static let name = "ListUserPoolClients"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        let pool = try await context.existingPool(input.UserPoolId)
        let page = try await context.store.listClients(poolId: pool.id, limit: input.MaxResults ?? 60, after: input.NextToken)
        return Output(
            UserPoolClients: page.items.map { UserPoolClientDescription(ClientId: $0.clientId, UserPoolId: $0.poolId, ClientName: $0.name) },
            NextToken: page.next)
    }
}

struct UpdateUserPoolClient: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var ClientId: String
        var settings: ClientSettings

        enum CodingKeys: String, CodingKey { case UserPoolId, ClientId }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            UserPoolId = try container.decode(String.self, forKey: .UserPoolId)
            ClientId = try container.decode(String.self, forKey: .ClientId)
            settings = try ClientSettings(from: decoder)
        }
    }

    struct Output: Encodable, Sendable {
        var UserPoolClient: UserPoolClientType
    }

    static let name = "UpdateUserPoolClient"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        let pool = try await context.existingPool(input.UserPoolId)
        var desired = try await context.existingClient(input.UserPoolId, input.ClientId)
        try await input.settings.apply(to: &desired, pool: pool, context: context)
        desired.name = input.settings.ClientName ?? desired.name
        desired.updatedAt = context.now()
        let final = desired
        let updated = try await context.store.updateClient(poolId: pool.id, clientId: input.ClientId) { client in
            let current = client
            client = final
            // the secrets are not settings: as they are now, whatever happened since `desired` was read
            client.secretHash = current.secretHash
            client.sealedSecret = current.sealedSecret
            client.secretCreatedAt = current.secretCreatedAt
            client.additionalSecret = current.additionalSecret
            client.terms = current.terms
            client.createdAt = current.createdAt
        }
        return Output(UserPoolClient: UserPoolClientType(updated, secret: try context.pools.secret(of: updated)))
    }
}

struct DeleteUserPoolClient: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var ClientId: String
    }

    struct Output: Encodable, Sendable {}

    static let name = "DeleteUserPoolClient"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        _ = try await context.existingClient(input.UserPoolId, input.ClientId)
        try await context.store.deleteClient(poolId: input.UserPoolId, clientId: input.ClientId)
        // its pages' customization and style go with it (a client made later under another id never sees them)
        try await context.store.deleteUICustomization(poolId: input.UserPoolId, clientId: input.ClientId)
        if let style = try await context.store.managedLoginBranding(poolId: input.UserPoolId, clientId: input.ClientId) {
            _ = try await context.store.deleteManagedLoginBranding(poolId: input.UserPoolId, id: style.id)
        }
        return Output()
    }
}

extension APIContext {
    func existingClient(_ poolId: String, _ clientId: String) async throws -> AppClient {
        _ = try await existingPool(poolId)
        guard let client = try await store.client(poolId: poolId, clientId: clientId) else {
            throw CognitoError.resourceNotFound("User pool client \(clientId) does not exist.")
        }
        return client
    }
}

// MARK: Client secrets (rotation)

struct ClientSecretDescriptorType: Encodable, Sendable {
    var ClientSecretId: String
    var ClientSecretValue: String?
    var ClientSecretCreateDate: Date
}

/// A second secret for a confidential client, so its apps can move over before the first is
/// deleted. The value is shown once, and only when Cognate made it.
struct AddUserPoolClientSecret: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var ClientId: String
        var ClientSecret: String?
    }

    struct Output: Encodable, Sendable {
        var ClientSecretDescriptor: ClientSecretDescriptorType
    }

    static let name = "AddUserPoolClientSecret"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        _ = try await context.existingClient(input.UserPoolId, input.ClientId)
        let (client, made) = try await context.pools.addSecret(poolId: input.UserPoolId, clientId: input.ClientId, secret: input.ClientSecret)
        guard let second = client.additionalSecret, let id = client.additionalSecretId else { throw CognitoError.internalError }
        return Output(ClientSecretDescriptor: .init(ClientSecretId: id, ClientSecretValue: made, ClientSecretCreateDate: second.createdAt))
    }
}

/// The client's secrets, oldest first, never their values.
struct ListUserPoolClientSecrets: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var ClientId: String
        var NextToken: String?
    }

    struct Output: Encodable, Sendable {
        var ClientSecrets: [ClientSecretDescriptorType]
    }

    static let name = "ListUserPoolClientSecrets"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        let client = try await context.existingClient(input.UserPoolId, input.ClientId)
        var secrets: [ClientSecretDescriptorType] = []
        if let id = client.secretId {
            secrets.append(.init(ClientSecretId: id, ClientSecretCreateDate: client.secretCreatedAt ?? client.createdAt))
        }
        if let second = client.additionalSecret, let id = client.additionalSecretId {
            secrets.append(.init(ClientSecretId: id, ClientSecretCreateDate: second.createdAt))
        }
        return Output(ClientSecrets: secrets)
    }
}

struct DeleteUserPoolClientSecret: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var ClientId: String
        var ClientSecretId: String
    }

    static let name = "DeleteUserPoolClientSecret"

    static func run(_ input: Input, _ context: APIContext) async throws -> EmptyOutput {
        _ = try await context.existingClient(input.UserPoolId, input.ClientId)
        try await context.pools.deleteSecret(poolId: input.UserPoolId, clientId: input.ClientId, secretId: input.ClientSecretId)
        return EmptyOutput()
    }
}
