@testable import CognateCognitoAPI
import CognateCore
import CognateModel
@testable import CognateWeb
import Foundation
import Testing
import VaporTesting

@Suite struct UserOperationTests {
    static func pool(_ app: Application, _ extra: [String: Any] = [:]) async throws -> String {
        var input: [String: Any] = ["PoolName": "users-\(UUID().uuidString.prefix(8))", "AliasAttributes": ["email"]]
        input.merge(extra) { $1 }
        return try #require((try await call(app, "CreateUserPool", input).json["UserPool"] as? [String: Any])?["Id"] as? String)
    }

    static func attributes(_ answer: APIAnswer, _ key: String = "UserAttributes") -> [String: String] {
        Dictionary(uniqueKeysWithValues: (answer.json[key] as? [[String: Any]] ?? []).compactMap { item in
            (item["Name"] as? String).map { ($0, item["Value"] as? String ?? "") }
        })
    }

    @Test func adminCreateUserInvitesWithATemporaryPasswordThatMeetsThePolicy() async throws {
        try await withCognate(environment: adminEnvironment) { app, services, _ async throws in
            let poolId = try await Self.pool(app)
            // when
            let created = try await call(app, "AdminCreateUser", [
                "UserPoolId": poolId, "Username": "alice", "DesiredDeliveryMediums": ["EMAIL"],
                "UserAttributes": [["Name": "email", "Value": "alice@example.com"], ["Name": "email_verified", "Value": "true"]],
            ])
            // then
            let user = try #require(created.json["User"] as? [String: Any])
            #expect(user["UserStatus"] as? String == "FORCE_CHANGE_PASSWORD" && user["Enabled"] as? Bool == true)
            let message = try #require(try await services.delivery.outbox(poolId: poolId, limit: 5, after: nil).items.first)
            #expect(message.channel == .email && message.destination == "alice@example.com")
            let password = try #require(message.body.components(separatedBy: "temporary password is ").last?.dropLast())
            #expect(PasswordPolicy().problem(with: String(password)) == nil)
            let stored = try #require(try await services.store.user(poolId: poolId, identifierKey: "alice"))
            #expect(try await services.hasher.verify(String(password), against: stored.passwordHash!).isMatch)
            #expect(stored.temporaryPasswordExpiresAt == services.now().addingTimeInterval(7 * 86_400))
            // the verified email is an alias
            let byEmail = try await call(app, "AdminGetUser", ["UserPoolId": poolId, "Username": "Alice@Example.com"])
            #expect(byEmail.json["Username"] as? String == "alice")
            #expect(Self.attributes(byEmail)["sub"] == stored.sub.uuidString.lowercased())
        }
    }

    @Test func duplicateNamesAndAliasesGetCognitosErrors() async throws {
        try await withCognate(environment: adminEnvironment) { app, services, _ async throws in
            let poolId = try await Self.pool(app)
            let email = [["Name": "email", "Value": "dup@example.com"], ["Name": "email_verified", "Value": "true"]]
            _ = try await call(app, "AdminCreateUser", ["UserPoolId": poolId, "Username": "first", "MessageAction": "SUPPRESS", "UserAttributes": email])
            #expect(try await call(app, "AdminCreateUser", ["UserPoolId": poolId, "Username": "FIRST", "MessageAction": "SUPPRESS"]).errorType == "UsernameExistsException")
            #expect(try await call(app, "AdminCreateUser", ["UserPoolId": poolId, "Username": "second", "MessageAction": "SUPPRESS", "UserAttributes": email]).errorType == "AliasExistsException")
            #expect(try await services.store.user(poolId: poolId, identifierKey: "second") == nil, "no half-written user")
            // ForceAliasCreation moves the alias
            let forced = try await call(app, "AdminCreateUser", ["UserPoolId": poolId, "Username": "second", "MessageAction": "SUPPRESS", "UserAttributes": email, "ForceAliasCreation": true])
            #expect(forced.status == .ok)
            #expect(try await services.store.user(poolId: poolId, identifierKey: "dup@example.com")?.username == "second")
            let first = try await call(app, "AdminGetUser", ["UserPoolId": poolId, "Username": "first"])
            #expect(Self.attributes(first)["email_verified"] == "false")
        }
    }

    @Test func badInputIsRefusedBeforeAnythingIsWritten() async throws {
        try await withCognate(environment: adminEnvironment) { app, services, _ async throws in
            let poolId = try await Self.pool(app)
            #expect(try await call(app, "AdminCreateUser", ["UserPoolId": poolId, "Username": "u1", "TemporaryPassword": "weak"]).errorType == "InvalidPasswordException")
            #expect(try await call(app, "AdminCreateUser", ["UserPoolId": poolId, "Username": "u2", "UserAttributes": [["Name": "shoe_size", "Value": "9"]]]).errorType == "InvalidParameterException")
            #expect(try await call(app, "AdminCreateUser", ["UserPoolId": poolId, "Username": "u3", "DesiredDeliveryMediums": ["EMAIL"]]).errorType == "InvalidParameterException")
            #expect(try await call(app, "AdminCreateUser", ["UserPoolId": poolId, "Username": "u4@example.com"]).errorType == "InvalidParameterException")
            #expect(try await services.store.listUsers(poolId: poolId, limit: 10, after: nil).items.isEmpty)
            #expect(try await call(app, "AdminGetUser", ["UserPoolId": poolId, "Username": "ghost"]).errorType == "UserNotFoundException")
            // no address and no medium asked for: made, and nothing is sent (as in Cognito)
            let quiet = try await call(app, "AdminCreateUser", ["UserPoolId": poolId, "Username": "quiet"])
            #expect(quiet.status == .ok && (quiet.json["User"] as? [String: Any])?["UserStatus"] as? String == "FORCE_CHANGE_PASSWORD")
            #expect(try await services.delivery.outbox(poolId: poolId, limit: 10, after: nil).items.isEmpty)
            #expect(try await call(app, "AdminCreateUser", ["UserPoolId": poolId, "Username": "quiet", "MessageAction": "RESEND"]).errorType
                == "InvalidParameterException", "a resend needs somewhere to send")
        }
    }

    @Test func emailAsUsernamePoolNamesUsersBySub() async throws {
        try await withCognate(environment: adminEnvironment) { app, _, _ async throws in
            let poolId = try await Self.pool(app, ["AliasAttributes": [String](), "UsernameAttributes": ["email"]])
            let created = try await call(app, "AdminCreateUser", ["UserPoolId": poolId, "Username": "Zoe@Example.com", "MessageAction": "SUPPRESS"])
            let user = try #require(created.json["User"] as? [String: Any])
            let username = try #require(user["Username"] as? String)
            #expect(UUID(uuidString: username) != nil)
            let fetched = try await call(app, "AdminGetUser", ["UserPoolId": poolId, "Username": "zoe@example.com"])
            #expect(fetched.json["Username"] as? String == username)
            #expect(try await call(app, "AdminCreateUser", ["UserPoolId": poolId, "Username": "zoe", "MessageAction": "SUPPRESS"]).errorType == "InvalidParameterException")
        }
    }

    @Test func passwordStatusAndEnablement() async throws {
        try await withCognate(environment: adminEnvironment) { app, services, _ async throws in
            let poolId = try await Self.pool(app)
            _ = try await call(app, "AdminCreateUser", ["UserPoolId": poolId, "Username": "bob", "MessageAction": "SUPPRESS"])
            let bob = try #require(try await services.store.user(poolId: poolId, identifierKey: "bob"))
            try await services.store.createRefreshToken(RefreshToken(
                tokenHash: "rt-\(UUID())", familyId: UUID(), poolId: poolId, clientId: "c", userSub: bob.sub, scopes: [],
                authTime: services.now(), createdAt: services.now(), expiresAt: services.now().addingTimeInterval(3600)))
            #expect(try await call(app, "AdminSetUserPassword", ["UserPoolId": poolId, "Username": "bob", "Password": "N3w-Passw0rd!", "Permanent": true]).status == .ok)
            #expect(try await call(app, "AdminGetUser", ["UserPoolId": poolId, "Username": "bob"]).json["UserStatus"] as? String == "CONFIRMED")
            #expect(try await call(app, "AdminDisableUser", ["UserPoolId": poolId, "Username": "bob"]).status == .ok)
            #expect(try await call(app, "AdminGetUser", ["UserPoolId": poolId, "Username": "bob"]).json["Enabled"] as? Bool == false)
            let tokens = try await services.store.listUsers(poolId: poolId, limit: 1, after: nil)
            #expect(tokens.items.first?.enabled == false)
            _ = try await call(app, "AdminEnableUser", ["UserPoolId": poolId, "Username": "bob"])
            _ = try await call(app, "AdminResetUserPassword", ["UserPoolId": poolId, "Username": "bob"])
            #expect(try await call(app, "AdminGetUser", ["UserPoolId": poolId, "Username": "bob"]).json["UserStatus"] as? String == "RESET_REQUIRED")
            #expect(try await call(app, "AdminConfirmSignUp", ["UserPoolId": poolId, "Username": "bob"]).errorType == "NotAuthorizedException")
            _ = try await call(app, "AdminDeleteUser", ["UserPoolId": poolId, "Username": "bob"])
            #expect(try await call(app, "AdminGetUser", ["UserPoolId": poolId, "Username": "bob"]).errorType == "UserNotFoundException")
        }
    }

    @Test func disablingEndsTheUsersRefreshTokens() async throws {
        try await withCognate(environment: adminEnvironment) { app, services, _ async throws in
            let poolId = try await Self.pool(app)
            _ = try await call(app, "AdminCreateUser", ["UserPoolId": poolId, "Username": "eve", "MessageAction": "SUPPRESS"])
            let eve = try #require(try await services.store.user(poolId: poolId, identifierKey: "eve"))
            let hash = "rt-\(UUID())"
            try await services.store.createRefreshToken(RefreshToken(
                tokenHash: hash, familyId: UUID(), poolId: poolId, clientId: "c", userSub: eve.sub, scopes: [],
                authTime: services.now(), createdAt: services.now(), expiresAt: services.now().addingTimeInterval(3600)))
            _ = try await call(app, "AdminDisableUser", ["UserPoolId": poolId, "Username": "eve"])
            #expect(try await services.store.refreshToken(hash: hash)?.revokedAt != nil)
        }
    }

    @Test func attributesUpdateDeleteAndCustomSchema() async throws {
        try await withCognate(environment: adminEnvironment) { app, _, _ async throws in
            let poolId = try await Self.pool(app)
            _ = try await call(app, "AdminCreateUser", ["UserPoolId": poolId, "Username": "carol", "MessageAction": "SUPPRESS",
                                                        "UserAttributes": [["Name": "email", "Value": "c@example.com"], ["Name": "email_verified", "Value": "true"]]])
            #expect(try await call(app, "AdminUpdateUserAttributes", ["UserPoolId": poolId, "Username": "carol",
                                                                      "UserAttributes": [["Name": "custom:plan", "Value": "pro"]]]).errorType == "InvalidParameterException")
            _ = try await call(app, "AddCustomAttributes", ["UserPoolId": poolId, "CustomAttributes": [["Name": "plan", "AttributeDataType": "String"]]])
            #expect(try await call(app, "AddCustomAttributes", ["UserPoolId": poolId, "CustomAttributes": [["Name": "plan", "AttributeDataType": "String"]]]).errorType == "InvalidParameterException")
            _ = try await call(app, "AdminUpdateUserAttributes", ["UserPoolId": poolId, "Username": "carol",
                                                                  "UserAttributes": [["Name": "custom:plan", "Value": "pro"], ["Name": "email", "Value": "new@example.com"]]])
            var attributes = Self.attributes(try await call(app, "AdminGetUser", ["UserPoolId": poolId, "Username": "carol"]))
            #expect(attributes["custom:plan"] == "pro" && attributes["email"] == "new@example.com" && attributes["email_verified"] == "false")
            _ = try await call(app, "AdminDeleteUserAttributes", ["UserPoolId": poolId, "Username": "carol", "UserAttributeNames": ["custom:plan"]])
            attributes = Self.attributes(try await call(app, "AdminGetUser", ["UserPoolId": poolId, "Username": "carol"]))
            #expect(attributes["custom:plan"] == nil)
        }
    }

    @Test func listUsersFiltersAndPages() async throws {
        try await withCognate(environment: adminEnvironment) { app, _, _ async throws in
            let poolId = try await Self.pool(app)
            for index in 0..<7 {
                _ = try await call(app, "AdminCreateUser", ["UserPoolId": poolId, "Username": "member\(index)", "MessageAction": "SUPPRESS",
                                                            "UserAttributes": [["Name": "family_name", "Value": index.isMultiple(of: 2) ? "Even" : "Odd"]]])
            }
            _ = try await call(app, "AdminCreateUser", ["UserPoolId": poolId, "Username": "other", "MessageAction": "SUPPRESS"])
            var names: [String] = []
            var token: String?
            repeat {
                var input: [String: Any] = ["UserPoolId": poolId, "Limit": 2, "Filter": "username ^= \"member\""]
                if let token { input["PaginationToken"] = token }
                let page = try await call(app, "ListUsers", input)
                let users = page.json["Users"] as? [[String: Any]] ?? []
                #expect(users.count <= 2)
                names += users.compactMap { $0["Username"] as? String }
                token = page.json["PaginationToken"] as? String
            } while token != nil
            #expect(names.sorted() == (0..<7).map { "member\($0)" })
            let odd = try await call(app, "ListUsers", ["UserPoolId": poolId, "Filter": "family_name = \"Odd\"", "AttributesToGet": ["family_name"]])
            let users = odd.json["Users"] as? [[String: Any]] ?? []
            #expect(users.count == 3)
            #expect(users.allSatisfy { ($0["Attributes"] as? [[String: Any]])?.count == 1 })
            #expect(try await call(app, "ListUsers", ["UserPoolId": poolId, "Filter": "shoe_size = \"9\""]).errorType == "InvalidParameterException")
            #expect(try await call(app, "ListUsers", ["UserPoolId": poolId, "Filter": "username = unquoted"]).errorType == "InvalidParameterException")
        }
    }

    @Test func groupMembership() async throws {
        try await withCognate(environment: adminEnvironment) { app, _, _ async throws in
            let poolId = try await Self.pool(app)
            _ = try await call(app, "AdminCreateUser", ["UserPoolId": poolId, "Username": "dan", "MessageAction": "SUPPRESS"])
            _ = try await call(app, "CreateGroup", ["UserPoolId": poolId, "GroupName": "admins", "Precedence": 1, "Description": "Staff"])
            #expect(try await call(app, "CreateGroup", ["UserPoolId": poolId, "GroupName": "admins"]).errorType == "GroupExistsException")
            _ = try await call(app, "AdminAddUserToGroup", ["UserPoolId": poolId, "Username": "dan", "GroupName": "admins"])
            let groups = try await call(app, "AdminListGroupsForUser", ["UserPoolId": poolId, "Username": "dan"])
            #expect((groups.json["Groups"] as? [[String: Any]])?.first?["GroupName"] as? String == "admins")
            let members = try await call(app, "ListUsersInGroup", ["UserPoolId": poolId, "GroupName": "admins"])
            #expect((members.json["Users"] as? [[String: Any]])?.first?["Username"] as? String == "dan")
            let updated = try await call(app, "UpdateGroup", ["UserPoolId": poolId, "GroupName": "admins", "Precedence": 5])
            let group = updated.json["Group"] as? [String: Any]
            #expect(group?["Precedence"] as? Int == 5 && group?["Description"] as? String == "Staff")
            _ = try await call(app, "AdminRemoveUserFromGroup", ["UserPoolId": poolId, "Username": "dan", "GroupName": "admins"])
            #expect((try await call(app, "ListUsersInGroup", ["UserPoolId": poolId, "GroupName": "admins"]).json["Users"] as? [Any])?.isEmpty == true)
            #expect(try await call(app, "AdminAddUserToGroup", ["UserPoolId": poolId, "Username": "dan", "GroupName": "ghosts"]).errorType == "ResourceNotFoundException")
            _ = try await call(app, "DeleteGroup", ["UserPoolId": poolId, "GroupName": "admins"])
            #expect(try await call(app, "GetGroup", ["UserPoolId": poolId, "GroupName": "admins"]).errorType == "ResourceNotFoundException")
        }
    }

    @Test func resourceServerLifecycleAndItsScopesInClients() async throws {
        try await withCognate(environment: adminEnvironment) { app, _, _ async throws in
            let poolId = try await Self.pool(app)
            let created = try await call(app, "CreateResourceServer", ["UserPoolId": poolId, "Identifier": "https://api.example", "Name": "API",
                                                                       "Scopes": [["ScopeName": "read", "ScopeDescription": "Read"]]])
            #expect(created.status == .ok)
            #expect(try await call(app, "CreateResourceServer", ["UserPoolId": poolId, "Identifier": "https://api.example", "Name": "API"]).errorType == "InvalidParameterException")
            let client = try await call(app, "CreateUserPoolClient", ["UserPoolId": poolId, "ClientName": "m2m", "GenerateSecret": true,
                                                                      "AllowedOAuthFlows": ["client_credentials"], "AllowedOAuthFlowsUserPoolClient": true,
                                                                      "AllowedOAuthScopes": ["https://api.example/read"]])
            #expect(client.status == .ok)
            _ = try await call(app, "UpdateResourceServer", ["UserPoolId": poolId, "Identifier": "https://api.example", "Name": "API v2",
                                                             "Scopes": [["ScopeName": "write", "ScopeDescription": "Write"]]])
            let described = try await call(app, "DescribeResourceServer", ["UserPoolId": poolId, "Identifier": "https://api.example"])
            #expect(((described.json["ResourceServer"] as? [String: Any])?["Scopes"] as? [[String: Any]])?.first?["ScopeName"] as? String == "write")
            let listed = try await call(app, "ListResourceServers", ["UserPoolId": poolId, "MaxResults": 10])
            #expect((listed.json["ResourceServers"] as? [Any])?.count == 1)
            _ = try await call(app, "DeleteResourceServer", ["UserPoolId": poolId, "Identifier": "https://api.example"])
            #expect(try await call(app, "DescribeResourceServer", ["UserPoolId": poolId, "Identifier": "https://api.example"]).errorType == "ResourceNotFoundException")
        }
    }
}

@Suite struct MessageTemplateTests {
    @Test func invitationUsesThePoolsTemplate() async throws {
        try await withCognate(environment: adminEnvironment) { app, services, _ async throws in
            let created = try await call(app, "CreateUserPool", [
                "PoolName": "templated",
                "AdminCreateUserConfig": ["InviteMessageTemplate": [
                    "EmailSubject": "Welcome to Shop", "EmailMessage": "Hi {username}, sign in with {####} within 7 days.",
                ]],
            ])
            let pool = try #require(created.json["UserPool"] as? [String: Any])
            let poolId = try #require(pool["Id"] as? String)
            let invite = (pool["AdminCreateUserConfig"] as? [String: Any])?["InviteMessageTemplate"] as? [String: Any]
            #expect(invite?["EmailSubject"] as? String == "Welcome to Shop")
            #expect(pool["EmailVerificationMessage"] as? String == "Your verification code is {####}.")
            _ = try await call(app, "AdminCreateUser", [
                "UserPoolId": poolId, "Username": "fay", "DesiredDeliveryMediums": ["EMAIL"],
                "UserAttributes": [["Name": "email", "Value": "fay@example.com"]],
            ])
            let message = try #require(try await services.delivery.outbox(poolId: poolId, limit: 1, after: nil).items.first)
            #expect(message.subject == "Welcome to Shop")
            #expect(message.body.hasPrefix("Hi fay, sign in with ") && message.body.hasSuffix(" within 7 days."))
        }
    }

    @Test func templatesWithoutTheirPlaceholdersAreRefused() async throws {
        try await withCognate(environment: adminEnvironment) { app, services, _ async throws in
            let missingUser = try await call(app, "CreateUserPool", [
                "PoolName": "bad-invite", "AdminCreateUserConfig": ["InviteMessageTemplate": ["EmailMessage": "Your password is {####}"]],
            ])
            #expect(missingUser.errorType == "InvalidParameterException")
            let missingCode = try await call(app, "CreateUserPool", ["PoolName": "bad-code", "SmsAuthenticationMessage": "Your code is here"])
            #expect(missingCode.errorType == "InvalidParameterException")
            #expect(try await services.store.pool(named: "bad-invite") == nil)
        }
    }
}
