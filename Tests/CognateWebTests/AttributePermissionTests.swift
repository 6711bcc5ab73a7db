@testable import CognateCognitoAPI
import CognateCore
import CognateModel
@testable import CognateWeb
import Foundation
import Testing
import VaporTesting

/// The app client's ReadAttributes and WriteAttributes, enforced wherever a user reads or writes.
@Suite struct AttributePermissionTests {
    static let refusal = "A client attempted to write unauthorized attribute"

    /// A pool with custom:role; a restricted client (writes email and name; reads email, its
    /// flag and name) and an unrestricted one; a confirmed user "rita" whose role an admin set.
    struct Fixture {
        var poolId: String
        var restricted: String
        var open: String

        static func make(_ app: Application) async throws -> Fixture {
            let poolId = try #require((try await call(app, "CreateUserPool", [
                "PoolName": "perm-\(UUID().uuidString.prefix(6))",
                "Schema": [["Name": "role", "AttributeDataType": "String", "Mutable": true]],
            ]).json["UserPool"] as? [String: Any])?["Id"] as? String)
            func client(_ name: String, _ extra: [String: Any]) async throws -> String {
                let answer = try await call(app, "CreateUserPoolClient", [
                    "UserPoolId": poolId, "ClientName": name,
                    "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                ].merging(extra) { $1 })
                return try #require((answer.json["UserPoolClient"] as? [String: Any])?["ClientId"] as? String, "\(answer.json)")
            }
            let fixture = Fixture(
                poolId: poolId,
                restricted: try await client("restricted", ["WriteAttributes": ["email", "name"], "ReadAttributes": ["email", "email_verified", "name"]]),
                open: try await client("open", [:]))
            _ = try await call(app, "AdminCreateUser", ["UserPoolId": poolId, "Username": "rita", "MessageAction": "SUPPRESS",
                                                        "UserAttributes": [["Name": "email", "Value": "rita@example.com"], ["Name": "email_verified", "Value": "True"],
                                                                           ["Name": "custom:role", "Value": "reader"]]])
            _ = try await call(app, "AdminSetUserPassword", ["UserPoolId": poolId, "Username": "rita", "Password": "Corr3ct-Horse!", "Permanent": true])
            return fixture
        }

        func access(_ app: Application, _ clientId: String, _ username: String = "rita") async throws -> APIAnswer {
            try await call(app, "InitiateAuth", ["ClientId": clientId, "AuthFlow": "USER_PASSWORD_AUTH",
                                                 "AuthParameters": ["USERNAME": username, "PASSWORD": "Corr3ct-Horse!"]], signed: false)
        }
    }

    static func attributes(_ answer: APIAnswer) -> [String: String] {
        let list = answer.json["UserAttributes"] as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: list.compactMap { item in (item["Name"] as? String).map { ($0, item["Value"] as? String ?? "") } })
    }

    @Test func signUpWritesOnlyWhatTheClientMay() async throws {
        try await withCognate(environment: adminEnvironment) { app, _, _ async throws in
            let fixture = try await Fixture.make(app)
            for (client, attributes) in [(fixture.restricted, [["Name": "custom:role", "Value": "admin"]]),
                                         (fixture.open, [["Name": "email_verified", "Value": "true"]]),
                                         (fixture.open, [["Name": "phone_number_verified", "Value": "true"]])] {
                let answer = try await call(app, "SignUp", ["ClientId": client, "Username": "sly", "Password": "Corr3ct-Horse!",
                                                            "UserAttributes": [["Name": "email", "Value": "sly@example.com"]] + attributes], signed: false)
                #expect(answer.errorType == "NotAuthorizedException" && answer.json["message"] as? String == Self.refusal, "\(attributes)")
            }
            #expect(try await call(app, "AdminGetUser", ["UserPoolId": fixture.poolId, "Username": "sly"]).errorType == "UserNotFoundException",
                    "a refused sign-up makes nothing")
            // the open client (no lists) may write custom attributes, as in Cognito
            let allowed = try await call(app, "SignUp", ["ClientId": fixture.open, "Username": "sly", "Password": "Corr3ct-Horse!",
                                                         "UserAttributes": [["Name": "email", "Value": "sly@example.com"], ["Name": "custom:role", "Value": "x"]]],
                                         signed: false)
            #expect(allowed.status == .ok)
        }
    }

    @Test func updatesAndDeletesWriteOnlyWhatTheTokensClientMay() async throws {
        try await withCognate(environment: adminEnvironment) { app, _, _ async throws in
            let fixture = try await Fixture.make(app)
            let restricted = try #require(try await fixture.access(app, fixture.restricted).result["AccessToken"] as? String)
            let update = try await call(app, "UpdateUserAttributes", ["AccessToken": restricted, "UserAttributes": [
                ["Name": "name", "Value": "Rita"], ["Name": "custom:role", "Value": "admin"]]], signed: false)
            #expect(update.errorType == "NotAuthorizedException" && update.json["message"] as? String == Self.refusal)
            let delete = try await call(app, "DeleteUserAttributes", ["AccessToken": restricted, "UserAttributeNames": ["custom:role"]], signed: false)
            #expect(delete.errorType == "NotAuthorizedException")
            let admin = try await call(app, "AdminGetUser", ["UserPoolId": fixture.poolId, "Username": "rita"])
            #expect(Self.attributes(admin)["custom:role"] == "reader" && Self.attributes(admin)["name"] == nil, "a refused request changes nothing")
            #expect(try await call(app, "UpdateUserAttributes", ["AccessToken": restricted, "UserAttributes": [["Name": "name", "Value": "Rita"]]],
                                   signed: false).status == .ok)
            // the verification flags are never the user's to write, even through a client without lists
            let open = try #require(try await fixture.access(app, fixture.open).result["AccessToken"] as? String)
            #expect(try await call(app, "UpdateUserAttributes", ["AccessToken": open, "UserAttributes": [["Name": "email_verified", "Value": "false"]]],
                                   signed: false).errorType == "NotAuthorizedException")
            // the admin operations are not limited by the lists
            #expect(try await call(app, "AdminUpdateUserAttributes", ["UserPoolId": fixture.poolId, "Username": "rita",
                                                                     "UserAttributes": [["Name": "custom:role", "Value": "editor"]]]).status == .ok)
        }
    }

    @Test func tokensAndGetUserShowOnlyWhatTheClientMayRead() async throws {
        try await withCognate(environment: adminEnvironment) { app, _, _ async throws in
            let fixture = try await Fixture.make(app)
            let restricted = try await fixture.access(app, fixture.restricted).result
            let idClaims = try claims(of: try #require(restricted["IdToken"] as? String))
            #expect(idClaims["email"] as? String == "rita@example.com" && idClaims["email_verified"] as? Bool == true)
            #expect(idClaims["custom:role"] == nil, "the restricted client does not read custom:role")
            let user = Self.attributes(try await call(app, "GetUser", ["AccessToken": try #require(restricted["AccessToken"] as? String)], signed: false))
            #expect(user["email"] == "rita@example.com" && user["custom:role"] == nil && user["sub"] != nil)

            let open = try await fixture.access(app, fixture.open).result
            #expect(try claims(of: try #require(open["IdToken"] as? String))["custom:role"] as? String == "reader")
            #expect(Self.attributes(try await call(app, "GetUser", ["AccessToken": try #require(open["AccessToken"] as? String)], signed: false))["custom:role"]
                == "reader")
            // the admin sees everything
            #expect(Self.attributes(try await call(app, "AdminGetUser", ["UserPoolId": fixture.poolId, "Username": "rita"]))["custom:role"] == "reader")
        }
    }

    @Test func theNewPasswordAnswerWritesOnlyWhatTheClientMay() async throws {
        try await withCognate(environment: adminEnvironment) { app, _, _ async throws in
            let fixture = try await Fixture.make(app)
            _ = try await call(app, "AdminCreateUser", ["UserPoolId": fixture.poolId, "Username": "newbie", "MessageAction": "SUPPRESS",
                                                        "TemporaryPassword": "Temp-Passw0rd!",
                                                        "UserAttributes": [["Name": "email", "Value": "newbie@example.com"]]])
            func answer(_ clientId: String, _ attributes: [String: String]) async throws -> APIAnswer {
                let started = try await call(app, "InitiateAuth", ["ClientId": clientId, "AuthFlow": "USER_PASSWORD_AUTH",
                                                                   "AuthParameters": ["USERNAME": "newbie", "PASSWORD": "Temp-Passw0rd!"]], signed: false)
                var responses = ["USERNAME": "newbie", "NEW_PASSWORD": "N3w-Passw0rd!!"]
                for (name, value) in attributes { responses["userAttributes.\(name)"] = value }
                return try await call(app, "RespondToAuthChallenge", ["ClientId": clientId, "ChallengeName": "NEW_PASSWORD_REQUIRED",
                                                                      "Session": try #require(started.json["Session"] as? String),
                                                                      "ChallengeResponses": responses], signed: false)
            }
            // an admin-made user cannot claim the address as verified (an account-takeover path)
            let claimed = try await answer(fixture.open, ["email_verified": "true"])
            #expect(claimed.errorType == "NotAuthorizedException" && claimed.json["message"] as? String == Self.refusal)
            #expect(try await answer(fixture.restricted, ["custom:role": "admin"]).errorType == "NotAuthorizedException")
            let admin = Self.attributes(try await call(app, "AdminGetUser", ["UserPoolId": fixture.poolId, "Username": "newbie"]))
            #expect(admin["email_verified"] == nil && admin["custom:role"] == nil)
            #expect(try await answer(fixture.restricted, ["name": "New Bie"]).result["AccessToken"] != nil)
        }
    }

    @Test func clientListsAreCheckedAgainstThePool() async throws {
        try await withCognate(environment: adminEnvironment) { app, _, _ async throws in
            let fixture = try await Fixture.make(app)
            for lists in [["WriteAttributes": ["email_verified"]], ["WriteAttributes": ["custom:nope"]], ["ReadAttributes": ["shoe_size"]]] {
                let answer = try await call(app, "CreateUserPoolClient", ["UserPoolId": fixture.poolId, "ClientName": "bad"].merging(lists) { $1 })
                #expect(answer.errorType == "InvalidParameterException", "\(lists)")
            }
            let readsFlags = try await call(app, "CreateUserPoolClient", ["UserPoolId": fixture.poolId, "ClientName": "ok",
                                                                         "ReadAttributes": ["email_verified", "custom:role"]])
            #expect(readsFlags.status == .ok)
            // Cognito's legacy flow names: SRP and refresh stay allowed; they do not mix with ALLOW_ names
            let legacy = try await call(app, "CreateUserPoolClient", ["UserPoolId": fixture.poolId, "ClientName": "legacy",
                                                                     "ExplicitAuthFlows": ["USER_PASSWORD_AUTH"]])
            let flows = (legacy.json["UserPoolClient"] as? [String: Any])?["ExplicitAuthFlows"] as? [String] ?? []
            #expect(Set(flows) == ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
            #expect(try await call(app, "CreateUserPoolClient", ["UserPoolId": fixture.poolId, "ClientName": "mixed",
                                                                 "ExplicitAuthFlows": ["USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH"]]).errorType
                == "InvalidParameterException")
            // booleans in any case, kept as true and false
            #expect(Self.attributes(try await call(app, "AdminGetUser", ["UserPoolId": fixture.poolId, "Username": "rita"]))["email_verified"] == "true")
        }
    }
}
