import CognateCore
import CognateModel
import Foundation

// Shapes of the user pool operations, named and spelled as in Cognito's service model.

struct PasswordPolicyType: Codable, Sendable {
    var MinimumLength: Int?
    var RequireUppercase: Bool?
    var RequireLowercase: Bool?
    var RequireNumbers: Bool?
    var RequireSymbols: Bool?
    var TemporaryPasswordValidityDays: Int?
}

struct UserPoolPolicyType: Codable, Sendable {
    var PasswordPolicy: PasswordPolicyType?
    var SignInPolicy: SignInPolicyType?
}

/// The first factors choice-based sign-in (USER_AUTH) offers.
struct SignInPolicyType: Codable, Sendable {
    var AllowedFirstAuthFactors: [String]?
}

struct StringAttributeConstraintsType: Codable, Sendable {
    var MinLength: String?
    var MaxLength: String?
}

struct NumberAttributeConstraintsType: Codable, Sendable {
    var MinValue: String?
    var MaxValue: String?
}

struct SchemaAttributeType: Codable, Sendable {
    var Name: String?
    var AttributeDataType: String?
    var DeveloperOnlyAttribute: Bool?
    var Mutable: Bool?
    var Required: Bool?
    var NumberAttributeConstraints: NumberAttributeConstraintsType?
    var StringAttributeConstraints: StringAttributeConstraintsType?
}

struct UsernameConfigurationType: Codable, Sendable {
    var CaseSensitive: Bool
}

struct MessageTemplateType: Codable, Sendable {
    var SMSMessage: String?
    var EmailMessage: String?
    var EmailSubject: String?
}

struct AdminCreateUserConfigType: Codable, Sendable {
    var AllowAdminCreateUserOnly: Bool?
    var UnusedAccountValidityDays: Int?
    var InviteMessageTemplate: MessageTemplateType?
}

struct VerificationMessageTemplateType: Codable, Sendable {
    var SmsMessage: String?
    var EmailMessage: String?
    var EmailSubject: String?
    var DefaultEmailOption: String?
}

/// The message settings CreateUserPool and UpdateUserPool share.
struct PoolMessageSettings: Decodable, Sendable {
    var AdminCreateUserConfig: AdminCreateUserConfigType?
    var VerificationMessageTemplate: VerificationMessageTemplateType?
    var EmailVerificationMessage: String?
    var EmailVerificationSubject: String?
    var SmsVerificationMessage: String?
    var SmsAuthenticationMessage: String?

    /// Applies the settings; what is left out goes back to the default, as in Cognito. The
    /// template wins over the older top-level fields when both are given.
    func apply(to pool: inout UserPool) {
        var messages = PoolMessages()
        let invite = AdminCreateUserConfig?.InviteMessageTemplate
        messages.inviteEmailSubject = invite?.EmailSubject
        messages.inviteEmailMessage = invite?.EmailMessage
        messages.inviteSMSMessage = invite?.SMSMessage
        let verification = VerificationMessageTemplate
        messages.verificationEmailSubject = verification?.EmailSubject ?? EmailVerificationSubject
        messages.verificationEmailMessage = verification?.EmailMessage ?? EmailVerificationMessage
        messages.verificationSMSMessage = verification?.SmsMessage ?? SmsVerificationMessage
        messages.authenticationSMSMessage = SmsAuthenticationMessage
        pool.messages = messages
        pool.allowAdminCreateUserOnly = AdminCreateUserConfig?.AllowAdminCreateUserOnly ?? false
    }
}

/// Cognito's LambdaConfigType: each trigger's target (an https:// URL, or a Lambda ARN).
struct LambdaConfigType: Codable, Sendable {
    struct VersionedType: Codable, Sendable {
        var LambdaVersion: String?
        var LambdaArn: String?
    }

    var PreSignUp: String?
    var CustomMessage: String?
    var PostConfirmation: String?
    var PreAuthentication: String?
    var PostAuthentication: String?
    var DefineAuthChallenge: String?
    var CreateAuthChallenge: String?
    var VerifyAuthChallengeResponse: String?
    var PreTokenGeneration: String?
    var UserMigration: String?
    var PreTokenGenerationConfig: VersionedType?
    var CustomSMSSender: VersionedType?
    var CustomEmailSender: VersionedType?
    var InboundFederation: VersionedType?
    var KMSKeyID: String?

    init() {}

    init(_ config: LambdaConfig?) {
        guard let config else { return }
        PreSignUp = config["PreSignUp"]
        CustomMessage = config["CustomMessage"]
        PostConfirmation = config["PostConfirmation"]
        PreAuthentication = config["PreAuthentication"]
        PostAuthentication = config["PostAuthentication"]
        DefineAuthChallenge = config["DefineAuthChallenge"]
        CreateAuthChallenge = config["CreateAuthChallenge"]
        VerifyAuthChallengeResponse = config["VerifyAuthChallengeResponse"]
        PreTokenGeneration = config["PreTokenGeneration"]
        UserMigration = config["UserMigration"]
        if let target = config["PreTokenGeneration"] {
            PreTokenGenerationConfig = .init(LambdaVersion: config.preTokenGenerationVersion ?? "V1_0", LambdaArn: target)
        }
        for name in ["CustomSMSSender", "CustomEmailSender", "InboundFederation"] {
            guard let target = config[name] else { continue }
            let versioned = VersionedType(LambdaVersion: config.versions[name], LambdaArn: target)
            switch name {
            case "CustomSMSSender": CustomSMSSender = versioned
            case "CustomEmailSender": CustomEmailSender = versioned
            default: InboundFederation = versioned
            }
        }
        KMSKeyID = config.kmsKeyID
    }

    /// The pool's LambdaConfig; nil when no trigger is named. Every target checked.
    func config() throws -> LambdaConfig? {
        var config = LambdaConfig()
        let plain: [(String, String?)] = [("PreSignUp", PreSignUp), ("CustomMessage", CustomMessage), ("PostConfirmation", PostConfirmation),
                                          ("PreAuthentication", PreAuthentication), ("PostAuthentication", PostAuthentication),
                                          ("DefineAuthChallenge", DefineAuthChallenge), ("CreateAuthChallenge", CreateAuthChallenge),
                                          ("VerifyAuthChallengeResponse", VerifyAuthChallengeResponse), ("UserMigration", UserMigration)]
        for (name, target) in plain { if let target { config.targets[name] = try TriggerTargets.checked(target, trigger: name) } }
        if let versioned = PreTokenGenerationConfig {
            guard let version = versioned.LambdaVersion, ["V1_0", "V2_0", "V3_0"].contains(version), let target = versioned.LambdaArn else {
                throw CognitoError.invalidParameter("PreTokenGenerationConfig needs LambdaVersion V1_0, V2_0 or V3_0 and LambdaArn.")
            }
            if let plain = PreTokenGeneration, plain != target {
                throw CognitoError.invalidParameter("PreTokenGeneration and PreTokenGenerationConfig.LambdaArn must be the same.")
            }
            config.targets["PreTokenGeneration"] = try TriggerTargets.checked(target, trigger: "PreTokenGeneration")
            config.preTokenGenerationVersion = version
        } else if let target = PreTokenGeneration {
            config.targets["PreTokenGeneration"] = try TriggerTargets.checked(target, trigger: "PreTokenGeneration")
        }
        for (name, versioned) in [("CustomSMSSender", CustomSMSSender), ("CustomEmailSender", CustomEmailSender), ("InboundFederation", InboundFederation)] {
            guard let versioned else { continue }
            guard let target = versioned.LambdaArn, let version = versioned.LambdaVersion else {
                throw CognitoError.invalidParameter("\(name) needs LambdaVersion and LambdaArn.")
            }
            config.targets[name] = try TriggerTargets.checked(target, trigger: name)
            config.versions[name] = version
        }
        config.kmsKeyID = KMSKeyID
        if let problem = config.customSenderProblem { throw CognitoError.invalidParameter(problem) }
        return config.targets.isEmpty && config.kmsKeyID == nil ? nil : config
    }
}

/// A trigger's target, checked (Triggers.isTarget).
enum TriggerTargets {
    static func checked(_ target: String, trigger: String) throws -> String {
        guard Triggers.isTarget(target) else {
            throw CognitoError.invalidParameter("\(trigger) must be an https:// URL (http only on a loopback host) or an arn:aws:lambda: function ARN.")
        }
        return target
    }
}

/// Cognate's own member of CreateUserPool, UpdateUserPool and DescribeUserPool: the Cognito pool
/// the pool's users move from (see "Migration"). Secrets are taken, never shown. An empty object
/// stops migrating; UpdateUserPool without it leaves it as it is (AWS's SDKs cannot send it).
struct MigrateFromType: Codable, Sendable {
    struct CredentialsType: Codable, Sendable {
        var AccessKeyId: String
        var SecretAccessKey: String?
        var SessionToken: String?
    }

    var Endpoint: String?
    var Region: String?
    var UserPoolId: String?
    var ClientId: String?
    var ClientSecret: String?
    var Credentials: CredentialsType?

    init(_ source: MigrationSource) {
        Endpoint = source.endpoint
        Region = source.region
        UserPoolId = source.userPoolId
        ClientId = source.clientId
        Credentials = source.credentials.map { CredentialsType(AccessKeyId: $0.accessKeyId) }
    }

    /// The source it names; nil for an empty object (stop migrating).
    func source() throws -> MigrationSource? {
        if Endpoint == nil, Region == nil, UserPoolId == nil, ClientId == nil, ClientSecret == nil, Credentials == nil { return nil }
        guard let Region, let UserPoolId, let ClientId else {
            throw CognitoError.invalidParameter("MigrateFrom needs Region, UserPoolId and ClientId.")
        }
        var credentials: AWSCredentials?
        if let given = Credentials {
            guard let secret = given.SecretAccessKey, !secret.isEmpty, !given.AccessKeyId.isEmpty else {
                throw CognitoError.invalidParameter("MigrateFrom.Credentials needs AccessKeyId and SecretAccessKey.")
            }
            credentials = AWSCredentials(accessKeyId: given.AccessKeyId, secretAccessKey: secret, sessionToken: given.SessionToken)
        }
        let source = MigrationSource(endpoint: Endpoint, region: Region, userPoolId: UserPoolId, clientId: ClientId,
                                     clientSecret: ClientSecret, credentials: credentials)
        if let (field, message) = source.problem {
            let member = field.prefix(1).uppercased() + field.dropFirst()
            throw CognitoError.invalidParameter("MigrateFrom.\(member) \(message).")
        }
        return source
    }
}

struct PoolMigrationSettings: Decodable, Sendable {
    var MigrateFrom: MigrateFromType?

    /// Stores what the request says, if it says anything.
    func apply(poolId: String, _ context: APIContext) async throws {
        guard let given = MigrateFrom else { return }
        guard let migration = context.accounts.migration else { throw CognitoError.invalidParameter("Migration is not available here.") }
        try await migration.setSource(poolId: poolId, try given.source())
    }
}

/// LambdaConfig, read from the same body as the rest of CreateUserPool or UpdateUserPool.
struct PoolTriggerSettings: Decodable, Sendable {
    var LambdaConfig: LambdaConfigType?
}

struct UserPoolType: Encodable, Sendable {
    var Id: String
    var Name: String
    var Arn: String
    var Policies: UserPoolPolicyType
    var DeletionProtection: String
    var LastModifiedDate: Date
    var CreationDate: Date
    var SchemaAttributes: [SchemaAttributeType]
    var AutoVerifiedAttributes: [String]
    var AliasAttributes: [String]?
    var UsernameAttributes: [String]?
    var MfaConfiguration: String
    var EstimatedNumberOfUsers: Int
    var UsernameConfiguration: UsernameConfigurationType
    var UserPoolTier: String
    var Domain: String?
    var CustomDomain: String?
    var AdminCreateUserConfig: AdminCreateUserConfigType
    var VerificationMessageTemplate: VerificationMessageTemplateType
    var EmailVerificationMessage: String
    var EmailVerificationSubject: String
    var SmsVerificationMessage: String
    var SmsAuthenticationMessage: String
    var UserAttributeUpdateSettings: UserAttributeUpdateSettingsType
    var LambdaConfig: LambdaConfigType
    var UserPoolTags: [String: String]
    var DeviceConfiguration: DeviceConfigurationType?
    /// Cognate's own: the Cognito pool users move from, without its secrets.
    var MigrateFrom: MigrateFromType?

    init(_ pool: UserPool, region: String, domains: [UserPoolDomain] = []) {
        LambdaConfig = LambdaConfigType(pool.lambdaConfig)
        UserPoolTags = pool.tags ?? [:]
        DeviceConfiguration = pool.deviceConfiguration.map(DeviceConfigurationType.init)
        UserAttributeUpdateSettings = .init(AttributesRequireVerificationBeforeUpdate: pool.verifiedBeforeUpdate)
        let messages = pool.messages
        AdminCreateUserConfig = .init(
            AllowAdminCreateUserOnly: pool.allowAdminCreateUserOnly, UnusedAccountValidityDays: pool.passwordPolicy.temporaryPasswordValidityDays,
            InviteMessageTemplate: .init(SMSMessage: messages.inviteSMSMessage ?? PoolMessages.defaultInviteMessage,
                                         EmailMessage: messages.inviteEmailMessage ?? PoolMessages.defaultInviteMessage,
                                         EmailSubject: messages.inviteEmailSubject ?? PoolMessages.defaultInviteSubject))
        EmailVerificationMessage = messages.verificationEmailMessage ?? PoolMessages.defaultVerificationMessage
        EmailVerificationSubject = messages.verificationEmailSubject ?? PoolMessages.defaultVerificationSubject
        SmsVerificationMessage = messages.verificationSMSMessage ?? PoolMessages.defaultVerificationMessage
        SmsAuthenticationMessage = messages.authenticationSMSMessage ?? PoolMessages.defaultAuthenticationMessage
        VerificationMessageTemplate = .init(SmsMessage: SmsVerificationMessage, EmailMessage: EmailVerificationMessage,
                                            EmailSubject: EmailVerificationSubject, DefaultEmailOption: "CONFIRM_WITH_CODE")
        Domain = domains.first { !$0.isCustom }?.domain
        CustomDomain = domains.first { $0.isCustom }?.domain
        Id = pool.id
        Name = pool.name
        Arn = "arn:aws:cognito-idp:\(region):000000000000:userpool/\(pool.id)"
        let policy = pool.passwordPolicy
        Policies = UserPoolPolicyType(PasswordPolicy: PasswordPolicyType(
            MinimumLength: policy.minimumLength, RequireUppercase: policy.requireUppercase,
            RequireLowercase: policy.requireLowercase, RequireNumbers: policy.requireNumbers,
            RequireSymbols: policy.requireSymbols, TemporaryPasswordValidityDays: policy.temporaryPasswordValidityDays),
            SignInPolicy: SignInPolicyType(AllowedFirstAuthFactors: pool.firstAuthFactors))
        DeletionProtection = pool.deletionProtection ? "ACTIVE" : "INACTIVE"
        LastModifiedDate = pool.updatedAt
        CreationDate = pool.createdAt
        SchemaAttributes = StandardSchema.attributes(of: pool)
        AutoVerifiedAttributes = pool.autoVerifiedAttributes
        AliasAttributes = pool.aliasAttributes.isEmpty ? nil : pool.aliasAttributes
        UsernameAttributes = pool.usernameAttributes.isEmpty ? nil : pool.usernameAttributes
        MfaConfiguration = pool.mfaConfiguration.rawValue
        EstimatedNumberOfUsers = 0
        UsernameConfiguration = UsernameConfigurationType(CaseSensitive: pool.caseSensitive)
        UserPoolTier = "ESSENTIALS"
    }
}

struct UserPoolDescriptionType: Encodable, Sendable {
    var Id: String
    var Name: String
    var Status: String
    var LastModifiedDate: Date
    var CreationDate: Date
}

/// The schema as DescribeUserPool shows it: every standard attribute (required where the pool
/// says so), then the pool's custom attributes.
enum StandardSchema {
    static let standard: [(String, SchemaAttribute.DataType, Bool)] = [
        ("sub", .string, false), ("name", .string, true), ("given_name", .string, true), ("family_name", .string, true),
        ("middle_name", .string, true), ("nickname", .string, true), ("preferred_username", .string, true),
        ("profile", .string, true), ("picture", .string, true), ("website", .string, true), ("email", .string, true),
        ("email_verified", .boolean, true), ("gender", .string, true), ("birthdate", .string, true),
        ("zoneinfo", .string, true), ("locale", .string, true), ("phone_number", .string, true),
        ("phone_number_verified", .boolean, true), ("address", .string, true), ("updated_at", .number, true),
    ]

    static func attributes(of pool: UserPool) -> [SchemaAttributeType] {
        let declared = Dictionary(pool.schema.map { ($0.name, $0) }, uniquingKeysWith: { $1 })
        var result = standard.map { name, type, mutable in
            SchemaAttributeType(
                Name: name, AttributeDataType: type.rawValue, DeveloperOnlyAttribute: false,
                Mutable: name == "sub" ? false : (declared[name]?.mutable ?? mutable),
                Required: name == "sub" ? true : (declared[name]?.required ?? false),
                NumberAttributeConstraints: type == .number ? .init(MinValue: "0", MaxValue: nil) : nil,
                StringAttributeConstraints: type == .string ? .init(MinLength: name == "sub" ? "1" : "0", MaxLength: name == "sub" ? "2048" : "2048") : nil)
        }
        for attribute in pool.schema where attribute.name.hasPrefix("custom:") {
            result.append(shape(attribute))
        }
        return result
    }

    static func shape(_ attribute: SchemaAttribute) -> SchemaAttributeType {
        SchemaAttributeType(
            Name: attribute.name, AttributeDataType: attribute.dataType.rawValue, DeveloperOnlyAttribute: false,
            Mutable: attribute.mutable, Required: attribute.required,
            NumberAttributeConstraints: attribute.dataType == .number
                ? .init(MinValue: attribute.minValue.map(String.init), MaxValue: attribute.maxValue.map(String.init)) : nil,
            StringAttributeConstraints: attribute.dataType == .string
                ? .init(MinLength: attribute.minLength.map(String.init), MaxLength: attribute.maxLength.map(String.init)) : nil)
    }

    /// Reads the Schema of CreateUserPool / AddCustomAttributes: standard names stay as they are,
    /// other names become `custom:<name>`.
    static func attribute(from shape: SchemaAttributeType, index: Int) throws -> SchemaAttribute {
        guard let rawName = shape.Name, !rawName.isEmpty else {
            throw CognitoError.invalidParameter("schema[\(index)].name is required")
        }
        let isStandard = standard.contains { $0.0 == rawName }
        let name = isStandard || rawName.hasPrefix("custom:") ? rawName : "custom:\(rawName)"
        let type = shape.AttributeDataType.flatMap(SchemaAttribute.DataType.init(rawValue:)) ?? .string
        func number(_ text: String?, _ field: String) throws -> Int? {
            guard let text else { return nil }
            guard let value = Int(text) else { throw CognitoError.invalidParameter("\(field) of \(rawName) must be a whole number") }
            return value
        }
        return SchemaAttribute(
            name: name, dataType: type, mutable: shape.Mutable ?? true, required: shape.Required ?? false,
            minLength: try number(shape.StringAttributeConstraints?.MinLength, "MinLength"),
            maxLength: try number(shape.StringAttributeConstraints?.MaxLength, "MaxLength"),
            minValue: try number(shape.NumberAttributeConstraints?.MinValue, "MinValue"),
            maxValue: try number(shape.NumberAttributeConstraints?.MaxValue, "MaxValue"))
    }
}

extension PasswordPolicy {
    /// Cognito's defaults for any field the caller left out.
    init(_ shape: PasswordPolicyType?) {
        let defaults = PasswordPolicy()
        self.init(
            minimumLength: shape?.MinimumLength ?? defaults.minimumLength,
            requireUppercase: shape?.RequireUppercase ?? defaults.requireUppercase,
            requireLowercase: shape?.RequireLowercase ?? defaults.requireLowercase,
            requireNumbers: shape?.RequireNumbers ?? defaults.requireNumbers,
            requireSymbols: shape?.RequireSymbols ?? defaults.requireSymbols,
            temporaryPasswordValidityDays: shape?.TemporaryPasswordValidityDays ?? defaults.temporaryPasswordValidityDays)
    }
}

/// Which verified attributes keep their old value until a change is verified.
struct UserAttributeUpdateSettingsType: Codable, Sendable {
    var AttributesRequireVerificationBeforeUpdate: [String]?
}

/// Cognito's DeviceConfigurationType: set, the pool tracks devices.
struct DeviceConfigurationType: Codable, Sendable {
    var ChallengeRequiredOnNewDevice: Bool?
    var DeviceOnlyRememberedOnUserPrompt: Bool?

    init(_ configuration: CognateModel.DeviceConfiguration) {
        ChallengeRequiredOnNewDevice = configuration.challengeRequiredOnNewDevice
        DeviceOnlyRememberedOnUserPrompt = configuration.deviceOnlyRememberedOnUserPrompt
    }

    var configuration: CognateModel.DeviceConfiguration {
        .init(challengeRequiredOnNewDevice: ChallengeRequiredOnNewDevice ?? false,
              deviceOnlyRememberedOnUserPrompt: DeviceOnlyRememberedOnUserPrompt ?? false)
    }
}
