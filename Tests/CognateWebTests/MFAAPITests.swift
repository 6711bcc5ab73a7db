@testable import CognateCognitoAPI
import CognateCore
import CognateModel
@testable import CognateWeb
import Foundation
import Testing
import VaporTesting

func base32Decode(_ text: String) -> Data {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    var bytes: [UInt8] = []
    var buffer: UInt32 = 0
    var bits = 0
    for character in text {
        guard let index = alphabet.firstIndex(of: character) else { continue }
        buffer = (buffer << 5) | UInt32(index)
        bits += 5
        if bits >= 8 {
            bytes.append(UInt8((buffer >> UInt32(bits - 8)) & 0xFF))
            bits -= 8
        }
    }
    return Data(bytes)
}

/// A pool with the given MFA mode, a public client, and a confirmed user "uma" with a verified email.
struct MFAFixture {
    var poolId: String
    var clientId: String
    let clock: TestClock

    static func make(_ app: Application, clock: TestClock, mode: String, sessionMinutes: Int = 3) async throws -> MFAFixture {
        let pool = try await call(app, "CreateUserPool", ["PoolName": "mfa-\(UUID().uuidString.prefix(6))", "MfaConfiguration": mode])
        let poolId = try #require((pool.json["UserPool"] as? [String: Any])?["Id"] as? String, "\(pool.json)")
        let client = try await call(app, "CreateUserPoolClient", [
            "UserPoolId": poolId, "ClientName": "app", "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            "AuthSessionValidity": sessionMinutes])
        _ = try await call(app, "AdminCreateUser", ["UserPoolId": poolId, "Username": "uma", "MessageAction": "SUPPRESS",
                                                    "UserAttributes": [["Name": "email", "Value": "uma@example.com"], ["Name": "email_verified", "Value": "true"]]])
        _ = try await call(app, "AdminSetUserPassword", ["UserPoolId": poolId, "Username": "uma", "Password": "Corr3ct-Horse!", "Permanent": true])
        return MFAFixture(poolId: poolId, clientId: try #require((client.json["UserPoolClient"] as? [String: Any])?["ClientId"] as? String), clock: clock)
    }

    func signIn(_ app: Application) async throws -> APIAnswer {
        try await call(app, "InitiateAuth", ["ClientId": clientId, "AuthFlow": "USER_PASSWORD_AUTH",
                                             "AuthParameters": ["USERNAME": "uma", "PASSWORD": "Corr3ct-Horse!"]], signed: false)
    }

    func respond(_ app: Application, _ challenge: String, _ session: String?, _ responses: [String: String]) async throws -> APIAnswer {
        var responses = responses
        responses["USERNAME"] = "uma"
        return try await call(app, "RespondToAuthChallenge", ["ClientId": clientId, "ChallengeName": challenge, "Session": session ?? "",
                                                              "ChallengeResponses": responses], signed: false)
    }

    func code(_ secret: String, offset: Int = 0) -> String {
        TOTP.code(secret: base32Decode(secret), step: TOTP.step(at: clock.now) + offset)
    }

    /// Signs in without MFA and sets up the authenticator; returns its secret.
    func setUpAuthenticator(_ app: Application) async throws -> String {
        let access = try #require(try await signIn(app).result["AccessToken"] as? String)
        let secret = try #require(try await call(app, "AssociateSoftwareToken", ["AccessToken": access], signed: false).json["SecretCode"] as? String)
        let verified = try await call(app, "VerifySoftwareToken", ["AccessToken": access, "UserCode": code(secret)], signed: false)
        #expect(verified.json["Status"] as? String == "SUCCESS", "\(verified.json)")
        clock.advance(30)  // the code just used cannot be used again
        return secret
    }
}

@Suite struct MFAAPITests {
    @Test func authenticatorSetUpThenAskedForAtSignInOncePerCode() async throws {
        let clock = TestClock()
        try await withCognate(environment: adminEnvironment, clock: clock) { app, _, _ async throws in
            let fixture = try await MFAFixture.make(app, clock: clock, mode: "OPTIONAL")
            let access = try #require(try await fixture.signIn(app).result["AccessToken"] as? String, "no factor yet: tokens")
            let secret = try #require(try await call(app, "AssociateSoftwareToken", ["AccessToken": access], signed: false).json["SecretCode"] as? String)
            #expect(secret.count == 32 && secret.allSatisfy { $0.isUppercase || ("2"..."7").contains($0) }, "160 bits in base32")
            let wrong = try await call(app, "VerifySoftwareToken", ["AccessToken": access, "UserCode": "000000"], signed: false)
            #expect(wrong.errorType == "EnableSoftwareTokenMFAException")
            #expect(try await call(app, "VerifySoftwareToken", ["AccessToken": access, "UserCode": fixture.code(secret)], signed: false)
                .json["Status"] as? String == "SUCCESS")
            let user = try await call(app, "GetUser", ["AccessToken": access], signed: false)
            #expect(user.json["UserMFASettingList"] as? [String] == ["SOFTWARE_TOKEN_MFA"])
            #expect(user.json["PreferredMfaSetting"] as? String == "SOFTWARE_TOKEN_MFA")

            clock.advance(30)
            let challenged = try await fixture.signIn(app)
            #expect(challenged.json["ChallengeName"] as? String == "SOFTWARE_TOKEN_MFA")
            #expect(challenged.json["AuthenticationResult"] == nil)
            let session = challenged.json["Session"] as? String
            #expect(try await fixture.respond(app, "SOFTWARE_TOKEN_MFA", session, ["SOFTWARE_TOKEN_MFA_CODE": "000000"]).errorType == "CodeMismatchException")
            let code = fixture.code(secret)
            let tokens = try await fixture.respond(app, "SOFTWARE_TOKEN_MFA", session, ["SOFTWARE_TOKEN_MFA_CODE": code])
            #expect(tokens.result["AccessToken"] != nil, "\(tokens.json)")
            #expect(try await fixture.respond(app, "SOFTWARE_TOKEN_MFA", session, ["SOFTWARE_TOKEN_MFA_CODE": code]).errorType == "ExpiredCodeException",
                    "a code works once")
            // Cognito's answer to a code used once already, the message clients match on
            let again = try await fixture.signIn(app)
            let reused = try await fixture.respond(app, "SOFTWARE_TOKEN_MFA", again.json["Session"] as? String, ["SOFTWARE_TOKEN_MFA_CODE": code])
            #expect(reused.errorType == "ExpiredCodeException", "a code works once, even in a new sign-in")
            #expect(reused.json["message"] as? String == "Your software token has already been used once.")
            clock.advance(30)
            #expect(try await fixture.respond(app, "SOFTWARE_TOKEN_MFA", session, ["SOFTWARE_TOKEN_MFA_CODE": fixture.code(secret)]).errorType
                == "NotAuthorizedException", "a session that gave tokens answers no more")
        }
    }

    @Test func tooManyWrongAuthenticatorCodesStopTheGuessing() async throws {
        let clock = TestClock()
        try await withCognate(environment: adminEnvironment, clock: clock) { app, _, _ async throws in
            let fixture = try await MFAFixture.make(app, clock: clock, mode: "OPTIONAL")
            let secret = try await fixture.setUpAuthenticator(app)
            let session = try await fixture.signIn(app).json["Session"] as? String
            let right = fixture.code(secret)
            var wrongCodes = ["111111", "222222", "333333", "444444", "555555", "666666"].filter { $0 != right && $0 != fixture.code(secret, offset: -1) && $0 != fixture.code(secret, offset: 1) }
            for _ in 0..<SignInService.maxWrongAuthenticatorCodes {
                #expect(try await fixture.respond(app, "SOFTWARE_TOKEN_MFA", session, ["SOFTWARE_TOKEN_MFA_CODE": wrongCodes.removeFirst()]).errorType
                    == "CodeMismatchException")
            }
            #expect(try await fixture.respond(app, "SOFTWARE_TOKEN_MFA", session, ["SOFTWARE_TOKEN_MFA_CODE": right]).errorType
                == "TooManyFailedAttemptsException")
        }
    }

    @Test func wrongAuthenticatorCodesSentAtOnceStopAtTheLimit() async throws {
        let clock = TestClock()
        try await withCognate(environment: adminEnvironment, clock: clock) { app, _, _ async throws in
            let fixture = try await MFAFixture.make(app, clock: clock, mode: "OPTIONAL")
            let secret = try await fixture.setUpAuthenticator(app)
            clock.advance(30)
            let session = try await fixture.signIn(app).json["Session"] as? String
            let right = fixture.code(secret)
            let near = Set([-1, 0, 1].map { fixture.code(secret, offset: $0) })
            let wrong = (0..<10).map { String(repeating: String($0), count: 6) }.first { !near.contains($0) }!
            let answers = try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<30 {
                    group.addTask { try await fixture.respond(app, "SOFTWARE_TOKEN_MFA", session, ["SOFTWARE_TOKEN_MFA_CODE": wrong]).errorType }
                }
                return try await group.reduce(into: [String?]()) { $0.append($1) }
            }
            #expect(answers.filter { $0 == "CodeMismatchException" }.count == SignInService.maxWrongAuthenticatorCodes, "\(answers)")
            #expect(answers.filter { $0 == "TooManyFailedAttemptsException" }.count == 30 - SignInService.maxWrongAuthenticatorCodes)
            #expect(try await fixture.respond(app, "SOFTWARE_TOKEN_MFA", session, ["SOFTWARE_TOKEN_MFA_CODE": right]).errorType
                == "TooManyFailedAttemptsException")
            // five minutes later the window has closed and the right code is judged again
            clock.advance(301)
            let fresh = try await fixture.signIn(app).json["Session"] as? String
            #expect(try await fixture.respond(app, "SOFTWARE_TOKEN_MFA", fresh, ["SOFTWARE_TOKEN_MFA_CODE": fixture.code(secret)]).result["AccessToken"] != nil)
        }
    }

    @Test func emailCodesAndChoosingAFactor() async throws {
        let clock = TestClock()
        try await withCognate(environment: adminEnvironment, clock: clock) { app, services, _ async throws in
            let fixture = try await MFAFixture.make(app, clock: clock, mode: "OPTIONAL")
            let secret = try await fixture.setUpAuthenticator(app)
            // both factors enabled, none preferred: the person chooses
            #expect(try await call(app, "AdminSetUserMFAPreference", ["UserPoolId": fixture.poolId, "Username": "uma",
                "EmailMfaSettings": ["Enabled": true], "SoftwareTokenMfaSettings": ["Enabled": true, "PreferredMfa": false]]).status == .ok)
            let select = try await fixture.signIn(app)
            #expect(select.json["ChallengeName"] as? String == "SELECT_MFA_TYPE")
            #expect((select.json["ChallengeParameters"] as? [String: Any])?["MFAS_CAN_CHOOSE"] as? String == "[\"SOFTWARE_TOKEN_MFA\",\"EMAIL_OTP\"]")
            let email = try await fixture.respond(app, "SELECT_MFA_TYPE", select.json["Session"] as? String, ["ANSWER": "EMAIL_OTP"])
            #expect(email.json["ChallengeName"] as? String == "EMAIL_OTP", "\(email.json)")
            let parameters = email.json["ChallengeParameters"] as? [String: Any] ?? [:]
            #expect(parameters["CODE_DELIVERY_DELIVERY_MEDIUM"] as? String == "EMAIL" && parameters["CODE_DELIVERY_DESTINATION"] as? String == "u***@e***")
            let message = try #require(try await services.delivery.outbox(poolId: fixture.poolId, limit: 5, after: nil).items.first)
            #expect(message.subject == "Your sign-in code")
            let code = String(try #require(message.body.split(whereSeparator: { !$0.isNumber }).first { $0.count == 6 }))
            #expect(try await fixture.respond(app, "EMAIL_OTP", email.json["Session"] as? String, ["EMAIL_OTP_CODE": code]).result["IdToken"] != nil)
            // the authenticator still answers when chosen
            let choose = try await fixture.signIn(app)
            let totp = try await fixture.respond(app, "SELECT_MFA_TYPE", choose.json["Session"] as? String, ["ANSWER": "SOFTWARE_TOKEN_MFA"])
            #expect(try await fixture.respond(app, "SOFTWARE_TOKEN_MFA", totp.json["Session"] as? String,
                                              ["SOFTWARE_TOKEN_MFA_CODE": fixture.code(secret)]).result["AccessToken"] != nil)
            // factors the user does not have cannot be enabled
            #expect(try await call(app, "AdminSetUserMFAPreference", ["UserPoolId": fixture.poolId, "Username": "uma",
                                                                       "SMSMfaSettings": ["Enabled": true]]).errorType == "InvalidParameterException")
        }
    }

    @Test func emailCodesForSignInAreLimitedWithCognitosError() async throws {
        let clock = TestClock()
        try await withCognate(environment: adminEnvironment, clock: clock) { app, _, _ async throws in
            let fixture = try await MFAFixture.make(app, clock: clock, mode: "OPTIONAL")
            _ = try await call(app, "AdminSetUserMFAPreference", ["UserPoolId": fixture.poolId, "Username": "uma", "EmailMfaSettings": ["Enabled": true]])
            for _ in 0..<AccountService.maxSendsPerWindow {
                #expect(try await fixture.signIn(app).json["ChallengeName"] as? String == "EMAIL_OTP")
            }
            #expect(try await fixture.signIn(app).errorType == "LimitExceededException", "not an internal error")
        }
    }

    @Test func requiredMFAMakesANewUserSetUpAnAuthenticatorFirst() async throws {
        let clock = TestClock()
        try await withCognate(environment: adminEnvironment, clock: clock) { app, _, _ async throws in
            let fixture = try await MFAFixture.make(app, clock: clock, mode: "ON")
            let setup = try await fixture.signIn(app)
            #expect(setup.json["ChallengeName"] as? String == "MFA_SETUP")
            #expect((setup.json["ChallengeParameters"] as? [String: Any])?["MFAS_CAN_SETUP"] as? String == "[\"SOFTWARE_TOKEN_MFA\"]")
            let session = try #require(setup.json["Session"] as? String)
            #expect(try await fixture.respond(app, "MFA_SETUP", session, [:]).errorType == "InvalidParameterException", "verify first")
            let associated = try await call(app, "AssociateSoftwareToken", ["Session": session], signed: false)
            let secret = try #require(associated.json["SecretCode"] as? String)
            let verified = try await call(app, "VerifySoftwareToken", ["Session": try #require(associated.json["Session"] as? String),
                                                                       "UserCode": fixture.code(secret)], signed: false)
            #expect(verified.json["Status"] as? String == "SUCCESS")
            let tokens = try await fixture.respond(app, "MFA_SETUP", verified.json["Session"] as? String, [:])
            #expect(tokens.result["AccessToken"] != nil, "\(tokens.json)")
            #expect(try await call(app, "AssociateSoftwareToken", ["Session": String(repeating: "forged", count: 10)], signed: false).errorType == "NotAuthorizedException")
            clock.advance(30)
            #expect(try await fixture.signIn(app).json["ChallengeName"] as? String == "SOFTWARE_TOKEN_MFA", "from now on it is asked for")
        }
    }

    @Test func expiredSessionsAndCodesAndBadAnswersAreRefused() async throws {
        let clock = TestClock()
        try await withCognate(environment: adminEnvironment, clock: clock) { app, services, _ async throws in
            let fixture = try await MFAFixture.make(app, clock: clock, mode: "OPTIONAL", sessionMinutes: 15)
            // no authenticator associated yet: nothing to verify
            let access = try #require(try await fixture.signIn(app).result["AccessToken"] as? String)
            #expect(try await call(app, "VerifySoftwareToken", ["AccessToken": access, "UserCode": "123456"], signed: false).errorType
                == "InvalidParameterException")
            _ = try await fixture.setUpAuthenticator(app)
            _ = try await call(app, "AdminSetUserMFAPreference", ["UserPoolId": fixture.poolId, "Username": "uma",
                "EmailMfaSettings": ["Enabled": true], "SoftwareTokenMfaSettings": ["Enabled": true, "PreferredMfa": false]])
            let select = try await fixture.signIn(app)
            #expect(try await fixture.respond(app, "SELECT_MFA_TYPE", select.json["Session"] as? String, ["ANSWER": "SMS_MFA"]).errorType
                == "InvalidParameterException", "a factor not offered cannot be chosen")
            let email = try await fixture.respond(app, "SELECT_MFA_TYPE", select.json["Session"] as? String, ["ANSWER": "EMAIL_OTP"])
            let message = try #require(try await services.delivery.outbox(poolId: fixture.poolId, limit: 5, after: nil).items.first)
            let code = String(try #require(message.body.split(whereSeparator: { !$0.isNumber }).first { $0.count == 6 }))
            // the emailed code lasts five minutes, the session fifteen here
            clock.advance(301)
            #expect(try await fixture.respond(app, "EMAIL_OTP", email.json["Session"] as? String, ["EMAIL_OTP_CODE": code]).errorType
                == "ExpiredCodeException")
            // and a session past its validity answers nothing
            let late = try await fixture.signIn(app)
            clock.advance(15 * 60 + 1)
            #expect(try await fixture.respond(app, "SELECT_MFA_TYPE", late.json["Session"] as? String, ["ANSWER": "EMAIL_OTP"]).errorType
                == "NotAuthorizedException")
        }
    }

    @Test func thePoolChoosesWhichFactorsItOffers() async throws {
        let clock = TestClock()
        try await withCognate(environment: adminEnvironment, clock: clock) { app, _, _ async throws in
            let fixture = try await MFAFixture.make(app, clock: clock, mode: "OFF")
            let initial = try await call(app, "GetUserPoolMfaConfig", ["UserPoolId": fixture.poolId])
            #expect(initial.json["MfaConfiguration"] as? String == "OFF")
            #expect((initial.json["SoftwareTokenMfaConfiguration"] as? [String: Any])?["Enabled"] as? Bool == true)
            #expect(try await call(app, "SetUserPoolMfaConfig", ["UserPoolId": fixture.poolId, "MfaConfiguration": "ON"]).errorType
                == "InvalidParameterException", "ON needs a factor")

            // required, by email only: a user with a verified email is sent a code at once
            let emailOnly = try await call(app, "SetUserPoolMfaConfig", ["UserPoolId": fixture.poolId, "MfaConfiguration": "ON",
                                                                         "EmailMfaConfiguration": [String: String](),
                                                                         "SoftwareTokenMfaConfiguration": ["Enabled": false]])
            #expect(emailOnly.json["MfaConfiguration"] as? String == "ON", "\(emailOnly.json)")
            #expect((emailOnly.json["SoftwareTokenMfaConfiguration"] as? [String: Any])?["Enabled"] as? Bool == false)
            #expect(try await fixture.signIn(app).json["ChallengeName"] as? String == "EMAIL_OTP")

            // required, by authenticator only: the email no longer serves; the user sets one up
            _ = try await call(app, "SetUserPoolMfaConfig", ["UserPoolId": fixture.poolId, "MfaConfiguration": "ON",
                                                             "SoftwareTokenMfaConfiguration": ["Enabled": true]])
            #expect(try await fixture.signIn(app).json["ChallengeName"] as? String == "MFA_SETUP")
            #expect(try await call(app, "AdminSetUserMFAPreference", ["UserPoolId": fixture.poolId, "Username": "uma",
                                                                       "EmailMfaSettings": ["Enabled": true]]).errorType == "InvalidParameterException")
        }
    }
}
