import CognateCore
import CognateModel
import Foundation
import Testing

/// An STS that answers as told and keeps what it was asked.
final class ScriptedSTS: OutboundHTTP, @unchecked Sendable {
    var status = 200
    var unreachable = false
    private(set) var requests: [OutboundRequest] = []

    func send(_ request: OutboundRequest) async throws -> OutboundAnswer {
        requests.append(request)
        if unreachable { throw OutboundError("connection refused") }
        let body = status == 200
            ? """
            <AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>
            <AccessKeyId>ASIAEXAMPLE</AccessKeyId><SecretAccessKey>s3cr&amp;t</SecretAccessKey><SessionToken>token</SessionToken>
            <Expiration>2030-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>
            """
            : "<ErrorResponse><Error><Code>AccessDenied</Code><Message>Not authorized</Message></Error></ErrorResponse>"
        return OutboundAnswer(status: status, body: Data(body.utf8))
    }

    /// The form the last request carried.
    var lastForm: [String: String] {
        guard let body = requests.last?.body else { return [:] }
        return (try? FormEncoding.parameters(Array(body))) ?? [:]
    }
}

@Suite struct IdentityPoolServiceTests {
    static let auth = "arn:aws:iam::123456789012:role/auth"
    static let guest = "arn:aws:iam::123456789012:role/guest"

    struct Setup {
        let world: CoreWorld
        let sts: ScriptedSTS
        let service: IdentityPoolService
        let pool: IdentityPool
        let provider: String
    }

    func setup(credentials: AWSCredentials? = nil, _ configure: (inout IdentityPool) -> Void = { _ in }) async throws -> Setup {
        let world = try await CoreWorld.make()
        let sts = ScriptedSTS()
        let service = IdentityPoolService(store: world.store, keyring: world.keyring,
                                          sts: STSClient(http: sts, endpoint: "http://127.0.0.1:9/", credentials: credentials, now: world.clock.now),
                                          http: sts, issuerBase: CoreWorld.issuerBase, region: "local", now: world.clock.now)
        let provider = service.userPoolProviderName(world.pool.id)
        #expect(provider == "id.example/\(world.pool.id)")
        var pool = IdentityPool(id: service.newId(), name: "app", allowUnauthenticated: true, allowClassicFlow: true,
                                userPoolProviders: [.init(providerName: provider, clientId: world.client.clientId, serverSideTokenCheck: true)],
                                roles: ["authenticated": Self.auth, "unauthenticated": Self.guest], createdAt: world.clock.now())
        configure(&pool)
        try service.validate(pool)
        try await world.store.createIdentityPool(pool)
        return Setup(world: world, sts: sts, service: service, pool: pool, provider: provider)
    }

    func idToken(_ world: CoreWorld, _ name: String) async throws -> String {
        _ = try await world.user(name)
        guard case .tokens(let tokens) = try await world.signIn.signIn(pool: world.pool, client: world.client, username: name,
                                                                          password: "Correct-horse-1"),
            let id = tokens.idToken
        else { throw WorldError("no tokens") }
        return id
    }

    func refusal(_ type: String, _ body: () async throws -> Void) async {
        do {
            try await body()
            Issue.record("expected \(type)")
        } catch let error as IdentityPoolError {
            #expect(error.type == type, "\(error)")
        } catch {
            Issue.record("expected \(type), got \(error)")
        }
    }

    @Test func guestsGetTheUnauthenticatedRoleScopedByASessionPolicy() async throws {
        let setup = try await setup()
        let guest = try await setup.service.getId(poolId: setup.pool.id, logins: [:])
        let issued = try await setup.service.credentials(identityId: guest.id, logins: [:], customRoleArn: nil)
        #expect(issued.credentials.accessKeyId == "ASIAEXAMPLE" && issued.credentials.secretKey == "s3cr&t")
        let form = setup.sts.lastForm
        #expect(form["Action"] == "AssumeRoleWithWebIdentity" && form["RoleArn"] == Self.guest)
        #expect(form["RoleSessionName"] == "CognitoIdentityCredentials" && form["DurationSeconds"] == "3600")
        let policy = try #require(form["Policy"])
        #expect(policy.contains("\"s3:*\"") && !policy.contains("iam:") && !policy.contains("sts:"))
        // unsigned without credentials in the environment
        #expect(setup.sts.requests.last?.headers["Authorization"] == nil)
        // the token handed to STS: the identity's, Cognate's issuer, the pool as audience
        let token = try await setup.service.tokenKey.verify(try #require(form["WebIdentityToken"]))
        #expect(token["sub"]?.string == guest.id && token["aud"]?.string == setup.pool.id)
        #expect(token["amr"] == .strings(["unauthenticated"]))
    }

    @Test func stsIsSignedWhenCognateHasCredentialsAndItsRefusalsAreCognitos() async throws {
        let setup = try await setup(credentials: AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret"))
        let login = [setup.provider: try await idToken(setup.world, "ada")]
        let identity = try await setup.service.getId(poolId: setup.pool.id, logins: login)
        _ = try await setup.service.credentials(identityId: identity.id, logins: login, customRoleArn: nil)
        let authorization = try #require(setup.sts.requests.last?.headers["Authorization"])
        #expect(authorization.contains("Credential=AKIDEXAMPLE/") && authorization.contains("/us-east-1/sts/aws4_request"))
        #expect(setup.sts.lastForm["RoleArn"] == Self.auth && setup.sts.lastForm["Policy"] == nil)
        setup.sts.status = 403
        await refusal("InvalidIdentityPoolConfigurationException") {
            _ = try await setup.service.credentials(identityId: identity.id, logins: login, customRoleArn: nil)
        }
        setup.sts.unreachable = true
        await refusal("ExternalServiceException") {
            _ = try await setup.service.credentials(identityId: identity.id, logins: login, customRoleArn: nil)
        }
    }

    @Test func principalTagsGoToSTSInTheTokensTagsClaim() async throws {
        var provider = ""
        let setup = try await setup { pool in
            provider = pool.userPoolProviders[0].providerName
            pool.principalTags = [provider: .init(useDefaults: true, tags: ["mail": "email", "groups": "cognito:groups"])]
        }
        let token = try await idToken(setup.world, "dee")
        let identity = try await setup.service.getId(poolId: setup.pool.id, logins: [provider: token])
        _ = try await setup.service.credentials(identityId: identity.id, logins: [provider: token], customRoleArn: nil)
        let sent = try #require(setup.sts.lastForm["WebIdentityToken"])
        let payload = try #require(Data(lenientBase64: sent.split(separator: ".")[1]))
        let claims = try #require(try JSONSerialization.jsonObject(with: payload) as? [String: Any])
        let tags = try #require((claims["https://aws.amazon.com/tags"] as? [String: Any])?["principal_tags"] as? [String: [String]])
        let user = try #require(try await setup.world.store.user(poolId: setup.world.pool.id, identifierKey: "dee"))
        // the defaults (username ← sub, client ← aud) and the map's own; a list claim is no tag value
        #expect(tags == ["username": [user.sub.uuidString.lowercased()], "client": [setup.world.client.clientId], "mail": ["dee@example.com"]])
        // a guest's credentials carry none
        let guest = try await setup.service.getId(poolId: setup.pool.id, logins: [:])
        _ = try await setup.service.credentials(identityId: guest.id, logins: [:], customRoleArn: nil)
        let guestToken = try #require(setup.sts.lastForm["WebIdentityToken"])
        let guestPayload = try #require(Data(lenientBase64: guestToken.split(separator: ".")[1]))
        #expect((try JSONSerialization.jsonObject(with: guestPayload) as? [String: Any])?["https://aws.amazon.com/tags"] == nil)
    }

    @Test func expiredTokensAreNoLogins() async throws {
        let setup = try await setup()
        let token = try await idToken(setup.world, "bea")
        let identity = try await setup.service.getId(poolId: setup.pool.id, logins: [setup.provider: token])
        let open = try await setup.service.getOpenIdToken(identityId: identity.id, logins: [setup.provider: token])
        // Cognate's own token names the identity while it lasts (10 minutes)
        let own = ["cognito-identity.amazonaws.com": open.token]
        #expect(try await setup.service.getId(poolId: setup.pool.id, logins: own).id == identity.id)
        setup.world.clock.advance(601)
        await refusal("NotAuthorizedException") { _ = try await setup.service.getId(poolId: setup.pool.id, logins: own) }
        setup.world.clock.advance(3600)
        await refusal("NotAuthorizedException") { _ = try await setup.service.getId(poolId: setup.pool.id, logins: [setup.provider: token]) }
        // a guest's token is no login at all
        let guest = try await setup.service.getId(poolId: setup.pool.id, logins: [:])
        let guestToken = try await setup.service.getOpenIdToken(identityId: guest.id, logins: [:]).token
        await refusal("NotAuthorizedException") {
            _ = try await setup.service.getId(poolId: setup.pool.id, logins: ["cognito-identity.amazonaws.com": guestToken])
        }
    }

    @Test func anIdentityIsReachedOnlyThroughALoginItHolds() async throws {
        let setup = try await setup { $0.developerProviderName = "login.app" }
        let ada = try await idToken(setup.world, "ada")
        let bea = try await idToken(setup.world, "bea")
        let identity = try await setup.service.getId(poolId: setup.pool.id, logins: [setup.provider: ada])
        // another person's login does not open (or join) ada's identity, though it is linked nowhere yet
        await refusal("NotAuthorizedException") {
            _ = try await setup.service.credentials(identityId: identity.id, logins: [setup.provider: bea], customRoleArn: nil)
        }
        #expect(try await setup.service.identity(identity.id).logins.count == 1)
        // a login presented beside one the identity holds is linked to it
        let token = try await setup.service.developerToken(poolId: setup.pool.id, identityId: nil,
                                                           logins: ["login.app": "ada-1", setup.provider: ada], seconds: nil)
        #expect(token.identityId == identity.id)
        #expect(try await setup.service.identity(identity.id).logins.map(\.provider).sorted() == ["login.app", setup.provider].sorted())
        // and bea, now linked nowhere, gets her own identity
        #expect(try await setup.service.getId(poolId: setup.pool.id, logins: [setup.provider: bea]).id != identity.id)
    }

    @Test func aDatabaseThatDoesNotAnswerIsNotARefusal() async throws {
        let setup = try await setup()
        let token = try await idToken(setup.world, "cy")
        await setup.world.store.setDown(true)
        await #expect(throws: StoreError.self) { _ = try await setup.service.getId(poolId: setup.pool.id, logins: [setup.provider: token]) }
        await setup.world.store.setDown(false)
    }

    @Test func poolSettingsCognitoRefusesAreRefused() async throws {
        let setup = try await setup()
        var pool = setup.pool
        pool.roles = ["admin": Self.auth]
        #expect(throws: IdentityPoolError.self) { try setup.service.validate(pool) }
        pool = setup.pool
        pool.roleMappings = ["\(setup.provider):\(setup.world.client.clientId)": .init(kind: .rules, ambiguous: .deny, rules: [])]
        #expect(throws: IdentityPoolError.self) { try setup.service.validate(pool) }
        pool.roleMappings = ["\(setup.provider):other": .init(kind: .token, ambiguous: .deny)]
        #expect(throws: IdentityPoolError.self) { try setup.service.validate(pool) }
        pool.roleMappings = ["\(setup.provider):\(setup.world.client.clientId)": .init(kind: .token, ambiguous: nil)]
        #expect(throws: IdentityPoolError.self) { try setup.service.validate(pool) }
    }
}

/// How rules read claims: strings by the match type, lists by their members.
@Suite struct RoleRulesTests {
    static let role = "arn:aws:iam::123456789012:role/r"

    func pool(_ rules: [IdentityPool.RoleMapping.Rule], ambiguous: IdentityPool.RoleMapping.Ambiguous = .deny) -> IdentityPool {
        IdentityPool(id: "local:1", name: "p", allowUnauthenticated: false, roles: ["authenticated": "arn:aws:iam::123456789012:role/default"],
                     roleMappings: ["key": .init(kind: .rules, ambiguous: ambiguous, rules: rules)], createdAt: Date())
    }

    func choose(_ rule: IdentityPool.RoleMapping.Rule, _ claims: [String: ClaimValue]) -> String? {
        try? IdentityPoolService.chooseRole(pool: pool([rule]), authenticated: true, logins: [("key", TokenClaims(claims))], customRoleArn: nil)
    }

    @Test func matchTypes() {
        let email: [String: ClaimValue] = ["email": .string("ada@corp.example"), "cognito:groups": .strings(["superadmins", "staff"])]
        #expect(choose(.init(claim: "email", match: .equals, value: "ada@corp.example", roleARN: Self.role), email) == Self.role)
        #expect(choose(.init(claim: "email", match: .equals, value: "ada@corp", roleARN: Self.role), email) == nil)
        #expect(choose(.init(claim: "email", match: .contains, value: "@corp.", roleARN: Self.role), email) == Self.role)
        #expect(choose(.init(claim: "email", match: .startsWith, value: "ada@", roleARN: Self.role), email) == Self.role)
        #expect(choose(.init(claim: "email", match: .notEqual, value: "bob@corp.example", roleARN: Self.role), email) == Self.role)
        #expect(choose(.init(claim: "email", match: .notEqual, value: "ada@corp.example", roleARN: Self.role), email) == nil)
        // a list claim contains a member, not a part of one
        #expect(choose(.init(claim: "cognito:groups", match: .contains, value: "admins", roleARN: Self.role), email) == nil)
        #expect(choose(.init(claim: "cognito:groups", match: .contains, value: "staff", roleARN: Self.role), email) == Self.role)
        // a claim the token lacks matches nothing, not even NotEqual
        #expect(choose(.init(claim: "custom:tier", match: .notEqual, value: "gold", roleARN: Self.role), email) == nil)
    }

    @Test func tokenMappings() throws {
        let mapping = IdentityPool.RoleMapping(kind: .token, ambiguous: .authenticatedRole)
        let pool = IdentityPool(id: "local:1", name: "p", allowUnauthenticated: false, roles: ["authenticated": "default"],
                                roleMappings: ["key": mapping], createdAt: Date())
        func choose(_ claims: [String: ClaimValue], custom: String? = nil) throws -> String {
            try IdentityPoolService.chooseRole(pool: pool, authenticated: true, logins: [("key", TokenClaims(claims))], customRoleArn: custom)
        }
        #expect(try choose(["cognito:roles": .strings(["a", "b"]), "cognito:preferred_role": .string("b")]) == "b")
        #expect(try choose(["cognito:roles": .strings(["a"])]) == "a")
        #expect(try choose(["cognito:roles": .strings(["a", "b"])]) == "default")
        #expect(try choose(["cognito:roles": .strings(["a", "b"])], custom: "a") == "a")
        #expect(throws: IdentityPoolError.self) { try choose(["cognito:roles": .strings(["a", "b"])], custom: "c") }
        #expect(try choose([:]) == "default")
    }
}
