import CognateCore
import CognateModel
import Foundation

// Cognito Identity (AWSCognitoIdentityService.*): identity pools, their identities, and the
// tokens and credentials identities get. The work is IdentityPoolService's; these map shapes.

struct CognitoIdentityProviderShape: Codable, Sendable {
    var ProviderName: String?
    var ClientId: String?
    var ServerSideTokenCheck: Bool?
}

struct MappingRuleShape: Codable, Sendable {
    var Claim: String
    var MatchType: String
    var Value: String
    var RoleARN: String
}

struct RoleMappingShape: Codable, Sendable {
    struct Rules: Codable, Sendable {
        var Rules: [MappingRuleShape]
    }

    enum CodingKeys: String, CodingKey {
        case kind = "Type", AmbiguousRoleResolution, RulesConfiguration
    }

    var kind: String
    var AmbiguousRoleResolution: String?
    var RulesConfiguration: Rules?

    init(_ mapping: IdentityPool.RoleMapping) {
        kind = mapping.kind.rawValue
        AmbiguousRoleResolution = mapping.ambiguous?.rawValue
        RulesConfiguration = mapping.kind == .rules
            ? Rules(Rules: mapping.rules.map { MappingRuleShape(Claim: $0.claim, MatchType: $0.match.rawValue, Value: $0.value, RoleARN: $0.roleARN) })
            : nil
    }

    func model() throws -> IdentityPool.RoleMapping {
        // the model's enums checked these already
        guard let type = IdentityPool.RoleMapping.Kind(rawValue: kind) else { throw CognitoError.invalidParameter("Unknown role mapping type \(kind).") }
        let rules = try (RulesConfiguration?.Rules ?? []).map { rule in
            guard let match = IdentityPool.RoleMapping.Match(rawValue: rule.MatchType) else {
                throw CognitoError.invalidParameter("Unknown MatchType \(rule.MatchType).")
            }
            return IdentityPool.RoleMapping.Rule(claim: rule.Claim, match: match, value: rule.Value, roleARN: rule.RoleARN)
        }
        return .init(kind: type, ambiguous: AmbiguousRoleResolution.flatMap(IdentityPool.RoleMapping.Ambiguous.init(rawValue:)), rules: rules)
    }
}

/// CreateIdentityPool's and UpdateIdentityPool's input, and what Describe answers.
struct IdentityPoolShape: Codable, Sendable {
    var IdentityPoolId: String?
    var IdentityPoolName: String
    var AllowUnauthenticatedIdentities: Bool
    var AllowClassicFlow: Bool?
    var SupportedLoginProviders: [String: String]?
    var DeveloperProviderName: String?
    var OpenIdConnectProviderARNs: [String]?
    var CognitoIdentityProviders: [CognitoIdentityProviderShape]?
    var SamlProviderARNs: [String]?
    var IdentityPoolTags: [String: String]?

    init(_ pool: IdentityPool) {
        IdentityPoolId = pool.id
        IdentityPoolName = pool.name
        AllowUnauthenticatedIdentities = pool.allowUnauthenticated
        AllowClassicFlow = pool.allowClassicFlow
        SupportedLoginProviders = pool.supportedLoginProviders
        DeveloperProviderName = pool.developerProviderName
        OpenIdConnectProviderARNs = pool.openIdConnectProviderARNs
        CognitoIdentityProviders = pool.userPoolProviders.map {
            CognitoIdentityProviderShape(ProviderName: $0.providerName, ClientId: $0.clientId, ServerSideTokenCheck: $0.serverSideTokenCheck)
        }
        SamlProviderARNs = pool.samlProviderARNs
        IdentityPoolTags = pool.tags
    }

    /// Applies the settings to `pool` (all of them: Update replaces, as Cognito's does; tags and
    /// the developer provider, which cannot change once set, only when given).
    func apply(to pool: inout IdentityPool) throws {
        pool.name = IdentityPoolName
        pool.allowUnauthenticated = AllowUnauthenticatedIdentities
        pool.allowClassicFlow = AllowClassicFlow ?? false
        pool.supportedLoginProviders = SupportedLoginProviders ?? [:]
        if let given = DeveloperProviderName {
            if let current = pool.developerProviderName, given != current {
                throw CognitoError.invalidParameter("DeveloperProviderName cannot be changed once set.")
            }
            pool.developerProviderName = given
        }
        pool.openIdConnectProviderARNs = OpenIdConnectProviderARNs ?? []
        pool.samlProviderARNs = SamlProviderARNs ?? []
        pool.userPoolProviders = try (CognitoIdentityProviders ?? []).map { provider in
            guard let name = provider.ProviderName, let client = provider.ClientId else {
                throw CognitoError.invalidParameter("A CognitoIdentityProvider needs a ProviderName and a ClientId.")
            }
            return .init(providerName: name, clientId: client, serverSideTokenCheck: provider.ServerSideTokenCheck ?? false)
        }
        if let tags = IdentityPoolTags { pool.tags = tags }
    }
}

struct IdentityPoolIdInput: Decodable, Sendable {
    var IdentityPoolId: String
}

extension APIContext {
    func identityPool(_ id: String) async throws -> IdentityPool {
        guard let pool = try await store.identityPool(id: id) else { throw CognitoError.resourceNotFound(id) }
        return pool
    }

    /// The pool an identity pool ARN names.
    func identityPool(arn: String) async throws -> IdentityPool {
        let prefix = "arn:aws:cognito-identity:"
        guard arn.hasPrefix(prefix), let slash = arn.range(of: ":identitypool/") else {
            throw CognitoError.invalidParameter("Invalid ResourceArn: \(arn)")
        }
        return try await identityPool(String(arn[slash.upperBound...]))
    }
}

struct CreateIdentityPool: APIOperation {
    static let name = "CreateIdentityPool"

    static func run(_ input: IdentityPoolShape, _ context: APIContext) async throws -> IdentityPoolShape {
        let service = context.identityPools
        var pool = IdentityPool(id: service.newId(), name: input.IdentityPoolName, allowUnauthenticated: false, createdAt: context.now())
        try input.apply(to: &pool)
        try service.validate(pool)
        try await context.store.createIdentityPool(pool)
        return IdentityPoolShape(pool)
    }
}

struct DescribeIdentityPool: APIOperation {
    static let name = "DescribeIdentityPool"

    static func run(_ input: IdentityPoolIdInput, _ context: APIContext) async throws -> IdentityPoolShape {
        IdentityPoolShape(try await context.identityPool(input.IdentityPoolId))
    }
}

struct UpdateIdentityPool: APIOperation {
    static let name = "UpdateIdentityPool"

    static func run(_ input: IdentityPoolShape, _ context: APIContext) async throws -> IdentityPoolShape {
        guard let id = input.IdentityPoolId else { throw CognitoError.invalidParameter("IdentityPoolId is required.") }
        _ = try await context.identityPool(id)
        let service = context.identityPools
        return IdentityPoolShape(try await context.store.updateIdentityPool(id: id) { pool in
            try input.apply(to: &pool)
            // a provider gone takes its role mapping with it
            let keys = IdentityPoolService.mappingKeys(pool)
            pool.roleMappings = pool.roleMappings.filter { keys.contains($0.key) }
            try service.validate(pool)
        })
    }
}

struct ListIdentityPools: APIOperation {
    struct Input: Decodable, Sendable {
        var MaxResults: Int
        var NextToken: String?
    }

    struct Output: Encodable, Sendable {
        struct Item: Encodable, Sendable {
            var IdentityPoolId: String
            var IdentityPoolName: String
        }

        var IdentityPools: [Item]
        var NextToken: String?
    }

    static let name = "ListIdentityPools"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        let page = try await context.store.listIdentityPools(limit: input.MaxResults, after: input.NextToken)
        return Output(IdentityPools: page.items.map { .init(IdentityPoolId: $0.id, IdentityPoolName: $0.name) }, NextToken: page.next)
    }
}

struct DeleteIdentityPool: APIOperation {
    static let name = "DeleteIdentityPool"

    static func run(_ input: IdentityPoolIdInput, _ context: APIContext) async throws -> EmptyOutput {
        do {
            try await context.store.deleteIdentityPool(id: input.IdentityPoolId)
        } catch StoreError.notFound {
            throw CognitoError.resourceNotFound(input.IdentityPoolId)
        }
        return EmptyOutput()
    }
}

struct SetIdentityPoolRoles: APIOperation {
    struct Input: Decodable, Sendable {
        var IdentityPoolId: String
        var Roles: [String: String]
        var RoleMappings: [String: RoleMappingShape]?
    }

    static let name = "SetIdentityPoolRoles"

    static func run(_ input: Input, _ context: APIContext) async throws -> EmptyOutput {
        _ = try await context.identityPool(input.IdentityPoolId)
        let mappings = try (input.RoleMappings ?? [:]).mapValues { try $0.model() }
        let service = context.identityPools
        _ = try await context.store.updateIdentityPool(id: input.IdentityPoolId) { pool in
            pool.roles = input.Roles
            pool.roleMappings = mappings
            try service.validate(pool)
        }
        return EmptyOutput()
    }
}

struct GetIdentityPoolRoles: APIOperation {
    struct Output: Encodable, Sendable {
        var IdentityPoolId: String
        var Roles: [String: String]
        var RoleMappings: [String: RoleMappingShape]?
    }

    static let name = "GetIdentityPoolRoles"

    static func run(_ input: IdentityPoolIdInput, _ context: APIContext) async throws -> Output {
        let pool = try await context.identityPool(input.IdentityPoolId)
        return Output(IdentityPoolId: pool.id, Roles: pool.roles,
                      RoleMappings: pool.roleMappings.isEmpty ? nil : pool.roleMappings.mapValues(RoleMappingShape.init))
    }
}

struct TagIdentityPool: APIOperation {
    typealias Input = TagResourceInput

    static let name = "TagResource"

    static func run(_ input: Input, _ context: APIContext) async throws -> EmptyOutput {
        let pool = try await context.identityPool(arn: input.ResourceArn)
        _ = try await context.store.updateIdentityPool(id: pool.id) { pool in
            pool.tags.merge(input.Tags) { $1 }
            guard pool.tags.count <= 50 else { throw CognitoError.limitExceeded("An identity pool has at most 50 tags.") }
        }
        return EmptyOutput()
    }
}

struct UntagIdentityPool: APIOperation {
    typealias Input = UntagResourceInput

    static let name = "UntagResource"

    static func run(_ input: Input, _ context: APIContext) async throws -> EmptyOutput {
        let pool = try await context.identityPool(arn: input.ResourceArn)
        _ = try await context.store.updateIdentityPool(id: pool.id) { pool in
            for key in input.TagKeys { pool.tags[key] = nil }
        }
        return EmptyOutput()
    }
}

struct ListIdentityPoolTags: APIOperation {
    typealias Input = ResourceArnInput
    typealias Output = TagsOutput

    static let name = "ListTagsForResource"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        Output(Tags: try await context.identityPool(arn: input.ResourceArn).tags)
    }
}

// MARK: Identities

struct IdentityDescription: Encodable, Sendable {
    var IdentityId: String
    var Logins: [String]
    var CreationDate: Date
    var LastModifiedDate: Date

    init(_ identity: Identity) {
        IdentityId = identity.id
        var providers: [String] = []
        for login in identity.logins where !providers.contains(login.provider) { providers.append(login.provider) }
        Logins = providers
        CreationDate = identity.createdAt
        LastModifiedDate = identity.updatedAt
    }
}

struct GetId: APIOperation {
    struct Input: Decodable, Sendable {
        var AccountId: String?
        var IdentityPoolId: String
        var Logins: [String: String]?
    }

    struct Output: Encodable, Sendable {
        var IdentityId: String
    }

    static let name = "GetId"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        Output(IdentityId: try await context.identityPools.getId(poolId: input.IdentityPoolId, logins: input.Logins ?? [:]).id)
    }
}

struct OpenIdTokenOutput: Encodable, Sendable {
    var IdentityId: String
    var Token: String
}

struct GetOpenIdToken: APIOperation {
    struct Input: Decodable, Sendable {
        var IdentityId: String
        var Logins: [String: String]?
    }

    static let name = "GetOpenIdToken"

    static func run(_ input: Input, _ context: APIContext) async throws -> OpenIdTokenOutput {
        let issued = try await context.identityPools.getOpenIdToken(identityId: input.IdentityId, logins: input.Logins ?? [:])
        return OpenIdTokenOutput(IdentityId: issued.identityId, Token: issued.token)
    }
}

struct GetCredentialsForIdentity: APIOperation {
    struct Input: Decodable, Sendable {
        var IdentityId: String
        var Logins: [String: String]?
        var CustomRoleArn: String?
    }

    struct Output: Encodable, Sendable {
        struct Credentials: Encodable, Sendable {
            var AccessKeyId: String
            var SecretKey: String
            var SessionToken: String
            var Expiration: Date
        }

        var IdentityId: String
        var Credentials: Credentials
    }

    static let name = "GetCredentialsForIdentity"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        let issued = try await context.identityPools.credentials(identityId: input.IdentityId, logins: input.Logins ?? [:],
                                                                 customRoleArn: input.CustomRoleArn)
        let credentials = issued.credentials
        return Output(IdentityId: issued.identityId, Credentials: .init(
            AccessKeyId: credentials.accessKeyId, SecretKey: credentials.secretKey, SessionToken: credentials.sessionToken,
            Expiration: credentials.expiration))
    }
}

struct DescribeIdentity: APIOperation {
    struct Input: Decodable, Sendable {
        var IdentityId: String
    }

    static let name = "DescribeIdentity"

    static func run(_ input: Input, _ context: APIContext) async throws -> IdentityDescription {
        IdentityDescription(try await context.identityPools.identity(input.IdentityId))
    }
}

struct ListIdentities: APIOperation {
    struct Input: Decodable, Sendable {
        var IdentityPoolId: String
        var MaxResults: Int
        var NextToken: String?
        var HideDisabled: Bool?
    }

    struct Output: Encodable, Sendable {
        var IdentityPoolId: String
        var Identities: [IdentityDescription]
        var NextToken: String?
    }

    static let name = "ListIdentities"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        let pool = try await context.identityPool(input.IdentityPoolId)
        let page = try await context.store.listIdentities(poolId: pool.id, limit: input.MaxResults, after: input.NextToken)
        return Output(IdentityPoolId: pool.id, Identities: page.items.map(IdentityDescription.init), NextToken: page.next)
    }
}

struct DeleteIdentities: APIOperation {
    struct Input: Decodable, Sendable {
        var IdentityIdsToDelete: [String]
    }

    struct Output: Encodable, Sendable {
        struct Unprocessed: Encodable, Sendable {
            var IdentityId: String
            var ErrorCode: String
        }

        var UnprocessedIdentityIds: [Unprocessed]
    }

    static let name = "DeleteIdentities"

    /// An id that is not there is not an error (it is gone either way), as in Cognito.
    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        var unprocessed: [Output.Unprocessed] = []
        for id in input.IdentityIdsToDelete {
            do {
                _ = try await context.store.deleteIdentity(id: id)
            } catch is StoreError {
                unprocessed.append(.init(IdentityId: id, ErrorCode: "InternalServerError"))
            }
        }
        return Output(UnprocessedIdentityIds: unprocessed)
    }
}

struct UnlinkIdentity: APIOperation {
    struct Input: Decodable, Sendable {
        var IdentityId: String
        var Logins: [String: String]
        var LoginsToRemove: [String]
    }

    static let name = "UnlinkIdentity"

    static func run(_ input: Input, _ context: APIContext) async throws -> EmptyOutput {
        try await context.identityPools.unlink(identityId: input.IdentityId, logins: input.Logins, remove: input.LoginsToRemove)
        return EmptyOutput()
    }
}

// MARK: Developer-authenticated identities

struct GetOpenIdTokenForDeveloperIdentity: APIOperation {
    struct Input: Decodable, Sendable {
        var IdentityPoolId: String
        var IdentityId: String?
        var Logins: [String: String]
        var PrincipalTags: [String: String]?
        var TokenDuration: Int?
    }

    static let name = "GetOpenIdTokenForDeveloperIdentity"

    static func run(_ input: Input, _ context: APIContext) async throws -> OpenIdTokenOutput {
        let issued = try await context.identityPools.developerToken(poolId: input.IdentityPoolId, identityId: input.IdentityId,
                                                                    logins: input.Logins, seconds: input.TokenDuration)
        return OpenIdTokenOutput(IdentityId: issued.identityId, Token: issued.token)
    }
}

struct LookupDeveloperIdentity: APIOperation {
    struct Input: Decodable, Sendable {
        var IdentityPoolId: String
        var IdentityId: String?
        var DeveloperUserIdentifier: String?
        var MaxResults: Int?
        var NextToken: String?
    }

    struct Output: Encodable, Sendable {
        var IdentityId: String
        var DeveloperUserIdentifierList: [String]
    }

    static let name = "LookupDeveloperIdentity"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        let found = try await context.identityPools.lookupDeveloper(poolId: input.IdentityPoolId, identityId: input.IdentityId,
                                                                    userIdentifier: input.DeveloperUserIdentifier)
        return Output(IdentityId: found.identityId, DeveloperUserIdentifierList: Array(found.userIdentifiers.prefix(input.MaxResults ?? 60)))
    }
}

struct MergeDeveloperIdentities: APIOperation {
    struct Input: Decodable, Sendable {
        var SourceUserIdentifier: String
        var DestinationUserIdentifier: String
        var DeveloperProviderName: String
        var IdentityPoolId: String
    }

    struct Output: Encodable, Sendable {
        var IdentityId: String
    }

    static let name = "MergeDeveloperIdentities"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        Output(IdentityId: try await context.identityPools.mergeDeveloper(
            poolId: input.IdentityPoolId, providerName: input.DeveloperProviderName, source: input.SourceUserIdentifier,
            destination: input.DestinationUserIdentifier))
    }
}

struct UnlinkDeveloperIdentity: APIOperation {
    struct Input: Decodable, Sendable {
        var IdentityId: String
        var IdentityPoolId: String
        var DeveloperProviderName: String
        var DeveloperUserIdentifier: String
    }

    static let name = "UnlinkDeveloperIdentity"

    static func run(_ input: Input, _ context: APIContext) async throws -> EmptyOutput {
        try await context.identityPools.unlinkDeveloper(poolId: input.IdentityPoolId, identityId: input.IdentityId,
                                                        providerName: input.DeveloperProviderName, userIdentifier: input.DeveloperUserIdentifier)
        return EmptyOutput()
    }
}

// MARK: Attributes for access control

struct PrincipalTagMapShape: Codable, Sendable {
    var IdentityPoolId: String
    var IdentityProviderName: String
    var UseDefaults: Bool?
    var PrincipalTags: [String: String]?
}

struct SetPrincipalTagAttributeMap: APIOperation {
    static let name = "SetPrincipalTagAttributeMap"

    /// For a provider of the pool (its Logins key); tags map to the claims they are taken from.
    static func run(_ input: PrincipalTagMapShape, _ context: APIContext) async throws -> PrincipalTagMapShape {
        let pool = try await context.identityPool(input.IdentityPoolId)
        let providers = Set(pool.userPoolProviders.map(\.providerName)).union(pool.supportedLoginProviders.keys)
        guard providers.contains(input.IdentityProviderName) else {
            throw CognitoError.invalidParameter("\(input.IdentityProviderName) is not a provider of this identity pool.")
        }
        let map = IdentityPool.PrincipalTagMap(useDefaults: input.UseDefaults ?? false, tags: input.PrincipalTags ?? [:])
        _ = try await context.store.updateIdentityPool(id: pool.id) { pool in
            var maps = pool.principalTags ?? [:]
            maps[input.IdentityProviderName] = map
            pool.principalTags = maps
        }
        return PrincipalTagMapShape(IdentityPoolId: pool.id, IdentityProviderName: input.IdentityProviderName, UseDefaults: map.useDefaults,
                                    PrincipalTags: map.tags)
    }
}

struct GetPrincipalTagAttributeMap: APIOperation {
    struct Input: Decodable, Sendable {
        var IdentityPoolId: String
        var IdentityProviderName: String
    }

    static let name = "GetPrincipalTagAttributeMap"

    static func run(_ input: Input, _ context: APIContext) async throws -> PrincipalTagMapShape {
        let pool = try await context.identityPool(input.IdentityPoolId)
        let map = pool.principalTags?[input.IdentityProviderName] ?? .init(useDefaults: false, tags: [:])
        return PrincipalTagMapShape(IdentityPoolId: pool.id, IdentityProviderName: input.IdentityProviderName, UseDefaults: map.useDefaults,
                                    PrincipalTags: map.tags)
    }
}
