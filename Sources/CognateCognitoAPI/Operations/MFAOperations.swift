import CognateCore
import CognateModel
import Foundation

/// Cognito's SMSMfaSettingsType, SoftwareTokenMfaSettingsType and EmailMfaSettingsType.
struct MFASettingsType: Decodable, Sendable {
    var Enabled: Bool?
    var PreferredMfa: Bool?

    var setting: SignInService.FactorSetting { .init(enabled: Enabled, preferred: PreferredMfa) }
}

enum MFA {
    static func settings(sms: MFASettingsType?, softwareToken: MFASettingsType?, email: MFASettingsType?) -> [String: SignInService.FactorSetting] {
        var settings: [String: SignInService.FactorSetting] = [:]
        if let sms { settings[UserMFA.sms] = sms.setting }
        if let softwareToken { settings[UserMFA.softwareToken] = softwareToken.setting }
        if let email { settings[UserMFA.email] = email.setting }
        return settings
    }

    /// VerifySoftwareToken names a wrong code its own way.
    static func verifying<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch AccountError.codeMismatch {
            throw CognitoError("EnableSoftwareTokenMFAException", "Code mismatch")
        }
    }
}

struct AssociateSoftwareToken: APIOperation {
    struct Input: Decodable, Sendable {
        var AccessToken: String?
        var Session: String?
    }

    struct Output: Encodable, Sendable {
        var SecretCode: String
        var Session: String?
    }

    static let name = "AssociateSoftwareToken"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        if let token = input.AccessToken {
            let (user, pool) = try await context.signedInUser(token)
            return Output(SecretCode: try await context.signIn.associateSoftwareToken(user: user, pool: pool))
        }
        guard let session = input.Session else { throw CognitoError.invalidParameter("Give AccessToken or Session") }
        let (client, pool) = try await context.clientForSession(session)
        let (secret, next) = try await context.signIn.associateSoftwareToken(session: session, pool: pool, client: client)
        return Output(SecretCode: secret, Session: next)
    }
}

struct VerifySoftwareToken: APIOperation {
    struct Input: Decodable, Sendable {
        var AccessToken: String?
        var Session: String?
        var UserCode: String
        var FriendlyDeviceName: String?
    }

    struct Output: Encodable, Sendable {
        var Status: String
        var Session: String?
    }

    static let name = "VerifySoftwareToken"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        if let token = input.AccessToken {
            let (user, pool) = try await context.signedInUser(token)
            _ = try await MFA.verifying { try await context.signIn.verifySoftwareToken(user: user, pool: pool, code: input.UserCode) }
            return Output(Status: "SUCCESS")
        }
        guard let session = input.Session else { throw CognitoError.invalidParameter("Give AccessToken or Session") }
        let (client, pool) = try await context.clientForSession(session)
        let next = try await MFA.verifying { try await context.signIn.verifySoftwareToken(session: session, pool: pool, client: client, code: input.UserCode) }
        return Output(Status: "SUCCESS", Session: next)
    }
}

struct SetUserMFAPreference: APIOperation {
    struct Input: Decodable, Sendable {
        var AccessToken: String
        var SMSMfaSettings: MFASettingsType?
        var SoftwareTokenMfaSettings: MFASettingsType?
        var EmailMfaSettings: MFASettingsType?
        /// A passkey as the second factor: refused (Cognate's passkeys are a first factor; README).
        var WebAuthnMfaSettings: MFASettingsType?
    }

    static let name = "SetUserMFAPreference"

    static func run(_ input: Input, _ context: APIContext) async throws -> EmptyOutput {
        let (user, pool) = try await context.signedInUser(input.AccessToken)
        if input.WebAuthnMfaSettings?.Enabled == true {
            throw CognitoError.invalidParameter("Passkeys are a first factor here (USER_AUTH with WEB_AUTHN), not a second one; WebAuthnMfaSettings cannot enable them.")
        }
        try await context.signIn.setMFAPreference(user: user, pool: pool, settings: MFA.settings(
            sms: input.SMSMfaSettings, softwareToken: input.SoftwareTokenMfaSettings, email: input.EmailMfaSettings))
        return EmptyOutput()
    }
}

struct AdminSetUserMFAPreference: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var Username: String
        var SMSMfaSettings: MFASettingsType?
        var SoftwareTokenMfaSettings: MFASettingsType?
        var EmailMfaSettings: MFASettingsType?
    }

    static let name = "AdminSetUserMFAPreference"

    static func run(_ input: Input, _ context: APIContext) async throws -> EmptyOutput {
        let pool = try await context.existingPool(input.UserPoolId)
        let user = try await context.existingUser(pool, input.Username)
        try await context.signIn.setMFAPreference(user: user, pool: pool, settings: MFA.settings(
            sms: input.SMSMfaSettings, softwareToken: input.SoftwareTokenMfaSettings, email: input.EmailMfaSettings))
        return EmptyOutput()
    }
}

/// Forgets a user's authenticator app (a lost phone): Cognito's AdminDeleteSoftwareToken.
struct AdminDeleteSoftwareToken: APIOperation {
    static let name = "AdminDeleteSoftwareToken"

    static func run(_ input: UserReference, _ context: APIContext) async throws -> EmptyOutput {
        let pool = try await context.existingPool(input.UserPoolId)
        try await context.signIn.deleteSoftwareToken(user: try await context.existingUser(pool, input.Username), pool: pool)
        return EmptyOutput()
    }
}

extension APIContext {
    /// The client and pool a challenge session belongs to (AssociateSoftwareToken and
    /// VerifySoftwareToken name no client). The session itself is checked by SignInService.
    func clientForSession(_ session: String) async throws -> (AppClient, UserPool) {
        guard let (poolId, clientId) = signIn.sessionOwner(session), let client = try await store.client(poolId: poolId, clientId: clientId) else {
            throw CognitoError.notAuthorized("Invalid session for the user, session is expired.")
        }
        return (client, try await existingPool(poolId))
    }
}

/// The pool's MFA settings as Cognito's Get/SetUserPoolMfaConfig show them.
struct UserPoolMfaConfigOutput: Encodable, Sendable {
    struct Enabled: Encodable, Sendable { var Enabled: Bool }
    struct SMS: Encodable, Sendable { var SmsAuthenticationMessage: String }
    struct Email: Encodable, Sendable { var Message: String?; var Subject: String? }

    var MfaConfiguration: String
    var SoftwareTokenMfaConfiguration: Enabled
    var SmsMfaConfiguration: SMS?
    var EmailMfaConfiguration: Email?
    var WebAuthnConfiguration: WebAuthnConfigurationType

    init(_ pool: UserPool) {
        let factors = pool.allowedMFAFactors
        MfaConfiguration = pool.mfaConfiguration.rawValue
        SoftwareTokenMfaConfiguration = .init(Enabled: factors.contains(UserMFA.softwareToken))
        SmsMfaConfiguration = factors.contains(UserMFA.sms)
            ? .init(SmsAuthenticationMessage: pool.messages.authenticationSMSMessage ?? PoolMessages.defaultAuthenticationMessage) : nil
        EmailMfaConfiguration = factors.contains(UserMFA.email) ? .init(Message: nil, Subject: nil) : nil
        WebAuthnConfiguration = WebAuthnConfigurationType(pool.webAuthnConfiguration ?? .init())
    }
}

/// Cognito's WebAuthnConfigurationType: the passkeys' relying party, user verification, and
/// whether a verified passkey counts as two factors.
struct WebAuthnConfigurationType: Codable, Sendable {
    var RelyingPartyId: String?
    var UserVerification: String?
    var FactorConfiguration: String?

    init(_ configuration: WebAuthnConfiguration) {
        RelyingPartyId = configuration.relyingPartyId
        UserVerification = configuration.userVerification
        FactorConfiguration = configuration.factorConfiguration
    }

    /// The configuration asked for; a RelyingPartyId must be a host name (no scheme, port or address).
    var configuration: WebAuthnConfiguration {
        get throws {
            if let id = RelyingPartyId, !Self.isHostName(id) {
                throw CognitoError.invalidParameter("RelyingPartyId must be a domain name such as auth.example.com, without a scheme or port")
            }
            return WebAuthnConfiguration(relyingPartyId: RelyingPartyId?.lowercased(), userVerification: UserVerification ?? "preferred",
                                         factorConfiguration: FactorConfiguration ?? "SINGLE_FACTOR")
        }
    }

    static func isHostName(_ text: String) -> Bool {
        let labels = text.lowercased().split(separator: ".", omittingEmptySubsequences: false)
        guard (1...127).contains(text.count), !labels.allSatisfy({ $0.allSatisfy(\.isNumber) }) else { return false }
        return labels.allSatisfy { label in
            (1...63).contains(label.count) && label.first != "-" && label.last != "-"
                && label.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" }
        }
    }
}

struct GetUserPoolMfaConfig: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
    }

    static let name = "GetUserPoolMfaConfig"

    static func run(_ input: Input, _ context: APIContext) async throws -> UserPoolMfaConfigOutput {
        UserPoolMfaConfigOutput(try await context.existingPool(input.UserPoolId))
    }
}

/// Which factors the pool offers and its mode. As Cognito: a factor's configuration present
/// (SMS, email) or enabled (software token) offers it; ON or OPTIONAL needs at least one.
struct SetUserPoolMfaConfig: APIOperation {
    struct SMSInput: Decodable, Sendable { var SmsAuthenticationMessage: String? }
    struct EnabledInput: Decodable, Sendable { var Enabled: Bool? }

    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var MfaConfiguration: String?
        var SoftwareTokenMfaConfiguration: EnabledInput?
        var SmsMfaConfiguration: SMSInput?
        var EmailMfaConfiguration: [String: String]?
        var WebAuthnConfiguration: WebAuthnConfigurationType?
    }

    static let name = "SetUserPoolMfaConfig"

    static func run(_ input: Input, _ context: APIContext) async throws -> UserPoolMfaConfigOutput {
        _ = try await context.existingPool(input.UserPoolId)
        var factors: [String] = []
        if input.SoftwareTokenMfaConfiguration?.Enabled == true { factors.append(UserMFA.softwareToken) }
        if input.SmsMfaConfiguration != nil { factors.append(UserMFA.sms) }
        if input.EmailMfaConfiguration != nil { factors.append(UserMFA.email) }
        let mode = input.MfaConfiguration.flatMap(MFAConfiguration.init(rawValue:))
        if mode != nil && mode != .off && factors.isEmpty {
            throw CognitoError.invalidParameter("At least one MFA method must be enabled when MfaConfiguration is \(mode!.rawValue)")
        }
        let date = context.now()
        let offered = factors
        let passkeys = try input.WebAuthnConfiguration?.configuration
        let updated = try await context.store.updatePool(id: input.UserPoolId) { pool in
            if let passkeys { pool.webAuthnConfiguration = passkeys }
            if let mode { pool.mfaConfiguration = mode }
            pool.mfaFactors = offered
            if let message = input.SmsMfaConfiguration?.SmsAuthenticationMessage { pool.messages.authenticationSMSMessage = message }
            pool.updatedAt = date
        }
        return UserPoolMfaConfigOutput(updated)
    }
}

/// Cognito's legacy MFA option (SetUserSettings, GetUser's MFAOptions): SMS to the phone number only.
struct MFAOptionType: Codable, Sendable {
    var DeliveryMedium: String?
    var AttributeName: String?

    static let sms = MFAOptionType(DeliveryMedium: "SMS", AttributeName: "phone_number")

    /// The options a user's settings show: SMS when SMS MFA is on and usable.
    static func of(_ user: User) -> [MFAOptionType]? {
        UserAttributes.mfaFactors(user)?.contains(UserMFA.sms) == true ? [.sms] : nil
    }

    /// SetUserSettings' list as the SMS factor's setting: one SMS option turns it on, none off.
    static func smsSetting(_ options: [MFAOptionType]) throws -> [String: SignInService.FactorSetting] {
        for option in options where option.DeliveryMedium != "SMS" || (option.AttributeName ?? "phone_number") != "phone_number" {
            throw CognitoError.invalidParameter("Only SMS to phone_number can be set through MFAOptions; use SetUserMFAPreference for other factors.")
        }
        return [UserMFA.sms: .init(enabled: !options.isEmpty, preferred: nil)]
    }
}

/// The legacy form of SetUserMFAPreference for SMS, as Cognito keeps it.
struct SetUserSettings: APIOperation {
    struct Input: Decodable, Sendable {
        var AccessToken: String
        var MFAOptions: [MFAOptionType]
    }

    static let name = "SetUserSettings"

    static func run(_ input: Input, _ context: APIContext) async throws -> EmptyOutput {
        let settings = try MFAOptionType.smsSetting(input.MFAOptions)
        let (user, pool) = try await context.signedInUser(input.AccessToken)
        try await context.signIn.setMFAPreference(user: user, pool: pool, settings: settings)
        return EmptyOutput()
    }
}

struct AdminSetUserSettings: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var Username: String
        var MFAOptions: [MFAOptionType]
    }

    static let name = "AdminSetUserSettings"

    static func run(_ input: Input, _ context: APIContext) async throws -> EmptyOutput {
        let settings = try MFAOptionType.smsSetting(input.MFAOptions)
        let pool = try await context.existingPool(input.UserPoolId)
        let user = try await context.existingUser(pool, input.Username)
        try await context.signIn.setMFAPreference(user: user, pool: pool, settings: settings)
        return EmptyOutput()
    }
}
