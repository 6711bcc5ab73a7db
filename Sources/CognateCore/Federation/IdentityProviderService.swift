import CognateModel
import CognateSAML
import Crypto
import Foundation

/// Why a provider change was refused, beyond a plain invalid parameter.
public enum IdentityProviderError: Error, Equatable, Sendable {
    /// The pool has a provider by that name already (Cognito: DuplicateProviderException).
    case duplicateName(String)
    /// Another provider of the pool holds one of the identifiers (Cognito: DuplicateProviderException).
    case duplicateIdentifier
}

/// The pool's outside identity providers as Cognito models them: their details checked per
/// type, the social presets' fixed endpoints filled in, a default attribute mapping for the
/// user name, and the secrets (`client_secret`, Apple's `private_key`) sealed with the master
/// key before anything is stored.
public struct IdentityProviderService: Sendable {
    public typealias Store = IdentityProviderStore & UserPoolStore & AppClientStore
    let store: any Store
    let masterKey: MasterKey
    /// Reads an OIDC issuer's discovery document; nil: endpoints are not discovered.
    let http: (any OutboundHTTP)?
    let now: Now

    public init(store: any Store, masterKey: MasterKey, http: (any OutboundHTTP)? = nil, now: @escaping Now) {
        self.store = store
        self.masterKey = masterKey
        self.http = http
        self.now = now
    }

    /// The endpoints of an OIDC provider that its issuer's discovery document gives when they
    /// are not set by hand.
    static let oidcEndpoints = ["authorize_url", "token_url", "attributes_url", "jwks_uri"]

    /// The details read from elsewhere (discovery, metadata) rather than given.
    static func derivedDetails(_ type: IdentityProvider.Kind) -> [String] {
        switch type {
        case .oidc: oidcEndpoints
        case .saml: ["SSORedirectBindingURI", "SLORedirectBindingURI"]
        default: []
        }
    }

    /// A SAML provider's metadata (the file, or fetched from its URL) read for the binding
    /// URIs DescribeIdentityProvider shows.
    func readMetadata(_ provider: inout IdentityProvider) async throws {
        guard provider.type == .saml else { return }
        var data = provider.details["MetadataFile"].map { Data($0.utf8) }
        if data == nil, let url = provider.details["MetadataURL"], let http {
            do {
                let answer = try await http.send(OutboundRequest(.get, url, headers: ["Accept": "application/samlmetadata+xml, application/xml"]))
                guard answer.status == 200 else { throw OutboundError("the metadata URL answered HTTP \(answer.status)") }
                data = answer.body
            } catch let error as OutboundError {
                throw ValidationError(field: "ProviderDetails", message: "MetadataURL: the metadata could not be read: \(error.description)")
            }
        }
        guard let data else { return }
        let metadata: SAMLMetadata
        do {
            metadata = try SAMLMetadata.read(data)
        } catch let refusal as XMLRefusal {
            throw ValidationError(field: "ProviderDetails", message: "the metadata is not usable: \(refusal.description)")
        }
        // as Cognito: a provider is not set up with a certificate that has expired (or is not one)
        guard !metadata.currentCertificates(at: now()).isEmpty else {
            throw ValidationError(field: "ProviderDetails", message: "the metadata's signing certificates have all expired or cannot be read.")
        }
        provider.details["SSORedirectBindingURI"] = metadata.ssoRedirect ?? metadata.ssoPost
        provider.details["SLORedirectBindingURI"] = metadata.sloRedirect
    }

    /// Reads the issuer's discovery document when the endpoints were not given, as Cognito
    /// does at CreateIdentityProvider (DescribeIdentityProvider then shows them).
    func discover(_ provider: inout IdentityProvider) async throws {
        try await readMetadata(&provider)
        guard provider.type == .oidc, let http, let issuer = provider.details["oidc_issuer"],
            Self.oidcEndpoints.allSatisfy({ provider.details[$0] == nil })
        else { return }
        let found: OIDCDiscovery
        do {
            found = try await OIDCDiscovery.read(issuer: issuer, http: http)
        } catch let error as OutboundError {
            throw ValidationError(field: "ProviderDetails", message: "oidc_issuer: the discovery document could not be read: \(error.description)")
        }
        provider.details["authorize_url"] = found.authorizeURL
        provider.details["token_url"] = found.tokenURL
        if let userInfo = found.userInfoURL { provider.details["attributes_url"] = userInfo }
        provider.details["jwks_uri"] = found.jwksURI
    }

    /// The details that are secrets: kept sealed, never in `details`.
    public static let secretDetails: Set<String> = ["client_secret", "private_key"]

    /// What each type needs, may have, and fills in itself.
    struct Shape {
        var required: Set<String>
        var optional: Set<String> = []
        /// Fixed endpoints and the like, as Cognito's DescribeIdentityProvider shows them.
        var preset: [String: String] = [:]
        /// The provider's claim that becomes the user name (`<ProviderName>_<value>`).
        var usernameClaim: String?
    }

    static func shape(_ type: IdentityProvider.Kind, details: [String: String]) -> Shape {
        switch type {
        case .oidc:
            return Shape(required: ["client_id", "authorize_scopes", "attributes_request_method", "oidc_issuer"],
                         optional: ["client_secret", "authorize_url", "token_url", "attributes_url", "jwks_uri", "attributes_url_add_attributes"],
                         preset: ["attributes_url_add_attributes": "false"], usernameClaim: "sub")
        case .google:
            return Shape(required: ["client_id", "client_secret", "authorize_scopes"], preset: [
                "authorize_url": "https://accounts.google.com/o/oauth2/v2/auth", "token_url": "https://www.googleapis.com/oauth2/v4/token",
                "token_request_method": "POST", "attributes_url": "https://people.googleapis.com/v1/people/me?personFields=",
                "attributes_url_add_attributes": "true", "oidc_issuer": "https://accounts.google.com",
            ], usernameClaim: "sub")
        case .facebook:
            let version = details["api_version"] ?? "v17.0"
            return Shape(required: ["client_id", "client_secret", "authorize_scopes"], optional: ["api_version"], preset: [
                "api_version": version, "authorize_url": "https://www.facebook.com/\(version)/dialog/oauth",
                "token_url": "https://graph.facebook.com/\(version)/oauth/access_token", "token_request_method": "GET",
                "attributes_url": "https://graph.facebook.com/\(version)/me?fields=", "attributes_url_add_attributes": "true",
            ], usernameClaim: "id")
        case .loginWithAmazon:
            return Shape(required: ["client_id", "client_secret", "authorize_scopes"], preset: [
                "authorize_url": "https://www.amazon.com/ap/oa", "token_url": "https://api.amazon.com/auth/o2/token",
                "token_request_method": "POST", "attributes_url": "https://api.amazon.com/user/profile",
                "attributes_url_add_attributes": "false",
            ], usernameClaim: "user_id")
        case .signInWithApple:
            return Shape(required: ["client_id", "team_id", "key_id", "private_key", "authorize_scopes"], preset: [
                "authorize_url": "https://appleid.apple.com/auth/authorize", "token_url": "https://appleid.apple.com/auth/token",
                "token_request_method": "POST", "oidc_issuer": "https://appleid.apple.com", "attributes_url_add_attributes": "false",
            ], usernameClaim: "sub")
        case .saml:
            // the binding URIs are read from the metadata (sent back from a Describe, they are read again)
            return Shape(required: [], optional: ["MetadataFile", "MetadataURL", "IDPSignout", "IDPInit", "RequestSigningAlgorithm",
                                                  "EncryptedResponses", "SSORedirectBindingURI", "SLORedirectBindingURI"],
                         preset: ["IDPSignout": "false"])
        }
    }

    /// The claim that names a provider's user when the mapping does not say (`sub`; Facebook `id`; Amazon `user_id`).
    public static func usernameClaim(_ type: IdentityProvider.Kind) -> String? { shape(type, details: [:]).usernameClaim }

    // MARK: Operations

    /// CreateIdentityProvider: checked, completed, sealed and stored.
    public func create(poolId: String, name: String, type: IdentityProvider.Kind, details: [String: String],
                       attributeMapping: [String: String]?, identifiers: [String]?) async throws -> IdentityProvider {
        guard let pool = try await store.pool(id: poolId) else { throw StoreError.notFound("user pool \(poolId)") }
        try Self.checkName(name, type: type)
        let date = now()
        var provider = IdentityProvider(poolId: poolId, name: name, type: type, createdAt: date, updatedAt: date)
        try apply(details: details, to: &provider)
        try await discover(&provider)
        provider.attributeMapping = try Self.mapping(attributeMapping ?? [:], type: type, pool: pool)
        provider.identifiers = try Self.identifiers(identifiers ?? [])
        do {
            try await store.createIdentityProvider(provider)
        } catch StoreError.duplicate(let what) {
            throw what == "idp identifier" ? IdentityProviderError.duplicateIdentifier : IdentityProviderError.duplicateName(name)
        }
        return provider
    }

    /// UpdateIdentityProvider: what is given replaces what was (details keep the secrets not given again).
    public func update(poolId: String, name: String, details: [String: String]?, attributeMapping: [String: String]?,
                       identifiers: [String]?) async throws -> IdentityProvider {
        guard let pool = try await store.pool(id: poolId) else { throw StoreError.notFound("user pool \(poolId)") }
        guard var provider = try await store.identityProvider(poolId: poolId, name: name) else {
            throw StoreError.notFound("identity provider \(name)")
        }
        if let details {
            // a secret not sent again is kept, as Cognito keeps it
            var merged = details
            for secret in provider.sealedSecrets.keys where merged[secret] == nil { merged[secret] = try openSecret(secret, of: provider) }
            try apply(details: merged, to: &provider)
            try await discover(&provider)
        }
        if let attributeMapping { provider.attributeMapping = try Self.mapping(attributeMapping, type: provider.type, pool: pool) }
        if let identifiers { provider.identifiers = try Self.identifiers(identifiers) }
        provider.updatedAt = now()
        let desired = provider
        do {
            return try await store.updateIdentityProvider(poolId: poolId, name: name) { $0 = desired }
        } catch StoreError.duplicate {
            throw IdentityProviderError.duplicateIdentifier
        }
    }

    /// DeleteIdentityProvider: the provider goes, and with it its place in the pool's clients'
    /// SupportedIdentityProviders (no client is left naming a provider that does not exist).
    public func delete(poolId: String, name: String) async throws {
        guard try await store.identityProvider(poolId: poolId, name: name) != nil else { throw StoreError.notFound("identity provider \(name)") }
        try await store.deleteIdentityProvider(poolId: poolId, name: name)
        for client in try await ListPage.all({ try await store.listClients(poolId: poolId, limit: $0, after: $1) })
        where client.supportedIdentityProviders.contains(name) {
            try await store.updateClient(poolId: poolId, clientId: client.clientId) { $0.supportedIdentityProviders.removeAll { $0 == name } }
        }
    }

    /// The details as DescribeIdentityProvider shows them: the secrets opened.
    public func describedDetails(_ provider: IdentityProvider) throws -> [String: String] {
        var details = provider.details
        for secret in provider.sealedSecrets.keys { details[secret] = try openSecret(secret, of: provider) }
        return details
    }

    public func openSecret(_ name: String, of provider: IdentityProvider) throws -> String? {
        guard let sealed = provider.sealedSecrets[name] else { return nil }
        return String(decoding: try masterKey.open(sealed, context: Self.sealContext(name, provider)), as: UTF8.self)
    }

    static func sealContext(_ detail: String, _ provider: IdentityProvider) -> String {
        "idp-\(detail):\(provider.poolId):\(provider.name)"
    }

    // MARK: Rules

    static func checkName(_ name: String, type: IdentityProvider.Kind) throws {
        if type.isSocial, name != type.rawValue {
            throw ValidationError(field: "ProviderName", message: "The name of a \(type.rawValue) provider must be \(type.rawValue).")
        }
        if !type.isSocial, IdentityProvider.Kind.allCases.contains(where: { $0.isSocial && $0.rawValue == name }) {
            throw ValidationError(field: "ProviderName", message: "\(name) is the name of a social provider; choose another name.")
        }
        if name.uppercased() == "COGNITO" {
            throw ValidationError(field: "ProviderName", message: "COGNITO names the pool's own users; choose another name.")
        }
    }

    /// A provider's name and details, checked as CreateIdentityProvider checks them (the config
    /// file checks its declarations with this before anything is applied).
    public static func check(name: String, type: IdentityProvider.Kind, details: [String: String]) throws {
        try checkName(name, type: type)
        try checkDetails(details, type: type)
    }

    static func checkDetails(_ given: [String: String], type: IdentityProvider.Kind) throws {
        let shape = Self.shape(type, details: given)
        let allowed = shape.required.union(shape.optional)
        if let unknown = given.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw ValidationError(field: "ProviderDetails", message: "\(unknown) is not a detail of a \(type.rawValue) provider.")
        }
        if let missing = shape.required.sorted().first(where: { (given[$0] ?? "").isEmpty }) {
            throw ValidationError(field: "ProviderDetails", message: "\(missing) is required for a \(type.rawValue) provider.")
        }
        try checkValues(given, type: type)
    }

    /// Whether declaring the provider with these settings would change it (the config file
    /// applies a declaration only then, so a restart changes nothing).
    public func differs(_ provider: IdentityProvider, details: [String: String], attributeMapping: [String: String], identifiers: [String],
                        pool: UserPool) throws -> Bool {
        let expected = details.merging(Self.shape(provider.type, details: details).preset) { given, _ in given }
        var current = try describedDetails(provider)
        // details read from a discovery document or metadata were not declared: they are not a difference
        let derived = Self.derivedDetails(provider.type)
        if derived.allSatisfy({ details[$0] == nil }) {
            for name in derived { current[name] = nil }
        }
        let mapping = try Self.mapping(attributeMapping, type: provider.type, pool: pool)
        return current != expected || provider.attributeMapping != mapping || provider.identifiers != identifiers
    }

    /// Checks the details against the type, fills in the presets and seals the secrets.
    func apply(details given: [String: String], to provider: inout IdentityProvider) throws {
        try Self.checkDetails(given, type: provider.type)
        var details = given.merging(Self.shape(provider.type, details: given).preset) { given, _ in given }
        var sealed: [String: Data] = [:]
        for secret in Self.secretDetails {
            guard let value = details.removeValue(forKey: secret) else { continue }
            sealed[secret] = try masterKey.seal(Data(value.utf8), context: Self.sealContext(secret, provider))
        }
        provider.details = details
        provider.sealedSecrets = sealed
    }

    static func checkValues(_ details: [String: String], type: IdentityProvider.Kind) throws {
        func fail(_ field: String, _ message: String) -> ValidationError { ValidationError(field: "ProviderDetails", message: "\(field) \(message)") }
        switch type {
        case .oidc:
            guard ["GET", "POST"].contains(details["attributes_request_method"] ?? "") else {
                throw fail("attributes_request_method", "must be GET or POST.")
            }
            for field in ["oidc_issuer", "authorize_url", "token_url", "attributes_url", "jwks_uri"] {
                if let value = details[field], !isProviderURL(value) { throw fail(field, "must be an https URL.") }
            }
            let endpoints = ["authorize_url", "token_url", "attributes_url", "jwks_uri"].filter { details[$0] != nil }
            if !endpoints.isEmpty && endpoints.count != 4 {
                throw fail("authorize_url, token_url, attributes_url and jwks_uri", "are given all together or not at all (then read from the issuer's discovery document).")
            }
        case .facebook:
            if let version = details["api_version"], version.wholeMatch(of: /v\d{1,2}\.\d{1,2}/) == nil {
                throw fail("api_version", "must look like v17.0.")
            }
        case .signInWithApple:
            guard (try? P256.Signing.PrivateKey(pemRepresentation: details["private_key"] ?? "")) != nil else {
                throw fail("private_key", "must be the PEM of the P-256 key Apple issued (a .p8 file).")
            }
        case .saml:
            let file = details["MetadataFile"].map { !$0.isEmpty } ?? false
            let url = details["MetadataURL"].map { !$0.isEmpty } ?? false
            guard file != url else { throw fail("MetadataFile or MetadataURL", "is required, one of them.") }
            if let address = details["MetadataURL"], !isProviderURL(address) { throw fail("MetadataURL", "must be an https URL.") }
            if let metadata = details["MetadataFile"], !metadata.isEmpty {
                do {
                    _ = try SAMLMetadata.read(Data(metadata.utf8))
                } catch let refusal as XMLRefusal {
                    throw fail("MetadataFile", "is not usable SAML metadata: \(refusal.description).")
                }
            }
            for flag in ["IDPSignout", "IDPInit", "EncryptedResponses"] {
                if let value = details[flag], value != "true" && value != "false" { throw fail(flag, "must be true or false.") }
            }
            if let algorithm = details["RequestSigningAlgorithm"], algorithm != "rsa-sha256" { throw fail("RequestSigningAlgorithm", "must be rsa-sha256.") }
        case .google, .loginWithAmazon: break
        }
    }

    /// https, or http on a loopback host (a provider run beside Cognate in development and tests).
    static func isProviderURL(_ text: String) -> Bool {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host?.lowercased(), !host.isEmpty else { return false }
        if scheme == "https" { return true }
        return scheme == "http" && (host == "localhost" || host == "127.0.0.1" || host == "[::1]" || host == "::1")
    }

    /// Keys are the pool's attributes (standard, or custom ones it declares) or `username`;
    /// values name the provider's claims. The user name's claim is mapped unless given.
    static func mapping(_ given: [String: String], type: IdentityProvider.Kind, pool: UserPool) throws -> [String: String] {
        let custom = Set(pool.schema.map(\.name))
        for (attribute, claim) in given.sorted(by: { $0.key < $1.key }) {
            // the verification flags too: an address is verified only where the provider says so
            let flags: Set<String> = ["email_verified", "phone_number_verified"]
            guard attribute == "username" || PoolRules.standardAttributeNames.contains(attribute) || flags.contains(attribute)
                || custom.contains(attribute)
            else {
                throw ValidationError(field: "AttributeMapping", message: "\(attribute) is not an attribute of the user pool.")
            }
            guard !claim.isEmpty else { throw ValidationError(field: "AttributeMapping", message: "\(attribute) is mapped to nothing.") }
        }
        var mapping = given
        if mapping["username"] == nil, let claim = shape(type, details: [:]).usernameClaim { mapping["username"] = claim }
        return mapping
    }

    static func identifiers(_ given: [String]) throws -> [String] {
        var seen: Set<String> = []
        for identifier in given where !seen.insert(IdentityProvider.identifierKey(identifier)).inserted {
            throw ValidationError(field: "IdpIdentifiers", message: "\(identifier) is listed twice.")
        }
        return given
    }
}
