import CognateModel
import Foundation

/// A token request once its client is proven: the form's parameters and the client.
public struct TokenRequest: Sendable {
    public var parameters: [String: String]
    public var client: AppClient

    public init(parameters: [String: String], client: AppClient) {
        self.parameters = parameters
        self.client = client
    }
}

/// One grant type of the token endpoint (RFC 6749 §4): each in its own type, as fosite's
/// handler/ folder has them; TokenEndpoint picks one by `grant_type`.
public protocol GrantHandler: Sendable {
    var grantType: String { get }
    func handle(_ request: TokenRequest) async throws -> IssuedTokens
}

/// grant_type=authorization_code (RFC 6749 §4.1.3, PKCE RFC 7636 §4.6): the code of the
/// hosted sign-in, for the client and redirect_uri it was issued to.
public struct AuthorizationCodeGrant: GrantHandler {
    public let grantType = "authorization_code"
    let hosted: HostedSignIn

    public init(hosted: HostedSignIn) {
        self.hosted = hosted
    }

    public func handle(_ request: TokenRequest) async throws -> IssuedTokens {
        guard request.client.allowedOAuthFlows.contains(.code) else { throw OAuthError.unauthorizedClient("the client may not use this grant") }
        guard let code = request.parameters["code"] else { throw OAuthError.invalidRequest("code is required") }
        return try await hosted.exchange(code: code, redirectURI: request.parameters["redirect_uri"],
                                         verifier: request.parameters["code_verifier"], client: request.client)
    }
}

/// grant_type=refresh_token (RFC 6749 §6): new tokens, and a new refresh token where the
/// client rotates them.
public struct RefreshTokenGrant: GrantHandler {
    public let grantType = "refresh_token"
    let tokens: TokenService

    public init(tokens: TokenService) {
        self.tokens = tokens
    }

    public func handle(_ request: TokenRequest) async throws -> IssuedTokens {
        guard let token = request.parameters["refresh_token"] else { throw OAuthError.invalidRequest("refresh_token is required") }
        do {
            return try await tokens.refresh(token, client: request.client).tokens
        } catch is TokenError {
            throw OAuthError.invalidGrant("the refresh token is invalid, expired or revoked")
        }
    }
}

/// grant_type=client_credentials (RFC 6749 §4.4): a confidential client's own access token,
/// for resource server scopes only.
public struct ClientCredentialsGrant: GrantHandler {
    public let grantType = "client_credentials"
    let tokens: TokenService

    public init(tokens: TokenService) {
        self.tokens = tokens
    }

    public func handle(_ request: TokenRequest) async throws -> IssuedTokens {
        let client = request.client
        guard !client.isPublic, client.allowedOAuthFlows.contains(.clientCredentials) else {
            throw OAuthError.unauthorizedClient("the client may not use client_credentials")
        }
        let scopes = try CheckScopes.check(request.parameters["scope"], client: client)
        if let standard = scopes.first(where: { !$0.contains("/") }) {
            throw OAuthError.invalidScope("\(standard) cannot be granted to a client; use resource server scopes")
        }
        return try await tokens.issueForClient(client, scopes: scopes)
    }
}
