import CognateModel
import Foundation

/// The rules a pool's and a client's settings must keep (Cognito's limits, PRODUCT.md).
public enum PoolRules {
    public static let aliasAttributeNames: Set<String> = ["email", "phone_number", "preferred_username"]
    public static let usernameAttributeNames: Set<String> = ["email", "phone_number"]
    public static let verifiableAttributeNames: Set<String> = ["email", "phone_number"]
    public static let standardAttributeNames: Set<String> = [
        "address", "birthdate", "email", "family_name", "gender", "given_name", "locale", "middle_name",
        "name", "nickname", "phone_number", "picture", "preferred_username", "profile", "updated_at",
        "website", "zoneinfo",
    ]

    public static func validate(_ pool: UserPool) -> [ValidationError] {
        var errors: [ValidationError] = []
        func fail(_ field: String, _ message: String) { errors.append(.init(field: field, message: message)) }
        if pool.name.isEmpty || pool.name.count > 128 { fail("name", "must be 1 to 128 characters") }
        let policy = pool.passwordPolicy
        if !(6...99).contains(policy.minimumLength) { fail("passwordPolicy.minimumLength", "must be 6 to 99") }
        if !(0...365).contains(policy.temporaryPasswordValidityDays) {
            fail("passwordPolicy.temporaryPasswordValidityDays", "must be 0 to 365")
        }
        for name in pool.usernameAttributes where !usernameAttributeNames.contains(name) {
            fail("usernameAttributes", "'\(name)' is not one of email, phone_number")
        }
        for name in pool.aliasAttributes where !aliasAttributeNames.contains(name) {
            fail("aliasAttributes", "'\(name)' is not one of email, phone_number, preferred_username")
        }
        if !pool.usernameAttributes.isEmpty && !pool.aliasAttributes.isEmpty {
            fail("aliasAttributes", "cannot be set together with usernameAttributes")
        }
        for name in pool.attributesRequireVerificationBeforeUpdate ?? [] where !verifiableAttributeNames.contains(name) {
            fail("UserAttributeUpdateSettings.AttributesRequireVerificationBeforeUpdate", "'\(name)' is not one of email, phone_number")
        }
        for name in pool.autoVerifiedAttributes where !verifiableAttributeNames.contains(name) {
            fail("autoVerifiedAttributes", "'\(name)' is not one of email, phone_number")
        }
        if let factors = pool.allowedFirstAuthFactors {
            if !factors.contains("PASSWORD") { fail("SignInPolicy.AllowedFirstAuthFactors", "must include PASSWORD") }
            for factor in factors where !["PASSWORD", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN"].contains(factor) {
                fail("SignInPolicy.AllowedFirstAuthFactors", "'\(factor)' is not one Cognate offers (PASSWORD, EMAIL_OTP, SMS_OTP, WEB_AUTHN)")
            }
            if pool.mfaConfiguration == .on, factors.contains(where: { $0.hasSuffix("_OTP") }) {
                fail("SignInPolicy.AllowedFirstAuthFactors", "one-time codes cannot be a first factor where MFA is required")
            }
        }
        if let passkeys = pool.webAuthnConfiguration {
            if !["required", "preferred"].contains(passkeys.userVerification) {
                fail("WebAuthnConfiguration.UserVerification", "must be required or preferred")
            }
            if !["SINGLE_FACTOR", "MULTI_FACTOR_WITH_USER_VERIFICATION"].contains(passkeys.factorConfiguration) {
                fail("WebAuthnConfiguration.FactorConfiguration", "must be SINGLE_FACTOR or MULTI_FACTOR_WITH_USER_VERIFICATION")
            }
        }
        errors += validate(pool.tokenValidity, field: "tokenValidity")
        errors += MessageTemplates.problems(pool.messages)
        var seen: Set<String> = []
        for (index, attribute) in pool.schema.enumerated() {
            let field = "schema[\(index)]"
            if !seen.insert(attribute.name).inserted { fail(field, "attribute '\(attribute.name)' is declared twice") }
            if attribute.name.hasPrefix("custom:") {
                let bare = attribute.name.dropFirst("custom:".count)
                if bare.isEmpty || bare.count > 20 || !bare.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) {
                    fail(field, "custom attribute names are custom: plus 1 to 20 letters, digits, _ or -")
                }
                if attribute.required { fail(field, "custom attributes cannot be required") }
            } else if !standardAttributeNames.contains(attribute.name) {
                fail(field, "'\(attribute.name)' is neither a standard attribute nor custom:…")
            }
            if let min = attribute.minLength, let max = attribute.maxLength, min > max {
                fail(field, "minLength is greater than maxLength")
            }
            if let max = attribute.maxLength, !(1...2048).contains(max) { fail(field, "maxLength must be 1 to 2048") }
            if let min = attribute.minValue, let max = attribute.maxValue, min > max {
                fail(field, "minValue is greater than maxValue")
            }
        }
        return errors
    }

    public static func validate(_ validity: TokenValidity, field: String) -> [ValidationError] {
        var errors: [ValidationError] = []
        if !TokenValidity.idAccessRange.contains(validity.idToken) {
            errors.append(.init(field: "\(field).idToken", message: "must be 5 minutes to 24 hours"))
        }
        if !TokenValidity.idAccessRange.contains(validity.accessToken) {
            errors.append(.init(field: "\(field).accessToken", message: "must be 5 minutes to 24 hours"))
        }
        if !TokenValidity.refreshRange.contains(validity.refreshToken) {
            errors.append(.init(field: "\(field).refreshToken", message: "must be 60 minutes to 10 years"))
        }
        return errors
    }

    public static func validate(_ client: AppClient) -> [ValidationError] {
        var errors: [ValidationError] = []
        func fail(_ field: String, _ message: String) { errors.append(.init(field: field, message: message)) }
        if client.name.isEmpty || client.name.count > 128 { fail("name", "must be 1 to 128 characters") }
        if client.clientId.count != 26 || !client.clientId.allSatisfy({ Alphabet.lowerAlphanumeric.contains($0) }) {
            fail("id", "must be 26 lowercase letters or digits")
        }
        for (index, url) in client.callbackURLs.enumerated() {
            if let problem = RedirectURIRule.problem(with: url) { fail("callbackURLs[\(index)]", problem) }
        }
        for (index, url) in client.logoutURLs.enumerated() {
            if let problem = RedirectURIRule.problem(with: url) { fail("logoutURLs[\(index)]", problem) }
        }
        if client.allowedOAuthFlows.contains(.clientCredentials) && client.isPublic {
            fail("allowedOAuthFlows", "client_credentials needs a client with a secret")
        }
        if client.allowedOAuthFlows.contains(.code) || client.allowedOAuthFlows.contains(.implicit) {
            if client.callbackURLs.isEmpty { fail("callbackURLs", "the code and implicit flows need at least one callback URL") }
        }
        errors += validate(client.tokenValidity, field: "tokenValidity")
        return errors
    }
}
