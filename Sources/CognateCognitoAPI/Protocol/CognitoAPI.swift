import CognateCore
import CognateModel
import Foundation
import Logging

/// What an operation may use.
public struct APIContext: Sendable {
    /// What the operations read and write directly (the rest goes through the services).
    public typealias Store = UserPoolStore & AppClientStore & UserStore & GroupStore & ResourceServerStore & DomainStore & AuthEventStore
        & IdentityProviderStore & UICustomizationStore & ManagedLoginBrandingStore & IdentityPoolStore & RefreshTokenStore & SessionStore
    public let store: any Store
    public let pools: PoolService
    public let keyring: Keyring
    public let hasher: PasswordHasher
    public let delivery: MessageDelivery
    public let domains: HostedDomains
    public let tokens: TokenService
    public let signIn: SignInService
    public let credentials: Credentials
    public let accounts: AccountService
    public let identityProviders: IdentityProviderService
    /// The pools' SAML keys (GetSigningCertificate).
    public let saml: SAMLServiceProvider
    public let identityPools: IdentityPoolService
    /// The pools' CSV import jobs.
    public let imports: UserImports
    public let region: String
    public let now: Now

    public init(
        store: any Store, pools: PoolService, keyring: Keyring, hasher: PasswordHasher,
        delivery: MessageDelivery, domains: HostedDomains, tokens: TokenService, signIn: SignInService,
        credentials: Credentials, accounts: AccountService, identityProviders: IdentityProviderService, saml: SAMLServiceProvider,
        identityPools: IdentityPoolService, imports: UserImports, region: String, now: @escaping Now
    ) {
        self.identityPools = identityPools
        self.imports = imports
        self.accounts = accounts
        self.identityProviders = identityProviders
        self.saml = saml
        self.store = store
        self.pools = pools
        self.keyring = keyring
        self.hasher = hasher
        self.delivery = delivery
        self.domains = domains
        self.tokens = tokens
        self.signIn = signIn
        self.credentials = credentials
        self.region = region
        self.now = now
    }
}

/// One operation of the API: a typed input decoded from the request, a typed output encoded
/// into the response.
protocol APIOperation: Sendable {
    associatedtype Input: Decodable & Sendable
    associatedtype Output: Encodable & Sendable
    static var name: String { get }
    static func run(_ input: Input, _ context: APIContext) async throws -> Output
}

public struct APIResponse: Sendable {
    public var status: Int
    public var body: Data
}

/// Cognito's two JSON 1.1 protocols on one endpoint, `POST /`: the Identity Provider API
/// (`X-Amz-Target: AWSCognitoIdentityProviderService.<Operation>`, user pools) and the Identity
/// API (`AWSCognitoIdentityService.<Operation>`, identity pools), each with its own model and
/// signing name. Order of checks as AWS: the operation, the signature (for operations the model
/// does not mark unsigned), the JSON, the model's constraints, then the operation itself. It
/// never throws: every failure is an answer.
public struct CognitoAPI: Sendable {
    typealias Handler = @Sendable (Data, APIContext) async throws -> Data

    /// One of the two APIs: its model, the service name its signatures are scoped to, its handlers.
    struct Service: Sendable {
        let model: ServiceModel
        let verifier: SigV4Verifier
        let handlers: [String: Handler]
    }

    let services: [String: Service]
    let context: APIContext
    let logger: Logger

    /// The operations Cognate answers; the rest of the model is refused as unsupported.
    static let operations: [any APIOperation.Type] = [
        CreateUserPool.self, DescribeUserPool.self, ListUserPools.self, UpdateUserPool.self, DeleteUserPool.self,
        CreateUserPoolClient.self, DescribeUserPoolClient.self, ListUserPoolClients.self,
        UpdateUserPoolClient.self, DeleteUserPoolClient.self, AddUserPoolClientSecret.self, ListUserPoolClientSecrets.self,
        DeleteUserPoolClientSecret.self,
        CreateResourceServer.self, DescribeResourceServer.self, UpdateResourceServer.self, ListResourceServers.self,
        DeleteResourceServer.self,
        CreateGroup.self, GetGroup.self, UpdateGroup.self, DeleteGroup.self, ListGroups.self,
        AdminCreateUser.self, AdminGetUser.self, AdminUpdateUserAttributes.self, AdminDeleteUserAttributes.self,
        AdminDeleteUser.self, AdminDisableUser.self, AdminEnableUser.self, AdminSetUserPassword.self,
        AdminResetUserPassword.self, AdminConfirmSignUp.self, ListUsers.self,
        AdminAddUserToGroup.self, AdminRemoveUserFromGroup.self, AdminListGroupsForUser.self, ListUsersInGroup.self,
        AddCustomAttributes.self,
        CreateUserPoolDomain.self, DescribeUserPoolDomain.self, DeleteUserPoolDomain.self, UpdateUserPoolDomain.self,
        InitiateAuth.self, AdminInitiateAuth.self, RespondToAuthChallenge.self, AdminRespondToAuthChallenge.self,
        GetUser.self, GlobalSignOut.self, AdminUserGlobalSignOut.self, RevokeToken.self, GetTokensFromRefreshToken.self, DeleteUser.self,
        SignUp.self, ConfirmSignUp.self, ResendConfirmationCode.self, ForgotPassword.self, ConfirmForgotPassword.self,
        ChangePassword.self, UpdateUserAttributes.self, DeleteUserAttributes.self, GetUserAttributeVerificationCode.self,
        VerifyUserAttribute.self,
        AssociateSoftwareToken.self, VerifySoftwareToken.self, SetUserMFAPreference.self, AdminSetUserMFAPreference.self, AdminDeleteSoftwareToken.self,
        GetUserPoolMfaConfig.self, SetUserPoolMfaConfig.self,
        AdminListUserAuthEvents.self, AdminUpdateAuthEventFeedback.self,
        CreateIdentityProvider.self, DescribeIdentityProvider.self, UpdateIdentityProvider.self, DeleteIdentityProvider.self,
        ListIdentityProviders.self, GetIdentityProviderByIdentifier.self, GetSigningCertificate.self,
        SetUICustomization.self, GetUICustomization.self, AdminLinkProviderForUser.self, AdminDisableProviderForUser.self,
        CreateManagedLoginBranding.self, UpdateManagedLoginBranding.self, DescribeManagedLoginBranding.self,
        DescribeManagedLoginBrandingByClient.self, DeleteManagedLoginBranding.self,
        GetCSVHeader.self, CreateUserImportJob.self, DescribeUserImportJob.self, ListUserImportJobs.self, StartUserImportJob.self,
        StopUserImportJob.self, TagUserPool.self, UntagUserPool.self, ListUserPoolTags.self,
        SetUserSettings.self, AdminSetUserSettings.self,
        ConfirmDevice.self, GetDevice.self, ListDevices.self, UpdateDeviceStatus.self, ForgetDevice.self,
        AdminGetDevice.self, AdminListDevices.self, AdminUpdateDeviceStatus.self, AdminForgetDevice.self,
        StartWebAuthnRegistration.self, CompleteWebAuthnRegistration.self, ListWebAuthnCredentials.self, DeleteWebAuthnCredential.self,
        CreateTerms.self, DescribeTerms.self, DescribeTermsByClient.self, ListTerms.self, UpdateTerms.self, DeleteTerms.self,
        ListUserSessions.self, RevokeUserSession.self, AdminListUserSessions.self, AdminRevokeUserSession.self,
        GetUserAuthFactors.self, AdminGetUserAuthFactors.self,
    ]

    /// The identity pools' operations (AWSCognitoIdentityService); the rest of its model is refused as unsupported.
    static let identityOperations: [any APIOperation.Type] = [
        CreateIdentityPool.self, DescribeIdentityPool.self, UpdateIdentityPool.self, ListIdentityPools.self, DeleteIdentityPool.self,
        SetIdentityPoolRoles.self, GetIdentityPoolRoles.self, TagIdentityPool.self, UntagIdentityPool.self, ListIdentityPoolTags.self,
        GetId.self, GetOpenIdToken.self, GetCredentialsForIdentity.self, DescribeIdentity.self, ListIdentities.self, DeleteIdentities.self,
        UnlinkIdentity.self, GetOpenIdTokenForDeveloperIdentity.self, LookupDeveloperIdentity.self, MergeDeveloperIdentities.self,
        UnlinkDeveloperIdentity.self, SetPrincipalTagAttributeMap.self, GetPrincipalTagAttributeMap.self,
    ]

    public static var implementedOperations: [String] { operations.map { $0.name }.sorted() }
    public static var implementedIdentityOperations: [String] { identityOperations.map { $0.name }.sorted() }
    /// The identity pools' service (its OpenID provider's discovery and keys are served beside the API).
    public var identityPools: IdentityPoolService { context.identityPools }
    /// The import jobs (their files are uploaded beside the API, and every node runs them).
    public var imports: UserImports { context.imports }

    public init(context: APIContext, adminSecret: @escaping @Sendable (String) async throws -> String?, logger: Logger) {
        self.context = context
        self.logger = logger
        func service(_ model: ServiceModel, signingName: String, _ operations: [any APIOperation.Type]) -> (String, Service) {
            var handlers: [String: Handler] = [:]
            for operation in operations { handlers[operation.name] = Self.handler(for: operation) }
            let verifier = SigV4Verifier(region: context.region, service: signingName, now: context.now, secret: adminSecret)
            return (model.targetPrefix, Service(model: model, verifier: verifier, handlers: handlers))
        }
        services = Dictionary(uniqueKeysWithValues: [
            service(.cognito, signingName: "cognito-idp", Self.operations),
            service(.identity, signingName: "cognito-identity", Self.identityOperations),
        ])
    }

    static func handler<Operation: APIOperation>(for _: Operation.Type) -> Handler {
        { body, context in
            let input: Operation.Input
            do {
                input = try APICoding.decoder.decode(Operation.Input.self, from: body.isEmpty ? Data("{}".utf8) : body)
            } catch {
                throw CognitoError.serialization("Could not read the request body as \(Operation.name) input")
            }
            return try APICoding.encoder.encode(try await Operation.run(input, context))
        }
    }

    public func handle(_ request: SignableRequest) async -> APIResponse {
        do {
            let body = try await respond(request)
            return APIResponse(status: 200, body: body)
        } catch let error as CognitoError {
            return Self.render(error)
        } catch let error as ValidationError {
            return Self.render(.invalidParameter(error.message))
        } catch let error as ServiceRefusal {
            return Self.render(CognitoError(error.type, error.message))
        } catch let error as TriggerError {
            return Self.render(CognitoError.trigger(error))
        } catch let error as AccountError {
            return Self.render(Accounts.translate(error))
        } catch let error as SignInError {
            return Self.render(AuthFlows.translate(error))
        } catch is PasswordHasherBusy {
            return Self.render(.tooManyRequests("Too many requests. Try again later."))
        } catch let error as StoreError {
            switch error {
            case .notFound(let what): return Self.render(.resourceNotFound("\(what) does not exist."))
            case .duplicate(let what): return Self.render(.invalidParameter("\(what) already exists."))
            case .unavailable:
                logger.error("store unavailable: \(error)")
                return Self.render(.unavailable)
            }
        } catch {
            logger.error("API operation failed: \(String(reflecting: error))")
            return Self.render(.internalError)
        }
    }

    func respond(_ request: SignableRequest) async throws -> Data {
        guard request.method.uppercased() == "POST" else {
            throw CognitoError.unknownOperation("The API accepts POST requests only.")
        }
        let target = request.header("x-amz-target") ?? ""
        let parts = target.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2, let service = services[parts[0]], let operation = service.model.operations[parts[1]] else {
            throw CognitoError.unknownOperation(target.isEmpty ? "Missing X-Amz-Target header." : "Unknown operation \(target).")
        }
        let model = service.model
        if operation.requiresSignature {
            _ = try await service.verifier.verify(request)
        }
        let json: JSONValue
        do {
            json = request.body.isEmpty ? .object([:]) : try JSONDecoder().decode(JSONValue.self, from: Data(request.body))
        } catch {
            throw CognitoError.serialization("The request body is not valid JSON.")
        }
        if let input = operation.input {
            try RequestValidator(model: model).validate(json, shape: input)
        }
        guard let handler = service.handlers[operation.name] else {
            throw CognitoError("UnsupportedOperationException", "\(operation.name) is not supported by Cognate yet.")
        }
        return try await handler(Data(request.body), context)
    }

    static func render(_ error: CognitoError) -> APIResponse {
        let body = (try? APICoding.encoder.encode(["__type": error.type, "message": error.message])) ?? Data()
        return APIResponse(status: error.status, body: body)
    }
}

enum APICoding {
    /// Timestamps are epoch seconds, as the JSON 1.1 protocol has them.
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return decoder
    }()
}
