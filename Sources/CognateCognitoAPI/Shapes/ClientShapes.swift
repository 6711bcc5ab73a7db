import CognateCore
import CognateModel
import Foundation

struct TokenValidityUnitsType: Codable, Sendable {
    var AccessToken: String?
    var IdToken: String?
    var RefreshToken: String?
}

struct RefreshTokenRotationType: Codable, Sendable {
    var Feature: String
    var RetryGracePeriodSeconds: Int?
}

struct UserPoolClientType: Encodable, Sendable {
    var UserPoolId: String
    var ClientName: String
    var ClientId: String
    var ClientSecret: String?
    var LastModifiedDate: Date
    var CreationDate: Date
    var RefreshTokenValidity: Int
    var AccessTokenValidity: Int
    var IdTokenValidity: Int
    var TokenValidityUnits: TokenValidityUnitsType
    var ReadAttributes: [String]?
    var WriteAttributes: [String]?
    var ExplicitAuthFlows: [String]
    var SupportedIdentityProviders: [String]
    var CallbackURLs: [String]?
    var LogoutURLs: [String]?
    var DefaultRedirectURI: String?
    var AllowedOAuthFlows: [String]?
    var AllowedOAuthScopes: [String]?
    var AllowedOAuthFlowsUserPoolClient: Bool
    var PreventUserExistenceErrors: String
    var EnableTokenRevocation: Bool
    var AuthSessionValidity: Int
    var RefreshTokenRotation: RefreshTokenRotationType

    init(_ client: AppClient, secret: String? = nil) {
        UserPoolId = client.poolId
        ClientName = client.name
        ClientId = client.clientId
        ClientSecret = secret
        LastModifiedDate = client.updatedAt
        CreationDate = client.createdAt
        let units = client.tokenValidityUnits
        RefreshTokenValidity = client.tokenValidity.refreshToken / units.refreshToken.seconds
        AccessTokenValidity = client.tokenValidity.accessToken / units.accessToken.seconds
        IdTokenValidity = client.tokenValidity.idToken / units.idToken.seconds
        TokenValidityUnits = .init(AccessToken: units.accessToken.rawValue, IdToken: units.idToken.rawValue, RefreshToken: units.refreshToken.rawValue)
        ReadAttributes = client.readAttributes.isEmpty ? nil : client.readAttributes
        WriteAttributes = client.writeAttributes.isEmpty ? nil : client.writeAttributes
        ExplicitAuthFlows = client.explicitAuthFlows
        SupportedIdentityProviders = client.supportedIdentityProviders
        CallbackURLs = client.callbackURLs.isEmpty ? nil : client.callbackURLs
        LogoutURLs = client.logoutURLs.isEmpty ? nil : client.logoutURLs
        DefaultRedirectURI = client.defaultRedirectURI
        AllowedOAuthFlows = client.allowedOAuthFlows.isEmpty ? nil : client.allowedOAuthFlows.map(\.rawValue)
        AllowedOAuthScopes = client.allowedOAuthScopes.isEmpty ? nil : client.allowedOAuthScopes
        AllowedOAuthFlowsUserPoolClient = client.allowedOAuthFlowsUserPoolClient
        PreventUserExistenceErrors = client.preventUserExistenceErrors ? "ENABLED" : "LEGACY"
        EnableTokenRevocation = client.enableTokenRevocation
        AuthSessionValidity = client.authSessionValidity
        RefreshTokenRotation = .init(Feature: client.refreshTokenRotation ? "ENABLED" : "DISABLED", RetryGracePeriodSeconds: 0)
    }
}

struct UserPoolClientDescription: Encodable, Sendable {
    var ClientId: String
    var UserPoolId: String
    var ClientName: String
}

/// The settings CreateUserPoolClient and UpdateUserPoolClient share. What the request leaves
/// out takes Cognito's default, on update as on create.
struct ClientSettings: Decodable, Sendable {
    var ClientName: String?
    var RefreshTokenValidity: Int?
    var AccessTokenValidity: Int?
    var IdTokenValidity: Int?
    var TokenValidityUnits: TokenValidityUnitsType?
    var ReadAttributes: [String]?
    var WriteAttributes: [String]?
    var ExplicitAuthFlows: [String]?
    var SupportedIdentityProviders: [String]?
    var CallbackURLs: [String]?
    var LogoutURLs: [String]?
    var DefaultRedirectURI: String?
    var AllowedOAuthFlows: [String]?
    var AllowedOAuthScopes: [String]?
    var AllowedOAuthFlowsUserPoolClient: Bool?
    var PreventUserExistenceErrors: String?
    var EnableTokenRevocation: Bool?
    var AuthSessionValidity: Int?
    var RefreshTokenRotation: RefreshTokenRotationType?

    static let standardScopes: Set<String> = ["openid", "email", "phone", "profile", "aws.cognito.signin.user.admin"]
    static let legacyAuthFlows: [String: String] = [
        "ADMIN_NO_SRP_AUTH": "ALLOW_ADMIN_USER_PASSWORD_AUTH", "USER_PASSWORD_AUTH": "ALLOW_USER_PASSWORD_AUTH",
        "CUSTOM_AUTH_FLOW_ONLY": "ALLOW_CUSTOM_AUTH",
    ]

    /// Applies the settings to `client`, checking them against the pool as Cognito does.
    func apply(to client: inout AppClient, pool: UserPool, context: APIContext) async throws {
        typealias Unit = CognateModel.TokenValidityUnits.Unit
        let given = self.TokenValidityUnits
        let units = CognateModel.TokenValidityUnits(
            accessToken: given?.AccessToken.flatMap(Unit.init(rawValue:)) ?? .hours,
            idToken: given?.IdToken.flatMap(Unit.init(rawValue:)) ?? .hours,
            refreshToken: given?.RefreshToken.flatMap(Unit.init(rawValue:)) ?? .days)
        client.tokenValidityUnits = units
        client.tokenValidity = TokenValidity(
            idToken: (IdTokenValidity ?? 3_600 / units.idToken.seconds) * units.idToken.seconds,
            accessToken: (AccessTokenValidity ?? 3_600 / units.accessToken.seconds) * units.accessToken.seconds,
            refreshToken: (RefreshTokenValidity.flatMap { $0 == 0 ? nil : $0 } ?? 2_592_000 / units.refreshToken.seconds) * units.refreshToken.seconds)
        if client.tokenValidity.idToken == 0 || client.tokenValidity.accessToken == 0 || client.tokenValidity.refreshToken == 0 {
            throw CognitoError.invalidParameter("Token validity is too short for its unit.")
        }
        if client.tokenValidity.refreshToken < max(client.tokenValidity.idToken, client.tokenValidity.accessToken) {
            throw CognitoError.invalidParameter("Refresh token validity must be longer than ID and access token validity.")
        }
        client.readAttributes = ReadAttributes ?? []
        client.writeAttributes = WriteAttributes ?? []
        let attributeNames = Set(pool.schema.map(\.name)).union(PoolRules.standardAttributeNames)
        if let unknown = client.readAttributes.first(where: { !attributeNames.contains($0) && !UserAttributeRules.verificationFlags.contains($0) }) {
            throw CognitoError.invalidParameter("Invalid read attributes specified while creating a client: \(unknown)")
        }
        if let refused = client.writeAttributes.first(where: { !attributeNames.contains($0) || UserAttributeRules.verificationFlags.contains($0) }) {
            throw CognitoError.invalidParameter("Invalid write attributes specified while creating a client: \(refused)")
        }
        let flows = ExplicitAuthFlows ?? ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"]
        let legacy = flows.filter { Self.legacyAuthFlows[$0] != nil }
        if !legacy.isEmpty, legacy.count != flows.count {
            throw CognitoError.invalidParameter("ExplicitAuthFlows cannot mix the legacy values (\(legacy.joined(separator: ", "))) with ALLOW_ values.")
        }
        // Cognito: a client given only the legacy values may also use SRP and refresh tokens.
        client.explicitAuthFlows = legacy.isEmpty ? flows
            : legacy.compactMap { Self.legacyAuthFlows[$0] } + ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
        client.supportedIdentityProviders = SupportedIdentityProviders ?? []
        client.callbackURLs = CallbackURLs ?? []
        client.logoutURLs = LogoutURLs ?? []
        client.defaultRedirectURI = DefaultRedirectURI
        client.allowedOAuthFlows = (AllowedOAuthFlows ?? []).compactMap(OAuthFlow.init(rawValue:))
        client.allowedOAuthScopes = AllowedOAuthScopes ?? []
        client.allowedOAuthFlowsUserPoolClient = AllowedOAuthFlowsUserPoolClient ?? false
        client.preventUserExistenceErrors = (PreventUserExistenceErrors ?? "ENABLED") == "ENABLED"
        client.enableTokenRevocation = EnableTokenRevocation ?? true
        client.authSessionValidity = AuthSessionValidity ?? 3
        client.refreshTokenRotation = RefreshTokenRotation?.Feature == "ENABLED"

        if let redirect = client.defaultRedirectURI, !client.callbackURLs.contains(redirect) {
            throw CognitoError.invalidParameter("DefaultRedirectURI must be one of the CallbackURLs.")
        }
        for url in client.callbackURLs + client.logoutURLs {
            if let problem = RedirectURIRule.problem(with: url) { throw CognitoError.invalidParameter("\(url): \(problem)") }
        }
        if client.allowedOAuthFlowsUserPoolClient {
            if client.allowedOAuthFlows.isEmpty {
                throw CognitoError.invalidOAuthFlow("AllowedOAuthFlows must be given when AllowedOAuthFlowsUserPoolClient is true.")
            }
            if client.allowedOAuthFlows.contains(.clientCredentials) && client.allowedOAuthFlows.count > 1 {
                throw CognitoError.invalidOAuthFlow("client_credentials flow can not be selected along with code flow or implicit flow.")
            }
            if client.allowedOAuthFlows.contains(.clientCredentials) && client.isPublic {
                throw CognitoError.invalidOAuthFlow("client_credentials flow can not be selected if client does not have a client secret.")
            }
            if client.allowedOAuthFlows.contains(where: { $0 != .clientCredentials }) && client.callbackURLs.isEmpty {
                throw CognitoError.invalidParameter("A redirect URI must be provided for the code and implicit flows (CallbackURLs).")
            }
        }
        try await checkScopes(client.allowedOAuthScopes, client: client, pool: pool, context: context)
        let known = Set(try await ListPage.all { try await context.store.listIdentityProviders(poolId: pool.id, limit: $0, after: $1) }.map(\.name))
            .union(["COGNITO"])
        for provider in client.supportedIdentityProviders where !known.contains(provider) {
            throw CognitoError.invalidParameter("The provider \(provider) does not exist for User Pool \(pool.id)")
        }
    }

    func checkScopes(_ scopes: [String], client: AppClient, pool: UserPool, context: APIContext) async throws {
        let custom = Set(try await ListPage.all { try await context.store.listResourceServers(poolId: pool.id, limit: $0, after: $1) }
            .flatMap(\.qualifiedScopes))
        for scope in scopes where !Self.standardScopes.contains(scope) && !custom.contains(scope) {
            throw CognitoError.scopeDoesNotExist("Invalid scope requested: \(scope)")
        }
        if client.allowedOAuthFlows == [.clientCredentials], let standard = scopes.first(where: Self.standardScopes.contains) {
            throw CognitoError.invalidOAuthFlow("\(standard) scope can not be used with client_credentials flow; use resource server scopes.")
        }
    }
}
