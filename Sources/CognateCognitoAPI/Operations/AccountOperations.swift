import CognateCore
import CognateModel
import Foundation

/// Cognito's CodeDeliveryDetailsType.
struct CodeDeliveryDetailsType: Encodable, Sendable {
    var Destination: String
    var DeliveryMedium: String
    var AttributeName: String

    init(_ delivery: CodeDelivery) {
        Destination = delivery.destination
        DeliveryMedium = delivery.channel == .email ? "EMAIL" : "SMS"
        AttributeName = delivery.attribute
    }
}

/// The public account operations: sign-up, confirmation and recovery, through AccountService.
enum Accounts {
    /// The client, its pool, and SECRET_HASH checked when the client has a secret.
    static func start(clientId: String, secretHash: String?, username: String, _ context: APIContext) async throws -> (AppClient, UserPool) {
        let client = try await context.publicClient(clientId)
        try AuthFlows.checkSecretHash(secretHash, usernames: [username], client: client, context)
        return (client, try await context.existingPool(client.poolId))
    }

    static func translate(_ error: AccountError) -> CognitoError {
        switch error {
        case .signUpNotPermitted: .notAuthorized("SignUp is not permitted for this user pool")
        case .usernameExists: CognitoError("UsernameExistsException", "User already exists")
        case .aliasExists(let attribute): CognitoError("AliasExistsException", "An account with the given \(attribute) already exists.")
        case .invalidPassword(let problem): CognitoError("InvalidPasswordException", "Password did not conform with policy: \(problem)")
        case .userNotFound: CognitoError("UserNotFoundException", "Username/client id combination not found.")
        case .userDisabled: .notAuthorized("User is disabled.")
        case .cannotConfirm(let status): .notAuthorized("User cannot be confirmed. Current status is \(status.rawValue)")
        case .alreadyConfirmed: .invalidParameter("User is already confirmed.")
        case .noVerifiedChannel:
            .invalidParameter("Cannot reset password for the user as there is no registered/verified email or phone_number")
        case .codeMismatch: CognitoError("CodeMismatchException", "Invalid verification code provided, please try again.")
        case .expiredCode: CognitoError("ExpiredCodeException", "Invalid code provided, please request a code again.")
        case .tooManyFailedAttempts: CognitoError("TooManyFailedAttemptsException", "Too many failed attempts, please request a code again.")
        case .softwareTokenUsed: CognitoError("ExpiredCodeException", "Your software token has already been used once.")
        case .limitExceeded: .limitExceeded("Attempt limit exceeded, please try after some time.")
        case .unauthorizedAttribute: .notAuthorized(AttributePermissions.refusal)
        }
    }

    /// Runs `body`. Where the client hides which users exist (PreventUserExistenceErrors), an
    /// unknown user gets `hidden` (a simulated delivery) or else a code mismatch, instead of
    /// UserNotFoundException; so do the refusals that only an existing account could get
    /// (`hiding`: confirmed already, disabled, no verified address), which would otherwise tell
    /// a name that is held from one that is not. Other refusals are translated where the API
    /// answers (CognitoAPI).
    static func answer<T>(client: AppClient, hidden: ((AccountError) async throws -> T)? = nil,
                          hiding: (AccountError) -> Bool = { _ in false }, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as AccountError where client.preventUserExistenceErrors && (error == .userNotFound || hiding(error)) {
            if let hidden { return try await hidden(error) }
            throw translate(.codeMismatch)
        }
    }

    /// The refusals that only an account can get (confirmed already, cannot be confirmed,
    /// disabled, nothing verified to send a code to).
    static func accountOnly(_ error: AccountError) -> Bool {
        switch error {
        case .cannotConfirm, .alreadyConfirmed, .userDisabled, .noVerifiedChannel: true
        default: false
        }
    }

    /// A code request for a name no one holds: counted on its phantom, answered as if sent.
    /// `refused`: why the name gets no code; an account's refusal was recorded as its event already.
    static func simulatedSend(_ purpose: VerificationCode.Purpose, _ username: String, pool: UserPool, _ context: APIContext,
                              refused: AccountError) async throws -> CodeDeliveryOutput
    {
        CodeDeliveryOutput(CodeDeliveryDetails: CodeDeliveryDetailsType(
            try await context.accounts.simulatedSend(purpose, pool: pool, username: username, recorded: refused != .userNotFound)))
    }
}

struct SignUp: APIOperation {
    struct Input: Decodable, Sendable {
        var ClientId: String
        var SecretHash: String?
        var Username: String
        var Password: String?
        var UserAttributes: [AttributeType]?
        var ValidationData: [AttributeType]?
        var ClientMetadata: [String: String]?
    }

    struct Output: Encodable, Sendable {
        var UserConfirmed: Bool
        var CodeDeliveryDetails: CodeDeliveryDetailsType?
        var UserSub: String
    }

    static let name = "SignUp"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        let (client, pool) = try await Accounts.start(clientId: input.ClientId, secretHash: input.SecretHash, username: input.Username, context)
        guard let password = input.Password else { throw CognitoError.invalidParameter("A password is required to sign up.") }
        let (user, delivery) = try await Accounts.answer(client: client) {
            try await context.accounts.signUp(
                pool: pool, client: client, username: input.Username, password: password, attributes: UserAttributes.dictionary(input.UserAttributes),
                validationData: UserAttributes.dictionary(input.ValidationData), clientMetadata: input.ClientMetadata ?? [:])
        }
        return Output(UserConfirmed: user.status == .confirmed, CodeDeliveryDetails: delivery.map(CodeDeliveryDetailsType.init),
                      UserSub: user.sub.uuidString.lowercased())
    }
}

struct ConfirmSignUp: APIOperation {
    struct Input: Decodable, Sendable {
        var ClientId: String
        var SecretHash: String?
        var Username: String
        var ConfirmationCode: String
        var ForceAliasCreation: Bool?
    }

    static let name = "ConfirmSignUp"

    static func run(_ input: Input, _ context: APIContext) async throws -> EmptyOutput {
        let (client, pool) = try await Accounts.start(clientId: input.ClientId, secretHash: input.SecretHash, username: input.Username, context)
        _ = try await Accounts.answer(client: client, hiding: Accounts.accountOnly) {
            try await context.accounts.confirmSignUp(
                pool: pool, username: input.Username, code: input.ConfirmationCode, forceAliasCreation: input.ForceAliasCreation ?? false,
                hidingUsers: client.preventUserExistenceErrors)
        }
        return EmptyOutput()
    }
}

struct CodeDeliveryOutput: Encodable, Sendable {
    var CodeDeliveryDetails: CodeDeliveryDetailsType
}

struct ResendConfirmationCode: APIOperation {
    struct Input: Decodable, Sendable {
        var ClientId: String
        var SecretHash: String?
        var Username: String
    }

    static let name = "ResendConfirmationCode"

    static func run(_ input: Input, _ context: APIContext) async throws -> CodeDeliveryOutput {
        let (client, pool) = try await Accounts.start(clientId: input.ClientId, secretHash: input.SecretHash, username: input.Username, context)
        return try await Accounts.answer(client: client, hidden: { try await Accounts.simulatedSend(.signUp, input.Username, pool: pool, context, refused: $0) },
                                         hiding: Accounts.accountOnly) {
            CodeDeliveryOutput(CodeDeliveryDetails: CodeDeliveryDetailsType(
                try await context.accounts.resendConfirmationCode(pool: pool, username: input.Username)))
        }
    }
}

struct ForgotPassword: APIOperation {
    struct Input: Decodable, Sendable {
        var ClientId: String
        var SecretHash: String?
        var Username: String
    }

    static let name = "ForgotPassword"

    static func run(_ input: Input, _ context: APIContext) async throws -> CodeDeliveryOutput {
        let (client, pool) = try await Accounts.start(clientId: input.ClientId, secretHash: input.SecretHash, username: input.Username, context)
        return try await Accounts.answer(client: client, hidden: { try await Accounts.simulatedSend(.resetPassword, input.Username, pool: pool, context, refused: $0) },
                                         hiding: Accounts.accountOnly) {
            CodeDeliveryOutput(CodeDeliveryDetails: CodeDeliveryDetailsType(
                try await context.accounts.forgotPassword(pool: pool, username: input.Username, clientId: client.clientId)))
        }
    }
}

struct ConfirmForgotPassword: APIOperation {
    struct Input: Decodable, Sendable {
        var ClientId: String
        var SecretHash: String?
        var Username: String
        var ConfirmationCode: String
        var Password: String
    }

    static let name = "ConfirmForgotPassword"

    static func run(_ input: Input, _ context: APIContext) async throws -> EmptyOutput {
        let (client, pool) = try await Accounts.start(clientId: input.ClientId, secretHash: input.SecretHash, username: input.Username, context)
        try await Accounts.answer(client: client, hiding: Accounts.accountOnly) {
            try await context.accounts.confirmForgotPassword(
                pool: pool, username: input.Username, code: input.ConfirmationCode, password: input.Password,
                hidingUsers: client.preventUserExistenceErrors)
        }
        return EmptyOutput()
    }
}

struct UpdateUserAttributes: APIOperation {
    struct Input: Decodable, Sendable {
        var AccessToken: String
        var UserAttributes: [AttributeType]
    }

    struct Output: Encodable, Sendable {
        var CodeDeliveryDetailsList: [CodeDeliveryDetailsType]
    }

    static let name = "UpdateUserAttributes"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        let (user, pool, client) = try await context.signedInCaller(input.AccessToken)
        let deliveries = try await context.accounts.updateAttributes(user: user, pool: pool, client: client,
                                                                     changes: UserAttributes.dictionary(input.UserAttributes))
        return Output(CodeDeliveryDetailsList: deliveries.map(CodeDeliveryDetailsType.init))
    }
}

struct DeleteUserAttributes: APIOperation {
    struct Input: Decodable, Sendable {
        var AccessToken: String
        var UserAttributeNames: [String]
    }

    static let name = "DeleteUserAttributes"

    static func run(_ input: Input, _ context: APIContext) async throws -> EmptyOutput {
        let (user, pool, client) = try await context.signedInCaller(input.AccessToken)
        try await context.accounts.deleteAttributes(user: user, pool: pool, client: client, names: input.UserAttributeNames)
        return EmptyOutput()
    }
}

struct GetUserAttributeVerificationCode: APIOperation {
    struct Input: Decodable, Sendable {
        var AccessToken: String
        var AttributeName: String
    }

    static let name = "GetUserAttributeVerificationCode"

    static func run(_ input: Input, _ context: APIContext) async throws -> CodeDeliveryOutput {
        let (user, pool) = try await context.signedInUser(input.AccessToken)
        return CodeDeliveryOutput(CodeDeliveryDetails: CodeDeliveryDetailsType(
            try await context.accounts.sendAttributeCode(user: user, pool: pool, attribute: input.AttributeName)))
    }
}

struct VerifyUserAttribute: APIOperation {
    struct Input: Decodable, Sendable {
        var AccessToken: String
        var AttributeName: String
        var Code: String
    }

    static let name = "VerifyUserAttribute"

    static func run(_ input: Input, _ context: APIContext) async throws -> EmptyOutput {
        let (user, pool) = try await context.signedInUser(input.AccessToken)
        try await context.accounts.verifyAttribute(user: user, pool: pool, attribute: input.AttributeName, code: input.Code)
        return EmptyOutput()
    }
}

struct ChangePassword: APIOperation {
    struct Input: Decodable, Sendable {
        var PreviousPassword: String?
        var ProposedPassword: String
        var AccessToken: String
    }

    static let name = "ChangePassword"

    static func run(_ input: Input, _ context: APIContext) async throws -> EmptyOutput {
        let (user, claims) = try await context.accessTokenCaller(input.AccessToken)
        let pool = try await context.existingPool(user.poolId)
        try await context.accounts.changePassword(user: user, pool: pool, previous: input.PreviousPassword ?? "", proposed: input.ProposedPassword,
                                                  keeping: claims["origin_jti"]?.string.flatMap(UUID.init(uuidString:)))
        return EmptyOutput()
    }
}
