import CognateModel
import Foundation
import Yams

/// The declarative config file (README, "Config file"): pools with their clients, resource
/// servers, groups and users, applied idempotently at start.
public struct ConfigFile: Sendable {
    public struct PoolDeclaration: Sendable {
        public var id: String?
        /// The pool's settings; `id` and dates are placeholders until applied.
        public var pool: UserPool
        public var clients: [ClientDeclaration]
        public var resourceServers: [ResourceServer]
        public var groups: [Group]
        public var users: [UserDeclaration]
        public var identityProviders: [IdentityProviderDeclaration] = []
        /// The classic customization of every client without its own (Cognito's `ALL`).
        public var uiCustomization: UICustomizationDeclaration?
        /// The secret the pool's trigger requests are signed with (`whsec_…`); nil: made on first use.
        public var triggerSecret: String?
        /// The Cognito pool its users move over from (`migrateFrom`); nil: left as it is.
        public var migrateFrom: MigrationSource?
    }

    /// A classic hosted-page customization, as SetUICustomization takes it: the CSS, and a logo
    /// read from a file (relative to the config file).
    public struct UICustomizationDeclaration: Sendable, Equatable {
        public var css: String?
        public var logo: Data?
        public var logoType: String?
    }

    /// An outside identity provider, as CreateIdentityProvider takes it.
    public struct IdentityProviderDeclaration: Sendable {
        public var name: String
        public var type: IdentityProvider.Kind
        public var details: [String: String]
        public var attributeMapping: [String: String]
        public var identifiers: [String]
    }

    public struct ClientDeclaration: Sendable {
        public var id: String?
        public var secret: String?
        public var generateSecret: Bool
        /// The client's settings; `clientId`, `poolId`, secret and dates are placeholders.
        public var client: AppClient
        /// Its own classic customization, replacing the pool's.
        public var uiCustomization: UICustomizationDeclaration?
        /// Its managed login style (as CreateManagedLoginBranding makes it).
        public var managedLogin: ManagedLoginDeclaration?
    }

    /// `managedLogin: {settings: {…Cognito's Settings document…}, assets: [{category, colorMode, file}]}`.
    public struct ManagedLoginDeclaration: Sendable {
        /// The Settings document as JSON text (keys sorted), checked; nil for none.
        public var settings: String?
        public var assets: [ManagedLoginAsset]
        public var files: [ManagedLoginAsset.Key: Data]
    }

    public struct UserDeclaration: Sendable {
        public enum Password: Sendable {
            case none, permanent(String), temporary(String), imported(hash: String)
        }

        public var username: String
        public var password: Password
        public var attributes: [String: String]
        public var enabled: Bool
        public var groups: [String]
    }

    public var path: String
    public var pools: [PoolDeclaration]

    public static func load(path: String) throws -> ConfigFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigFileError(file: path, line: 0, column: 0, field: "", message: "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigFileError(file: path, line: 0, column: 0, field: "", message: "the file is not UTF-8 text")
        }
        return try parse(text, path: path)
    }

    public static func parse(_ text: String, path: String) throws -> ConfigFile {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw Self.syntaxError(error, path: path)
        }
        guard let node else { return ConfigFile(path: path, pools: []) }
        let root = YAMLField(node: node, path: "", file: path, marks: MarkTable())
        let fields = try root.mapping(["pools"])
        var pools: [PoolDeclaration] = []
        var names: Set<String> = []
        for field in try fields["pools"]?.sequence() ?? [] {
            let declaration = try parsePool(field)
            guard names.insert(declaration.pool.name).inserted else {
                throw field.error("pool name '\(declaration.pool.name)' is declared twice", field: "\(field.path).name")
            }
            pools.append(declaration)
        }
        return ConfigFile(path: path, pools: pools)
    }

    static func syntaxError(_ error: YamlError, path: String) -> ConfigFileError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return ConfigFileError(file: path, line: mark.line, column: mark.column, field: "", message: "invalid YAML: \(problem)")
        default:
            return ConfigFileError(file: path, line: 0, column: 0, field: "", message: "invalid YAML: \(error)")
        }
    }

    // MARK: Pools

    static let epoch = Date(timeIntervalSince1970: 0)

    static func parsePool(_ field: YAMLField) throws -> PoolDeclaration {
        let f = try field.mapping([
            "id", "name", "passwordPolicy", "usernameAttributes", "aliasAttributes", "caseSensitive",
            "autoVerifiedAttributes", "mfa", "signingAlgorithm", "tokenValidity", "schema", "clients",
            "resourceServers", "groups", "users", "identityProviders", "uiCustomization", "locale", "theme", "lambdaConfig", "triggerSecret",
            "migrateFrom", "signInPolicy", "passkeys", "devices", "tags",
        ])
        guard let nameField = f["name"] else { throw field.error("missing required field 'name'") }
        var pool = UserPool(id: "", name: try nameField.nonEmptyString(), createdAt: epoch, updatedAt: epoch)
        let id = try f["id"]?.nonEmptyString()
        if let id, let idField = f["id"], !PoolID.isValid(id) {
            throw idField.error("must look like <region>_<9 letters or digits>, e.g. local_Ab3dE6gH9")
        }
        if let p = try f["passwordPolicy"]?.mapping([
            "minimumLength", "requireUppercase", "requireLowercase", "requireNumbers", "requireSymbols",
            "temporaryPasswordValidityDays",
        ]) {
            var policy = PasswordPolicy()
            if let v = p["minimumLength"] { policy.minimumLength = try v.int() }
            if let v = p["requireUppercase"] { policy.requireUppercase = try v.bool() }
            if let v = p["requireLowercase"] { policy.requireLowercase = try v.bool() }
            if let v = p["requireNumbers"] { policy.requireNumbers = try v.bool() }
            if let v = p["requireSymbols"] { policy.requireSymbols = try v.bool() }
            if let v = p["temporaryPasswordValidityDays"] { policy.temporaryPasswordValidityDays = try v.int() }
            pool.passwordPolicy = policy
        }
        if let v = f["usernameAttributes"] { pool.usernameAttributes = try v.strings() }
        if let v = f["aliasAttributes"] { pool.aliasAttributes = try v.strings() }
        if let v = f["caseSensitive"] { pool.caseSensitive = try v.bool() }
        if let v = f["autoVerifiedAttributes"] { pool.autoVerifiedAttributes = try v.strings() }
        if let v = f["mfa"] { pool.mfaConfiguration = try v.oneOf(MFAConfiguration.self) }
        if let v = f["signingAlgorithm"] { pool.signingAlgorithm = try v.oneOf(SigningAlgorithm.self) }
        if let v = f["tokenValidity"] { pool.tokenValidity = try parseValidity(v) }
        if let v = f["schema"] { pool.schema = try v.sequence().map(parseAttribute) }
        if let v = f["locale"] {
            let tag = try v.nonEmptyString()
            guard MessageCatalogs.wellFormed(tag), tag.count <= 35 else { throw v.error("must be a language tag such as en, de or pt-BR") }
            pool.defaultLocale = tag
        }
        if let v = f["theme"] { pool.theme = try themeName(v) }
        if let v = f["lambdaConfig"] { pool.lambdaConfig = try parseLambdaConfig(v) }
        if let v = f["signInPolicy"] {
            pool.allowedFirstAuthFactors = try v.mapping(["allowedFirstAuthFactors"])["allowedFirstAuthFactors"]?.strings()
        }
        if let v = f["passkeys"] {
            let p = try v.mapping(["relyingPartyId", "userVerification", "factorConfiguration"])
            var passkeys = WebAuthnConfiguration()
            if let id = p["relyingPartyId"] {
                let text = try id.nonEmptyString().lowercased()
                guard text.count <= 127, !text.contains(":"), !text.contains("/"), text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") })
                else { throw id.error("must be a domain name such as auth.example.com, without a scheme or port") }
                passkeys.relyingPartyId = text
            }
            if let u = p["userVerification"] { passkeys.userVerification = try u.nonEmptyString() }
            if let c = p["factorConfiguration"] { passkeys.factorConfiguration = try c.nonEmptyString() }
            pool.webAuthnConfiguration = passkeys
        }
        if let v = f["devices"] {
            let d = try v.mapping(["challengeRequiredOnNewDevice", "deviceOnlyRememberedOnUserPrompt"])
            pool.deviceConfiguration = DeviceConfiguration(challengeRequiredOnNewDevice: try d["challengeRequiredOnNewDevice"]?.bool() ?? false,
                                                           deviceOnlyRememberedOnUserPrompt: try d["deviceOnlyRememberedOnUserPrompt"]?.bool() ?? false)
        }
        if let v = f["tags"] {
            let tags = try v.stringMap()
            guard tags.count <= 50, tags.keys.allSatisfy({ !$0.isEmpty && $0.count <= 128 && !$0.lowercased().hasPrefix("aws:") }),
                tags.values.allSatisfy({ $0.count <= 256 })
            else { throw v.error("at most 50 tags, keys of 1 to 128 characters not starting with aws:, values of 256 at most") }
            pool.tags = tags
        }
        let triggerSecret = try f["triggerSecret"].map { field -> String in
            let secret = try field.nonEmptyString()
            guard WebhookSigning.key(secret) != nil else { throw field.error("must be whsec_ and the base64 of 24 to 64 random bytes") }
            return secret
        }
        try check(PoolRules.validate(pool), in: field)

        let resourceServers = try f["resourceServers"]?.sequence().map(parseResourceServer) ?? []
        let knownScopes = Set(["openid", "email", "phone", "profile", "aws.cognito.signin.user.admin"])
            .union(resourceServers.flatMap(\.qualifiedScopes))
        let providers = try f["identityProviders"]?.sequence().map { try parseIdentityProvider($0, pool: pool) } ?? []
        try unique(providers.map(\.name), in: f["identityProviders"], what: "identity provider name")
        let clients = try f["clients"]?.sequence().map {
            try parseClient($0, pool: pool, knownScopes: knownScopes, knownProviders: Set(providers.map(\.name)).union(["COGNITO"]))
        } ?? []
        let groups = try f["groups"]?.sequence().map(parseGroup) ?? []
        let users = try f["users"]?.sequence().map { try parseUser($0, pool: pool, groups: Set(groups.map(\.name))) } ?? []
        try unique(clients.map(\.client.name), in: f["clients"], what: "client name")
        try unique(resourceServers.map(\.identifier), in: f["resourceServers"], what: "resource server identifier")
        try unique(groups.map(\.name), in: f["groups"], what: "group name")
        try unique(users.map { UserIdentifier.key($0.username, caseSensitive: pool.caseSensitive) }, in: f["users"], what: "user name")
        return PoolDeclaration(id: id, pool: pool, clients: clients, resourceServers: resourceServers, groups: groups, users: users,
                               identityProviders: providers, uiCustomization: try f["uiCustomization"].map(parseUICustomization),
                               triggerSecret: triggerSecret, migrateFrom: try f["migrateFrom"].map(parseMigrationSource))
    }

    /// `uiCustomization: {css: …, logo: path}`, checked as SetUICustomization checks it.
    static func parseUICustomization(_ field: YAMLField) throws -> UICustomizationDeclaration {
        let f = try field.mapping(["css", "logo"])
        var declaration = UICustomizationDeclaration()
        if let css = f["css"] {
            let text = try css.string()
            do {
                _ = try UICustomizationRules.rules(text)
            } catch {
                throw css.error(error.message)
            }
            declaration.css = text
        }
        if let logo = f["logo"] {
            let name = try logo.nonEmptyString()
            let path = name.hasPrefix("/") ? name : URL(fileURLWithPath: field.file).deletingLastPathComponent().appendingPathComponent(name).path
            guard let data = FileManager.default.contents(atPath: path) else { throw logo.error("cannot read \(path)") }
            do {
                declaration.logoType = try UICustomizationRules.imageType(data)
            } catch {
                throw logo.error(error.message)
            }
            declaration.logo = data
        }
        return declaration
    }

    /// `lambdaConfig: {PreSignUp: https://…, …, preTokenGenerationVersion: V2_0}`: Cognito's trigger names.
    static func parseLambdaConfig(_ field: YAMLField) throws -> LambdaConfig {
        let f = try field.mapping(Set(LambdaConfig.names + ["preTokenGenerationVersion", "kmsKeyID"]))
        var config = LambdaConfig()
        for name in LambdaConfig.names {
            guard let value = f[name] else { continue }
            let target = try value.nonEmptyString()
            guard Triggers.isTarget(target) else {
                throw value.error("must be an https:// URL (http only on a loopback host) or an arn:aws:lambda: function ARN")
            }
            config.targets[name] = target
        }
        if let version = f["preTokenGenerationVersion"] {
            let text = try version.string()
            guard ["V1_0", "V2_0", "V3_0"].contains(text) else { throw version.error("must be V1_0, V2_0 or V3_0") }
            config.preTokenGenerationVersion = text
        }
        for name in ["CustomSMSSender", "CustomEmailSender"] where config[name] != nil { config.versions[name] = "V1_0" }
        if let key = f["kmsKeyID"] { config.kmsKeyID = try key.nonEmptyString() }
        if let problem = config.customSenderProblem { throw field.error(problem) }
        return config
    }

    /// `migrateFrom: {endpoint, region, userPoolId, clientId, clientSecret, credentials: {accessKeyId,
    /// secretAccessKey, sessionToken}}`: the Cognito pool users move over from.
    static func parseMigrationSource(_ field: YAMLField) throws -> MigrationSource {
        let f = try field.mapping(["endpoint", "region", "userPoolId", "clientId", "clientSecret", "credentials"])
        func required(_ name: String) throws -> String {
            guard let value = f[name] else { throw field.error("missing required field '\(name)'") }
            return try value.nonEmptyString()
        }
        var credentials: AWSCredentials?
        if let given = f["credentials"] {
            let c = try given.mapping(["accessKeyId", "secretAccessKey", "sessionToken"])
            guard let id = c["accessKeyId"], let secret = c["secretAccessKey"] else {
                throw given.error("needs accessKeyId and secretAccessKey (or leave it out for AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)")
            }
            credentials = AWSCredentials(accessKeyId: try id.nonEmptyString(), secretAccessKey: try secret.nonEmptyString(),
                                         sessionToken: try c["sessionToken"]?.nonEmptyString())
        }
        let source = MigrationSource(endpoint: try f["endpoint"]?.nonEmptyString(), region: try required("region"),
                                     userPoolId: try required("userPoolId"), clientId: try required("clientId"),
                                     clientSecret: try f["clientSecret"]?.nonEmptyString(), credentials: credentials)
        if let (name, message) = source.problem { throw (f[name] ?? field).error(message) }
        return source
    }

    /// A theme's name: a folder of COGNATE_THEMES_DIR (that it is there is checked at start).
    static func themeName(_ field: YAMLField) throws -> String {
        let name = try field.nonEmptyString()
        guard name.count <= 64, name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw field.error("must be a theme's folder name: lowercase letters, digits, - and _")
        }
        return name
    }

    /// A client's managed login style: the Settings document written as YAML (colours quoted or
    /// not: a value of a key ending in `Color` is always text), images read from files beside the
    /// config file; checked as CreateManagedLoginBranding checks them.
    static func parseManagedLogin(_ field: YAMLField) throws -> ManagedLoginDeclaration {
        let f = try field.mapping(["settings", "assets"])
        var declaration = ManagedLoginDeclaration(settings: nil, assets: [], files: [:])
        if let settings = f["settings"] {
            guard case .mapping = settings.node else { throw settings.error("expected a mapping (the Settings document)") }
            let object = json(settings.node, key: "")
            let text = String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]),
                              as: UTF8.self)
            do {
                _ = try ManagedLoginStyle.read(text)
            } catch {
                throw settings.error(error.message)
            }
            declaration.settings = text
        }
        for (index, item) in (try f["assets"]?.sequence() ?? []).enumerated() {
            let a = try item.mapping(["category", "colorMode", "file"])
            guard let category = a["category"], let mode = a["colorMode"], let file = a["file"] else {
                throw item.error("an asset needs category, colorMode and file")
            }
            let name = try file.nonEmptyString()
            let path = name.hasPrefix("/") ? name : URL(fileURLWithPath: field.file).deletingLastPathComponent().appendingPathComponent(name).path
            guard let bytes = FileManager.default.contents(atPath: path) else { throw file.error("cannot read \(path)") }
            let fileExtension = switch (path as NSString).pathExtension.lowercased() {
            case "jpg", "jpeg": "JPEG"
            case let other: other.uppercased()
            }
            do {
                let asset = try ManagedLoginAssets.check(category: try category.string(), colorMode: try mode.string(), fileExtension: fileExtension,
                                                         resourceId: nil, bytes: bytes)
                guard declaration.files[asset.key] == nil else { throw ValidationError(field: "Assets", message: "a second \(asset.category) for \(asset.colorMode)") }
                declaration.assets.append(asset)
                declaration.files[asset.key] = bytes
            } catch let error as ValidationError {
                throw item.error(error.message, field: "\(f["assets"]!.path)[\(index)]")
            }
        }
        return declaration
    }

    /// A YAML node as JSON: mappings, sequences, and scalars as booleans, numbers or text.
    static func json(_ node: Node, key: String) -> Any {
        switch node {
        case .mapping(let mapping):
            var object: [String: Any] = [:]
            for (name, value) in mapping {
                let text = name.string ?? ""
                object[text] = json(value, key: text)
            }
            return object
        case .sequence(let items):
            return items.map { json($0, key: key) }
        case .scalar(let scalar):
            if key.lowercased().hasSuffix("color") { return scalar.string }
            if let flag = node.bool { return flag }
            if let number = node.int { return number }
            if let number = node.float { return number }
            return scalar.string
        case .alias:
            return NSNull()
        }
    }

    static func unique(_ values: [String], in field: YAMLField?, what: String) throws {
        var seen: Set<String> = []
        for (index, value) in values.enumerated() where !seen.insert(value).inserted {
            let path = "\(field?.path ?? "")[\(index)]"
            throw field?.error("\(what) '\(value)' is declared twice", field: path)
                ?? ConfigFileError(file: "", line: 0, column: 0, field: path, message: "duplicate")
        }
    }

    /// Turns rule violations into a file error at the offending field.
    static func check(_ errors: [ValidationError], in field: YAMLField) throws {
        guard let first = errors.first else { return }
        throw field.error(first.message, field: "\(field.path).\(first.field)")
    }

    static func parseValidity(_ field: YAMLField) throws -> TokenValidity {
        let f = try field.mapping(["idToken", "accessToken", "refreshToken"])
        var validity = TokenValidity()
        if let v = f["idToken"] { validity.idToken = try v.duration() }
        if let v = f["accessToken"] { validity.accessToken = try v.duration() }
        if let v = f["refreshToken"] { validity.refreshToken = try v.duration() }
        return validity
    }

    static func parseAttribute(_ field: YAMLField) throws -> SchemaAttribute {
        let f = try field.mapping(["name", "type", "mutable", "required", "minLength", "maxLength", "minValue", "maxValue"])
        guard let name = f["name"] else { throw field.error("missing required field 'name'") }
        var attribute = SchemaAttribute(name: try name.nonEmptyString())
        if let v = f["type"] { attribute.dataType = try v.oneOf(SchemaAttribute.DataType.self) }
        if let v = f["mutable"] { attribute.mutable = try v.bool() }
        if let v = f["required"] { attribute.required = try v.bool() }
        if let v = f["minLength"] { attribute.minLength = try v.int() }
        if let v = f["maxLength"] { attribute.maxLength = try v.int() }
        if let v = f["minValue"] { attribute.minValue = try v.int() }
        if let v = f["maxValue"] { attribute.maxValue = try v.int() }
        return attribute
    }

    // MARK: Clients, resource servers, groups, users

    static func parseIdentityProvider(_ field: YAMLField, pool: UserPool) throws -> IdentityProviderDeclaration {
        let f = try field.mapping(["name", "type", "details", "attributeMapping", "identifiers"])
        guard let name = f["name"] else { throw field.error("missing required field 'name'") }
        guard let type = f["type"] else { throw field.error("missing required field 'type'") }
        let declaration = IdentityProviderDeclaration(
            name: try name.nonEmptyString(), type: try type.oneOf(IdentityProvider.Kind.self), details: try f["details"]?.stringMap() ?? [:],
            attributeMapping: try f["attributeMapping"]?.stringMap() ?? [:], identifiers: try f["identifiers"]?.strings() ?? [])
        do {
            try IdentityProviderService.check(name: declaration.name, type: declaration.type, details: declaration.details)
            _ = try IdentityProviderService.mapping(declaration.attributeMapping, type: declaration.type, pool: pool)
            _ = try IdentityProviderService.identifiers(declaration.identifiers)
        } catch let error as ValidationError {
            let key = ["ProviderName": "name", "ProviderDetails": "details", "AttributeMapping": "attributeMapping",
                       "IdpIdentifiers": "identifiers"][error.field] ?? error.field
            throw field.error(error.message, field: "\(field.path).\(key)")
        }
        return declaration
    }

    static func parseClient(_ field: YAMLField, pool: UserPool, knownScopes: Set<String>, knownProviders: Set<String>) throws -> ClientDeclaration {
        let f = try field.mapping([
            "id", "name", "secret", "generateSecret", "callbackURLs", "logoutURLs", "allowedOAuthFlows",
            "allowedOAuthScopes", "supportedIdentityProviders", "explicitAuthFlows", "tokenValidity",
            "refreshTokenRotation", "uiCustomization", "managedLogin", "theme",
        ])
        guard let name = f["name"] else { throw field.error("missing required field 'name'") }
        let id = try f["id"]?.nonEmptyString()
        let secret = try f["secret"]?.nonEmptyString()
        if let secret, secret.count < 32 { throw f["secret"]!.error("must be at least 32 characters") }
        let generateSecret = try f["generateSecret"]?.bool() ?? false
        var client = AppClient(
            poolId: pool.id, clientId: id ?? String(repeating: "a", count: 26), name: try name.nonEmptyString(),
            secretHash: (secret != nil || generateSecret) ? "" : nil, tokenValidity: pool.tokenValidity,
            createdAt: epoch, updatedAt: epoch)
        if let v = f["callbackURLs"] { client.callbackURLs = try v.strings() }
        if let v = f["logoutURLs"] { client.logoutURLs = try v.strings() }
        if let v = f["allowedOAuthFlows"] {
            client.allowedOAuthFlows = try v.sequence().map { try $0.oneOf(OAuthFlow.self) }
            client.allowedOAuthFlowsUserPoolClient = !client.allowedOAuthFlows.isEmpty
        }
        if let v = f["allowedOAuthScopes"] {
            client.allowedOAuthScopes = try v.strings()
            for (index, scope) in client.allowedOAuthScopes.enumerated() where !knownScopes.contains(scope) {
                throw v.error("unknown scope '\(scope)'; declare it on a resource server", field: "\(v.path)[\(index)]")
            }
        }
        if let v = f["supportedIdentityProviders"] {
            client.supportedIdentityProviders = try v.strings()
            for (index, provider) in client.supportedIdentityProviders.enumerated() where !knownProviders.contains(provider) {
                throw v.error("unknown identity provider '\(provider)'; declare it under identityProviders", field: "\(v.path)[\(index)]")
            }
        }
        if let v = f["explicitAuthFlows"] { client.explicitAuthFlows = try v.strings() }
        if let v = f["tokenValidity"] { client.tokenValidity = try parseValidity(v) }
        if let v = f["refreshTokenRotation"] { client.refreshTokenRotation = try v.bool() }
        if let v = f["theme"] { client.theme = try themeName(v) }
        try check(PoolRules.validate(client), in: field)
        return ClientDeclaration(id: id, secret: secret, generateSecret: generateSecret, client: client,
                                 uiCustomization: try f["uiCustomization"].map(parseUICustomization),
                                 managedLogin: try f["managedLogin"].map(parseManagedLogin))
    }

    static func parseResourceServer(_ field: YAMLField) throws -> ResourceServer {
        let f = try field.mapping(["identifier", "name", "scopes"])
        guard let identifier = f["identifier"] else { throw field.error("missing required field 'identifier'") }
        var server = ResourceServer(poolId: "", identifier: try identifier.nonEmptyString(), name: "")
        server.name = try f["name"]?.nonEmptyString() ?? server.identifier
        server.scopes = try f["scopes"]?.sequence().map { scope in
            let s = try scope.mapping(["name", "description"])
            guard let name = s["name"] else { throw scope.error("missing required field 'name'") }
            let scopeName = try name.nonEmptyString()
            guard !scopeName.contains(" "), !scopeName.contains("/") else { throw name.error("must not contain spaces or '/'") }
            return ResourceServer.Scope(name: scopeName, description: try s["description"]?.string() ?? scopeName)
        } ?? []
        return server
    }

    static func parseGroup(_ field: YAMLField) throws -> Group {
        let f = try field.mapping(["name", "description", "precedence", "roleArn"])
        guard let name = f["name"] else { throw field.error("missing required field 'name'") }
        var group = Group(poolId: "", name: try name.nonEmptyString(), createdAt: epoch, updatedAt: epoch)
        group.description = try f["description"]?.string()
        group.precedence = try f["precedence"]?.int()
        if let precedence = group.precedence, precedence < 0 { throw f["precedence"]!.error("must be 0 or more") }
        group.roleArn = try f["roleArn"]?.string()
        return group
    }

    static func parseUser(_ field: YAMLField, pool: UserPool, groups: Set<String>) throws -> UserDeclaration {
        let f = try field.mapping(["username", "password", "temporaryPassword", "passwordHash", "attributes", "enabled", "groups"])
        guard let username = f["username"] else { throw field.error("missing required field 'username'") }
        let passwords = [f["password"], f["temporaryPassword"], f["passwordHash"]].compactMap { $0 }
        if passwords.count > 1 {
            throw passwords[1].error("give only one of password, temporaryPassword and passwordHash")
        }
        var password = UserDeclaration.Password.none
        if let v = f["password"] {
            let value = try v.string()
            if let problem = pool.passwordPolicy.problem(with: value) { throw v.error(problem) }
            password = .permanent(value)
        } else if let v = f["temporaryPassword"] {
            let value = try v.string()
            if let problem = pool.passwordPolicy.problem(with: value) { throw v.error(problem) }
            password = .temporary(value)
        } else if let v = f["passwordHash"] {
            let value = try v.string()
            guard PasswordHashFormat.isSupported(value) else {
                throw v.error("unsupported hash; expected Argon2, bcrypt, PBKDF2-SHA256/SHA512 or scrypt in PHC or modular-crypt form")
            }
            password = .imported(hash: value)
        }
        var attributes: [String: String] = [:]
        if let v = f["attributes"] {
            guard case .mapping(let mapping) = v.node else { throw v.error("expected a mapping") }
            let declared = Set(pool.schema.map(\.name))
            for (key, value) in mapping {
                guard let name = key.string, let text = value.string else { throw v.error("attributes are text values") }
                let known = PoolRules.standardAttributeNames.contains(name) || declared.contains(name)
                    || ["email_verified", "phone_number_verified"].contains(name)
                guard known else { throw v.child(key, name).error("unknown attribute; declare custom ones in the pool's schema") }
                attributes[name] = text
            }
        }
        for required in pool.schema where required.required && attributes[required.name] == nil {
            throw field.error("missing required attribute '\(required.name)'")
        }
        let userGroups = try f["groups"]?.strings() ?? []
        for (index, group) in userGroups.enumerated() where !groups.contains(group) {
            throw f["groups"]!.error("group '\(group)' is not declared in this pool", field: "\(f["groups"]!.path)[\(index)]")
        }
        return UserDeclaration(
            username: try username.nonEmptyString(), password: password, attributes: attributes,
            enabled: try f["enabled"]?.bool() ?? true, groups: userGroups)
    }
}
