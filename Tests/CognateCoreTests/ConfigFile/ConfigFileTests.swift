import CognateCore
import CognateModel
import Foundation
import Testing

@Suite struct ConfigFileTests {
    static let valid = """
        pools:
          - id: local_Demo12345
            name: shop
            passwordPolicy:
              minimumLength: 10
              requireSymbols: false
            aliasAttributes: [email]
            autoVerifiedAttributes: [email]
            mfa: OPTIONAL
            signingAlgorithm: ES256
            tokenValidity: {idToken: 30m, accessToken: 1h, refreshToken: 7d}
            schema:
              - name: custom:tenant
                type: String
                maxLength: 64
            resourceServers:
              - identifier: https://api.shop.example
                name: Shop API
                scopes:
                  - {name: orders.read, description: Read orders}
            clients:
              - name: web
                callbackURLs: [https://shop.example/callback, http://localhost:3000/callback]
                logoutURLs: [https://shop.example/]
                allowedOAuthFlows: [code]
                allowedOAuthScopes: [openid, email, https://api.shop.example/orders.read]
              - name: backend
                generateSecret: true
                allowedOAuthFlows: [client_credentials]
                allowedOAuthScopes: [https://api.shop.example/orders.read]
            groups:
              - {name: admins, precedence: 1}
            users:
              - username: alice
                password: Correct-Horse-9
                attributes: {email: alice@shop.example, email_verified: "true", custom:tenant: acme}
                groups: [admins]
              - username: bob
                passwordHash: $2b$06$abcdefghijklmnopqrstuuE7hU5CRv7C2V6xgFHrpK4uNk6mQ4L0W
        """

    @Test func validFileIsRead() throws {
        let file = try ConfigFile.parse(Self.valid, path: "cognate.yaml")
        let pool = try #require(file.pools.first)
        #expect(pool.id == "local_Demo12345")
        #expect(pool.pool.passwordPolicy.minimumLength == 10)
        #expect(pool.pool.passwordPolicy.requireSymbols == false)
        #expect(pool.pool.signingAlgorithm == .es256)
        #expect(pool.pool.mfaConfiguration == .optional)
        #expect(pool.pool.tokenValidity == TokenValidity(idToken: 1_800, accessToken: 3_600, refreshToken: 604_800))
        #expect(pool.clients.map(\.client.name) == ["web", "backend"])
        #expect(pool.clients[1].generateSecret)
        #expect(pool.resourceServers.first?.qualifiedScopes == ["https://api.shop.example/orders.read"])
        #expect(pool.users.map(\.username) == ["alice", "bob"])
        #expect(pool.users[0].groups == ["admins"])
    }

    @Test func aMigrationSourceIsRead() throws {
        let file = try ConfigFile.parse("""
            pools:
              - name: moved
                migrateFrom:
                  region: eu-west-1
                  userPoolId: eu-west-1_Ab3dE6gH9
                  clientId: 1example23456789
                  clientSecret: old-client-secret
                  credentials: {accessKeyId: AKIDEXAMPLE, secretAccessKey: wJalrXUtnFEMI/K7MDENG}
            """, path: "cognate.yaml")
        let source = try #require(file.pools.first?.migrateFrom)
        #expect(source.url == "https://cognito-idp.eu-west-1.amazonaws.com/")
        #expect(source.userPoolId == "eu-west-1_Ab3dE6gH9" && source.clientId == "1example23456789" && source.clientSecret == "old-client-secret")
        #expect(source.credentials == AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG"))
    }

    @Test func signInPolicyPasskeysDevicesAndTagsAreRead() throws {
        let file = try ConfigFile.parse("""
            pools:
              - name: shop
                signInPolicy: {allowedFirstAuthFactors: [PASSWORD, EMAIL_OTP, WEB_AUTHN]}
                passkeys: {relyingPartyId: Auth.Shop.example, userVerification: required, factorConfiguration: MULTI_FACTOR_WITH_USER_VERIFICATION}
                devices: {challengeRequiredOnNewDevice: true}
                tags: {team: identity}
            """, path: "cognate.yaml")
        let pool = try #require(file.pools.first).pool
        #expect(pool.firstAuthFactors == ["PASSWORD", "EMAIL_OTP", "WEB_AUTHN"])
        #expect(pool.webAuthnConfiguration == WebAuthnConfiguration(relyingPartyId: "auth.shop.example", userVerification: "required",
                                                                    factorConfiguration: "MULTI_FACTOR_WITH_USER_VERIFICATION"))
        #expect(pool.deviceConfiguration == DeviceConfiguration(challengeRequiredOnNewDevice: true, deviceOnlyRememberedOnUserPrompt: false))
        #expect(pool.tags == ["team": "identity"])
        for bad in ["signInPolicy: {allowedFirstAuthFactors: [PASSWORD, FACE_ID]}", "passkeys: {userVerification: always}",
                    "passkeys: {factorConfiguration: TWO}"] {
            #expect(throws: ConfigFileError.self, "\(bad)") { try ConfigFile.parse("pools:\n  - name: a\n    \(bad)\n", path: "cognate.yaml") }
        }
    }

    @Test func emptyFileDeclaresNothing() throws {
        #expect(try ConfigFile.parse("", path: "empty.yaml").pools.isEmpty)
    }

    struct Bad: Sendable, CustomTestStringConvertible {
        var yaml: String
        var line: Int
        var field: String
        var message: String
        var testDescription: String { "\(field): \(message)" }
    }

    static let bad: [Bad] = [
        Bad(yaml: "pools:\n  - name: a\n    passwordPolicy:\n      minimumLenght: 8\n", line: 4, field: "pools[0].passwordPolicy.minimumLenght", message: "unknown field"),
        Bad(yaml: "pools:\n  - name: a\n    passwordPolicy:\n      minimumLength: 3\n", line: 4, field: "pools[0].passwordPolicy.minimumLength", message: "6 to 99"),
        Bad(yaml: "pools:\n  - name: a\n    caseSensitive: maybe\n", line: 3, field: "pools[0].caseSensitive", message: "true or false"),
        Bad(yaml: "pools:\n  - name: a\n    passkeys: {relyingPartyId: 'https://x.example'}\n", line: 3, field: "pools[0].passkeys.relyingPartyId",
            message: "domain name"),
        Bad(yaml: "pools:\n  - name: a\n    tags: {'aws:x': y}\n", line: 3, field: "pools[0].tags", message: "at most 50 tags"),
        Bad(yaml: "pools:\n  - name: a\n    mfa: SOMETIMES\n", line: 3, field: "pools[0].mfa", message: "OFF, ON, OPTIONAL"),
        Bad(yaml: "pools:\n  - passwordPolicy: {}\n", line: 2, field: "pools[0]", message: "missing required field 'name'"),
        Bad(yaml: "pools:\n  - name: a\n  - name: a\n", line: 3, field: "pools[1].name", message: "declared twice"),
        Bad(yaml: "pools:\n  - name: a\n    id: nope\n", line: 3, field: "pools[0].id", message: "<region>_"),
        Bad(yaml: "pools:\n  - name: a\n    clients:\n      - name: c\n        callbackURLs: [http://evil.example/cb]\n        allowedOAuthFlows: [code]\n",
            line: 5, field: "pools[0].clients[0].callbackURLs[0]", message: "https"),
        Bad(yaml: "pools:\n  - name: a\n    clients:\n      - name: c\n        allowedOAuthScopes: [openid, api/read]\n",
            line: 5, field: "pools[0].clients[0].allowedOAuthScopes[1]", message: "unknown scope"),
        Bad(yaml: "pools:\n  - name: a\n    clients:\n      - name: c\n        allowedOAuthFlows: [client_credentials]\n",
            line: 5, field: "pools[0].clients[0].allowedOAuthFlows", message: "secret"),
        Bad(yaml: "pools:\n  - name: a\n    users:\n      - username: u\n        password: short\n",
            line: 5, field: "pools[0].users[0].password", message: "Password"),
        Bad(yaml: "pools:\n  - name: a\n    users:\n      - username: u\n        passwordHash: $1$md5$xyz\n",
            line: 5, field: "pools[0].users[0].passwordHash", message: "unsupported hash"),
        Bad(yaml: "pools:\n  - name: a\n    users:\n      - username: u\n        groups: [ghosts]\n",
            line: 5, field: "pools[0].users[0].groups[0]", message: "not declared"),
        Bad(yaml: "pools:\n  - name: a\n    tokenValidity: {idToken: 2d}\n", line: 3, field: "pools[0].tokenValidity.idToken", message: "24 hours"),
        Bad(yaml: "pools:\n  - name: a\n    schema:\n      - {name: 'custom:', type: String}\n", line: 4, field: "pools[0].schema[0]", message: "custom"),
        Bad(yaml: "pools:\n  - name: [unclosed\n", line: 3, field: "", message: "invalid YAML"),
        Bad(yaml: "pools: {name: a}\n", line: 1, field: "pools", message: "expected a list"),
        Bad(yaml: "pools:\n  - name: a\n    clients:\n      - name: c\n        supportedIdentityProviders: [COGNITO, Corp]\n",
            line: 5, field: "pools[0].clients[0].supportedIdentityProviders[1]", message: "unknown identity provider"),
        Bad(yaml: "pools:\n  - name: a\n    identityProviders:\n      - {name: MyGoogle, type: Google, details: {client_id: a, client_secret: b, authorize_scopes: openid}}\n",
            line: 4, field: "pools[0].identityProviders[0].name", message: "must be Google"),
        Bad(yaml: "pools:\n  - name: a\n    identityProviders:\n      - name: Corp\n        type: OIDC\n        details: {client_id: a}\n",
            line: 6, field: "pools[0].identityProviders[0].details", message: "required"),
        Bad(yaml: "pools:\n  - name: a\n    identityProviders:\n      - {name: Corp, type: Twitter}\n",
            line: 4, field: "pools[0].identityProviders[0].type", message: "expected one of"),
        Bad(yaml: "pools:\n  - name: a\n    migrateFrom: {region: us-east-1, clientId: abc}\n", line: 3, field: "pools[0].migrateFrom",
            message: "missing required field 'userPoolId'"),
        Bad(yaml: "pools:\n  - name: a\n    migrateFrom:\n      endpoint: http://old.example/\n      region: us-east-1\n      userPoolId: us-east-1_abc\n      clientId: abc\n",
            line: 4, field: "pools[0].migrateFrom.endpoint", message: "https://"),
        Bad(yaml: "pools:\n  - name: a\n    migrateFrom:\n      region: us-east-1\n      userPoolId: nope\n      clientId: abc\n",
            line: 5, field: "pools[0].migrateFrom.userPoolId", message: "user pool id"),
        Bad(yaml: "pools:\n  - name: a\n    migrateFrom:\n      region: us-east-1\n      userPoolId: us-east-1_abc\n      clientId: abc\n      credentials: {accessKeyId: AKID}\n",
            line: 7, field: "pools[0].migrateFrom.credentials", message: "secretAccessKey"),
    ]

    static let federated = """
        pools:
          - name: federated
            identityProviders:
              - name: Corp
                type: OIDC
                details: {client_id: app, client_secret: corp-secret-0815, authorize_scopes: openid email,
                          attributes_request_method: GET, oidc_issuer: "https://login.corp.example"}
                attributeMapping: {email: email}
                identifiers: [corp.example]
            clients:
              - name: web
                callbackURLs: [https://app.example/cb]
                allowedOAuthFlows: [code]
                allowedOAuthScopes: [openid]
                supportedIdentityProviders: [COGNITO, Corp]
        """

    /// Applied to the in-memory store: the provider is made with its secret sealed, the client
    /// names it, and applying the same file again changes nothing.
    @Test func identityProvidersAreAppliedOnceAndSealed() async throws {
        let world = try await CoreWorld.make()
        let file = try ConfigFile.parse(Self.federated, path: "cognate.yaml")
        let applier = ConfigFileApplier(store: world.store, pools: world.pools, keyring: world.keyring,
                                        credentials: Credentials(hasher: world.hasher, masterKey: world.masterKey), now: world.clock.now)
        let first = try await applier.apply(file)
        #expect(first.created.contains { $0.hasPrefix("identity provider Corp") })
        let pool = try #require(try await world.store.pool(named: "federated"))
        let provider = try #require(try await world.store.identityProvider(poolId: pool.id, name: "Corp"))
        #expect(provider.details["client_secret"] == nil && provider.sealedSecrets["client_secret"] != nil)
        #expect(provider.attributeMapping == ["email": "email", "username": "sub"])
        #expect(try await world.store.identityProvider(poolId: pool.id, identifier: "CORP.example")?.name == "Corp")
        #expect(try await world.store.listClients(poolId: pool.id, limit: 5, after: nil).items.first?.supportedIdentityProviders == ["COGNITO", "Corp"])
        world.clock.advance(60)
        let again = try await applier.apply(file)
        #expect(again.created.isEmpty && again.updated.isEmpty, "\(again.created) \(again.updated)")
        let changed = try ConfigFile.parse(Self.federated.replacingOccurrences(of: "{email: email}", with: "{email: mail}"), path: "cognate.yaml")
        #expect(try await applier.apply(changed).updated == ["identity provider Corp in \(pool.id)"])
        #expect(try await world.store.identityProvider(poolId: pool.id, name: "Corp")?.attributeMapping["email"] == "mail")
    }

    /// A SAML IdP declared with its metadata inline: made once (the binding URIs read from the
    /// metadata are no difference), and a second apply changes nothing.
    @Test func aSAMLProviderIsDeclaredWithItsMetadata() async throws {
        let world = try await CoreWorld.make()
        let metadata = SAMLMetadataTests.metadata(SAMLMetadataTests.idp).split(separator: "\n").map { "              " + $0 }.joined(separator: "\n")
        let yaml = """
            pools:
              - name: enterprise
                identityProviders:
                  - name: Okta
                    type: SAML
                    details:
                      IDPSignout: "true"
                      MetadataFile: |
            \(metadata)
                    identifiers: [corp.example]
            """
        let applier = ConfigFileApplier(store: world.store, pools: world.pools, keyring: world.keyring,
                                        credentials: Credentials(hasher: world.hasher, masterKey: world.masterKey), now: world.clock.now)
        let first = try await applier.apply(try ConfigFile.parse(yaml, path: "cognate.yaml"))
        #expect(first.created.contains { $0.hasPrefix("identity provider Okta") })
        let pool = try #require(try await world.store.pool(named: "enterprise"))
        let provider = try #require(try await world.store.identityProvider(poolId: pool.id, name: "Okta"))
        #expect(provider.details["SSORedirectBindingURI"] == "https://idp.corp.example/sso" && provider.details["IDPSignout"] == "true")
        let again = try await applier.apply(try ConfigFile.parse(yaml, path: "cognate.yaml"))
        #expect(again.created.isEmpty && again.updated.isEmpty, "\(again.created) \(again.updated)")
    }

    /// Classic customizations declared for the pool (ALL) and for a client, with a logo read
    /// from a file beside the config file: set once, checked as SetUICustomization checks them.
    @Test func uiCustomizationsAreDeclaredForThePoolAndAClient() async throws {
        let world = try await CoreWorld.make()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cognate-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let logo = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) + Data(count: 32)
        try logo.write(to: folder.appendingPathComponent("logo.png"))
        let path = folder.appendingPathComponent("cognate.yaml").path
        let yaml = """
            pools:
              - name: branded
                uiCustomization:
                  css: ".label-customizable { font-weight: 700; }"
                clients:
                  - name: web
                    callbackURLs: [https://app.example/cb]
                    allowedOAuthFlows: [code]
                    allowedOAuthScopes: [openid]
                    uiCustomization: {css: ".submitButton-customizable { background-color: #0a7d3b; }", logo: logo.png}
            """
        let applier = ConfigFileApplier(store: world.store, pools: world.pools, keyring: world.keyring,
                                        credentials: Credentials(hasher: world.hasher, masterKey: world.masterKey), now: world.clock.now)
        let first = try await applier.apply(try ConfigFile.parse(yaml, path: path))
        let pool = try #require(try await world.store.pool(named: "branded"))
        let client = try #require(try await world.store.listClients(poolId: pool.id, limit: 5, after: nil).items.first)
        #expect(try await world.store.uiCustomization(poolId: pool.id, clientId: "ALL")?.css == ".label-customizable { font-weight: 700; }")
        let own = try await world.store.uiCustomization(poolId: pool.id, clientId: client.clientId)
        #expect(own?.image == logo && own?.imageType == "image/png" && own?.css?.contains("#0a7d3b") == true)
        #expect(first.created.filter { $0.hasPrefix("UI customization") }.count == 2)
        let again = try await applier.apply(try ConfigFile.parse(yaml, path: path))
        #expect(again.created.isEmpty && again.updated.isEmpty, "\(again.created) \(again.updated)")
        // what SetUICustomization refuses, the file refuses, naming the line
        let bad = yaml.replacingOccurrences(of: "font-weight: 700", with: "color: red")
        let error = #expect(throws: ConfigFileError.self) { try ConfigFile.parse(bad, path: path) }
        #expect(error?.line == 4 && error?.message.contains("color may not be set") == true, "\(String(describing: error))")
        let missing = yaml.replacingOccurrences(of: "logo: logo.png", with: "logo: nowhere.png")
        #expect(throws: ConfigFileError.self) { try ConfigFile.parse(missing, path: path) }
    }

    @Test(arguments: bad)
    func invalidFileNamesFileLineAndField(_ bad: Bad) {
        // when
        let error = #expect(throws: ConfigFileError.self) { try ConfigFile.parse(bad.yaml, path: "cognate.yaml") }
        // then
        #expect(error?.file == "cognate.yaml")
        #expect(error?.line == bad.line)
        #expect(error?.field == bad.field)
        #expect(error?.message.contains(bad.message) == true, "\(error?.message ?? "")")
        #expect(error?.description.hasPrefix("cognate.yaml:\(bad.line):") == true)
    }
}
