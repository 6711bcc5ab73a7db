import CognateCore
import CognateModel
import Foundation

struct AdminCreateUser: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var Username: String
        var UserAttributes: [AttributeType]?
        var TemporaryPassword: String?
        var ForceAliasCreation: Bool?
        var MessageAction: String?
        var DesiredDeliveryMediums: [String]?
        var ValidationData: [AttributeType]?
        var ClientMetadata: [String: String]?
    }

    struct Output: Encodable, Sendable {
        var User: UserType
    }

    static let name = "AdminCreateUser"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        let pool = try await context.existingPool(input.UserPoolId)
        if input.MessageAction == "RESEND" { return try await resend(input, pool: pool, context: context) }
        let (resolved, attributes) = try UserNaming.resolve(input.Username, pool: pool, attributes: UserAttributes.dictionary(input.UserAttributes))
        let username = resolved ?? ""
        try UserAttributeRules.validate(attributes, pool: pool, existing: nil)
        let password = try context.temporaryPassword(input.TemporaryPassword, pool: pool)
        let invitations = try context.invitations(mediums: input.DesiredDeliveryMediums, attributes: attributes, suppressed: input.MessageAction == "SUPPRESS")
        // PreSignUp sees it first: its error refuses the user (an administrator's user is confirmed by the first sign-in)
        _ = try await context.accounts.triggers?.call(
            "PreSignUp", source: "PreSignUp_AdminCreateUser", pool: pool, userName: username.isEmpty ? input.Username : username, clientId: nil,
            request: ["userAttributes": attributes, "validationData": UserAttributes.dictionary(input.ValidationData),
                      "clientMetadata": input.ClientMetadata ?? [:]])

        // the CustomMessage trigger words the invitation before the user is kept: its refusal leaves no user behind
        let sub = UUID()
        let worded = try await context.invitationWording(
            pool: pool, username: username.isEmpty ? sub.uuidString.lowercased() : username,
            attributes: attributes.merging(["sub": sub.uuidString.lowercased(), "cognito:user_status": UserStatus.forceChangePassword.rawValue]) { $1 },
            via: invitations)
        let expiry = context.now().addingTimeInterval(Double(pool.passwordPolicy.temporaryPasswordValidityDays) * 86_400)
        let user: User
        do {
            user = try await UserCreator(store: context.store, credentials: context.credentials, now: context.now).create(
                NewUser(username: username.isEmpty ? nil : username, status: .forceChangePassword, attributes: attributes,
                        password: .plain(password), temporaryPasswordExpiresAt: expiry, sub: sub),
                in: pool, takeAliases: input.ForceAliasCreation == true)
        } catch AccountError.usernameExists {
            throw CognitoError("UsernameExistsException", "User account already exists")
        }
        try await context.sendInvitation(to: user, pool: pool, password: password, via: invitations, worded: worded)
        return Output(User: UserType(user))
    }

    /// MessageAction RESEND: a new temporary password for a user who has not signed in yet.
    static func resend(_ input: Input, pool: UserPool, context: APIContext) async throws -> Output {
        let existing = try await context.existingUser(pool, input.Username)
        guard existing.status == .forceChangePassword else {
            throw CognitoError("UnsupportedUserStateException", "Resend not possible. \(existing.username) status is not FORCE_CHANGE_PASSWORD.")
        }
        let password = try context.temporaryPassword(input.TemporaryPassword, pool: pool)
        let invitations = try context.invitations(mediums: input.DesiredDeliveryMediums, attributes: existing.attributes, suppressed: false,
                                                  resending: true)
        let worded = try await context.invitationWording(pool: pool, username: existing.username, attributes: Triggers.attributes(existing),
                                                         via: invitations)
        let made = try await context.credentials.make(password: password, poolId: pool.id, username: existing.username, sub: existing.sub)
        let date = context.now()
        let user = try await context.store.updateUser(poolId: pool.id, sub: existing.sub, identifiers: { $0.identifiers(in: pool) }) { user in
            user.passwordHash = made.hash
            user.srpVerifier = made.srpVerifier
            user.temporaryPasswordExpiresAt = date.addingTimeInterval(Double(pool.passwordPolicy.temporaryPasswordValidityDays) * 86_400)
            user.updatedAt = date
        }
        try await context.sendInvitation(to: user, pool: pool, password: password, via: invitations, worded: worded)
        return Output(User: UserType(user))
    }
}

struct AdminGetUser: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var Username: String
    }

    struct Output: Encodable, Sendable {
        var Username: String
        var UserAttributes: [AttributeType]
        var UserCreateDate: Date
        var UserLastModifiedDate: Date
        var Enabled: Bool
        var UserStatus: String
        var UserMFASettingList: [String]?
        var PreferredMfaSetting: String?
        var MFAOptions: [MFAOptionType]?
    }

    static let name = "AdminGetUser"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        let user = try await context.existingUser(try await context.existingPool(input.UserPoolId), input.Username)
        let factors = UserAttributes.mfaFactors(user)
        return Output(
            Username: user.username, UserAttributes: UserAttributes.list(user), UserCreateDate: user.createdAt,
            UserLastModifiedDate: user.updatedAt, Enabled: user.enabled, UserStatus: user.status.rawValue,
            UserMFASettingList: factors, PreferredMfaSetting: factors == nil ? nil : user.mfa.preferred, MFAOptions: MFAOptionType.of(user))
    }
}

struct UserReference: Decodable, Sendable {
    var UserPoolId: String
    var Username: String
}

struct EmptyOutput: Encodable, Sendable {}

struct AdminUpdateUserAttributes: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var Username: String
        var UserAttributes: [AttributeType]
    }

    static let name = "AdminUpdateUserAttributes"

    static func run(_ input: Input, _ context: APIContext) async throws -> EmptyOutput {
        let pool = try await context.existingPool(input.UserPoolId)
        let existing = try await context.existingUser(pool, input.Username)
        let changes = UserAttributes.dictionary(input.UserAttributes)
        try UserAttributeRules.validate(changes, pool: pool, existing: existing)
        let date = context.now()
        try await context.updateUser(pool, existing) { user in
            for (name, value) in changes {
                // A changed email or phone is unverified unless the admin says otherwise in the same call.
                if name == "email", user.attributes["email"] != value, changes["email_verified"] == nil { user.attributes["email_verified"] = "false" }
                if name == "phone_number", user.attributes["phone_number"] != value, changes["phone_number_verified"] == nil {
                    user.attributes["phone_number_verified"] = "false"
                }
                user.attributes[name] = value
            }
            user.updatedAt = date
        }
        return EmptyOutput()
    }
}

struct AdminDeleteUserAttributes: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var Username: String
        var UserAttributeNames: [String]
    }

    static let name = "AdminDeleteUserAttributes"

    static func run(_ input: Input, _ context: APIContext) async throws -> EmptyOutput {
        let pool = try await context.existingPool(input.UserPoolId)
        let existing = try await context.existingUser(pool, input.Username)
        for name in input.UserAttributeNames {
            if let attribute = pool.schema.first(where: { $0.name == name }), attribute.required {
                throw CognitoError.invalidParameter("Cannot delete the required attribute \(name).")
            }
            if name == "sub" { throw CognitoError.invalidParameter("Cannot delete the attribute sub.") }
            if !pool.usernameAttributes.isEmpty, pool.usernameAttributes.contains(name) {
                throw CognitoError.invalidParameter("Cannot delete \(name): it is the user's sign-in name.")
            }
        }
        let date = context.now()
        try await context.updateUser(pool, existing) { user in
            for name in input.UserAttributeNames {
                user.attributes[name] = nil
                if name == "email" { user.attributes["email_verified"] = nil }
                if name == "phone_number" { user.attributes["phone_number_verified"] = nil }
            }
            user.updatedAt = date
        }
        return EmptyOutput()
    }
}

struct AdminDeleteUser: APIOperation {
    static let name = "AdminDeleteUser"

    static func run(_ input: UserReference, _ context: APIContext) async throws -> EmptyOutput {
        let user = try await context.existingUser(try await context.existingPool(input.UserPoolId), input.Username)
        try await context.store.deleteUser(poolId: user.poolId, sub: user.sub)
        try await context.endSessions(of: user)
        return EmptyOutput()
    }
}

struct AdminDisableUser: APIOperation {
    static let name = "AdminDisableUser"

    /// A disabled user cannot sign in, and the tokens and sessions it holds end now.
    static func run(_ input: UserReference, _ context: APIContext) async throws -> EmptyOutput {
        try await context.setEnabled(false, input)
    }
}

struct AdminEnableUser: APIOperation {
    static let name = "AdminEnableUser"

    static func run(_ input: UserReference, _ context: APIContext) async throws -> EmptyOutput {
        try await context.setEnabled(true, input)
    }
}

extension APIContext {
    /// AdminEnableUser and AdminDisableUser; disabling also ends the user's sessions and tokens.
    func setEnabled(_ enabled: Bool, _ input: UserReference) async throws -> EmptyOutput {
        let pool = try await existingPool(input.UserPoolId)
        let user = try await existingUser(pool, input.Username)
        let date = now()
        try await updateUser(pool, user) { $0.enabled = enabled; $0.updatedAt = date }
        if !enabled { try await endSessions(of: user) }
        return EmptyOutput()
    }
}

struct AdminSetUserPassword: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var Username: String
        var Password: String
        var Permanent: Bool?
    }

    static let name = "AdminSetUserPassword"

    static func run(_ input: Input, _ context: APIContext) async throws -> EmptyOutput {
        let pool = try await context.existingPool(input.UserPoolId)
        let user = try await context.existingUser(pool, input.Username)
        if let problem = pool.passwordPolicy.problem(with: input.Password) {
            throw CognitoError("InvalidPasswordException", "Password does not conform to policy: \(problem)")
        }
        let made = try await context.credentials.make(password: input.Password, poolId: pool.id, username: user.username, sub: user.sub)
        let permanent = input.Permanent == true
        let date = context.now()
        try await context.updateUser(pool, user) { user in
            user.passwordHash = made.hash
            user.srpVerifier = made.srpVerifier
            if permanent {
                user.status = .confirmed
                user.temporaryPasswordExpiresAt = nil
            } else {
                user.status = .forceChangePassword
                user.temporaryPasswordExpiresAt = date.addingTimeInterval(Double(pool.passwordPolicy.temporaryPasswordValidityDays) * 86_400)
            }
            user.updatedAt = date
        }
        // A password set by an administrator ends every sign-in made with the old one.
        try await context.endSessions(of: user)
        return EmptyOutput()
    }
}

struct AdminResetUserPassword: APIOperation {
    static let name = "AdminResetUserPassword"

    /// RESET_REQUIRED: the user must set a new password with a reset code before signing in again;
    /// every session and refresh token ends now.
    static func run(_ input: UserReference, _ context: APIContext) async throws -> EmptyOutput {
        let pool = try await context.existingPool(input.UserPoolId)
        let user = try await context.existingUser(pool, input.Username)
        guard user.status != .externalProvider else {
            throw CognitoError.notAuthorized("Federated users cannot reset their password here.")
        }
        let date = context.now()
        let reset = try await context.updateUser(pool, user) { $0.status = .resetRequired; $0.updatedAt = date }
        try await context.endSessions(of: user)
        // as Cognito: a reset code goes to the verified email or phone, for ConfirmForgotPassword
        do {
            _ = try await context.accounts.sendResetCode(to: reset, pool: pool)
        } catch AccountError.limitExceeded {
            throw CognitoError.limitExceeded("Attempt limit exceeded, please try after some time.")
        }
        return EmptyOutput()
    }
}

struct AdminConfirmSignUp: APIOperation {
    static let name = "AdminConfirmSignUp"

    static func run(_ input: UserReference, _ context: APIContext) async throws -> EmptyOutput {
        let pool = try await context.existingPool(input.UserPoolId)
        let user = try await context.existingUser(pool, input.Username)
        guard user.status == .unconfirmed else {
            throw CognitoError.notAuthorized("User cannot be confirmed. Current status is \(user.status.rawValue)")
        }
        let date = context.now()
        try await context.updateUser(pool, user) { $0.status = .confirmed; $0.updatedAt = date }
        return EmptyOutput()
    }
}

extension APIContext {
    /// The user named by user name, alias, or (in pools that sign in by email or phone) sub.
    func existingUser(_ pool: UserPool, _ name: String) async throws -> User {
        if let user = try await store.user(in: pool, named: name) { return user }
        if let sub = UUID(uuidString: name), let user = try await store.user(poolId: pool.id, sub: sub) { return user }
        throw CognitoError("UserNotFoundException", "User does not exist.")
    }

    /// Writes a change to a user, translating a taken alias into Cognito's error.
    @discardableResult
    func updateUser(_ pool: UserPool, _ user: User, _ change: @escaping @Sendable (inout User) throws -> Void) async throws -> User {
        do {
            return try await store.updateUser(poolId: pool.id, sub: user.sub, identifiers: { $0.identifiers(in: pool) }, change)
        } catch StoreError.duplicate(let what) {
            throw CognitoError("AliasExistsException", "An account with the given \(what.replacingOccurrences(of: "alias ", with: "")) already exists.")
        }
    }

    func temporaryPassword(_ given: String?, pool: UserPool) throws -> String {
        guard let given else { return pool.passwordPolicy.temporaryPassword() }
        if let problem = pool.passwordPolicy.problem(with: given) {
            throw CognitoError("InvalidPasswordException", "Password does not conform to policy: \(problem)")
        }
        return given
    }

    /// Where invitations go, worked out before anything is written. Cognito's default medium is
    /// SMS. A new user with neither email nor phone number, and no medium asked for, is made and
    /// told nothing, as in Cognito (`resending`, or a medium asked for, is an error: there is
    /// nowhere to send).
    func invitations(mediums: [String]?, attributes: [String: String], suppressed: Bool, resending: Bool = false) throws
        -> [(OutboundMessage.Channel, String)]
    {
        guard !suppressed else { return [] }
        let reachable = !(attributes["email"] ?? "").isEmpty || !(attributes["phone_number"] ?? "").isEmpty
        if !reachable, !resending, mediums == nil { return [] }
        var result: [(OutboundMessage.Channel, String)] = []
        for medium in Set(mediums ?? ["SMS"]) {
            switch medium {
            case "EMAIL": if let email = attributes["email"], !email.isEmpty { result.append((.email, email)) }
            case "SMS": if let phone = attributes["phone_number"], !phone.isEmpty { result.append((.sms, phone)) }
            default: break
            }
        }
        if result.isEmpty {
            throw CognitoError.invalidParameter("User has no attribute matching desired delivery mediums (\((mediums ?? ["SMS"]).joined(separator: ", "))).")
        }
        return result
    }

    /// The CustomMessage trigger's wording of an invitation (nil: no trigger words it), asked
    /// before anything is written, so that its refusal, or a wording without both placeholders,
    /// leaves nothing half done.
    func invitationWording(pool: UserPool, username: String, attributes: [String: String],
                           via channels: [(OutboundMessage.Channel, String)]) async throws -> [String: Any]? {
        guard channels.contains(where: { !Triggers.has($0.0 == .email ? "CustomEmailSender" : "CustomSMSSender", pool) }) else { return nil }
        let worded = try await accounts.triggers?.call(
            "CustomMessage", source: "CustomMessage_AdminCreateUser", pool: pool, userName: username, clientId: nil,
            request: ["userAttributes": attributes, "codeParameter": "{####}", "usernameParameter": "{username}",
                      "linkParameter": "{##Click Here##}", "clientMetadata": [String: String]()])
        for (channel, _) in channels {
            if let text = worded?[channel == .email ? "emailMessage" : "smsMessage"] as? String, !text.isEmpty,
                !text.contains("{####}") || !text.contains("{username}")
            {
                throw TriggerError.unreadable(trigger: "CustomMessage")
            }
        }
        return worded
    }

    func sendInvitation(to user: User, pool: UserPool, password: String, via channels: [(OutboundMessage.Channel, String)],
                        worded: [String: Any]?) async throws {
        let signsInBySub = user.username == user.sub.uuidString.lowercased()
        let displayName = signsInBySub ? (user.attributes["email"] ?? user.attributes["phone_number"] ?? user.username) : user.username
        let messages = pool.messages
        let catalog = accounts.catalog(for: user, pool: pool)
        for (channel, destination) in channels {
            // a custom sender trigger sends the invitation itself, with the temporary password as its code
            if let sentByTrigger = try CustomSenderRequest.message(pool: pool, user: user, email: channel == .email, destination: destination,
                                                                   source: "AdminCreateUser", code: password, now: now()) {
                try await delivery.deliver(sentByTrigger)
                continue
            }
            var template = (channel == .email ? messages.inviteEmailMessage : messages.inviteSMSMessage)
                ?? catalog.text("message.inviteBody", fallback: PoolMessages.defaultInviteMessage)
            var subject = messages.inviteEmailSubject ?? catalog.text("message.inviteSubject", fallback: PoolMessages.defaultInviteSubject)
            if let text = worded?[channel == .email ? "emailMessage" : "smsMessage"] as? String, !text.isEmpty {
                template = text  // both placeholders checked by invitationWording
            }
            if channel == .email, let wordedSubject = worded?["emailSubject"] as? String, !wordedSubject.isEmpty { subject = wordedSubject }
            try await delivery.deliver(OutboundMessage(
                id: UUID(), poolId: user.poolId, userSub: user.sub, channel: channel, destination: destination,
                subject: subject,
                body: MessageTemplates.render(template, username: displayName, code: password),
                createdAt: now(), locale: (channel == .email ? messages.inviteEmailMessage : messages.inviteSMSMessage) == nil
                    ? catalog.locale : pool.defaultLocale))
        }
    }

    /// Ends the user's hosted sessions, refresh tokens and the access tokens they produced.
    func endSessions(of user: User) async throws {
        try await accounts.endSessions(of: user)
    }
}
