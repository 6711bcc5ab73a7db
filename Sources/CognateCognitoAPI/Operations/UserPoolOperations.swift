import CognateCore
import CognateModel
import Foundation

struct CreateUserPool: APIOperation {
    struct Input: Decodable, Sendable {
        var PoolName: String
        var Policies: UserPoolPolicyType?
        var DeletionProtection: String?
        var AutoVerifiedAttributes: [String]?
        var AliasAttributes: [String]?
        var UsernameAttributes: [String]?
        var MfaConfiguration: String?
        var Schema: [SchemaAttributeType]?
        var UsernameConfiguration: UsernameConfigurationType?
        var UserAttributeUpdateSettings: UserAttributeUpdateSettingsType?
        var UserPoolTags: [String: String]?
        var DeviceConfiguration: DeviceConfigurationType?
        var messages: PoolMessageSettings
        var triggers: PoolTriggerSettings
        var migration: PoolMigrationSettings

        enum CodingKeys: String, CodingKey {
            case PoolName, Policies, DeletionProtection, AutoVerifiedAttributes, AliasAttributes, UsernameAttributes
            case MfaConfiguration, Schema, UsernameConfiguration, UserAttributeUpdateSettings, UserPoolTags, DeviceConfiguration
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            PoolName = try container.decode(String.self, forKey: .PoolName)
            Policies = try container.decodeIfPresent(UserPoolPolicyType.self, forKey: .Policies)
            DeletionProtection = try container.decodeIfPresent(String.self, forKey: .DeletionProtection)
            AutoVerifiedAttributes = try container.decodeIfPresent([String].self, forKey: .AutoVerifiedAttributes)
            AliasAttributes = try container.decodeIfPresent([String].self, forKey: .AliasAttributes)
            UsernameAttributes = try container.decodeIfPresent([String].self, forKey: .UsernameAttributes)
            MfaConfiguration = try container.decodeIfPresent(String.self, forKey: .MfaConfiguration)
            Schema = try container.decodeIfPresent([SchemaAttributeType].self, forKey: .Schema)
            UsernameConfiguration = try container.decodeIfPresent(UsernameConfigurationType.self, forKey: .UsernameConfiguration)
            UserAttributeUpdateSettings = try container.decodeIfPresent(UserAttributeUpdateSettingsType.self, forKey: .UserAttributeUpdateSettings)
            UserPoolTags = try container.decodeIfPresent([String: String].self, forKey: .UserPoolTags)
            DeviceConfiguration = try container.decodeIfPresent(DeviceConfigurationType.self, forKey: .DeviceConfiguration)
            messages = try PoolMessageSettings(from: decoder)
            triggers = try PoolTriggerSettings(from: decoder)
            migration = try PoolMigrationSettings(from: decoder)
        }
    }

    struct Output: Encodable, Sendable {
        var UserPool: UserPoolType
    }

    static let name = "CreateUserPool"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        let schema = try (input.Schema ?? []).enumerated().map { try StandardSchema.attribute(from: $1, index: $0) }
        let lambdaConfig = try input.triggers.LambdaConfig?.config()
        let migrateFrom = try input.migration.MigrateFrom?.source()
        try UserPoolTagging.check(input.UserPoolTags ?? [:])
        if try await context.store.pool(named: input.PoolName) != nil {
            throw CognitoError.invalidParameter("A user pool named \(input.PoolName) already exists.")
        }
        let pool = try await context.pools.createPool { pool in
            pool.name = input.PoolName
            pool.passwordPolicy = PasswordPolicy(input.Policies?.PasswordPolicy)
            pool.allowedFirstAuthFactors = input.Policies?.SignInPolicy?.AllowedFirstAuthFactors
            pool.deletionProtection = input.DeletionProtection == "ACTIVE"
            pool.autoVerifiedAttributes = input.AutoVerifiedAttributes ?? []
            pool.aliasAttributes = input.AliasAttributes ?? []
            pool.usernameAttributes = input.UsernameAttributes ?? []
            pool.mfaConfiguration = input.MfaConfiguration.flatMap(MFAConfiguration.init(rawValue:)) ?? .off
            pool.schema = schema
            pool.caseSensitive = input.UsernameConfiguration?.CaseSensitive ?? false
            pool.attributesRequireVerificationBeforeUpdate = input.UserAttributeUpdateSettings?.AttributesRequireVerificationBeforeUpdate
            input.messages.apply(to: &pool)
            pool.lambdaConfig = lambdaConfig
            pool.tags = input.UserPoolTags
            pool.deviceConfiguration = input.DeviceConfiguration?.configuration
        }
        var shown = UserPoolType(pool, region: context.region)
        if let migrateFrom {
            try await input.migration.apply(poolId: pool.id, context)
            shown.MigrateFrom = MigrateFromType(migrateFrom)
        }
        return Output(UserPool: shown)
    }
}

struct DescribeUserPool: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
    }

    struct Output: Encodable, Sendable {
        var UserPool: UserPoolType
    }

    static let name = "DescribeUserPool"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        let pool = try await context.existingPool(input.UserPoolId)
        var shown = UserPoolType(pool, region: context.region, domains: try await context.store.domains(poolId: pool.id))
        shown.MigrateFrom = try await context.accounts.migration?.source(poolId: pool.id).map(MigrateFromType.init)
        return Output(UserPool: shown)
    }
}

struct ListUserPools: APIOperation {
    struct Input: Decodable, Sendable {
        var MaxResults: Int
        var NextToken: String?
    }

    struct Output: Encodable, Sendable {
        var UserPools: [UserPoolDescriptionType]
        var NextToken: String?
    }

    static let name = "ListUserPools"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        let page = try await context.store.listPools(limit: input.MaxResults, after: input.NextToken)
        return Output(
            UserPools: page.items.map {
                UserPoolDescriptionType(Id: $0.id, Name: $0.name, Status: "Enabled", LastModifiedDate: $0.updatedAt, CreationDate: $0.createdAt)
            },
            NextToken: page.next)
    }
}

/// As Cognito: settings the request leaves out go back to their defaults.
struct UpdateUserPool: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var PoolName: String?
        var Policies: UserPoolPolicyType?
        var DeletionProtection: String?
        var AutoVerifiedAttributes: [String]?
        var MfaConfiguration: String?
        var UserAttributeUpdateSettings: UserAttributeUpdateSettingsType?
        var UserPoolTags: [String: String]?
        var DeviceConfiguration: DeviceConfigurationType?
        var messages: PoolMessageSettings
        var triggers: PoolTriggerSettings
        var migration: PoolMigrationSettings

        enum CodingKeys: String, CodingKey {
            case UserPoolId, PoolName, Policies, DeletionProtection, AutoVerifiedAttributes, MfaConfiguration, UserAttributeUpdateSettings
            case UserPoolTags, DeviceConfiguration
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            UserPoolId = try container.decode(String.self, forKey: .UserPoolId)
            PoolName = try container.decodeIfPresent(String.self, forKey: .PoolName)
            Policies = try container.decodeIfPresent(UserPoolPolicyType.self, forKey: .Policies)
            DeletionProtection = try container.decodeIfPresent(String.self, forKey: .DeletionProtection)
            AutoVerifiedAttributes = try container.decodeIfPresent([String].self, forKey: .AutoVerifiedAttributes)
            MfaConfiguration = try container.decodeIfPresent(String.self, forKey: .MfaConfiguration)
            UserAttributeUpdateSettings = try container.decodeIfPresent(UserAttributeUpdateSettingsType.self, forKey: .UserAttributeUpdateSettings)
            UserPoolTags = try container.decodeIfPresent([String: String].self, forKey: .UserPoolTags)
            DeviceConfiguration = try container.decodeIfPresent(DeviceConfigurationType.self, forKey: .DeviceConfiguration)
            messages = try PoolMessageSettings(from: decoder)
            triggers = try PoolTriggerSettings(from: decoder)
            migration = try PoolMigrationSettings(from: decoder)
        }
    }

    struct Output: Encodable, Sendable {}

    static let name = "UpdateUserPool"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        let existing = try await context.existingPool(input.UserPoolId)
        if let name = input.PoolName, name != existing.name, try await context.store.pool(named: name) != nil {
            throw CognitoError.invalidParameter("A user pool named \(name) already exists.")
        }
        let date = context.now()
        // as in Cognito, what UpdateUserPool leaves out goes back to its default: no triggers
        let lambdaConfig = try input.triggers.LambdaConfig?.config()
        _ = try input.migration.MigrateFrom?.source()  // checked before anything changes
        try UserPoolTagging.check(input.UserPoolTags ?? [:])
        try await context.store.updatePool(id: input.UserPoolId) { pool in
            pool.lambdaConfig = lambdaConfig
            pool.name = input.PoolName ?? pool.name
            pool.passwordPolicy = PasswordPolicy(input.Policies?.PasswordPolicy)
            pool.allowedFirstAuthFactors = input.Policies?.SignInPolicy?.AllowedFirstAuthFactors
            pool.deletionProtection = input.DeletionProtection == "ACTIVE"
            pool.autoVerifiedAttributes = input.AutoVerifiedAttributes ?? []
            pool.mfaConfiguration = input.MfaConfiguration.flatMap(MFAConfiguration.init(rawValue:)) ?? .off
            pool.attributesRequireVerificationBeforeUpdate = input.UserAttributeUpdateSettings?.AttributesRequireVerificationBeforeUpdate
            input.messages.apply(to: &pool)
            // tags are not settings: left out, they stay (TagResource and UntagResource manage them too)
            if let tags = input.UserPoolTags { pool.tags = tags }
            pool.deviceConfiguration = input.DeviceConfiguration?.configuration
            pool.updatedAt = date
            if let error = PoolRules.validate(pool).first { throw error }
        }
        try await input.migration.apply(poolId: input.UserPoolId, context)
        return Output()
    }
}

struct DeleteUserPool: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
    }

    struct Output: Encodable, Sendable {}

    static let name = "DeleteUserPool"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        let pool = try await context.existingPool(input.UserPoolId)
        guard !pool.deletionProtection else {
            throw CognitoError.invalidParameter("The user pool cannot be deleted because deletion protection is activated. Deletion protection must be inactivated first.")
        }
        try await context.store.deletePool(id: pool.id)
        return Output()
    }
}

extension APIContext {
    func existingPool(_ id: String) async throws -> UserPool {
        guard let pool = try await store.pool(id: id) else {
            throw CognitoError.resourceNotFound("User pool \(id) does not exist.")
        }
        return pool
    }
}

/// TagResource, UntagResource and ListTagsForResource take the same shapes in both services.
struct TagResourceInput: Decodable, Sendable {
    var ResourceArn: String
    var Tags: [String: String]
}

struct UntagResourceInput: Decodable, Sendable {
    var ResourceArn: String
    var TagKeys: [String]
}

struct ResourceArnInput: Decodable, Sendable {
    var ResourceArn: String
}

struct TagsOutput: Encodable, Sendable {
    var Tags: [String: String]
}

/// A user pool's tags, named by its ARN (`arn:aws:cognito-idp:<region>:<account>:userpool/<id>`,
/// as DescribeUserPool gives it): at most 50, keys and values as the model allows.
enum UserPoolTagging {
    static let limit = 50

    static func check(_ tags: [String: String]) throws {
        guard tags.count <= limit else { throw CognitoError.invalidParameter("A user pool has at most \(limit) tags.") }
        if tags.keys.contains(where: { $0.hasPrefix("aws:") }) {
            throw CognitoError.invalidParameter("Tag keys beginning with aws: are reserved.")
        }
    }
}

extension APIContext {
    /// The user pool an ARN names; ResourceNotFoundException for a pool not here (another region included).
    func userPool(arn: String) async throws -> UserPool {
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[2] == "cognito-idp", parts[5].hasPrefix("userpool/") else {
            throw CognitoError.invalidParameter("Invalid ResourceArn: \(arn)")
        }
        let id = String(parts[5].dropFirst("userpool/".count))
        guard parts[3] == region, let pool = try await store.pool(id: id) else {
            throw CognitoError.resourceNotFound("User pool \(id) does not exist.")
        }
        return pool
    }
}

struct TagUserPool: APIOperation {
    typealias Input = TagResourceInput

    static let name = "TagResource"

    static func run(_ input: Input, _ context: APIContext) async throws -> EmptyOutput {
        try UserPoolTagging.check(input.Tags)
        let pool = try await context.userPool(arn: input.ResourceArn)
        // read, merged and written in one store update: concurrent taggings all land
        _ = try await context.store.updatePool(id: pool.id) { pool in
            var tags = pool.tags ?? [:]
            tags.merge(input.Tags) { $1 }
            try UserPoolTagging.check(tags)
            pool.tags = tags
        }
        return EmptyOutput()
    }
}

struct UntagUserPool: APIOperation {
    typealias Input = UntagResourceInput

    static let name = "UntagResource"

    static func run(_ input: Input, _ context: APIContext) async throws -> EmptyOutput {
        let pool = try await context.userPool(arn: input.ResourceArn)
        _ = try await context.store.updatePool(id: pool.id) { pool in
            for key in input.TagKeys { pool.tags?[key] = nil }
        }
        return EmptyOutput()
    }
}

struct ListUserPoolTags: APIOperation {
    typealias Input = ResourceArnInput
    typealias Output = TagsOutput

    static let name = "ListTagsForResource"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        Output(Tags: try await context.userPool(arn: input.ResourceArn).tags ?? [:])
    }
}
