@testable import CognateCognitoAPI
import CognateCore
import CognateModel
@testable import CognateWeb
import Foundation
import Testing
import VaporTesting

/// The admin key every API test signs with.
let adminEnvironment = ["COGNATE_ADMIN_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
                        "COGNATE_ADMIN_SECRET_ACCESS_KEY": "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY"]

struct APIAnswer {
    var status: HTTPStatus
    var json: [String: Any]
    var errorType: String? { json["__type"] as? String }
}

/// Calls the Cognito API as an SDK would: JSON 1.1, X-Amz-Target, SigV4 with the admin key.
func call(_ app: Application, _ operation: String, _ input: [String: Any], signed: Bool = true,
          secret: String = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY", at date: Date? = nil,
          signedHeaders: [String] = ["content-type", "host", "x-amz-date", "x-amz-target"]) async throws -> APIAnswer {
    let date = date ?? app.cognate!.now()
    let body = Array(try JSONSerialization.data(withJSONObject: input))
    let amzDate = SigV4.format(date)
    var headers: [(name: String, value: String)] = [
        ("Host", "127.0.0.1:8080"), ("X-Amz-Date", amzDate),
        ("X-Amz-Target", "AWSCognitoIdentityProviderService.\(operation)"),
        ("Content-Type", "application/x-amz-json-1.1"),
    ]
    if signed {
        let scope = "\(amzDate.prefix(8))/local/cognito-idp/aws4_request"
        let signed = signedHeaders
        let signature = SigV4.signature(
            request: SignableRequest(method: "POST", path: "/", query: "", headers: headers, body: body),
            signedHeaders: signed, amzDate: amzDate, scope: scope, secret: secret)
        headers.append(("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/\(scope), SignedHeaders=\(signed.joined(separator: ";")), Signature=\(signature)"))
    }
    let response = try await app.testing().sendRequest(.POST, "/", headers: HTTPHeaders(headers.map { ($0.name, $0.value) }), body: ByteBuffer(bytes: body))
    #expect(response.headers.first(name: .contentType) == "application/x-amz-json-1.1")
    return APIAnswer(status: response.status, json: response.json)
}

@Suite struct CognitoProtocolTests {
    @Test func unknownTargetIsUnknownOperation() async throws {
        try await withCognate(environment: adminEnvironment) { app, _, _ async throws in
            let answer = try await call(app, "StealEverything", [:])
            #expect(answer.status == .badRequest && answer.errorType == "UnknownOperationException")
        }
    }

    @Test func aSignatureThatLeavesTheTargetOutIsRefused() async throws {
        try await withCognate(environment: adminEnvironment) { app, _, _ async throws in
            // such a signature would be good for any operation on the same body: a captured
            // ListUserPools could be replayed as DeleteUserPool
            let answer = try await call(app, "ListUserPools", ["MaxResults": 10], signedHeaders: ["content-type", "host", "x-amz-date"])
            #expect(answer.status == .badRequest && answer.errorType == "IncompleteSignatureException")
            #expect(try await call(app, "ListUserPools", ["MaxResults": 10]).status == .ok)
        }
    }

    @Test func adminOperationWithoutSignatureIsRefused() async throws {
        try await withCognate(environment: adminEnvironment) { app, _, _ async throws in
            let answer = try await call(app, "ListUserPools", ["MaxResults": 10], signed: false)
            #expect(answer.errorType == "MissingAuthenticationTokenException")
        }
    }

    @Test func wrongSecretAndStaleDateAreRefused() async throws {
        try await withCognate(environment: adminEnvironment) { app, _, _ async throws in
            #expect(try await call(app, "ListUserPools", ["MaxResults": 10], secret: "guess").errorType == "InvalidSignatureException")
            #expect(try await call(app, "ListUserPools", ["MaxResults": 10], at: app.cognate!.now().addingTimeInterval(-600)).errorType == "InvalidSignatureException")
        }
    }

    @Test func badJSONIsASerializationError() async throws {
        try await withCognate(environment: adminEnvironment) { app, _, _ async throws in
            let response = try await app.testing().sendRequest(.POST, "/", headers: [
                "X-Amz-Target": "AWSCognitoIdentityProviderService.SignUp", "Content-Type": "application/x-amz-json-1.1",
            ], body: ByteBuffer(string: "{not json"))
            #expect(response.status == .badRequest)
            #expect(response.json["__type"] as? String == "SerializationException")
        }
    }

    @Test func publicOperationNeedsNoSignatureAndUnbuiltOnesSaySo() async throws {
        try await withCognate(environment: adminEnvironment) { app, _, _ async throws in
            // public (unsigned) and not answered yet: refused as unsupported, not as unsigned
            let answer = try await call(app, "UpdateAuthEventFeedback", ["UserPoolId": "local_abc", "Username": "ana", "EventId": "e1",
                                                                         "FeedbackToken": "t", "FeedbackValue": "Valid"], signed: false)
            #expect(answer.errorType == "UnsupportedOperationException")
            // public and answered: the token is judged
            #expect(try await call(app, "ListDevices", ["AccessToken": "abc"], signed: false).errorType == "NotAuthorizedException")
        }
    }

    @Test func constraintViolationIsInvalidParameter() async throws {
        try await withCognate(environment: adminEnvironment) { app, _, _ async throws in
            let answer = try await call(app, "ListUserPools", ["MaxResults": 61])
            #expect(answer.errorType == "InvalidParameterException")
            #expect((answer.json["message"] as? String)?.contains("'maxResults'") == true)
        }
    }
}

@Suite struct UserPoolOperationTests {
    @Test func poolLifecycle() async throws {
        try await withCognate(environment: adminEnvironment) { app, services, _ async throws in
            // create
            let created = try await call(app, "CreateUserPool", [
                "PoolName": "shop", "AliasAttributes": ["email"], "MfaConfiguration": "OPTIONAL",
                "Policies": ["PasswordPolicy": ["MinimumLength": 12, "RequireSymbols": false]],
                "Schema": [["Name": "tenant", "AttributeDataType": "String", "StringAttributeConstraints": ["MaxLength": "40"]]],
                "UsernameConfiguration": ["CaseSensitive": true],
            ])
            let pool = try #require(created.json["UserPool"] as? [String: Any])
            let id = try #require(pool["Id"] as? String)
            #expect(PoolID.isValid(id))
            #expect(pool["CreationDate"] is Double || pool["CreationDate"] is Int)
            #expect((pool["SchemaAttributes"] as? [[String: Any]])?.contains { $0["Name"] as? String == "custom:tenant" } == true)
            let stored = try #require(try await services.store.pool(id: id))
            #expect(stored.passwordPolicy.minimumLength == 12 && !stored.passwordPolicy.requireSymbols)
            #expect(stored.caseSensitive && stored.mfaConfiguration == .optional)
            #expect(try await services.store.signingKeys(poolId: id).count == 1, "a new pool gets its signing key")
            // describe
            let described = try await call(app, "DescribeUserPool", ["UserPoolId": id])
            #expect((described.json["UserPool"] as? [String: Any])?["Name"] as? String == "shop")
            // update: what is left out goes back to Cognito's default
            let updated = try await call(app, "UpdateUserPool", ["UserPoolId": id, "DeletionProtection": "ACTIVE"])
            #expect(updated.status == .ok)
            let after = try #require(try await services.store.pool(id: id))
            #expect(after.passwordPolicy == PasswordPolicy() && after.mfaConfiguration == .off && after.deletionProtection)
            // delete is refused while protected
            #expect(try await call(app, "DeleteUserPool", ["UserPoolId": id]).errorType == "InvalidParameterException")
            _ = try await call(app, "UpdateUserPool", ["UserPoolId": id])
            #expect(try await call(app, "DeleteUserPool", ["UserPoolId": id]).status == .ok)
            #expect(try await call(app, "DescribeUserPool", ["UserPoolId": id]).errorType == "ResourceNotFoundException")
        }
    }

    @Test func poolsListAcrossPages() async throws {
        try await withCognate(environment: adminEnvironment) { app, _, _ async throws in
            for index in 0..<4 { _ = try await call(app, "CreateUserPool", ["PoolName": "p\(index)"]) }
            var names: [String] = []
            var token: String?
            repeat {
                var input: [String: Any] = ["MaxResults": 2]
                if let token { input["NextToken"] = token }
                let page = try await call(app, "ListUserPools", input)
                names += (page.json["UserPools"] as? [[String: Any]] ?? []).compactMap { $0["Name"] as? String }
                token = page.json["NextToken"] as? String
            } while token != nil
            #expect(Set(names) == ["default", "p0", "p1", "p2", "p3"] && names.count == 5)
        }
    }

    @Test func badPoolSettingsAreInvalidParameter() async throws {
        try await withCognate(environment: adminEnvironment) { app, services, _ async throws in
            let answer = try await call(app, "CreateUserPool", ["PoolName": "x", "AliasAttributes": ["email"], "UsernameAttributes": ["email"]])
            #expect(answer.errorType == "InvalidParameterException")
            #expect(try await services.store.pool(named: "x") == nil, "a refused pool leaves nothing behind")
        }
    }
}

@Suite struct UserPoolClientOperationTests {
    static func pool(_ app: Application) async throws -> String {
        let created = try await call(app, "CreateUserPool", ["PoolName": "apps-\(UUID().uuidString.prefix(8))"])
        return try #require((created.json["UserPool"] as? [String: Any])?["Id"] as? String)
    }

    @Test func clientSecretIsStoredHashedAndSealedAndShownAsCognitoDoes() async throws {
        try await withCognate(environment: adminEnvironment) { app, services, _ async throws in
            let poolId = try await Self.pool(app)
            let created = try await call(app, "CreateUserPoolClient", [
                "UserPoolId": poolId, "ClientName": "web", "GenerateSecret": true,
                "AllowedOAuthFlows": ["code"], "AllowedOAuthFlowsUserPoolClient": true, "AllowedOAuthScopes": ["openid", "email"],
                "CallbackURLs": ["https://app.example/cb", "http://localhost:3000/cb"], "AccessTokenValidity": 30,
                "TokenValidityUnits": ["AccessToken": "minutes"],
            ])
            let client = try #require(created.json["UserPoolClient"] as? [String: Any])
            let clientId = try #require(client["ClientId"] as? String)
            let secret = try #require(client["ClientSecret"] as? String)
            #expect(clientId.count == 26 && clientId.allSatisfy { $0.isLowercase || $0.isNumber })
            #expect(client["AccessTokenValidity"] as? Int == 30)
            let stored = try #require(try await services.store.client(poolId: poolId, clientId: clientId))
            #expect(stored.tokenValidity.accessToken == 1_800)
            #expect(SecretDigest.matches(secret, hash: try #require(stored.secretHash)))
            let described = try await call(app, "DescribeUserPoolClient", ["UserPoolId": poolId, "ClientId": clientId])
            let shown = try #require(described.json["UserPoolClient"] as? [String: Any])
            #expect(shown["ClientSecret"] as? String == secret, "Cognito shows the secret on describe too")
            #expect(stored.sealedSecret.map { !$0.contains(Data(secret.utf8)) } == true, "the secret is sealed at rest")
            #expect(shown["CallbackURLs"] as? [String] == ["https://app.example/cb", "http://localhost:3000/cb"])
        }
    }

    @Test func clientUpdateListAndDelete() async throws {
        try await withCognate(environment: adminEnvironment) { app, _, _ async throws in
            let poolId = try await Self.pool(app)
            var ids: [String] = []
            for name in ["a", "b", "c"] {
                let created = try await call(app, "CreateUserPoolClient", ["UserPoolId": poolId, "ClientName": name])
                ids.append(try #require((created.json["UserPoolClient"] as? [String: Any])?["ClientId"] as? String))
            }
            let first = try await call(app, "ListUserPoolClients", ["UserPoolId": poolId, "MaxResults": 2])
            let token = try #require(first.json["NextToken"] as? String)
            let second = try await call(app, "ListUserPoolClients", ["UserPoolId": poolId, "MaxResults": 2, "NextToken": token])
            let listed = ((first.json["UserPoolClients"] as? [[String: Any]] ?? []) + (second.json["UserPoolClients"] as? [[String: Any]] ?? []))
            #expect(Set(listed.compactMap { $0["ClientId"] as? String }) == Set(ids))
            let updated = try await call(app, "UpdateUserPoolClient", ["UserPoolId": poolId, "ClientId": ids[0], "ClientName": "renamed"])
            #expect((updated.json["UserPoolClient"] as? [String: Any])?["ClientName"] as? String == "renamed")
            #expect(try await call(app, "DeleteUserPoolClient", ["UserPoolId": poolId, "ClientId": ids[0]]).status == .ok)
            #expect(try await call(app, "DescribeUserPoolClient", ["UserPoolId": poolId, "ClientId": ids[0]]).errorType == "ResourceNotFoundException")
        }
    }

    struct BadClient: Sendable, CustomTestStringConvertible {
        var input: [String: String]
        var flows: [String]
        var scopes: [String]
        var callbacks: [String]
        var error: String
        var testDescription: String { error }
    }

    @Test(arguments: [
        BadClient(input: [:], flows: ["code"], scopes: ["openid", "api/read"], callbacks: ["https://a.example/cb"], error: "ScopeDoesNotExistException"),
        BadClient(input: [:], flows: ["client_credentials"], scopes: [], callbacks: [], error: "InvalidOAuthFlowException"),
        BadClient(input: [:], flows: ["code", "client_credentials"], scopes: [], callbacks: ["https://a.example/cb"], error: "InvalidOAuthFlowException"),
        BadClient(input: [:], flows: ["code"], scopes: ["openid"], callbacks: ["http://evil.example/cb"], error: "InvalidParameterException"),
        BadClient(input: [:], flows: ["code"], scopes: ["openid"], callbacks: ["https://a.example/cb#frag"], error: "InvalidParameterException"),
        BadClient(input: [:], flows: ["code"], scopes: ["openid"], callbacks: [], error: "InvalidParameterException"),
    ])
    func badClientSettingsGetCognitosErrors(_ bad: BadClient) async throws {
        try await withCognate(environment: adminEnvironment) { app, services, _ async throws in
            let poolId = try await Self.pool(app)
            var input: [String: Any] = ["UserPoolId": poolId, "ClientName": "bad", "AllowedOAuthFlowsUserPoolClient": true,
                                        "AllowedOAuthFlows": bad.flows, "AllowedOAuthScopes": bad.scopes, "CallbackURLs": bad.callbacks]
            for (key, value) in bad.input { input[key] = value }
            #expect(try await call(app, "CreateUserPoolClient", input).errorType == bad.error)
            #expect(try await services.store.listClients(poolId: poolId, limit: 10, after: nil).items.isEmpty)
        }
    }

    @Test func unknownPoolIsResourceNotFound() async throws {
        try await withCognate(environment: adminEnvironment) { app, _, _ async throws in
            #expect(try await call(app, "CreateUserPoolClient", ["UserPoolId": "local_Nope12345", "ClientName": "x"]).errorType == "ResourceNotFoundException")
        }
    }
}

@Suite struct DomainOperationTests {
    @Test func prefixAndCustomDomainsShowInDiscoveryAndDescribe() async throws {
        try await withCognate(environment: adminEnvironment) { app, _, _ async throws in
            let poolId = try await UserPoolClientOperationTests.pool(app)
            // a prefix domain becomes a host under the public URL's host name
            #expect(try await call(app, "CreateUserPoolDomain", ["UserPoolId": poolId, "Domain": "shop"]).status == .ok)
            var discovery = try await app.testing().sendRequest(.GET, "/\(poolId)/.well-known/openid-configuration")
            #expect(discovery.json["authorization_endpoint"] as? String == "https://shop.id.example.test/oauth2/authorize")
            #expect(discovery.json["issuer"] as? String == "https://id.example.test/\(poolId)", "the issuer does not move")
            // a custom domain takes over the endpoints
            let custom = try await call(app, "CreateUserPoolDomain", ["UserPoolId": poolId, "Domain": "login.shop.example",
                                                                      "CustomDomainConfig": ["CertificateArn": "arn:aws:acm:local:000000000000:certificate/1"]])
            #expect(custom.json["CloudFrontDomain"] as? String == "id.example.test")
            discovery = try await app.testing().sendRequest(.GET, "/\(poolId)/.well-known/openid-configuration")
            #expect(discovery.json["token_endpoint"] as? String == "https://login.shop.example/oauth2/token")
            let pool = try await call(app, "DescribeUserPool", ["UserPoolId": poolId]).json["UserPool"] as? [String: Any]
            #expect(pool?["Domain"] as? String == "shop" && pool?["CustomDomain"] as? String == "login.shop.example")
            let described = try await call(app, "DescribeUserPoolDomain", ["Domain": "shop"])
            let description = described.json["DomainDescription"] as? [String: Any]
            #expect(description?["UserPoolId"] as? String == poolId && description?["Status"] as? String == "ACTIVE")
            #expect(description?["CloudFrontDistribution"] as? String == "shop.id.example.test")
        }
    }

    @Test func takenAndMalformedDomainsAreRefused() async throws {
        try await withCognate(environment: adminEnvironment) { app, _, _ async throws in
            let first = try await UserPoolClientOperationTests.pool(app)
            let second = try await UserPoolClientOperationTests.pool(app)
            _ = try await call(app, "CreateUserPoolDomain", ["UserPoolId": first, "Domain": "taken"])
            #expect(try await call(app, "CreateUserPoolDomain", ["UserPoolId": second, "Domain": "taken"]).errorType == "InvalidParameterException")
            #expect(try await call(app, "CreateUserPoolDomain", ["UserPoolId": first, "Domain": "another"]).errorType == "InvalidParameterException")
            #expect(try await call(app, "CreateUserPoolDomain", ["UserPoolId": second, "Domain": "Bad_Prefix"]).errorType == "InvalidParameterException")
            #expect(try await call(app, "CreateUserPoolDomain", ["UserPoolId": second, "Domain": "a.b"]).errorType == "InvalidParameterException")
            // unknown domains describe as empty, as in Cognito
            let unknown = try await call(app, "DescribeUserPoolDomain", ["Domain": "nobody"])
            #expect(unknown.status == .ok && (unknown.json["DomainDescription"] as? [String: Any])?.isEmpty ?? true)
            #expect(try await call(app, "DeleteUserPoolDomain", ["UserPoolId": second, "Domain": "taken"]).errorType == "InvalidParameterException")
            #expect(try await call(app, "DeleteUserPoolDomain", ["UserPoolId": first, "Domain": "taken"]).status == .ok)
            #expect(try await call(app, "CreateUserPoolDomain", ["UserPoolId": second, "Domain": "taken"]).status == .ok)
        }
    }
}

@Suite struct DomainHostTests {
    @Test func aPoolsDomainHostServesItsDocuments() async throws {
        try await withCognate(environment: adminEnvironment) { app, _, _ async throws in
            let poolId = try await UserPoolClientOperationTests.pool(app)
            _ = try await call(app, "CreateUserPoolDomain", ["UserPoolId": poolId, "Domain": "shop"])
            _ = try await call(app, "CreateUserPoolDomain", ["UserPoolId": poolId, "Domain": "login.shop.example",
                                                             "CustomDomainConfig": ["CertificateArn": "arn:aws:acm:local:000000000000:certificate/1"]])
            for host in ["shop.id.example.test", "SHOP.id.example.test:8443", "login.shop.example"] {
                let response = try await app.testing().sendRequest(.GET, "/.well-known/openid-configuration", headers: ["Host": host])
                #expect(response.status == .ok, "\(host)")
                #expect(response.json["issuer"] as? String == "https://id.example.test/\(poolId)")
            }
            let jwks = try await app.testing().sendRequest(.GET, "/.well-known/jwks.json", headers: ["Host": "shop.id.example.test"])
            #expect((jwks.json["keys"] as? [Any])?.count == 1)
            for host in ["other.id.example.test", "id.example.test", "shop.evil.example", ""] {
                let response = try await app.testing().sendRequest(.GET, "/.well-known/openid-configuration", headers: ["Host": host])
                #expect(response.status == .notFound, "\(host)")
            }
        }
    }
}
