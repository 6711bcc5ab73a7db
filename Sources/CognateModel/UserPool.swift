import Foundation

/// A user directory plus an OIDC issuer (PRODUCT.md, "User pool").
public struct UserPool: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    public var passwordPolicy: PasswordPolicy
    /// Attributes that may stand in for the user name at sign-up (`email`, `phone_number`).
    public var usernameAttributes: [String]
    /// Attributes that may be used to sign in besides the user name (`email`, `phone_number`, `preferred_username`).
    public var aliasAttributes: [String]
    public var caseSensitive: Bool
    public var autoVerifiedAttributes: [String]
    /// Cognito's UserAttributeUpdateSettings: a change to these verified attributes waits for a
    /// code from the new address before it takes effect; nil means email and phone_number.
    public var attributesRequireVerificationBeforeUpdate: [String]?
    /// The second factors the pool offers (SetUserPoolMfaConfig); nil means all three.
    public var mfaFactors: [String]?
    public var allowedMFAFactors: Set<String> { Set(mfaFactors ?? ["SOFTWARE_TOKEN_MFA", "EMAIL_OTP", "SMS_MFA"]) }
    public var verifiedBeforeUpdate: [String] { attributesRequireVerificationBeforeUpdate ?? ["email", "phone_number"] }
    public var mfaConfiguration: MFAConfiguration
    /// Token lifetimes given to new app clients that do not set their own.
    public var tokenValidity: TokenValidity
    public var schema: [SchemaAttribute]
    public var signingAlgorithm: SigningAlgorithm
    /// When set, the pool cannot be deleted until it is turned off (Cognito's DeletionProtection).
    public var deletionProtection: Bool
    /// The texts of the pool's messages; `nil` members use Cognito's defaults.
    public var messages: PoolMessages
    /// Only administrators create users (SignUp is refused), as Cognito's AllowAdminCreateUserOnly.
    public var allowAdminCreateUserOnly: Bool
    /// The language of the hosted pages and messages where nothing closer is known (a BCP 47
    /// tag, `de`); nil: English. Set in the config file (`locale`); Cognito has no such setting.
    public var defaultLocale: String?
    /// Cognito's LambdaConfig: the triggers the pool calls (see `Triggers` in CognateCore).
    public var lambdaConfig: LambdaConfig?
    /// The theme of the pool's hosted pages (a folder of COGNATE_THEMES_DIR); nil: the built-in one.
    /// Set in the config file (`theme`).
    public var theme: String?
    /// Cognito's DeviceConfiguration: devices are tracked (NewDeviceMetadata, ConfirmDevice,
    /// DEVICE_SRP_AUTH) when it is set; nil: no device is tracked.
    public var deviceConfiguration: DeviceConfiguration?
    /// Cognito's SignInPolicy: the first factors USER_AUTH offers (PASSWORD, EMAIL_OTP, SMS_OTP); nil: PASSWORD only.
    public var allowedFirstAuthFactors: [String]?
    public var firstAuthFactors: [String] { allowedFirstAuthFactors ?? ["PASSWORD"] }
    /// Cognito's WebAuthnConfiguration (SetUserPoolMfaConfig): the passkeys' relying party and
    /// user verification; nil: the defaults (the pool's domain or public host, preferred).
    public var webAuthnConfiguration: WebAuthnConfiguration?
    /// Cognito's UserPoolTags (TagResource, CreateUserPool, UpdateUserPool): at most 50.
    public var tags: [String: String]?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: String, name: String, passwordPolicy: PasswordPolicy = .init(),
        usernameAttributes: [String] = [], aliasAttributes: [String] = [], caseSensitive: Bool = false,
        autoVerifiedAttributes: [String] = [], mfaConfiguration: MFAConfiguration = .off,
        tokenValidity: TokenValidity = .init(), schema: [SchemaAttribute] = [],
        signingAlgorithm: SigningAlgorithm = .rs256, deletionProtection: Bool = false, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.name = name
        self.passwordPolicy = passwordPolicy
        self.usernameAttributes = usernameAttributes
        self.aliasAttributes = aliasAttributes
        self.caseSensitive = caseSensitive
        self.autoVerifiedAttributes = autoVerifiedAttributes
        self.mfaConfiguration = mfaConfiguration
        self.tokenValidity = tokenValidity
        self.schema = schema
        self.signingAlgorithm = signingAlgorithm
        self.deletionProtection = deletionProtection
        self.messages = PoolMessages()
        self.allowAdminCreateUserOnly = false
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

public struct PasswordPolicy: Sendable, Equatable, Codable {
    public var minimumLength: Int
    public var requireUppercase: Bool
    public var requireLowercase: Bool
    public var requireNumbers: Bool
    public var requireSymbols: Bool
    public var temporaryPasswordValidityDays: Int

    public init(
        minimumLength: Int = 8, requireUppercase: Bool = true, requireLowercase: Bool = true,
        requireNumbers: Bool = true, requireSymbols: Bool = true, temporaryPasswordValidityDays: Int = 7
    ) {
        self.minimumLength = minimumLength
        self.requireUppercase = requireUppercase
        self.requireLowercase = requireLowercase
        self.requireNumbers = requireNumbers
        self.requireSymbols = requireSymbols
        self.temporaryPasswordValidityDays = temporaryPasswordValidityDays
    }
}

public enum MFAConfiguration: String, Sendable, Codable, CaseIterable {
    case off = "OFF"
    case on = "ON"
    case optional = "OPTIONAL"
}

public enum SigningAlgorithm: String, Sendable, Codable, CaseIterable {
    case rs256 = "RS256"
    case es256 = "ES256"
}

/// Token lifetimes in seconds (Cognito: ID and access 5 min to 24 h, default 60 min;
/// refresh 60 min to 10 years, default 30 days).
public struct TokenValidity: Sendable, Equatable, Codable {
    public var idToken: Int
    public var accessToken: Int
    public var refreshToken: Int

    public static let idAccessRange = 300...86_400
    public static let refreshRange = 3_600...315_360_000

    public init(idToken: Int = 3_600, accessToken: Int = 3_600, refreshToken: Int = 2_592_000) {
        self.idToken = idToken
        self.accessToken = accessToken
        self.refreshToken = refreshToken
    }
}

/// A user attribute in the pool's schema; custom ones are named `custom:…`.
public struct SchemaAttribute: Sendable, Equatable, Codable {
    public enum DataType: String, Sendable, Codable, CaseIterable {
        case string = "String", number = "Number", dateTime = "DateTime", boolean = "Boolean"
    }

    public var name: String
    public var dataType: DataType
    public var mutable: Bool
    public var required: Bool
    public var minLength: Int?
    public var maxLength: Int?
    public var minValue: Int?
    public var maxValue: Int?

    public init(
        name: String, dataType: DataType = .string, mutable: Bool = true, required: Bool = false,
        minLength: Int? = nil, maxLength: Int? = nil, minValue: Int? = nil, maxValue: Int? = nil
    ) {
        self.name = name
        self.dataType = dataType
        self.mutable = mutable
        self.required = required
        self.minLength = minLength
        self.maxLength = maxLength
        self.minValue = minValue
        self.maxValue = maxValue
    }
}

/// Message texts with Cognito's placeholders: `{username}` and `{####}` (code or temporary password).
public struct PoolMessages: Sendable, Equatable, Codable {
    public var inviteEmailSubject: String?
    public var inviteEmailMessage: String?
    public var inviteSMSMessage: String?
    public var verificationEmailSubject: String?
    public var verificationEmailMessage: String?
    public var verificationSMSMessage: String?
    public var authenticationSMSMessage: String?

    public init() {}

    public static let defaultInviteSubject = "Your temporary password"
    public static let defaultInviteMessage = "Your username is {username} and temporary password is {####}."
    public static let defaultVerificationSubject = "Your verification code"
    public static let defaultVerificationMessage = "Your verification code is {####}."
    public static let defaultAuthenticationMessage = "Your authentication code is {####}."
}

/// A pool's triggers, as Cognito's LambdaConfig names them: for each, the `https://` URL
/// Cognate POSTs the event to (http only on a loopback host), or the `arn:aws:lambda:…` function
/// it invokes.
public struct LambdaConfig: Sendable, Equatable, Codable {
    /// The triggers Cognito's LambdaConfig has, by its member names.
    public static let names = ["PreSignUp", "CustomMessage", "PostConfirmation", "PreAuthentication", "PostAuthentication",
                               "DefineAuthChallenge", "CreateAuthChallenge", "VerifyAuthChallengeResponse", "PreTokenGeneration",
                               "UserMigration", "CustomSMSSender", "CustomEmailSender", "InboundFederation"]

    /// Trigger name → target.
    public var targets: [String: String]
    /// PreTokenGenerationConfig's LambdaVersion (V1_0, V2_0, V3_0); nil: V1_0.
    public var preTokenGenerationVersion: String?
    /// The senders' and InboundFederation's LambdaVersion, as given.
    public var versions: [String: String]
    /// KMSKeyID, kept as given (the custom senders' key).
    public var kmsKeyID: String?

    public init(targets: [String: String] = [:], preTokenGenerationVersion: String? = nil, versions: [String: String] = [:], kmsKeyID: String? = nil) {
        self.targets = targets
        self.preTokenGenerationVersion = preTokenGenerationVersion
        self.versions = versions
        self.kmsKeyID = kmsKeyID
    }

    public subscript(_ trigger: String) -> String? { targets[trigger] }

    /// What is wrong with the custom senders' settings: they need LambdaVersion V1_0 and a KMS
    /// key's ARN to encrypt the codes with; nil when all is well.
    public var customSenderProblem: String? {
        let senders = ["CustomEmailSender", "CustomSMSSender"].filter { targets[$0] != nil }
        for sender in senders where versions[sender] != "V1_0" { return "\(sender) needs LambdaVersion V1_0." }
        guard let key = kmsKeyID else {
            return senders.isEmpty ? nil : "KMSKeyID is required with \(senders.joined(separator: " and ")): the codes are encrypted with it."
        }
        let parts = key.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[1].hasPrefix("aws"), parts[2] == "kms", !parts[3].isEmpty,
            parts[3].allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }), parts[5].hasPrefix("key/") || parts[5].hasPrefix("alias/")
        else { return "KMSKeyID must be a KMS key's ARN (arn:aws:kms:<region>:<account>:key/<id>)." }
        return nil
    }
}

/// Cognito's DeviceConfiguration of a pool.
public struct DeviceConfiguration: Sendable, Equatable, Codable {
    /// A remembered device may sign in without the second factor (by proving its own secret instead).
    public var challengeRequiredOnNewDevice: Bool
    /// A confirmed device is remembered only when the user says so (UpdateDeviceStatus).
    public var deviceOnlyRememberedOnUserPrompt: Bool

    public init(challengeRequiredOnNewDevice: Bool = false, deviceOnlyRememberedOnUserPrompt: Bool = false) {
        self.challengeRequiredOnNewDevice = challengeRequiredOnNewDevice
        self.deviceOnlyRememberedOnUserPrompt = deviceOnlyRememberedOnUserPrompt
    }
}

/// Cognito's WebAuthnConfiguration of a pool.
public struct WebAuthnConfiguration: Sendable, Equatable, Codable {
    /// The domain passkeys are made for; nil: the pool's custom domain, its prefix domain, or the public URL's host.
    public var relyingPartyId: String?
    /// `required` or `preferred`.
    public var userVerification: String
    /// `SINGLE_FACTOR`, or `MULTI_FACTOR_WITH_USER_VERIFICATION`: a verified passkey counts as the second factor too.
    public var factorConfiguration: String

    public init(relyingPartyId: String? = nil, userVerification: String = "preferred", factorConfiguration: String = "SINGLE_FACTOR") {
        self.relyingPartyId = relyingPartyId
        self.userVerification = userVerification
        self.factorConfiguration = factorConfiguration
    }
}
