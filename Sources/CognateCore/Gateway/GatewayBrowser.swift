import CognateModel
import Crypto
import Foundation

/// The gateway's browser mode, as the ALB's authenticate-cognito: a browser the check turns
/// away is sent (by the proxy) to `{app}/…/signin`, which Cognate answers through the app's own
/// host; Cognate signs it in through the hosted pages as the app client the proxy names (PKCE,
/// its registered callback on the app's host), redeems the code itself, and leaves a session
/// cookie on the app's host holding the access token, sealed. Later checks read that cookie.
/// Nothing is kept in memory: the sign-in's state travels in a sealed, short-lived cookie.
extension GatewayCheck {
    /// The session cookie's name on the app's host.
    public static func sessionCookie(poolId: String) -> String { "cognate_gateway_\(poolId)" }
    public static let stateCookie = "cognate_gateway_state"
    /// How long a sign-in may take between the proxy's redirect and the callback.
    public static let signInSeconds = 600

    struct SignInState: Codable {
        var poolId: String
        var clientId: String
        var callback: String
        var returnPath: String
        var state: String
        var verifier: String
        var expiresAt: Date
    }

    struct Session: Codable {
        var poolId: String
        var accessToken: String
    }

    /// Why a browser sign-in could not start or finish: said on a page, never a redirect elsewhere.
    public struct BrowserRefusal: Error, Equatable, CustomStringConvertible {
        public var description: String
    }

    public struct SignInStart: Sendable {
        /// The hosted authorize URL the browser goes to.
        public var authorizeURL: String
        /// The sealed state, for the short-lived cookie on the app's host.
        public var stateCookie: String
        /// Whether the app's host is https (the cookie is Secure there).
        public var secure: Bool
    }

    /// A path on the app's own host, or `/`: never another host (no open redirect).
    public static func returnPath(_ given: String?) -> String {
        guard let given, given.hasPrefix("/"), !given.hasPrefix("//"), !given.hasPrefix("/\\"), given.count <= 2048,
            !given.contains(where: { $0.isNewline || $0 == "\0" })
        else { return "/" }
        return given
    }

    public func startSignIn(pool: UserPool, clientId: String?, callback: String?, returnPath given: String?,
                            issuer: String) async throws -> SignInStart {
        guard let clientId, let client = try await store.client(poolId: pool.id, clientId: clientId) else {
            throw BrowserRefusal(description: "the gateway names no app client of this pool")
        }
        guard let callback, client.callbackURLs.contains(callback) else {
            throw BrowserRefusal(description: "the gateway's callback is not one of the app client's callback URLs")
        }
        guard client.allowedOAuthFlows.contains(.code) else {
            throw BrowserRefusal(description: "the app client does not allow the authorization code flow")
        }
        let verifier = Data(random.bytes(32)).base64URLEncoded
        let state = Data(random.bytes(24)).base64URLEncoded
        let sealed = try masterKey.sealToken(SignInState(poolId: pool.id, clientId: client.clientId, callback: callback, returnPath: Self.returnPath(given),
                                          state: state, verifier: verifier,
                                          expiresAt: now().addingTimeInterval(Double(Self.signInSeconds))), context: "gateway-sign-in")
        let scopes = client.allowedOAuthScopes.contains("openid") ? ["openid"] : client.allowedOAuthScopes
        let challenge = Data(SHA256.hash(data: Data(verifier.utf8))).base64URLEncoded
        let url = HostedSignIn.append(to: issuer + "/oauth2/authorize", [
            "response_type": "code", "client_id": client.clientId, "redirect_uri": callback, "scope": scopes.joined(separator: " "),
            "state": state, "code_challenge": challenge, "code_challenge_method": "S256",
        ], fragment: false)
        return SignInStart(authorizeURL: url, stateCookie: sealed, secure: callback.hasPrefix("https://"))
    }

    /// The callback: the state must be this browser's (its cookie), the code is redeemed as the
    /// client; answers the session cookie's value, how long it lasts, where to go back to, and
    /// whether the app's host is https (the cookie is Secure there).
    public func finishSignIn(pool: UserPool, code: String?, state: String?, stateCookie: String?,
                             tokenEndpoint: TokenEndpoint) async throws -> (session: String, maxAge: Int, returnPath: String, secure: Bool) {
        guard let stateCookie, let started = masterKey.openToken(stateCookie, as: SignInState.self, context: "gateway-sign-in"), started.poolId == pool.id,
            started.expiresAt > now(), let state, constantTimeEquals(Array(state.utf8), Array(started.state.utf8))
        else { throw BrowserRefusal(description: "this sign-in was not started here, or took too long; go back to the app and try again") }
        guard let code, !code.isEmpty else { throw BrowserRefusal(description: "the sign-in did not finish") }
        let tokens: IssuedTokens
        do {
            tokens = try await tokenEndpoint.redeemOwn(poolId: pool.id, clientId: started.clientId, parameters: [
                "grant_type": "authorization_code", "code": code, "redirect_uri": started.callback, "code_verifier": started.verifier,
                "client_id": started.clientId,
            ])
        } catch is OAuthError {
            throw BrowserRefusal(description: "the sign-in could not be finished; go back to the app and try again")
        }
        let session = try masterKey.sealToken(Session(poolId: pool.id, accessToken: tokens.accessToken), context: "gateway-session")
        return (session, tokens.expiresIn, started.returnPath, started.callback.hasPrefix("https://"))
    }

    /// The access token a session cookie holds, for this pool; nil when it does not open.
    public func token(fromSession cookie: String, poolId: String) -> String? {
        guard let session = masterKey.openToken(cookie, as: Session.self, context: "gateway-session"), session.poolId == poolId else { return nil }
        return session.accessToken
    }

}

extension TokenEndpoint {
    /// The code of a sign-in Cognate itself started for a client (the gateway's browser mode),
    /// redeemed as that client: Cognate stands in for its secret, as the ALB holds Cognito's.
    func redeemOwn(poolId: String, clientId: String, parameters: [String: String]) async throws -> IssuedTokens {
        guard let client = try await store.client(poolId: poolId, clientId: clientId), let handler = handlers["authorization_code"] else {
            throw OAuthError("invalid_client", "the client is gone", status: 401)
        }
        return try await handler.handle(TokenRequest(parameters: parameters, client: client))
    }
}
