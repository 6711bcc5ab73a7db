@testable import CognateCognitoAPI
import CognateCore
import CognateModel
@testable import CognateWeb
import Crypto
import Foundation
import JWTKit
import Testing
import VaporTesting

/// A pool with one confirmed user and a client with a secret that allows the password flows.
struct SignInFixture {
    var poolId: String
    var clientId: String
    var secret: String

    static func make(_ app: Application, rotation: Bool = false, preventUserExistence: Bool = true) async throws -> SignInFixture {
        let poolId = try #require((try await call(app, "CreateUserPool", ["PoolName": "signin-\(UUID().uuidString.prefix(6))", "AliasAttributes": ["email"]])
            .json["UserPool"] as? [String: Any])?["Id"] as? String)
        let client = try #require(try await call(app, "CreateUserPoolClient", [
            "UserPoolId": poolId, "ClientName": "app", "GenerateSecret": true,
            "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            "RefreshTokenRotation": ["Feature": rotation ? "ENABLED" : "DISABLED"],
            "PreventUserExistenceErrors": preventUserExistence ? "ENABLED" : "LEGACY",
        ]).json["UserPoolClient"] as? [String: Any])
        let fixture = SignInFixture(poolId: poolId, clientId: try #require(client["ClientId"] as? String), secret: try #require(client["ClientSecret"] as? String))
        _ = try await call(app, "AdminCreateUser", ["UserPoolId": poolId, "Username": "alice", "MessageAction": "SUPPRESS",
                                                    "TemporaryPassword": "Temp-Passw0rd!",
                                                    "UserAttributes": [["Name": "email", "Value": "alice@example.com"], ["Name": "email_verified", "Value": "true"]]])
        _ = try await call(app, "AdminSetUserPassword", ["UserPoolId": poolId, "Username": "alice", "Password": "Corr3ct-Horse!", "Permanent": true])
        return fixture
    }

    func secretHash(_ username: String) -> String {
        SecretHash.compute(secret: secret, username: username, clientId: clientId)
    }

    func signIn(_ app: Application, _ username: String = "alice", _ password: String = "Corr3ct-Horse!", hash: String? = nil) async throws -> APIAnswer {
        try await call(app, "InitiateAuth", ["ClientId": clientId, "AuthFlow": "USER_PASSWORD_AUTH",
                                             "AuthParameters": ["USERNAME": username, "PASSWORD": password, "SECRET_HASH": hash ?? secretHash(username)]],
                       signed: false)
    }
}

extension APIAnswer {
    var result: [String: Any] { json["AuthenticationResult"] as? [String: Any] ?? [:] }
}

func claims(of token: String) throws -> [String: Any] {
    let payload = try #require(token.split(separator: ".").dropFirst().first)
    let data = try #require(Data(lenientBase64: payload))
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
}

@Suite struct SignInAPITests {
    @Test func passwordSignInIssuesCognitosTokens() async throws {
        try await withCognate(environment: adminEnvironment) { app, services, _ async throws in
            let fixture = try await SignInFixture.make(app)
            _ = try await call(app, "CreateGroup", ["UserPoolId": fixture.poolId, "GroupName": "staff", "Precedence": 1])
            _ = try await call(app, "AdminAddUserToGroup", ["UserPoolId": fixture.poolId, "Username": "alice", "GroupName": "staff"])
            // when
            let answer = try await fixture.signIn(app)
            // then
            #expect(answer.status == .ok)
            #expect(answer.result["TokenType"] as? String == "Bearer" && answer.result["ExpiresIn"] as? Int == 3600)
            let id = try claims(of: try #require(answer.result["IdToken"] as? String))
            let access = try claims(of: try #require(answer.result["AccessToken"] as? String))
            let now = Int(services.now().timeIntervalSince1970)
            #expect(id["iss"] as? String == "https://id.example.test/\(fixture.poolId)")
            #expect(id["aud"] as? String == fixture.clientId && id["token_use"] as? String == "id")
            #expect(id["cognito:username"] as? String == "alice" && id["email"] as? String == "alice@example.com")
            #expect(id["email_verified"] as? Bool == true && id["cognito:groups"] as? [String] == ["staff"])
            #expect(id["exp"] as? Int == now + 3600 && id["iat"] as? Int == now && id["auth_time"] as? Int == now)
            #expect(access["client_id"] as? String == fixture.clientId && access["token_use"] as? String == "access")
            #expect(access["aud"] == nil && access["version"] as? Int == 2 && access["scope"] as? String == "aws.cognito.signin.user.admin")
            #expect(access["origin_jti"] as? String == id["origin_jti"] as? String && access["jti"] as? String != id["jti"] as? String)
            // the tokens verify against the published JWKS
            let jwks = try await app.testing().sendRequest(.GET, "/\(fixture.poolId)/.well-known/jwks.json")
            let keys = JWTKeyCollection()
            try await keys.add(jwksJSON: String(buffer: jwks.body))
            _ = try await keys.verify(try #require(answer.result["AccessToken"] as? String), as: TokenClaims.self)
            // and GetUser answers for the access token
            let user = try await call(app, "GetUser", ["AccessToken": answer.result["AccessToken"] as Any], signed: false)
            #expect(user.json["Username"] as? String == "alice")
        }
    }

    @Test func wrongPasswordUnknownUserAndDisabledUserAreAlike() async throws {
        try await withCognate(environment: adminEnvironment) { app, _, _ async throws in
            let fixture = try await SignInFixture.make(app)
            let wrong = try await fixture.signIn(app, "alice", "Wrong-Passw0rd!")
            let unknown = try await fixture.signIn(app, "mallory", "Wrong-Passw0rd!")
            #expect(wrong.errorType == "NotAuthorizedException" && unknown.errorType == "NotAuthorizedException")
            #expect(wrong.json["message"] as? String == unknown.json["message"] as? String)
            _ = try await call(app, "AdminDisableUser", ["UserPoolId": fixture.poolId, "Username": "alice"])
            #expect(try await fixture.signIn(app).errorType == "NotAuthorizedException")
        }
    }

    @Test func legacyClientsSayWhenAUserDoesNotExist() async throws {
        try await withCognate(environment: adminEnvironment) { app, _, _ async throws in
            let fixture = try await SignInFixture.make(app, preventUserExistence: false)
            #expect(try await fixture.signIn(app, "mallory", "Wrong-Passw0rd!").errorType == "UserNotFoundException")
        }
    }

    @Test func secretHashIsRequiredAndChecked() async throws {
        try await withCognate(environment: adminEnvironment) { app, _, _ async throws in
            let fixture = try await SignInFixture.make(app)
            #expect(try await fixture.signIn(app, hash: "bm90IHRoZSBoYXNo").errorType == "NotAuthorizedException")
            let missing = try await call(app, "InitiateAuth", ["ClientId": fixture.clientId, "AuthFlow": "USER_PASSWORD_AUTH",
                                                               "AuthParameters": ["USERNAME": "alice", "PASSWORD": "Corr3ct-Horse!"]], signed: false)
            #expect((missing.json["message"] as? String)?.contains("SECRET_HASH was not received") == true)
        }
    }

    @Test func flowsTheClientDoesNotAllowAreRefused() async throws {
        try await withCognate(environment: adminEnvironment) { app, _, _ async throws in
            let fixture = try await SignInFixture.make(app)
            _ = try await call(app, "UpdateUserPoolClient", ["UserPoolId": fixture.poolId, "ClientId": fixture.clientId,
                                                             "ExplicitAuthFlows": ["ALLOW_REFRESH_TOKEN_AUTH"]])
            #expect(try await fixture.signIn(app).errorType == "InvalidParameterException")
            #expect(try await call(app, "InitiateAuth", ["ClientId": "nosuchclient", "AuthFlow": "USER_PASSWORD_AUTH"], signed: false).errorType == "ResourceNotFoundException")
        }
    }

    @Test func aWrongSecretDoesNotBurnARotatingRefreshToken() async throws {
        try await withCognate(environment: adminEnvironment) { app, _, _ async throws in
            let fixture = try await SignInFixture.make(app, rotation: true)
            let refresh = try #require(try await fixture.signIn(app).result["RefreshToken"] as? String)
            func refreshWith(_ secret: String?) async throws -> APIAnswer {
                var input: [String: Any] = ["ClientId": fixture.clientId, "RefreshToken": refresh]
                input["ClientSecret"] = secret
                return try await call(app, "GetTokensFromRefreshToken", input, signed: false)
            }
            let wrong = try await refreshWith("notTheSecretOfThisClientAtAll")
            #expect(wrong.errorType == "NotAuthorizedException", "\(wrong.json)")
            #expect(try await refreshWith(nil).errorType == "NotAuthorizedException")
            // as Cognito: a rotating client does not renew through REFRESH_TOKEN_AUTH (and that burns nothing either)
            let old = try await call(app, "InitiateAuth", ["ClientId": fixture.clientId, "AuthFlow": "REFRESH_TOKEN_AUTH",
                                                           "AuthParameters": ["REFRESH_TOKEN": refresh, "SECRET_HASH": fixture.secretHash("alice")]],
                                     signed: false)
            #expect(old.errorType == "NotAuthorizedException" && (old.json["message"] as? String)?.contains("GetTokensFromRefreshToken") == true)
            let right = try await refreshWith(fixture.secret)
            #expect(right.result["AccessToken"] != nil && right.result["RefreshToken"] != nil, "\(right.json)")
        }
    }

    @Test func challengeAnswersNeedTheFlowThatAsksThem() async throws {
        try await withCognate(environment: adminEnvironment) { app, _, _ async throws in
            let fixture = try await SignInFixture.make(app)
            _ = try await call(app, "AdminCreateUser", ["UserPoolId": fixture.poolId, "Username": "bob", "MessageAction": "SUPPRESS", "TemporaryPassword": "Temp-Passw0rd!"])
            let session = try #require(try await fixture.signIn(app, "bob", "Temp-Passw0rd!").json["Session"] as? String)
            // the client allows passwords, not SRP: an SRP answer is refused before anything is checked
            let srp = try await call(app, "RespondToAuthChallenge", ["ClientId": fixture.clientId, "ChallengeName": "PASSWORD_VERIFIER",
                                                                     "ChallengeResponses": ["USERNAME": "bob", "PASSWORD_CLAIM_SECRET_BLOCK": "x",
                                                                                            "PASSWORD_CLAIM_SIGNATURE": "y", "TIMESTAMP": "z"]], signed: false)
            #expect(srp.errorType == "InvalidParameterException")
            // with no password flow left, the pending NEW_PASSWORD_REQUIRED answer is refused too
            _ = try await call(app, "UpdateUserPoolClient", ["UserPoolId": fixture.poolId, "ClientId": fixture.clientId,
                                                             "ExplicitAuthFlows": ["ALLOW_REFRESH_TOKEN_AUTH"]])
            let answer = try await call(app, "RespondToAuthChallenge", ["ClientId": fixture.clientId, "ChallengeName": "NEW_PASSWORD_REQUIRED", "Session": session,
                                                                        "ChallengeResponses": ["USERNAME": "bob", "NEW_PASSWORD": "N3w-Passw0rd!",
                                                                                               "SECRET_HASH": fixture.secretHash("bob")]], signed: false)
            #expect(answer.errorType == "InvalidParameterException")
        }
    }

    @Test func temporaryPasswordLeadsToNewPasswordChallenge() async throws {
        try await withCognate(environment: adminEnvironment) { app, services, _ async throws in
            let fixture = try await SignInFixture.make(app)
            _ = try await call(app, "AdminCreateUser", ["UserPoolId": fixture.poolId, "Username": "bob", "MessageAction": "SUPPRESS", "TemporaryPassword": "Temp-Passw0rd!"])
            let challenge = try await fixture.signIn(app, "bob", "Temp-Passw0rd!")
            #expect(challenge.json["ChallengeName"] as? String == "NEW_PASSWORD_REQUIRED")
            let session = try #require(challenge.json["Session"] as? String)
            func respond(_ password: String, session: String) async throws -> APIAnswer {
                try await call(app, "RespondToAuthChallenge", ["ClientId": fixture.clientId, "ChallengeName": "NEW_PASSWORD_REQUIRED", "Session": session,
                                                               "ChallengeResponses": ["USERNAME": "bob", "NEW_PASSWORD": password, "SECRET_HASH": fixture.secretHash("bob")]], signed: false)
            }
            #expect(try await respond("weak", session: session).errorType == "InvalidPasswordException")
            #expect(try await respond("N3w-Passw0rd!", session: "tampered" + session).errorType == "NotAuthorizedException")
            let done = try await respond("N3w-Passw0rd!", session: session)
            #expect(done.result["AccessToken"] != nil)
            #expect(try await respond("Oth3r-Passw0rd!", session: session).errorType == "NotAuthorizedException", "a session is good for one answer")
            #expect(try await fixture.signIn(app, "bob", "N3w-Passw0rd!").result["AccessToken"] != nil)
            _ = services
        }
    }

    @Test func challengeSessionsAndTemporaryPasswordsExpire() async throws {
        let clock = TestClock()
        try await withCognate(environment: adminEnvironment, clock: clock) { app, _, _ async throws in
            let fixture = try await SignInFixture.make(app)
            _ = try await call(app, "AdminCreateUser", ["UserPoolId": fixture.poolId, "Username": "carl", "MessageAction": "SUPPRESS", "TemporaryPassword": "Temp-Passw0rd!"])
            let session = try #require(try await fixture.signIn(app, "carl", "Temp-Passw0rd!").json["Session"] as? String)
            clock.advance(3 * 60 + 1)  // the client's AuthSessionValidity: 3 minutes
            let late = try await call(app, "RespondToAuthChallenge", ["ClientId": fixture.clientId, "ChallengeName": "NEW_PASSWORD_REQUIRED", "Session": session,
                                                                      "ChallengeResponses": ["USERNAME": "carl", "NEW_PASSWORD": "N3w-Passw0rd!", "SECRET_HASH": fixture.secretHash("carl")]], signed: false)
            #expect(late.errorType == "NotAuthorizedException")
            clock.advance(7 * 86_400)  // the pool's temporary password validity
            let expired = try await fixture.signIn(app, "carl", "Temp-Passw0rd!")
            #expect((expired.json["message"] as? String)?.contains("Temporary password has expired") == true)
        }
    }

    @Test func refreshRotationAndReuseDetection() async throws {
        try await withCognate(environment: adminEnvironment) { app, _, _ async throws in
            let fixture = try await SignInFixture.make(app, rotation: true)
            let first = try #require(try await fixture.signIn(app).result["RefreshToken"] as? String)
            func refresh(_ token: String) async throws -> APIAnswer {
                try await call(app, "GetTokensFromRefreshToken", ["ClientId": fixture.clientId, "ClientSecret": fixture.secret, "RefreshToken": token],
                               signed: false)
            }
            let rotated = try await refresh(first)
            let second = try #require(rotated.result["RefreshToken"] as? String)
            #expect(second != first)
            // the old token comes back: the whole family ends, the new token included
            #expect(try await refresh(first).errorType == "NotAuthorizedException")
            #expect(try await refresh(second).errorType == "NotAuthorizedException")
            let access = try #require(rotated.result["AccessToken"] as? String)
            #expect(try await call(app, "GetUser", ["AccessToken": access], signed: false).errorType == "NotAuthorizedException")
        }
    }

    @Test func revokeTokenAndGlobalSignOutEndTokens() async throws {
        try await withCognate(environment: adminEnvironment) { app, _, _ async throws in
            let fixture = try await SignInFixture.make(app)
            let one = try await fixture.signIn(app)
            let two = try await fixture.signIn(app)
            // RevokeToken ends one sign-in's refresh token and its access tokens, not the other's
            #expect(try await call(app, "RevokeToken", ["ClientId": fixture.clientId, "ClientSecret": "wrongwrongwrongwrongwrong", "Token": one.result["RefreshToken"] as Any], signed: false).errorType == "NotAuthorizedException")
            #expect(try await call(app, "RevokeToken", ["ClientId": fixture.clientId, "ClientSecret": fixture.secret, "Token": one.result["RefreshToken"] as Any], signed: false).status == .ok)
            #expect(try await call(app, "GetUser", ["AccessToken": one.result["AccessToken"] as Any], signed: false).errorType == "NotAuthorizedException")
            #expect(try await call(app, "GetUser", ["AccessToken": two.result["AccessToken"] as Any], signed: false).status == .ok)
            // GlobalSignOut ends every token of the user
            _ = try await call(app, "GlobalSignOut", ["AccessToken": two.result["AccessToken"] as Any], signed: false)
            #expect(try await call(app, "GetUser", ["AccessToken": two.result["AccessToken"] as Any], signed: false).errorType == "NotAuthorizedException")
            let refreshed = try await call(app, "InitiateAuth", ["ClientId": fixture.clientId, "AuthFlow": "REFRESH_TOKEN_AUTH",
                                                                 "AuthParameters": ["REFRESH_TOKEN": two.result["RefreshToken"] as Any, "SECRET_HASH": fixture.secretHash("alice")]], signed: false)
            #expect(refreshed.errorType == "NotAuthorizedException")
            // and a new sign-in works again
            #expect(try await fixture.signIn(app).status == .ok)
        }
    }

    @Test func forgedAndForeignTokensAreRefused() async throws {
        try await withCognate(environment: adminEnvironment) { app, _, _ async throws in
            let fixture = try await SignInFixture.make(app)
            let access = try #require(try await fixture.signIn(app).result["AccessToken"] as? String)
            let idToken = try #require(try await fixture.signIn(app).result["IdToken"] as? String)
            var parts = access.split(separator: ".").map(String.init)
            var payload = try claims(of: access)
            payload["username"] = "admin"
            parts[1] = try JSONSerialization.data(withJSONObject: payload).base64URLEncoded
            for token in [parts.joined(separator: "."), idToken, "not.a.token", access + "x"] {
                #expect(try await call(app, "GetUser", ["AccessToken": token], signed: false).errorType == "NotAuthorizedException")
            }
            // alg=none is never accepted
            let header = Data(#"{"alg":"none","kid":"x"}"#.utf8).base64URLEncoded
            #expect(try await call(app, "GetUser", ["AccessToken": "\(header).\(parts[1])."], signed: false).errorType == "NotAuthorizedException")
        }
    }

    @Test func importedBcryptHashIsUpgradedAtSignIn() async throws {
        let yaml = """
            pools:
              - name: imported
                id: local_Imported1
                clients:
                  - name: app
                    id: importedclient000000000000
                    explicitAuthFlows: [ALLOW_USER_PASSWORD_AUTH]
                users:
                  - username: legacy
                    passwordHash: "$2b$06$FA44e/9rP/AaAaSPq5mQGutcK8s2r1tTBxGdnSL6n4pdGTqzZF8.W"
            """
        try await withCognate(environment: adminEnvironment, configYAML: yaml) { app, services, _ async throws in
            let before = try #require(try await services.store.user(poolId: "local_Imported1", identifierKey: "legacy"))
            #expect(before.passwordHash?.hasPrefix("$2b$") == true)
            let answer = try await call(app, "InitiateAuth", ["ClientId": "importedclient000000000000", "AuthFlow": "USER_PASSWORD_AUTH",
                                                              "AuthParameters": ["USERNAME": "legacy", "PASSWORD": "hunter2"]], signed: false)
            #expect(answer.result["AccessToken"] != nil)
            let after = try #require(try await services.store.user(poolId: "local_Imported1", identifierKey: "legacy"))
            #expect(after.passwordHash?.hasPrefix("$argon2id$") == true)
            #expect(try await services.hasher.verify("hunter2", against: after.passwordHash!).isMatch)
        }
    }
}

@Suite struct RetiredKeyTests {
    @Test func tokensOfARetiredKeyVerifyUntilTheHorizonThenNot() async throws {
        let clock = TestClock()
        try await withCognate(environment: adminEnvironment, clock: clock) { app, services, _ async throws in
            let fixture = try await SignInFixture.make(app)
            let access = try #require(try await fixture.signIn(app).result["AccessToken"] as? String)
            try await services.keyring.rotate(poolId: fixture.poolId)
            _ = try await services.tokens.verifyAccessToken(access)
            clock.advance(3_601)
            await #expect(throws: TokenError.invalidToken("key retired")) { try await services.tokens.verifyAccessToken(access) }
        }
    }
}
