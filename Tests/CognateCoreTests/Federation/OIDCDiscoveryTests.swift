import CognateCore
import CognateModel
import Foundation
import NIOConcurrencyHelpers
import Testing

/// An outside provider's answers, scripted: each URL answers what the test put there, and every
/// request is kept so the test can see what was asked.
final class ScriptedProvider: OutboundHTTP {
    private let answers: NIOLockedValueBox<[String: OutboundAnswer]>
    private let asked = NIOLockedValueBox<[OutboundRequest]>([])

    init(_ answers: [String: OutboundAnswer] = [:]) { self.answers = NIOLockedValueBox(answers) }

    var requests: [OutboundRequest] { asked.withLockedValue { $0 } }

    func set(_ url: String, _ answer: OutboundAnswer) { answers.withLockedValue { $0[url] = answer } }

    func send(_ request: OutboundRequest) async throws -> OutboundAnswer {
        asked.withLockedValue { $0.append(request) }
        guard let answer = answers.withLockedValue({ $0[request.url] }) else { throw OutboundError("could not be reached") }
        return answer
    }

    static func json(_ object: [String: String], status: Int = 200) -> OutboundAnswer {
        OutboundAnswer(status: status, body: try! JSONSerialization.data(withJSONObject: object))
    }
}

@Suite struct OIDCDiscoveryTests {
    static let issuer = "https://login.corp.example"
    static let document: [String: String] = [
        "issuer": issuer, "authorization_endpoint": "https://login.corp.example/oauth/auth",
        "token_endpoint": "https://login.corp.example/oauth/token", "userinfo_endpoint": "https://login.corp.example/me",
        "jwks_uri": "https://login.corp.example/keys",
    ]
    static let wellKnown = "https://login.corp.example/.well-known/openid-configuration"

    @Test func theEndpointsComeFromTheIssuersDocument() async throws {
        let found = try await OIDCDiscovery.read(issuer: Self.issuer, http: ScriptedProvider([Self.wellKnown: ScriptedProvider.json(Self.document)]))
        #expect(found.authorizeURL == "https://login.corp.example/oauth/auth" && found.tokenURL == "https://login.corp.example/oauth/token")
        #expect(found.userInfoURL == "https://login.corp.example/me" && found.jwksURI == "https://login.corp.example/keys")
        // a trailing slash on the issuer reads the same document
        _ = try await OIDCDiscovery.read(issuer: Self.issuer + "/", http: ScriptedProvider([Self.wellKnown: ScriptedProvider.json(Self.document)]))
    }

    @Test(arguments: [
        ("another issuer", ScriptedProvider.json(document.merging(["issuer": "https://evil.example"]) { $1 })),
        ("not found", ScriptedProvider.json(["error": "nope"], status: 404)),
        ("not JSON", OutboundAnswer(status: 200, body: Data("<html>".utf8))),
        ("no jwks_uri", ScriptedProvider.json(document.filter { $0.key != "jwks_uri" })),
        ("a plain-http endpoint", ScriptedProvider.json(document.merging(["token_endpoint": "http://login.corp.example/token"]) { $1 })),
    ])
    func aDocumentThatCannotBeTrustedIsRefused(_ why: String, _ answer: OutboundAnswer) async {
        await #expect(throws: OutboundError.self, "\(why)") {
            try await OIDCDiscovery.read(issuer: Self.issuer, http: ScriptedProvider([Self.wellKnown: answer]))
        }
    }

    @Test func anOIDCProviderCreatedWithOnlyItsIssuerShowsTheDiscoveredEndpoints() async throws {
        let world = try await CoreWorld.make()
        let provider = ScriptedProvider([Self.wellKnown: ScriptedProvider.json(Self.document)])
        let service = IdentityProviderService(store: world.store, masterKey: world.masterKey, http: provider, now: world.clock.now)
        let details = ["client_id": "app", "client_secret": "s3cret", "authorize_scopes": "openid email",
                       "attributes_request_method": "GET", "oidc_issuer": Self.issuer]
        let made = try await service.create(poolId: world.pool.id, name: "Corp", type: .oidc, details: details, attributeMapping: nil, identifiers: nil)
        #expect(made.details["authorize_url"] == "https://login.corp.example/oauth/auth" && made.details["jwks_uri"] == "https://login.corp.example/keys")
        #expect(made.details["attributes_url"] == "https://login.corp.example/me" && made.details["client_secret"] == nil)
        #expect(!(try service.differs(made, details: details, attributeMapping: [:], identifiers: [], pool: world.pool)),
                "discovered endpoints are not a difference from the declaration")

        // endpoints given by hand are used as they are; nothing is fetched
        let explicit = details.merging(["authorize_url": "https://a.example/auth", "token_url": "https://a.example/token",
                                        "attributes_url": "https://a.example/me", "jwks_uri": "https://a.example/keys"]) { $1 }
        _ = try await service.create(poolId: world.pool.id, name: "Manual", type: .oidc, details: explicit, attributeMapping: nil, identifiers: nil)
        #expect(provider.requests.count == 1)

        let unreachable = IdentityProviderService(store: world.store, masterKey: world.masterKey, http: ScriptedProvider(), now: world.clock.now)
        await #expect(throws: ValidationError.self) {
            try await unreachable.create(poolId: world.pool.id, name: "Gone", type: .oidc, details: details, attributeMapping: nil, identifiers: nil)
        }
        #expect(try await world.store.identityProvider(poolId: world.pool.id, name: "Gone") == nil, "a refused provider was stored")
    }
}
