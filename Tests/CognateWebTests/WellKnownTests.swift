import CognateCore
import CognateModel
@testable import CognateWeb
import Foundation
import JWTKit
import Testing
import VaporTesting

struct Probe: JWTPayload, Equatable {
    var sub: SubjectClaim
    var exp: ExpirationClaim
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

@Suite struct WellKnownTests {
    @Test func discoveryDescribesThePoolAtItsIssuer() async throws {
        try await withCognate { app, services, _ async throws in
            let pool = try await services.firstPool()
            let issuer = "https://id.example.test/\(pool.id)"
            // when
            let response = try await app.testing().sendRequest(.GET, "/\(pool.id)/.well-known/openid-configuration")
            // then
            #expect(response.status == .ok)
            #expect(response.headers.contentType == .json)
            #expect(response.headers.first(name: .cacheControl) == "public, max-age=3600")
            let document = response.json
            #expect(document["issuer"] as? String == issuer)
            #expect(document["jwks_uri"] as? String == "\(issuer)/.well-known/jwks.json")
            #expect(document["response_types_supported"] as? [String] == ["code", "token"])
            #expect(document["subject_types_supported"] as? [String] == ["public"])
            #expect(document["id_token_signing_alg_values_supported"] as? [String] == ["RS256"])
            #expect((document["scopes_supported"] as? [String])?.contains("openid") == true)
            #expect(document["userinfo_endpoint"] as? String == "\(issuer)/oauth2/userInfo")
            #expect(document["code_challenge_methods_supported"] as? [String] == ["S256"])
            #expect(document["grant_types_supported"] as? [String] == ["authorization_code", "refresh_token", "client_credentials"])
        }
    }

    @Test func jwksServesTheKeyThatSignsThePoolsTokens() async throws {
        try await withCognate { app, services, _ async throws in
            let pool = try await services.firstPool()
            // given a token signed by the pool's keyring
            let token = try await services.keyring.sign(Probe(sub: "user-1", exp: .init(value: .distantFuture)), poolId: pool.id)
            // when a relying party reads the JWKS
            let response = try await app.testing().sendRequest(.GET, "/\(pool.id)/.well-known/jwks.json")
            #expect(response.status == .ok)
            #expect(response.headers.first(name: .cacheControl) == "public, max-age=300")
            let keys = JWTKeyCollection()
            try await keys.add(jwksJSON: String(buffer: response.body))
            // then the token verifies against it, and only the public half is published
            let verified = try await keys.verify(token, as: Probe.self)
            #expect(verified.sub.value == "user-1")
            #expect(!String(buffer: response.body).contains("\"d\""))
        }
    }

    @Test func es256PoolPublishesAnECKey() async throws {
        let yaml = "pools:\n  - name: ec\n    id: local_EcPool123\n    signingAlgorithm: ES256\n"
        try await withCognate(configYAML: yaml) { app, services, _ async throws in
            let response = try await app.testing().sendRequest(.GET, "/local_EcPool123/.well-known/jwks.json")
            let keys = try #require((response.json["keys"] as? [[String: Any]]))
            #expect(keys.count == 1)
            #expect(keys.first?["kty"] as? String == "EC" && keys.first?["crv"] as? String == "P-256")
            let token = try await services.keyring.sign(Probe(sub: "u", exp: .init(value: .distantFuture)), poolId: "local_EcPool123")
            let collection = JWTKeyCollection()
            try await collection.add(jwksJSON: String(buffer: response.body))
            _ = try await collection.verify(token, as: Probe.self)
            let discovery = try await app.testing().sendRequest(.GET, "/local_EcPool123/.well-known/openid-configuration")
            #expect(discovery.json["id_token_signing_alg_values_supported"] as? [String] == ["ES256"])
        }
    }

    @Test(arguments: ["/local_Nope12345/.well-known/jwks.json", "/local_Nope12345/.well-known/openid-configuration",
                      "/not-a-pool/.well-known/jwks.json", "/local_Nope12345%00/.well-known/jwks.json"])
    func unknownOrMalformedPoolIsJSON404(_ path: String) async throws {
        try await withCognate { app, _, _ async throws in
            let response = try await app.testing().sendRequest(.GET, path)
            #expect(response.status == .notFound)
            #expect(response.headers.contentType == .json)
            #expect(response.json["error"] as? String == "not_found")
        }
    }

    @Test func pathTraversalIsRefusedAsJSON() async throws {
        try await withCognate { app, _, _ async throws in
            // outside /css/ no file is looked for; inside, the file middleware refuses ".."
            let outside = try await app.testing().sendRequest(.GET, "/%2e%2e%2f%2e%2e%2fetc/passwd")
            #expect(outside.status == .notFound)
            #expect(outside.json["error"] as? String == "not_found")
            let inside = try await app.testing().sendRequest(.GET, "/css/%2e%2e%2f%2e%2e%2fPackage.swift")
            #expect(inside.status == .forbidden)
            #expect(inside.json["error"] as? String == "forbidden")
        }
    }

    @Test func rotationKeepsTheOldKeyPublishedUntilItsTokensExpire() async throws {
        let clock = TestClock()
        try await withCognate(clock: clock) { app, services, _ async throws in
            let pool = try await services.firstPool()
            let oldToken = try await services.keyring.sign(Probe(sub: "old", exp: .init(value: .distantFuture)), poolId: pool.id)
            let oldKid = try #require(try await services.store.signingKeys(poolId: pool.id).first?.kid)
            // when
            clock.advance(10)
            let newKey = try await services.keyring.rotate(poolId: pool.id)
            // then both are published, and new tokens carry the new kid
            var kids = try await Self.kids(app, pool.id)
            #expect(kids == [newKey.kid, oldKid])
            let newToken = try await services.keyring.sign(Probe(sub: "new", exp: .init(value: .distantFuture)), poolId: pool.id)
            #expect(try Self.kid(of: newToken) == newKey.kid)
            #expect(try Self.kid(of: oldToken) == oldKid)
            // and once the longest token lifetime (60 min here) has passed, the old key leaves
            clock.advance(3_599)
            #expect(try await Self.kids(app, pool.id).count == 2)
            clock.advance(2)
            kids = try await Self.kids(app, pool.id)
            #expect(kids == [newKey.kid])
        }
    }

    @Test func parsedKeysAreCachedNotReparsedPerToken() async throws {
        try await withCognate { _, services, _ async throws in
            let pool = try await services.firstPool()
            for index in 0..<5 {
                _ = try await services.keyring.sign(Probe(sub: .init(value: "\(index)"), exp: .init(value: .distantFuture)), poolId: pool.id)
            }
            #expect(services.keyring.parsedKeyCount == 1)
        }
    }

    static func kids(_ app: Application, _ poolId: String) async throws -> [String] {
        let response = try await app.testing().sendRequest(.GET, "/\(poolId)/.well-known/jwks.json")
        return (response.json["keys"] as? [[String: Any]] ?? []).compactMap { $0["kid"] as? String }
    }

    static func kid(of token: String) throws -> String? {
        let header = try #require(token.split(separator: ".").first)
        let data = try #require(Data(lenientBase64: header))
        return (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["kid"] as? String
    }
}
