import CognateCore
import CognateModel
import Foundation

struct AuthenticationResultType: Encodable, Sendable {
    var AccessToken: String
    var ExpiresIn: Int
    var TokenType: String
    var RefreshToken: String?
    var IdToken: String?
    var NewDeviceMetadata: NewDeviceMetadataType?

    struct NewDeviceMetadataType: Encodable, Sendable {
        var DeviceKey: String
        var DeviceGroupKey: String
    }

    init(_ tokens: IssuedTokens) {
        AccessToken = tokens.accessToken
        ExpiresIn = tokens.expiresIn
        TokenType = "Bearer"
        RefreshToken = tokens.refreshToken
        IdToken = tokens.idToken
        NewDeviceMetadata = tokens.newDevice.map { NewDeviceMetadataType(DeviceKey: $0.key, DeviceGroupKey: $0.groupKey) }
    }
}

struct AuthOutput: Encodable, Sendable {
    var ChallengeName: String?
    var Session: String?
    var ChallengeParameters: [String: String]?
    var AuthenticationResult: AuthenticationResultType?
    /// USER_AUTH without PREFERRED_CHALLENGE: the first factors to choose from (SELECT_CHALLENGE).
    var AvailableChallenges: [String]?

    init(_ outcome: SignInOutcome) {
        switch outcome {
        case .tokens(let tokens):
            ChallengeParameters = [:]
            AuthenticationResult = AuthenticationResultType(tokens)
        case .challenge(let name, let session, let parameters):
            ChallengeName = name
            Session = session
            ChallengeParameters = parameters
        }
    }
}

/// InitiateAuth and AdminInitiateAuth share everything but who may call them and which flows
/// they accept (Cognito's ExplicitAuthFlows on the client).
enum AuthFlows {
    /// The scope API sign-ins grant, as in Cognito.
    static let apiScopes = ["aws.cognito.signin.user.admin"]

    /// A sign-in through the API, counted by its flow (the model's AuthFlowType names) and result.
    static func initiate(flow: String, parameters: [String: String], client: AppClient, admin: Bool, clientMetadata: [String: String] = [:],
                         _ context: APIContext) async throws -> AuthOutput {
        do {
            let output = try await initiateFlow(flow: flow, parameters: parameters, client: client, admin: admin, clientMetadata: clientMetadata,
                                                context)
            CognateMetrics.signIn(flow: flow, result: output.AuthenticationResult != nil ? "success" : "challenge")
            return output
        } catch {
            CognateMetrics.signIn(flow: flow, result: "failure")
            throw error
        }
    }

    static func initiateFlow(flow: String, parameters: [String: String], client: AppClient, admin: Bool, clientMetadata: [String: String],
                             _ context: APIContext) async throws -> AuthOutput {
        let pool = try await context.existingPool(client.poolId)
        func require(_ allowed: String, legacy: String? = nil) throws {
            guard client.explicitAuthFlows.contains(allowed) || legacy.map(client.explicitAuthFlows.contains) == true else {
                throw CognitoError.invalidParameter("\(flow) flow not enabled for this client")
            }
        }
        do {
            switch flow {
            case "USER_PASSWORD_AUTH" where !admin, "ADMIN_USER_PASSWORD_AUTH" where admin, "ADMIN_NO_SRP_AUTH" where admin:
                try require(admin ? "ALLOW_ADMIN_USER_PASSWORD_AUTH" : "ALLOW_USER_PASSWORD_AUTH",
                            legacy: admin ? "ADMIN_NO_SRP_AUTH" : "USER_PASSWORD_AUTH")
                let username = try parameter("USERNAME", parameters)
                let password = try parameter("PASSWORD", parameters)
                try checkSecretHash(parameters["SECRET_HASH"], usernames: [username], client: client, context)
                return AuthOutput(try await context.signIn.signIn(pool: pool, client: client, username: username, password: password, scopes: apiScopes,
                                                                  deviceKey: parameters["DEVICE_KEY"]))
            case "REFRESH_TOKEN_AUTH", "REFRESH_TOKEN":
                try require("ALLOW_REFRESH_TOKEN_AUTH")
                // as Cognito: a rotating client renews only through GetTokensFromRefreshToken (and the token endpoint)
                guard !client.refreshTokenRotation else {
                    throw CognitoError.notAuthorized("Refresh token rotation is enabled for this app client: renew tokens with GetTokensFromRefreshToken.")
                }
                let token = try parameter("REFRESH_TOKEN", parameters)
                let (tokens, _) = try await context.tokens.refresh(token, client: client, deviceKey: parameters["DEVICE_KEY"]) { user in
                    try checkSecretHash(parameters["SECRET_HASH"], usernames: [user.username, user.sub.uuidString.lowercased(), parameters["USERNAME"] ?? ""],
                                        client: client, context)
                }
                return AuthOutput(.tokens(tokens))
            case "USER_SRP_AUTH":
                try require("ALLOW_USER_SRP_AUTH")
                let username = try parameter("USERNAME", parameters)
                try checkSecretHash(parameters["SECRET_HASH"], usernames: [username], client: client, context)
                let outcome = try await context.signIn.startSRP(pool: pool, client: client, username: username, srpA: try parameter("SRP_A", parameters))
                var output = AuthOutput(outcome)
                output.Session = nil
                return output
            case "CUSTOM_AUTH":
                try require("ALLOW_CUSTOM_AUTH", legacy: "CUSTOM_AUTH_FLOW_ONLY")
                let username = try parameter("USERNAME", parameters)
                try checkSecretHash(parameters["SECRET_HASH"], usernames: [username], client: client, context)
                return AuthOutput(try await context.signIn.startCustom(pool: pool, client: client, username: username, srpA: parameters["SRP_A"],
                                                                       clientMetadata: clientMetadata, scopes: apiScopes))
            case "USER_AUTH":
                try require("ALLOW_USER_AUTH")
                let username = try parameter("USERNAME", parameters)
                try checkSecretHash(parameters["SECRET_HASH"], usernames: [username], client: client, context)
                let start = try await context.signIn.startChoice(
                    pool: pool, client: client, username: username, preferred: parameters["PREFERRED_CHALLENGE"], password: parameters["PASSWORD"],
                    srpA: parameters["SRP_A"], scopes: apiScopes)
                var output = AuthOutput(start.outcome)
                output.AvailableChallenges = start.available
                if output.ChallengeName == "PASSWORD_VERIFIER" { output.Session = nil }  // answered as USER_SRP_AUTH's is
                return output
            default:
                throw CognitoError.invalidParameter("Invalid authentication flow: \(flow)")
            }
        } catch let error as SignInError {
            throw translate(error)
        } catch let error as AccountError {
            // an EMAIL_OTP or SMS_MFA code could not be sent (too many this hour)
            throw Accounts.translate(error)
        } catch let error as WebAuthnError {
            throw Passkeys.signInRefusal(error)
        } catch let error as TokenError {
            throw refreshRefusal(error)
        }
    }

    /// Cognito's words for a refresh token that cannot be used.
    static func refreshRefusal(_ error: TokenError) -> CognitoError {
        CognitoError.notAuthorized(error == .expired ? "Refresh Token has expired" : error == .revoked ? "Refresh Token has been revoked" : "Invalid Refresh Token")
    }

    static func respond(challenge: String, session: String?, responses: [String: String], client: AppClient,
                        clientMetadata: [String: String] = [:], _ context: APIContext) async throws -> AuthOutput {
        let pool = try await context.existingPool(client.poolId)
        // An answer is refused where the client does not allow the flow that asks it: SRP's
        // PASSWORD_VERIFIER needs ALLOW_USER_SRP_AUTH (ALLOW_CUSTOM_AUTH where a custom flow asked
        // it, with a Session), CUSTOM_CHALLENGE ALLOW_CUSTOM_AUTH, the others some password flow.
        let custom = challenge == "CUSTOM_CHALLENGE" || (challenge == "PASSWORD_VERIFIER" && !(session ?? "").isEmpty)
        let passwordFlows = ["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_USER_AUTH"]
        let needed = custom ? ["ALLOW_CUSTOM_AUTH"] : challenge == "PASSWORD_VERIFIER" ? ["ALLOW_USER_SRP_AUTH", "ALLOW_USER_AUTH"]
            : ["SELECT_CHALLENGE", "WEB_AUTHN"].contains(challenge) ? ["ALLOW_USER_AUTH"] : passwordFlows
        guard client.explicitAuthFlows.contains(where: needed.contains) else {
            let flow = custom ? "CUSTOM_AUTH" : challenge == "PASSWORD_VERIFIER" ? "USER_SRP_AUTH" : challenge
            throw CognitoError.invalidParameter("\(flow) flow not enabled for this client")
        }
        do {
            switch challenge {
            case "CUSTOM_CHALLENGE", "PASSWORD_VERIFIER" where custom:
                guard let session, !session.isEmpty else { throw CognitoError.invalidParameter("Missing required parameter Session") }
                try checkSecretHash(responses["SECRET_HASH"], usernames: [try parameter("USERNAME", responses)], client: client, context)
                return AuthOutput(try await context.signIn.answerCustom(pool: pool, client: client, challenge: challenge, session: session,
                                                                        responses: responses, clientMetadata: clientMetadata, scopes: apiScopes))
            case "PASSWORD_VERIFIER":
                let username = try parameter("USERNAME", responses)
                try checkSecretHash(responses["SECRET_HASH"], usernames: [username], client: client, context)
                return AuthOutput(try await context.signIn.completeSRP(
                    pool: pool, client: client, secretBlock: try parameter("PASSWORD_CLAIM_SECRET_BLOCK", responses),
                    timestamp: try parameter("TIMESTAMP", responses), signature: try parameter("PASSWORD_CLAIM_SIGNATURE", responses),
                    scopes: apiScopes, deviceKey: responses["DEVICE_KEY"]))
            case "DEVICE_SRP_AUTH":
                // the Session the password step answered with binds the device's proof to that password
                guard let session, !session.isEmpty else { throw CognitoError.invalidParameter("Missing required parameter Session") }
                try checkSecretHash(responses["SECRET_HASH"], usernames: [try parameter("USERNAME", responses)], client: client, context)
                var output = AuthOutput(try await context.signIn.startDeviceSRP(
                    pool: pool, client: client, session: session, deviceKey: try parameter("DEVICE_KEY", responses), srpA: try parameter("SRP_A", responses)))
                output.Session = nil  // the SECRET_BLOCK carries the exchange on, as PASSWORD_VERIFIER's does
                return output
            case "DEVICE_PASSWORD_VERIFIER":
                try checkSecretHash(responses["SECRET_HASH"], usernames: [try parameter("USERNAME", responses)], client: client, context)
                return AuthOutput(try await context.signIn.completeDeviceSRP(
                    pool: pool, client: client, secretBlock: try parameter("PASSWORD_CLAIM_SECRET_BLOCK", responses),
                    timestamp: try parameter("TIMESTAMP", responses), signature: try parameter("PASSWORD_CLAIM_SIGNATURE", responses),
                    deviceKey: responses["DEVICE_KEY"], scopes: apiScopes))
            case "NEW_PASSWORD_REQUIRED":
                guard let session else { throw CognitoError.invalidParameter("Missing required parameter Session") }
                let username = try parameter("USERNAME", responses)
                let password = try parameter("NEW_PASSWORD", responses)
                try checkSecretHash(responses["SECRET_HASH"], usernames: [username], client: client, context)
                var attributes: [String: String] = [:]
                for (key, value) in responses where key.hasPrefix("userAttributes.") { attributes[String(key.dropFirst("userAttributes.".count))] = value }
                return AuthOutput(try await context.signIn.completeNewPassword(
                    pool: pool, client: client, session: session, newPassword: password, attributes: attributes, scopes: apiScopes))
            case "SELECT_CHALLENGE":
                guard let session, !session.isEmpty else { throw CognitoError.invalidParameter("Missing required parameter Session") }
                let username = try parameter("USERNAME", responses)
                try checkSecretHash(responses["SECRET_HASH"], usernames: [username], client: client, context)
                var output = AuthOutput(try await context.signIn.answerChoice(
                    pool: pool, client: client, session: session, username: username, answer: try parameter("ANSWER", responses),
                    password: responses["PASSWORD"], srpA: responses["SRP_A"], scopes: apiScopes))
                if output.ChallengeName == "PASSWORD_VERIFIER" { output.Session = nil }
                return output
            case "WEB_AUTHN":
                guard let session, !session.isEmpty else { throw CognitoError.invalidParameter("Missing required parameter Session") }
                try checkSecretHash(responses["SECRET_HASH"], usernames: [try parameter("USERNAME", responses)], client: client, context)
                return AuthOutput(try await context.signIn.answerPasskey(pool: pool, client: client, session: session,
                                                                         credential: try parameter("CREDENTIAL", responses), scopes: apiScopes))
            case "SMS_OTP":
                // a text-message code as the first factor: answered as SMS_MFA's is
                var answer = responses
                answer["SMS_MFA_CODE"] = responses["SMS_OTP_CODE"]
                return try await respond(challenge: UserMFA.sms, session: session, responses: answer, client: client, clientMetadata: clientMetadata,
                                         context)
            case "SOFTWARE_TOKEN_MFA", "EMAIL_OTP", "SMS_MFA", "SELECT_MFA_TYPE", "MFA_SETUP":
                guard let session else { throw CognitoError.invalidParameter("Missing required parameter Session") }
                if client.sealedSecret != nil {
                    // the user name is needed only to check SECRET_HASH
                    try checkSecretHash(responses["SECRET_HASH"], usernames: [try parameter("USERNAME", responses)], client: client, context)
                }
                return AuthOutput(try await context.signIn.respondToMFA(
                    pool: pool, client: client, challenge: challenge, session: session, responses: responses, scopes: apiScopes))
            default:
                throw CognitoError.invalidParameter("\(challenge) is not a challenge Cognate issues")
            }
        } catch let error as SignInError {
            throw translate(error)
        } catch let error as AccountError {
            throw error == .codeMismatch ? CognitoError("CodeMismatchException", "Invalid code received for user") : Accounts.translate(error)
        } catch let error as WebAuthnError {
            // a sign-in names no more than that the passkey's answer was not accepted (RespondToAuthChallenge has no WebAuthn errors)
            throw Passkeys.signInRefusal(error)
        }
    }

    static func parameter(_ name: String, _ parameters: [String: String]) throws -> String {
        guard let value = parameters[name], !value.isEmpty else { throw CognitoError.invalidParameter("Missing required parameter \(name)") }
        return value
    }

    static func checkSecretHash(_ presented: String?, usernames: [String], client: AppClient, _ context: APIContext) throws {
        let secrets = try context.pools.secrets(of: client)
        guard !secrets.isEmpty else { return }
        guard let presented else {
            throw CognitoError.notAuthorized("Client \(client.clientId) is configured with secret but SECRET_HASH was not received")
        }
        let names = usernames.filter { !$0.isEmpty }
        // every secret is tried (two while one is rotated out), so the time does not say which one matched
        let matched = secrets.map { SecretHash.matches(presented, secret: $0, usernames: names, clientId: client.clientId) }
        guard matched.contains(true) else {
            throw CognitoError.notAuthorized("Unable to verify secret hash for client \(client.clientId)")
        }
    }

    static func translate(_ error: SignInError) -> CognitoError {
        switch error {
        case .notAuthorized(let message): .notAuthorized(message)
        case .userNotFound: CognitoError("UserNotFoundException", "User does not exist.")
        case .userNotConfirmed: CognitoError("UserNotConfirmedException", "User is not confirmed.")
        case .passwordResetRequired: CognitoError("PasswordResetRequiredException", "Password reset required for the user")
        case .invalidPassword(let problem): CognitoError("InvalidPasswordException", "Password does not conform to policy: \(problem)")
        case .invalidParameter(let message): .invalidParameter(message)
        case .invalidSession: .notAuthorized("Invalid session for the user, session is expired.")
        case .lockedOut: .notAuthorized(PasswordLockout.message)
        case .temporaryPasswordExpired: .notAuthorized("Temporary password has expired and must be reset by an administrator.")
        case .poolUsersNotAllowed: .notAuthorized("The client does not allow users of the pool itself.")
        }
    }
}

extension APIContext {
    func publicClient(_ clientId: String) async throws -> AppClient {
        guard let client = try await store.client(id: clientId) else {
            throw CognitoError("ResourceNotFoundException", "User pool client \(clientId) does not exist.")
        }
        return client
    }

    /// The signed-in user an access token names, with its pool (the self-service operations).
    func signedInUser(_ token: String) async throws -> (User, UserPool) {
        let user = try await userForAccessToken(token)
        return (user, try await existingPool(user.poolId))
    }

    /// The signed-in user, its pool and the app client the access token was issued to (whose
    /// ReadAttributes and WriteAttributes limit what the user sees and changes).
    func signedInCaller(_ token: String) async throws -> (User, UserPool, AppClient) {
        let (user, claims) = try await accessTokenCaller(token)
        guard let clientId = claims["client_id"]?.string, let client = try await store.client(poolId: user.poolId, clientId: clientId) else {
            throw CognitoError.notAuthorized("Invalid Access Token")
        }
        return (user, try await existingPool(user.poolId), client)
    }

    /// The user an access token belongs to; Cognito's messages for every way it can be wrong.
    func userForAccessToken(_ token: String) async throws -> User {
        try await accessTokenCaller(token).user
    }

    func accessTokenCaller(_ token: String) async throws -> (user: User, claims: TokenClaims) {
        let claims: TokenClaims
        do {
            claims = try await tokens.verifyAccessToken(token)
        } catch TokenError.expired {
            throw CognitoError.notAuthorized("Access Token has expired")
        } catch TokenError.revoked {
            throw CognitoError.notAuthorized("Access Token has been revoked")
        } catch {
            throw CognitoError.notAuthorized("Invalid Access Token")
        }
        guard claims["scope"]?.string?.split(separator: " ").contains("aws.cognito.signin.user.admin") == true else {
            throw CognitoError.notAuthorized("Access Token does not have required scopes")
        }
        guard let iss = claims["iss"]?.string, let poolId = iss.split(separator: "/").last.map(String.init),
            let sub = claims["sub"]?.string.flatMap(UUID.init(uuidString:)),
            let user = try await store.user(poolId: poolId, sub: sub)
        else { throw CognitoError("UserNotFoundException", "User does not exist.") }
        guard user.enabled else { throw CognitoError.notAuthorized("User is disabled.") }
        return (user, claims)
    }
}

struct InitiateAuth: APIOperation {
    struct Input: Decodable, Sendable {
        var AuthFlow: String
        var AuthParameters: [String: String]?
        var ClientId: String
        var ClientMetadata: [String: String]?
    }

    static let name = "InitiateAuth"

    static func run(_ input: Input, _ context: APIContext) async throws -> AuthOutput {
        let client = try await context.publicClient(input.ClientId)
        return try await AuthFlows.initiate(flow: input.AuthFlow, parameters: input.AuthParameters ?? [:], client: client, admin: false,
                                            clientMetadata: input.ClientMetadata ?? [:], context)
    }
}

struct AdminInitiateAuth: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var ClientId: String
        var AuthFlow: String
        var AuthParameters: [String: String]?
        var ClientMetadata: [String: String]?
    }

    static let name = "AdminInitiateAuth"

    static func run(_ input: Input, _ context: APIContext) async throws -> AuthOutput {
        let client = try await context.existingClient(input.UserPoolId, input.ClientId)
        return try await AuthFlows.initiate(flow: input.AuthFlow, parameters: input.AuthParameters ?? [:], client: client, admin: true,
                                            clientMetadata: input.ClientMetadata ?? [:], context)
    }
}

struct RespondToAuthChallenge: APIOperation {
    struct Input: Decodable, Sendable {
        var ClientId: String
        var ChallengeName: String
        var Session: String?
        var ChallengeResponses: [String: String]?
        var ClientMetadata: [String: String]?
    }

    static let name = "RespondToAuthChallenge"

    static func run(_ input: Input, _ context: APIContext) async throws -> AuthOutput {
        let client = try await context.publicClient(input.ClientId)
        return try await AuthFlows.respond(challenge: input.ChallengeName, session: input.Session, responses: input.ChallengeResponses ?? [:],
                                           client: client, clientMetadata: input.ClientMetadata ?? [:], context)
    }
}

struct AdminRespondToAuthChallenge: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var ClientId: String
        var ChallengeName: String
        var Session: String?
        var ChallengeResponses: [String: String]?
        var ClientMetadata: [String: String]?
    }

    static let name = "AdminRespondToAuthChallenge"

    static func run(_ input: Input, _ context: APIContext) async throws -> AuthOutput {
        let client = try await context.existingClient(input.UserPoolId, input.ClientId)
        return try await AuthFlows.respond(challenge: input.ChallengeName, session: input.Session, responses: input.ChallengeResponses ?? [:],
                                           client: client, clientMetadata: input.ClientMetadata ?? [:], context)
    }
}

struct GetUser: APIOperation {
    struct Input: Decodable, Sendable {
        var AccessToken: String
    }

    struct Output: Encodable, Sendable {
        var Username: String
        var UserAttributes: [AttributeType]
        var UserMFASettingList: [String]?
        var PreferredMfaSetting: String?
        var MFAOptions: [MFAOptionType]?
    }

    static let name = "GetUser"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        let (user, _, client) = try await context.signedInCaller(input.AccessToken)
        let factors = UserAttributes.mfaFactors(user)
        var visible = user
        visible.attributes = AttributePermissions.readable(user.attributes, client: client)
        return Output(Username: user.username, UserAttributes: UserAttributes.list(visible), UserMFASettingList: factors,
                      PreferredMfaSetting: factors == nil ? nil : user.mfa.preferred, MFAOptions: MFAOptionType.of(user))
    }
}

struct GlobalSignOut: APIOperation {
    struct Input: Decodable, Sendable {
        var AccessToken: String
    }

    static let name = "GlobalSignOut"

    static func run(_ input: Input, _ context: APIContext) async throws -> EmptyOutput {
        let user = try await context.userForAccessToken(input.AccessToken)
        try await context.endSessions(of: user)
        return EmptyOutput()
    }
}

/// The signed-in user deletes their own account (an access token with the
/// `aws.cognito.signin.user.admin` scope): the user, their sessions and every token they hold end.
struct DeleteUser: APIOperation {
    struct Input: Decodable, Sendable {
        var AccessToken: String
    }

    static let name = "DeleteUser"

    static func run(_ input: Input, _ context: APIContext) async throws -> EmptyOutput {
        let user = try await context.userForAccessToken(input.AccessToken)
        do {
            try await context.store.deleteUser(poolId: user.poolId, sub: user.sub)
        } catch StoreError.notFound {
            throw CognitoError("UserNotFoundException", "User does not exist.")  // deleted a moment ago, by a twin request
        }
        try await context.endSessions(of: user)
        return EmptyOutput()
    }
}

struct AdminUserGlobalSignOut: APIOperation {
    static let name = "AdminUserGlobalSignOut"

    static func run(_ input: UserReference, _ context: APIContext) async throws -> EmptyOutput {
        let user = try await context.existingUser(try await context.existingPool(input.UserPoolId), input.Username)
        try await context.endSessions(of: user)
        return EmptyOutput()
    }
}

/// New ID and access tokens for a refresh token, and a new refresh token where the client
/// rotates them (the one presented then ends; presented again, it ends its whole family). The
/// only way to renew on a rotating client besides the token endpoint. A client with a secret
/// sends it as ClientSecret.
struct GetTokensFromRefreshToken: APIOperation {
    struct Input: Decodable, Sendable {
        var RefreshToken: String
        var ClientId: String
        var ClientSecret: String?
        var DeviceKey: String?
        var ClientMetadata: [String: String]?
    }

    struct Output: Encodable, Sendable {
        var AuthenticationResult: AuthenticationResultType
    }

    static let name = "GetTokensFromRefreshToken"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        let client = try await context.publicClient(input.ClientId)
        guard ClientAuthenticator.secretMatches(input.ClientSecret, client: client) else {
            CognateMetrics.signIn(flow: name, result: "failure")
            throw CognitoError.notAuthorized("Client authentication failed.")
        }
        do {
            let (tokens, _) = try await context.tokens.refresh(input.RefreshToken, client: client, deviceKey: input.DeviceKey)
            CognateMetrics.signIn(flow: name, result: "success")
            return Output(AuthenticationResult: AuthenticationResultType(tokens))
        } catch {
            CognateMetrics.signIn(flow: name, result: "failure")
            if let error = error as? TokenError { throw AuthFlows.refreshRefusal(error) }
            throw error
        }
    }
}

struct RevokeToken: APIOperation {
    struct Input: Decodable, Sendable {
        var Token: String
        var ClientId: String
        var ClientSecret: String?
    }

    static let name = "RevokeToken"

    static func run(_ input: Input, _ context: APIContext) async throws -> EmptyOutput {
        let client = try await context.publicClient(input.ClientId)
        guard ClientAuthenticator.secretMatches(input.ClientSecret, client: client) else {
            throw CognitoError.notAuthorized("Client authentication failed.")
        }
        guard client.enableTokenRevocation else {
            throw CognitoError("UnsupportedOperationException", "Token revocation is not enabled for this client.")
        }
        try await context.tokens.revokeRefreshToken(input.Token, client: client)
        return EmptyOutput()
    }
}

/// The first factors the user can sign in with (USER_AUTH) and their second factors.
struct UserAuthFactorsOutput: Encodable, Sendable {
    var Username: String
    var PreferredMfaSetting: String?
    var UserMFASettingList: [String]?
    var ConfiguredUserAuthFactors: [String]

    init(_ user: User, firstFactors: [String]) {
        Username = user.username
        UserMFASettingList = UserAttributes.mfaFactors(user)
        PreferredMfaSetting = UserMFASettingList == nil ? nil : user.mfa.preferred
        // the first factors the user can use with the pool's SignInPolicy (SRP is a way to send the password)
        ConfiguredUserAuthFactors = firstFactors.filter { $0 != "PASSWORD_SRP" }
    }
}

struct GetUserAuthFactors: APIOperation {
    struct Input: Decodable, Sendable {
        var AccessToken: String
    }

    static let name = "GetUserAuthFactors"

    static func run(_ input: Input, _ context: APIContext) async throws -> UserAuthFactorsOutput {
        let (user, pool) = try await context.signedInUser(input.AccessToken)
        return UserAuthFactorsOutput(user, firstFactors: try await context.signIn.firstFactors(of: user, pool: pool))
    }
}

struct AdminGetUserAuthFactors: APIOperation {
    static let name = "AdminGetUserAuthFactors"

    static func run(_ input: UserReference, _ context: APIContext) async throws -> UserAuthFactorsOutput {
        let pool = try await context.existingPool(input.UserPoolId)
        let user = try await context.existingUser(pool, input.Username)
        return UserAuthFactorsOutput(user, firstFactors: try await context.signIn.firstFactors(of: user, pool: pool))
    }
}
