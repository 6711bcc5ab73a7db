@testable import CognateCognitoAPI
import CognateCore
import CognateModel
@testable import CognateWeb
import Foundation
import Testing
import VaporTesting

/// A pool that verifies email at sign-up, with a public client allowing password sign-in.
struct AccountFixture {
    var poolId: String
    var clientId: String

    static func make(_ app: Application, preventUserExistence: Bool = true, adminOnly: Bool = false) async throws -> AccountFixture {
        var settings: [String: Any] = [
            "PoolName": "accounts-\(UUID().uuidString.prefix(6))", "AutoVerifiedAttributes": ["email"],
            "Schema": [["Name": "email", "AttributeDataType": "String", "Required": true, "Mutable": true]],
        ]
        if adminOnly { settings["AdminCreateUserConfig"] = ["AllowAdminCreateUserOnly": true] }
        let pool = try await call(app, "CreateUserPool", settings)
        let poolId = try #require((pool.json["UserPool"] as? [String: Any])?["Id"] as? String, "\(pool.json)")
        let client = try await call(app, "CreateUserPoolClient", [
            "UserPoolId": poolId, "ClientName": "app",
            "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            "PreventUserExistenceErrors": preventUserExistence ? "ENABLED" : "LEGACY",
        ])
        return AccountFixture(poolId: poolId, clientId: try #require((client.json["UserPoolClient"] as? [String: Any])?["ClientId"] as? String))
    }

    func signUp(_ app: Application, _ username: String, password: String = "Corr3ct-Horse!", email: String? = nil) async throws -> APIAnswer {
        try await call(app, "SignUp", ["ClientId": clientId, "Username": username, "Password": password,
                                       "UserAttributes": [["Name": "email", "Value": email ?? "\(username)@example.com"]]], signed: false)
    }

    /// Signs `username` up and confirms the account with the code sent to its email.
    func confirmedUser(_ app: Application, _ services: CognateServices, _ username: String, email: String? = nil) async throws {
        _ = try await signUp(app, username, email: email)
        let code = try await lastCode(services, to: email ?? "\(username)@example.com")
        let confirmed = try await publicCall(app, "ConfirmSignUp", ["Username": username, "ConfirmationCode": code])
        #expect(confirmed.status == .ok, "\(confirmed.json)")
    }

    func publicCall(_ app: Application, _ operation: String, _ input: [String: Any]) async throws -> APIAnswer {
        var input = input
        input["ClientId"] = clientId
        return try await call(app, operation, input, signed: false)
    }

    func signIn(_ app: Application, _ username: String, _ password: String = "Corr3ct-Horse!") async throws -> APIAnswer {
        try await publicCall(app, "InitiateAuth", ["AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": ["USERNAME": username, "PASSWORD": password]])
    }

    /// The code in the newest message to `destination` (the development outbox: no SMTP configured).
    func lastCode(_ services: CognateServices, to destination: String) async throws -> String {
        let messages = try await services.delivery.outbox(poolId: poolId, limit: 50, after: nil).items
        let body = try #require(messages.first { $0.destination == destination }?.body, "no message to \(destination)")
        let digits = body.split(whereSeparator: { !$0.isNumber }).first { $0.count == 6 }
        return String(try #require(digits, "no code in \(body)"))
    }
}

@Suite struct AccountAPITests {
    @Test func signUpConfirmAndSignIn() async throws {
        try await withCognate(environment: adminEnvironment) { app, services, _ async throws in
            let fixture = try await AccountFixture.make(app)
            let signedUp = try await fixture.signUp(app, "carol")
            #expect(signedUp.status == .ok, "\(signedUp.json)")
            #expect(signedUp.json["UserConfirmed"] as? Bool == false)
            let details = try #require(signedUp.json["CodeDeliveryDetails"] as? [String: Any])
            #expect(details["DeliveryMedium"] as? String == "EMAIL")
            #expect(details["AttributeName"] as? String == "email")
            #expect(details["Destination"] as? String == "c***@e***")
            #expect(UUID(uuidString: signedUp.json["UserSub"] as? String ?? "") != nil)

            // not yet confirmed: no sign-in
            #expect(try await fixture.signIn(app, "carol").errorType == "UserNotConfirmedException")
            #expect(try await fixture.publicCall(app, "ConfirmSignUp", ["Username": "carol", "ConfirmationCode": "000000"]).errorType
                == "CodeMismatchException")
            let code = try await fixture.lastCode(services, to: "carol@example.com")
            // the outbox keeps the text sealed with the master key: the code is not in the database in the clear
            let stored = try #require(try await services.store.outbox(poolId: fixture.poolId, limit: 5, after: nil).items.first)
            #expect(stored.body.hasPrefix("sealed:") && !stored.body.contains(code))
            let confirmed = try await fixture.publicCall(app, "ConfirmSignUp", ["Username": "carol", "ConfirmationCode": code])
            #expect(confirmed.status == .ok, "\(confirmed.json)")
            let user = try await call(app, "AdminGetUser", ["UserPoolId": fixture.poolId, "Username": "carol"])
            #expect(user.json["UserStatus"] as? String == "CONFIRMED")
            let attributes = user.json["UserAttributes"] as? [[String: Any]] ?? []
            #expect(attributes.contains { $0["Name"] as? String == "email_verified" && $0["Value"] as? String == "true" })
            #expect(try await fixture.signIn(app, "carol").status == .ok)
            // the code was used once; confirming again is refused, as a wrong code (the client hides who exists)
            #expect(try await fixture.publicCall(app, "ConfirmSignUp", ["Username": "carol", "ConfirmationCode": code]).errorType
                == "CodeMismatchException")
        }
    }

    @Test func signUpRefusesWhatThePoolForbids() async throws {
        try await withCognate(environment: adminEnvironment) { app, _, _ async throws in
            let fixture = try await AccountFixture.make(app)
            #expect(try await fixture.signUp(app, "dave").status == .ok)
            #expect(try await fixture.signUp(app, "DAVE").errorType == "UsernameExistsException", "user names are case-insensitive")
            let weak = try await fixture.signUp(app, "erin", password: "short")
            #expect(weak.errorType == "InvalidPasswordException")
            #expect((weak.json["message"] as? String)?.hasPrefix("Password did not conform with policy") == true)
            let noEmail = try await call(app, "SignUp", ["ClientId": fixture.clientId, "Username": "frank", "Password": "Corr3ct-Horse!"], signed: false)
            #expect(noEmail.errorType == "InvalidParameterException", "email is required by the schema")
            let selfVerified = try await call(app, "SignUp", ["ClientId": fixture.clientId, "Username": "gina", "Password": "Corr3ct-Horse!",
                "UserAttributes": [["Name": "email", "Value": "g@example.com"], ["Name": "email_verified", "Value": "true"]]], signed: false)
            #expect(selfVerified.errorType == "NotAuthorizedException", "a user cannot verify their own email at sign-up")
            #expect(selfVerified.json["message"] as? String == "A client attempted to write unauthorized attribute")
            #expect(try await call(app, "SignUp", ["ClientId": "nosuchclient0000000000000a", "Username": "x", "Password": "Corr3ct-Horse!"],
                                   signed: false).errorType == "ResourceNotFoundException")
            for refused in ["frank", "gina", "erin"] {
                #expect(try await call(app, "AdminGetUser", ["UserPoolId": fixture.poolId, "Username": refused]).errorType
                    == "UserNotFoundException", "a refused sign-up leaves no user")
            }

            let closed = try await AccountFixture.make(app, adminOnly: true)
            #expect(try await closed.signUp(app, "harry").errorType == "NotAuthorizedException")
        }
    }

    @Test func wrongResetCodesSentAtOnceCannotOutrunTheLimit() async throws {
        try await withCognate(environment: adminEnvironment) { app, services, _ async throws in
            // given a reset code on its way
            let fixture = try await AccountFixture.make(app)
            try await fixture.confirmedUser(app, services, "ravi")
            #expect(try await fixture.publicCall(app, "ForgotPassword", ["Username": "ravi"]).status == .ok)
            let code = try await fixture.lastCode(services, to: "ravi@example.com")
            let wrong = code == "000000" ? "111111" : "000000"
            // when thirty wrong guesses arrive at once
            let answers = try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<30 {
                    group.addTask {
                        try await fixture.publicCall(app, "ConfirmForgotPassword", [
                            "Username": "ravi", "ConfirmationCode": wrong, "Password": "N3w-Passw0rd!"]).errorType
                    }
                }
                return try await group.reduce(into: [String?]()) { $0.append($1) }
            }
            // then five were judged, and the right code no longer works
            #expect(answers.filter { $0 == "CodeMismatchException" }.count == AccountService.maxFailedAttempts - 1, "\(answers)")
            #expect(answers.filter { $0 == "TooManyFailedAttemptsException" }.count == 30 - AccountService.maxFailedAttempts + 1, "\(answers)")
            let right = try await fixture.publicCall(app, "ConfirmForgotPassword", [
                "Username": "ravi", "ConfirmationCode": code, "Password": "N3w-Passw0rd!"])
            #expect(right.errorType == "TooManyFailedAttemptsException")
            #expect(try await fixture.signIn(app, "ravi").result["AccessToken"] != nil, "the old password still works")
        }
    }

    @Test func resendsSentAtOnceCannotOutrunTheSendLimit() async throws {
        try await withCognate(environment: adminEnvironment) { app, services, _ async throws in
            let fixture = try await AccountFixture.make(app)
            try await fixture.confirmedUser(app, services, "sam")
            let answers = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<12 { group.addTask { try await fixture.publicCall(app, "ForgotPassword", ["Username": "sam"]).errorType ?? "sent" } }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(answers.filter { $0 == "sent" }.count == AccountService.maxSendsPerWindow, "\(answers)")
            #expect(answers.filter { $0 == "LimitExceededException" }.count == 12 - AccountService.maxSendsPerWindow)
        }
    }

    @Test func codesExpireAreLimitedAndResendReplacesThem() async throws {
        let clock = TestClock()
        try await withCognate(environment: adminEnvironment, clock: clock) { app, services, _ async throws in
            let fixture = try await AccountFixture.make(app)
            _ = try await fixture.signUp(app, "ivy")
            let first = try await fixture.lastCode(services, to: "ivy@example.com")
            // a resend replaces the code: the first no longer works
            clock.advance(1)
            let resent = try await fixture.publicCall(app, "ResendConfirmationCode", ["Username": "ivy"])
            #expect((resent.json["CodeDeliveryDetails"] as? [String: Any])?["DeliveryMedium"] as? String == "EMAIL")
            let second = try await fixture.lastCode(services, to: "ivy@example.com")
            if first != second {
                #expect(try await fixture.publicCall(app, "ConfirmSignUp", ["Username": "ivy", "ConfirmationCode": first]).errorType
                    == "CodeMismatchException")
            }
            clock.advance(1)
            // a code expires after 24 hours
            clock.advance(86_401)
            #expect(try await fixture.publicCall(app, "ConfirmSignUp", ["Username": "ivy", "ConfirmationCode": second]).errorType
                == "ExpiredCodeException")
            // five sends an hour, then LimitExceededException
            _ = try await fixture.publicCall(app, "ResendConfirmationCode", ["Username": "ivy"])
            for _ in 0..<4 {
                clock.advance(1)
                #expect(try await fixture.publicCall(app, "ResendConfirmationCode", ["Username": "ivy"]).status == .ok)
            }
            #expect(try await fixture.publicCall(app, "ResendConfirmationCode", ["Username": "ivy"]).errorType == "LimitExceededException")
            // five wrong guesses end the code, even for the right one afterwards
            let current = try await fixture.lastCode(services, to: "ivy@example.com")
            let wrong = current == "111111" ? "222222" : "111111"
            for _ in 0..<4 {
                #expect(try await fixture.publicCall(app, "ConfirmSignUp", ["Username": "ivy", "ConfirmationCode": wrong]).errorType
                    == "CodeMismatchException")
            }
            #expect(try await fixture.publicCall(app, "ConfirmSignUp", ["Username": "ivy", "ConfirmationCode": wrong]).errorType
                == "TooManyFailedAttemptsException")
            #expect(try await fixture.publicCall(app, "ConfirmSignUp", ["Username": "ivy", "ConfirmationCode": current]).errorType
                == "TooManyFailedAttemptsException")
            // an hour later a new code can be sent and works
            clock.advance(3_601)
            #expect(try await fixture.publicCall(app, "ResendConfirmationCode", ["Username": "ivy"]).status == .ok)
            clock.advance(1)
            let fresh = try await fixture.lastCode(services, to: "ivy@example.com")
            #expect(try await fixture.publicCall(app, "ConfirmSignUp", ["Username": "ivy", "ConfirmationCode": fresh]).status == .ok)
            let sent = try await services.delivery.outbox(poolId: fixture.poolId, limit: 50, after: nil).items.count
            #expect(try await fixture.publicCall(app, "ResendConfirmationCode", ["Username": "ivy"]).status == .ok,
                    "a simulated delivery, as for a name no one holds")
            #expect(try await services.delivery.outbox(poolId: fixture.poolId, limit: 50, after: nil).items.count == sent,
                    "a confirmed user gets no confirmation code")
        }
    }

    @Test func forgotPasswordResetsAndEndsEverySession() async throws {
        let clock = TestClock()
        try await withCognate(environment: adminEnvironment, clock: clock) { app, services, _ async throws in
            let fixture = try await AccountFixture.make(app)
            try await fixture.confirmedUser(app, services, "jack")
            let refresh = try #require(try await fixture.signIn(app, "jack").result["RefreshToken"] as? String)

            clock.advance(1)  // the outbox lists newest first
            let forgot = try await fixture.publicCall(app, "ForgotPassword", ["Username": "jack"])
            #expect((forgot.json["CodeDeliveryDetails"] as? [String: Any])?["Destination"] as? String == "j***@e***")
            let code = try await fixture.lastCode(services, to: "jack@example.com")
            let weak = try await fixture.publicCall(app, "ConfirmForgotPassword", ["Username": "jack", "ConfirmationCode": code, "Password": "weak"])
            #expect(weak.errorType == "InvalidPasswordException")
            #expect(try await fixture.publicCall(app, "ConfirmForgotPassword", ["Username": "jack", "ConfirmationCode": "000000",
                                                                                 "Password": "N3w-Passw0rd!"]).errorType == "CodeMismatchException")
            let reset = try await fixture.publicCall(app, "ConfirmForgotPassword", ["Username": "jack", "ConfirmationCode": code, "Password": "N3w-Passw0rd!"])
            #expect(reset.status == .ok, "\(reset.json)")
            #expect(try await fixture.signIn(app, "jack").errorType == "NotAuthorizedException", "the old password is gone")
            #expect(try await fixture.signIn(app, "jack", "N3w-Passw0rd!").status == .ok)
            let refreshed = try await fixture.publicCall(app, "InitiateAuth", ["AuthFlow": "REFRESH_TOKEN_AUTH", "AuthParameters": ["REFRESH_TOKEN": refresh]])
            #expect(refreshed.errorType == "NotAuthorizedException", "refresh tokens from before the reset are ended")
        }
    }

    @Test func unknownUsersAreHiddenOrNamedAsTheClientSays() async throws {
        try await withCognate(environment: adminEnvironment) { app, _, _ async throws in
            let hiding = try await AccountFixture.make(app)
            let forgot = try await hiding.publicCall(app, "ForgotPassword", ["Username": "nobody"])
            #expect(forgot.status == .ok, "a simulated delivery, as for a real user")
            #expect((forgot.json["CodeDeliveryDetails"] as? [String: Any])?["DeliveryMedium"] as? String == "EMAIL")
            #expect(try await hiding.publicCall(app, "ResendConfirmationCode", ["Username": "nobody"]).status == .ok)
            #expect(try await hiding.publicCall(app, "ConfirmSignUp", ["Username": "nobody", "ConfirmationCode": "123456"]).errorType
                == "CodeMismatchException")
            #expect(try await hiding.publicCall(app, "ConfirmForgotPassword", ["Username": "nobody", "ConfirmationCode": "123456",
                                                                                "Password": "N3w-Passw0rd!"]).errorType == "CodeMismatchException")
            let legacy = try await AccountFixture.make(app, preventUserExistence: false)
            #expect(try await legacy.publicCall(app, "ForgotPassword", ["Username": "nobody"]).errorType == "UserNotFoundException")
            #expect(try await legacy.publicCall(app, "ConfirmSignUp", ["Username": "nobody", "ConfirmationCode": "123456"]).errorType
                == "UserNotFoundException")
            // a user with no verified address cannot be sent a reset code: told where users are named,
            // a simulated delivery where they are hidden
            _ = try await legacy.signUp(app, "kim")
            #expect(try await legacy.publicCall(app, "ForgotPassword", ["Username": "kim"]).errorType == "InvalidParameterException")
            _ = try await hiding.signUp(app, "kit")
            #expect(try await hiding.publicCall(app, "ForgotPassword", ["Username": "kit"]).status == .ok)
        }
    }

    @Test func wrongCodesRunOutAlikeForAnAccountAndANameNoOneHolds() async throws {
        try await withCognate(environment: adminEnvironment) { app, services, _ async throws in
            let fixture = try await AccountFixture.make(app)
            try await fixture.confirmedUser(app, services, "ruth")
            _ = try await fixture.signUp(app, "sam")  // unconfirmed, a code on its way
            for (name, unknown) in [("ruth", "nobody"), ("sam", "noone")] {
                var answers: [String: [String]] = [:]
                for candidate in [name, unknown] {
                    if name == "ruth" { _ = try await fixture.publicCall(app, "ForgotPassword", ["Username": candidate]) }
                    else { _ = try await fixture.publicCall(app, "ResendConfirmationCode", ["Username": candidate]) }
                    var seen: [String] = []
                    for _ in 0..<7 {
                        let answer = name == "ruth"
                            ? try await fixture.publicCall(app, "ConfirmForgotPassword", ["Username": candidate, "ConfirmationCode": "000000",
                                                                                            "Password": "N3w-Passw0rd!"])
                            : try await fixture.publicCall(app, "ConfirmSignUp", ["Username": candidate, "ConfirmationCode": "000000"])
                        seen.append(answer.errorType ?? "ok")
                    }
                    answers[candidate] = seen
                }
                #expect(answers[name] == answers[unknown], "\(name): \(answers)")
                #expect(answers[name]?.last == "TooManyFailedAttemptsException", "\(answers)")
            }
        }
    }

    @Test func refusalsOnlyAnAccountCouldGetAreHiddenAsTheClientSays() async throws {
        try await withCognate(environment: adminEnvironment) { app, services, _ async throws in
            for hidden in [true, false] {
                let fixture = try await AccountFixture.make(app, preventUserExistence: hidden)
                try await fixture.confirmedUser(app, services, "dot")
                _ = try await call(app, "AdminDisableUser", ["UserPoolId": fixture.poolId, "Username": "dot"])
                var answers: [String: [String]] = [:]
                for name in ["dot", "nobody"] {
                    func answer(_ operation: String, _ body: [String: String]) async throws -> String {
                        let response = try await fixture.publicCall(app, operation, body.merging(["Username": name]) { $1 })
                        let delivery = (response.json["CodeDeliveryDetails"] as? [String: Any])?["DeliveryMedium"] as? String
                        return "\(operation): \(response.errorType ?? delivery ?? "?")"
                    }
                    answers[name] = [
                        try await answer("ConfirmSignUp", ["ConfirmationCode": "123456"]),
                        try await answer("ResendConfirmationCode", [:]),
                        try await answer("ForgotPassword", [:]),
                        try await answer("ConfirmForgotPassword", ["ConfirmationCode": "123456", "Password": "N3w-Passw0rd!"]),
                        // a weak password is refused before the name is looked up
                        try await answer("ConfirmForgotPassword", ["ConfirmationCode": "123456", "Password": "weak"]),
                    ]
                }
                if hidden {
                    #expect(answers["dot"] == answers["nobody"], "a confirmed, disabled account is told apart: \(answers)")
                    #expect(answers["nobody"]?.last == "ConfirmForgotPassword: InvalidPasswordException")
                } else {
                    // LEGACY names users, as Cognito does
                    #expect(answers["dot"] == ["ConfirmSignUp: NotAuthorizedException", "ResendConfirmationCode: InvalidParameterException",
                                               "ForgotPassword: NotAuthorizedException", "ConfirmForgotPassword: NotAuthorizedException",
                                               "ConfirmForgotPassword: InvalidPasswordException"], "\(answers)")
                    #expect(answers["nobody"]?.first == "ConfirmSignUp: UserNotFoundException")
                }
            }
        }
    }

    @Test func theHourlySendLimitTellsNoAccountFromANameNoOneHolds() async throws {
        try await withCognate(environment: adminEnvironment) { app, services, _ async throws in
            let fixture = try await AccountFixture.make(app)
            try await fixture.confirmedUser(app, services, "kay")
            for name in ["kay", "nobody"] {
                var answers: [String] = []
                for _ in 0...AccountService.maxSendsPerWindow {
                    let answer = try await fixture.publicCall(app, "ForgotPassword", ["Username": name])
                    answers.append(answer.errorType ?? ((answer.json["CodeDeliveryDetails"] as? [String: Any])?["DeliveryMedium"] as? String ?? "?"))
                }
                #expect(answers == Array(repeating: "EMAIL", count: AccountService.maxSendsPerWindow) + ["LimitExceededException"], "\(name): \(answers)")
            }
        }
    }

    @Test func changePasswordNeedsThePreviousOneAndThePolicy() async throws {
        try await withCognate(environment: adminEnvironment) { app, services, _ async throws in
            let fixture = try await AccountFixture.make(app)
            try await fixture.confirmedUser(app, services, "lee")
            let otherDevice = try await fixture.signIn(app, "lee").result
            let signedIn = try await fixture.signIn(app, "lee").result
            let access = try #require(signedIn["AccessToken"] as? String)
            #expect(try await call(app, "ChangePassword", ["AccessToken": access, "PreviousPassword": "Wrong-Passw0rd!",
                                                           "ProposedPassword": "N3w-Passw0rd!"], signed: false).errorType == "NotAuthorizedException")
            #expect(try await call(app, "ChangePassword", ["AccessToken": access, "PreviousPassword": "Corr3ct-Horse!",
                                                           "ProposedPassword": "weak"], signed: false).errorType == "InvalidPasswordException")
            #expect(try await call(app, "ChangePassword", ["AccessToken": "not-a-token", "PreviousPassword": "Corr3ct-Horse!",
                                                           "ProposedPassword": "N3w-Passw0rd!"], signed: false).errorType == "NotAuthorizedException")
            #expect(try await call(app, "ChangePassword", ["AccessToken": access, "PreviousPassword": "Corr3ct-Horse!",
                                                           "ProposedPassword": "N3w-Passw0rd!"], signed: false).status == .ok)
            #expect(try await fixture.signIn(app, "lee", "N3w-Passw0rd!").status == .ok)
            // the caller's sign-in goes on; the other device's ends, refresh and access token alike
            #expect(try await call(app, "GetUser", ["AccessToken": access], signed: false).status == .ok)
            func refresh(_ tokens: [String: Any]) async throws -> APIAnswer {
                try await fixture.publicCall(app, "InitiateAuth", ["AuthFlow": "REFRESH_TOKEN_AUTH",
                                                                    "AuthParameters": ["REFRESH_TOKEN": tokens["RefreshToken"] as? String ?? ""]])
            }
            #expect(try await refresh(signedIn).status == .ok)
            #expect(try await refresh(otherDevice).errorType == "NotAuthorizedException")
            #expect(try await call(app, "GetUser", ["AccessToken": otherDevice["AccessToken"] as? String ?? ""], signed: false).errorType
                == "NotAuthorizedException")
        }
    }

    @Test func aPasswordSetByAnAdministratorEndsEverySignIn() async throws {
        try await withCognate(environment: adminEnvironment) { app, services, _ async throws in
            let fixture = try await AccountFixture.make(app)
            try await fixture.confirmedUser(app, services, "max")
            let tokens = try await fixture.signIn(app, "max").result
            #expect(try await call(app, "AdminSetUserPassword", ["UserPoolId": fixture.poolId, "Username": "max", "Password": "Adm1n-Set-Pass!",
                                                                 "Permanent": true]).status == .ok)
            let refreshed = try await fixture.publicCall(app, "InitiateAuth", ["AuthFlow": "REFRESH_TOKEN_AUTH",
                                                                                "AuthParameters": ["REFRESH_TOKEN": tokens["RefreshToken"] as? String ?? ""]])
            #expect(refreshed.errorType == "NotAuthorizedException")
            #expect(try await call(app, "GetUser", ["AccessToken": tokens["AccessToken"] as? String ?? ""], signed: false).errorType
                == "NotAuthorizedException")
            #expect(try await fixture.signIn(app, "max", "Adm1n-Set-Pass!").status == .ok)
        }
    }

    @Test func adminResetSendsACodeAndTheUserSetsANewPassword() async throws {
        let clock = TestClock()
        try await withCognate(environment: adminEnvironment, clock: clock) { app, services, _ async throws in
            let fixture = try await AccountFixture.make(app)
            try await fixture.confirmedUser(app, services, "mo")
            clock.advance(1)
            #expect(try await call(app, "AdminResetUserPassword", ["UserPoolId": fixture.poolId, "Username": "mo"]).status == .ok)
            #expect(try await fixture.signIn(app, "mo").errorType == "PasswordResetRequiredException")
            let code = try await fixture.lastCode(services, to: "mo@example.com")
            #expect(try await fixture.publicCall(app, "ConfirmForgotPassword", ["Username": "mo", "ConfirmationCode": code,
                                                                                 "Password": "N3w-Passw0rd!"]).status == .ok)
            #expect(try await fixture.signIn(app, "mo", "N3w-Passw0rd!").status == .ok)
            let user = try await call(app, "AdminGetUser", ["UserPoolId": fixture.poolId, "Username": "mo"])
            #expect(user.json["UserStatus"] as? String == "CONFIRMED")
        }
    }
}

@Suite struct AliasConfirmationTests {
    @Test func confirmingAnAddressAnotherAccountUsesNeedsForceAliasCreation() async throws {
        let clock = TestClock()
        try await withCognate(environment: adminEnvironment, clock: clock) { app, services, _ async throws in
            let pool = try await call(app, "CreateUserPool", ["PoolName": "alias-\(UUID().uuidString.prefix(6))", "AliasAttributes": ["email"],
                                                              "AutoVerifiedAttributes": ["email"]])
            let poolId = try #require((pool.json["UserPool"] as? [String: Any])?["Id"] as? String)
            let client = try await call(app, "CreateUserPoolClient", ["UserPoolId": poolId, "ClientName": "app",
                                                                      "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH"]])
            let fixture = AccountFixture(poolId: poolId, clientId: try #require((client.json["UserPoolClient"] as? [String: Any])?["ClientId"] as? String))
            try await fixture.confirmedUser(app, services, "ann", email: "shared@example.com")
            clock.advance(1)
            #expect(try await fixture.signUp(app, "ben", email: "shared@example.com").status == .ok, "an unverified address is no alias yet")
            let taken = try await fixture.publicCall(app, "ConfirmSignUp", ["Username": "ben", "ConfirmationCode": try await fixture.lastCode(services, to: "shared@example.com")])
            #expect(taken.errorType == "AliasExistsException")
            clock.advance(1)
            _ = try await fixture.publicCall(app, "ResendConfirmationCode", ["Username": "ben"])
            let forced = try await fixture.publicCall(app, "ConfirmSignUp", ["Username": "ben", "ForceAliasCreation": true,
                                                                             "ConfirmationCode": try await fixture.lastCode(services, to: "shared@example.com")])
            #expect(forced.status == .ok, "\(forced.json)")
            let ann = try await call(app, "AdminGetUser", ["UserPoolId": poolId, "Username": "ann"])
            let annAttributes = ann.json["UserAttributes"] as? [[String: Any]] ?? []
            #expect(annAttributes.contains { $0["Name"] as? String == "email_verified" && $0["Value"] as? String == "false" })
            let signedIn = try await fixture.signIn(app, "shared@example.com")
            let access = try #require(signedIn.result["AccessToken"] as? String, "\(signedIn.json)")
            #expect(try await call(app, "GetUser", ["AccessToken": access], signed: false).json["Username"] as? String == "ben")
        }
    }
}

@Suite struct AttributeAPITests {
    /// A confirmed user "vera" with a verified email, signed in; returns the access token.
    static func vera(_ app: Application, _ services: CognateServices, _ fixture: AccountFixture) async throws -> String {
        try await fixture.confirmedUser(app, services, "vera")
        return try #require(try await fixture.signIn(app, "vera").result["AccessToken"] as? String)
    }

    static func attributes(_ app: Application, _ access: String) async throws -> [String: String] {
        let list = try await call(app, "GetUser", ["AccessToken": access], signed: false).json["UserAttributes"] as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: list.compactMap { item in (item["Name"] as? String).map { ($0, item["Value"] as? String ?? "") } })
    }

    @Test func aChangedVerifiedEmailWaitsForItsCode() async throws {
        let clock = TestClock()
        try await withCognate(environment: adminEnvironment, clock: clock) { app, services, _ async throws in
            let fixture = try await AccountFixture.make(app)
            let access = try await Self.vera(app, services, fixture)
            let updated = try await call(app, "UpdateUserAttributes", ["AccessToken": access, "UserAttributes": [
                ["Name": "email", "Value": "vera.new@example.com"], ["Name": "name", "Value": "Vera"]]], signed: false)
            #expect((updated.json["CodeDeliveryDetailsList"] as? [[String: Any]])?.first?["Destination"] as? String == "v***@e***")
            var now = try await Self.attributes(app, access)
            #expect(now["email"] == "vera@example.com" && now["email_verified"] == "true", "the old address stays in use")
            #expect(now["name"] == "Vera", "other attributes change at once")
            #expect(try await call(app, "VerifyUserAttribute", ["AccessToken": access, "AttributeName": "email", "Code": "000000"],
                                   signed: false).errorType == "CodeMismatchException")
            // a new code goes to the address waiting for verification
            clock.advance(1)
            let resent = try await call(app, "GetUserAttributeVerificationCode", ["AccessToken": access, "AttributeName": "email"], signed: false)
            #expect((resent.json["CodeDeliveryDetails"] as? [String: Any])?["AttributeName"] as? String == "email")
            let code = try await fixture.lastCode(services, to: "vera.new@example.com")
            #expect(try await call(app, "VerifyUserAttribute", ["AccessToken": access, "AttributeName": "email", "Code": code], signed: false).status == .ok)
            now = try await Self.attributes(app, access)
            #expect(now["email"] == "vera.new@example.com" && now["email_verified"] == "true")
        }
    }

    @Test func poolsThatDoNotWaitChangeAtOnceUnverified() async throws {
        try await withCognate(environment: adminEnvironment) { app, services, _ async throws in
            let fixture = try await AccountFixture.make(app)
            let pool = try #require(try await services.store.pool(id: fixture.poolId))
            _ = try await call(app, "UpdateUserPool", ["UserPoolId": fixture.poolId, "AutoVerifiedAttributes": ["email"],
                                                       "UserAttributeUpdateSettings": ["AttributesRequireVerificationBeforeUpdate": []]])
            #expect(try await services.store.pool(id: pool.id)?.verifiedBeforeUpdate == [])
            let access = try await Self.vera(app, services, fixture)
            _ = try await call(app, "UpdateUserAttributes", ["AccessToken": access, "UserAttributes": [["Name": "email", "Value": "v2@example.com"]]], signed: false)
            var now = try await Self.attributes(app, access)
            #expect(now["email"] == "v2@example.com" && now["email_verified"] == "false")
            let code = try await fixture.lastCode(services, to: "v2@example.com")
            _ = try await call(app, "VerifyUserAttribute", ["AccessToken": access, "AttributeName": "email", "Code": code], signed: false)
            now = try await Self.attributes(app, access)
            #expect(now["email_verified"] == "true")
        }
    }

    @Test func attributesThatCannotBeChangedOrDeleted() async throws {
        try await withCognate(environment: adminEnvironment) { app, services, _ async throws in
            let fixture = try await AccountFixture.make(app)
            let access = try await Self.vera(app, services, fixture)
            #expect(try await call(app, "UpdateUserAttributes", ["AccessToken": access, "UserAttributes": [["Name": "email_verified", "Value": "true"]]],
                                   signed: false).errorType == "NotAuthorizedException")
            #expect(try await call(app, "DeleteUserAttributes", ["AccessToken": access, "UserAttributeNames": ["email_verified"]], signed: false).errorType
                == "NotAuthorizedException")
            #expect(try await call(app, "DeleteUserAttributes", ["AccessToken": access, "UserAttributeNames": ["email"]], signed: false).errorType
                == "InvalidParameterException", "email is required in this pool")
            _ = try await call(app, "UpdateUserAttributes", ["AccessToken": access, "UserAttributes": [["Name": "name", "Value": "Vera"]]], signed: false)
            #expect(try await call(app, "DeleteUserAttributes", ["AccessToken": access, "UserAttributeNames": ["name"]], signed: false).status == .ok)
            #expect(try await Self.attributes(app, access)["name"] == nil)
            #expect(try await call(app, "UpdateUserPool", ["UserPoolId": fixture.poolId, "UserAttributeUpdateSettings": [
                "AttributesRequireVerificationBeforeUpdate": ["name"]]]).errorType == "InvalidParameterException")
        }
    }
}
