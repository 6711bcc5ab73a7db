import CognateModel
import CognateSAML
import Crypto
import Foundation

/// Signing in through a SAML 2.0 IdP (Profiles §4.1, Web Browser SSO): an AuthnRequest over
/// HTTP-Redirect with the stored request's id as RelayState, the Response posted back to
/// `/saml2/idpresponse`. The AuthnRequest's ID is derived from the stored request with a key of
/// the master key, so InResponseTo is checked without keeping anything in memory.
extension FederatedSignIn {
    /// The IdP posts its Response here: `{base}/saml2/idpresponse`.
    public func samlConsumerURL(poolId: String) -> String { tokens.issuer(poolId) + "/saml2/idpresponse" }

    /// The AuthnRequest ID of a stored request (an NCName: a letter first).
    func samlRequestId(_ request: AuthorizationRequest) -> String {
        "_" + HMAC<SHA256>.authenticationCode(for: Data("saml-request:\(request.id)".utf8), using: key).map { String(format: "%02x", $0) }.joined()
    }

    /// The IdP's sign-in URL with the AuthnRequest, signed when the provider asks for it (RequestSigningAlgorithm).
    func samlRedirect(pool: UserPool, provider: IdentityProvider, request: AuthorizationRequest) async throws -> String {
        let metadata = try await samlMetadata(provider)
        guard let destination = metadata.ssoRedirect else { throw Refusal("the IdP's metadata has no HTTP-Redirect SingleSignOnService") }
        // prompt=login or max_age: the IdP must ask the person again, not answer from its own session
        let xml = SAMLMessages.authnRequest(id: samlRequestId(request), issuer: SAMLServiceProvider.entityId(poolId: pool.id),
                                            destination: destination, consumerURL: samlConsumerURL(poolId: pool.id),
                                            forceAuthn: request.prompt == "login" || request.maxAge != nil, at: now())
        var sign: ((Data) throws -> Data)?
        if provider.details["RequestSigningAlgorithm"] == "rsa-sha256" {
            let signer = try RS256Signer(pem: try await saml.keys(poolId: pool.id).signing.privateKeyPEM)
            sign = { Data(try signer.sign(Array($0))) }
        }
        let query = try SAMLRedirect.query(xml: xml, relayState: request.id, sign: sign)
        return destination + (destination.contains("?") ? "&" : "?") + query
    }

    /// The IdP's metadata: its MetadataFile, or its MetadataURL read at most every `keySetLifetime`.
    func samlMetadata(_ provider: IdentityProvider) async throws -> SAMLMetadata {
        do {
            if let file = provider.details["MetadataFile"] { return try SAMLMetadata.read(Data(file.utf8)) }
            guard let url = provider.details["MetadataURL"] else { throw Refusal("the provider has no metadata") }
            let date = now()
            if let kept = keySets.metadata.withLockedValue({ $0[url] }), date.timeIntervalSince(kept.read) < Self.keySetLifetime {
                return kept.metadata
            }
            let answer = try await http.send(OutboundRequest(.get, url, headers: ["Accept": "application/samlmetadata+xml, application/xml"]))
            guard answer.status == 200 else { throw Refusal("the metadata URL answered HTTP \(answer.status)") }
            let metadata = try SAMLMetadata.read(answer.body)
            keySets.metadata.withLockedValue { entries in
                if entries.count >= KeySets.capacity { entries.removeAll() }
                entries[url] = (metadata, date)
            }
            return metadata
        } catch let refusal as XMLRefusal {
            throw Refusal("the IdP's metadata is not usable: \(refusal.description)")
        }
    }

    /// POST /saml2/idpresponse for the stored request RelayState named (SP-initiated; resumed by
    /// the caller, so an unknown, foreign, finished or expired one is a page, never a redirect).
    public func samlCallback(pool: UserPool, request: AuthorizationRequest, samlResponse: String) async throws -> Outcome {
        guard let name = request.identityProvider, let provider = try await store.identityProvider(poolId: pool.id, name: name),
            provider.type == .saml
        else { return try await refuse(request, "invalid_request", "the identity provider is no longer there") }
        return try await samlSignIn(pool: pool, provider: provider, request: request, samlResponse: samlResponse, solicited: true)
    }

    /// Where an unsolicited (IdP-initiated) Response goes: its RelayState carries the parameters
    /// an app would send to /oauth2/authorize, and the provider must allow it (IDPInit).
    public enum Unsolicited: Sendable, Equatable {
        /// Signed in, or refused to the app (as a callback's outcome), with the browser's binding.
        case outcome(Outcome, browser: String)
        /// Not a sign-in this pool takes: a page says why.
        case page(String)
        /// An error to the app's redirect_uri (the authorization parameters themselves were refused).
        case redirect(String)
    }

    /// An IdP-initiated sign-in: the RelayState's authorization parameters checked as
    /// /oauth2/authorize checks them, the provider must be SAML with IDPInit, and the Response
    /// must answer no request.
    public func unsolicited(pool: UserPool, relayState: String, samlResponse: String, browser: String?) async throws -> Unsolicited {
        guard var parameters = try? FormEncoding.parameters(Array(relayState.utf8)), parameters["client_id"] != nil,
            parameters["identity_provider"] != nil || parameters["idp_identifier"] != nil
        else {
            return .page("The sign-in from your identity provider did not say which app it is for.")
        }
        // no PKCE verifier can be held for a sign-in the app did not start: the code goes to a
        // client that proves itself with its secret (Cognate asks PKCE of every public client)
        if let clientId = parameters["client_id"], let client = try await store.client(poolId: pool.id, clientId: clientId), client.isPublic {
            return .page("Signing in from your identity provider's portal needs an app client with a client secret.")
        }
        parameters["prompt"] = "login"
        switch try await hosted.authorize(pool: pool, parameters: parameters, sessionCookie: nil, browser: browser) {
        case .errorPage(let error): return .page(error.description)
        case .redirect(let location): return .redirect(location)
        case .login: return .page("The sign-in from your identity provider did not name a provider of this pool.")
        case .federate(let request, let binding):
            guard let name = request.identityProvider, let provider = try await store.identityProvider(poolId: pool.id, name: name),
                provider.type == .saml, provider.details["IDPInit"] == "true"
            else {
                return .outcome(try await refuse(request, "invalid_request", "the identity provider does not start sign-ins (IDPInit)"), browser: binding)
            }
            let outcome = try await samlSignIn(pool: pool, provider: provider, request: request, samlResponse: samlResponse, solicited: false)
            return .outcome(outcome, browser: binding)
        }
    }

    func samlSignIn(pool: UserPool, provider: IdentityProvider, request: AuthorizationRequest, samlResponse: String,
                    solicited: Bool) async throws -> Outcome {
        let name = provider.name
        let assertion: SAMLAssertion
        do {
            let metadata = try await samlMetadata(provider)
            let keys = try await saml.keys(poolId: pool.id)
            assertion = try SAMLResponse.read(base64: samlResponse, expecting: SAMLExpectation(
                audience: SAMLServiceProvider.entityId(poolId: pool.id), consumerURL: samlConsumerURL(poolId: pool.id),
                identityProvider: metadata, requestId: solicited ? samlRequestId(request) : nil,
                decryptionKeyPEM: keys.encryption.privateKeyPEM, requireEncryption: provider.details["EncryptedResponses"] == "true",
                now: now()))
        } catch let refusal as SAMLRefusal {
            if refusal.status != nil { return try await refuse(request, "access_denied", "\(name) did not sign the user in") }
            return try await refuse(request, "access_denied", "the answer of \(name) could not be verified: \(refusal.description)")
        } catch let refusal as Refusal {
            return try await refuse(request, "access_denied", "the answer of \(name) could not be verified: \(refusal.reason)")
        } catch let error as OutboundError {
            return try await refuse(request, "temporarily_unavailable", "\(name) could not be reached: \(error.description)")
        }
        // each assertion signs in once (a replayed one is refused on every node)
        let replayKey = "saml-assertion:" + SecretDigest.sha256Hex("\(pool.id)|\(assertion.issuer)|\(assertion.id)")
        guard try await store.claimOnce(replayKey, until: assertion.usableUntil) else {
            return try await refuse(request, "access_denied", "the answer of \(name) was used before")
        }
        var claims: [String: ClaimValue] = [:]
        for (attribute, values) in assertion.attributes where !values.isEmpty {
            claims[attribute] = values.count == 1 ? .string(values[0]) : .strings(values)
        }
        // the user is named by the NameID, or by the attribute mapped to `username`
        let subject = provider.attributeMapping["username"].flatMap { claims[$0] }.flatMap(Self.text) ?? assertion.nameId
        let federation = FederatedSession(providerName: provider.name, nameId: assertion.nameId, nameIdFormat: assertion.nameIdFormat,
                                          sessionIndex: assertion.sessionIndex)
        return try await finish(pool: pool, provider: provider, request: request, claims: claims, subject: subject, federation: federation,
                                sources: ["samlResponse": Self.textMap(claims)])
    }

    // MARK: Single logout (SP-initiated, SAML 2.0 Profiles §4.4)

    /// Where a sign-out goes on from /saml2/logout, sealed into the RelayState (nothing kept in memory).
    struct LogoutContinuation: Codable {
        /// The LogoutRequest's ID, which the LogoutResponse must answer.
        var id: String
        var provider: String
        /// Where the person goes after: the app's logout_uri, or its /login.
        var target: String
        var expires: Date
    }

    /// How long the IdP has to answer a LogoutRequest.
    static let logoutLifetime: TimeInterval = 600

    /// A sign-out of a session a SAML IdP opened, where that provider signs out too
    /// (IDPSignout): the IdP's SingleLogoutService with a signed LogoutRequest for the person's
    /// NameID and SessionIndex, the way back (`target`) sealed in RelayState. Nil: no IdP to tell.
    public func samlLogout(pool: UserPool, session: SignInSession?, then target: String) async throws -> String? {
        guard let federation = session?.federation,
            let provider = try await store.identityProvider(poolId: pool.id, name: federation.providerName),
            provider.type == .saml, provider.details["IDPSignout"] == "true",
            let destination = (try? await samlMetadata(provider))?.sloRedirect
        else { return nil }
        var generator = SystemRandomNumberGenerator()
        let id = "_" + (0..<20).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        let continuation = LogoutContinuation(id: id, provider: provider.name, target: target, expires: now().addingTimeInterval(Self.logoutLifetime))
        let sealed = try AES.GCM.seal(try JSONEncoder().encode(continuation), using: key, authenticating: Data("saml-logout:\(pool.id)".utf8))
        guard let relayState = sealed.combined?.base64URLEncoded else { return nil }
        let xml = SAMLMessages.logoutRequest(id: id, issuer: SAMLServiceProvider.entityId(poolId: pool.id), destination: destination,
                                             nameId: federation.nameId, nameIdFormat: federation.nameIdFormat,
                                             sessionIndex: federation.sessionIndex, at: now())
        // a LogoutRequest is always signed (Profiles §4.4.3.1)
        let signer = try RS256Signer(pem: try await saml.keys(poolId: pool.id).signing.privateKeyPEM)
        let query = try SAMLRedirect.query(xml: xml, relayState: relayState) { Data(try signer.sign(Array($0))) }
        return destination + (destination.contains("?") ? "&" : "?") + query
    }

    /// /saml2/logout with the IdP's LogoutResponse, posted (HTTP-POST, as Cognito asks of IdPs) or
    /// in the query (HTTP-Redirect: `deflated`): where the person goes now (the target sealed in
    /// RelayState), when the response answers Cognate's request in time; nil otherwise. Cognate's
    /// own session ended before the person left for the IdP, whatever the IdP answers.
    public func samlLogoutReturn(pool: UserPool, samlResponse: String?, relayState: String?, deflated: Bool) async throws -> String? {
        guard let relayState, let sealed = Data(lenientBase64: Substring(relayState)),
            let box = try? AES.GCM.SealedBox(combined: sealed),
            let opened = try? AES.GCM.open(box, using: key, authenticating: Data("saml-logout:\(pool.id)".utf8)),
            let continuation = try? JSONDecoder().decode(LogoutContinuation.self, from: opened), continuation.expires > now(),
            let samlResponse, let packed = Data(base64Encoded: samlResponse.filter { !$0.isWhitespace }),
            let xml = try? SafeXML(deflated ? try SAMLRedirect.inflate(packed) : packed),
            xml.root.isElement(SAMLResponse.protocolNS, "LogoutResponse"), xml.root.attribute("InResponseTo") == continuation.id,
            let provider = try await store.identityProvider(poolId: pool.id, name: continuation.provider),
            let metadata = try? await samlMetadata(provider),
            xml.root.children(SAMLResponse.assertionNS, "Issuer").first?.text.trimmingCharacters(in: .whitespacesAndNewlines) == metadata.entityId
        else { return nil }
        return continuation.target
    }
}
