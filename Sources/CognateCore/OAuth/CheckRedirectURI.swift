import CognateModel

/// RFC 6749 §3.1.2.3 and Cognito: the redirect_uri must equal one of the client's callback URLs
/// exactly. Until this and the client are proven, errors are shown, never redirected (§4.1.2.1).
public enum CheckRedirectURI {
    public static func check(_ redirectURI: String?, client: AppClient) throws -> String {
        guard let redirectURI, !redirectURI.isEmpty else {
            if client.callbackURLs.count == 1, let only = client.callbackURLs.first { return client.defaultRedirectURI ?? only }
            if let fallback = client.defaultRedirectURI { return fallback }
            throw OAuthError.invalidRequest("redirect_uri is required")
        }
        guard client.callbackURLs.contains(redirectURI) else {
            throw OAuthError.invalidRequest("redirect_uri is not registered for this client")
        }
        return redirectURI
    }
}
