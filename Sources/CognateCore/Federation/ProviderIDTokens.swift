import CognateModel
import Foundation
import JWTKit

/// Outside providers' ID tokens checked as OIDC Core §3.1.3.7 says, against the provider's key
/// set (kept `FederatedSignIn.keySetLifetime`, read again once when a signature matches none of
/// it: the provider may have rotated its keys). Federated sign-in and identity pools' logins
/// both check tokens through it.
struct ProviderIDTokens: Sendable {
    let http: any OutboundHTTP
    let keySets: KeySets
    let now: Now

    /// Signature by a key of the provider's JWKS (RS256 or ES256), `iss`, `aud` (one of
    /// `clientIds`, and `azp` one of them when there are several), `exp`, `iat`, `nonce` (when
    /// the sign-in sent one), `sub`.
    func verify(_ token: String, jwksURI: String, issuers: Set<String>, clientIds: Set<String>, nonce: String?) async throws
        -> [String: ClaimValue]
    {
        typealias Refusal = FederatedSignIn.Refusal
        guard ["RS256", "ES256"].contains(Keyring.header(of: token)?["alg"] ?? "") else {
            throw Refusal("the ID token is not signed with RS256 or ES256")
        }
        var verified: TokenClaims?
        for fresh in [false, true] {
            let keys = try await keySet(jwksURI, fresh: fresh)
            if let claims = try? await keys.verify(token, as: TokenClaims.self) {
                verified = claims
                break
            }
        }
        guard let verified else { throw Refusal("the ID token's signature does not match a key of the provider") }
        let claims = verified.claims
        guard let issuer = claims["iss"]?.string, issuers.contains(issuer) else { throw Refusal("the ID token was issued by someone else") }
        let audiences = claims["aud"].map { value -> [String] in
            switch value {
            case .string(let one): [one]
            case .strings(let many): many
            default: []
            }
        } ?? []
        guard audiences.contains(where: clientIds.contains) else { throw Refusal("the ID token is for another client") }
        if audiences.count > 1, !clientIds.contains(claims["azp"]?.string ?? "") { throw Refusal("the ID token was issued to another party") }
        let date = now().timeIntervalSince1970
        guard let expiry = claims["exp"]?.int, Double(expiry) > date - FederatedSignIn.leeway else { throw Refusal("the ID token has expired") }
        if let issued = claims["iat"]?.int, Double(issued) > date + FederatedSignIn.leeway { throw Refusal("the ID token is issued in the future") }
        if let nonce {
            guard let sent = claims["nonce"]?.string, constantTimeEquals(Array(sent.utf8), Array(nonce.utf8)) else {
                throw Refusal("the ID token's nonce is not this sign-in's")
            }
        }
        guard let sub = claims["sub"]?.string, !sub.isEmpty else { throw Refusal("the ID token names no subject") }
        return claims
    }

    /// The provider's key set: the one read in the last `keySetLifetime`, or read now.
    func keySet(_ url: String, fresh: Bool) async throws -> JWTKeyCollection {
        let date = now()
        if !fresh, let kept = keySets.entries.withLockedValue({ $0[url] }), date.timeIntervalSince(kept.read) < FederatedSignIn.keySetLifetime {
            return kept.keys
        }
        let answer = try await http.send(OutboundRequest(.get, url, headers: ["Accept": "application/json"]))
        guard answer.status == 200 else { throw FederatedSignIn.Refusal("the key set answered HTTP \(answer.status)") }
        let keys = JWTKeyCollection()
        do {
            try await keys.add(jwksJSON: String(decoding: answer.body, as: UTF8.self))
        } catch {
            throw FederatedSignIn.Refusal("the key set could not be read")
        }
        keySets.entries.withLockedValue { entries in
            if entries.count >= KeySets.capacity { entries.removeAll() }
            entries[url] = (keys, date)
        }
        return keys
    }

    /// An OpenID provider's jwks_uri from its discovery document, kept as its key set is.
    func jwksURI(issuer: String) async throws -> String {
        let date = now()
        if let kept = keySets.discovered.withLockedValue({ $0[issuer] }), date.timeIntervalSince(kept.read) < FederatedSignIn.keySetLifetime {
            return kept.uri
        }
        let uri = try await OIDCDiscovery.read(issuer: issuer, http: http).jwksURI
        keySets.discovered.withLockedValue { entries in
            if entries.count >= KeySets.capacity { entries.removeAll() }
            entries[issuer] = (uri, date)
        }
        return uri
    }
}
