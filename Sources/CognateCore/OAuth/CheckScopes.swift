import CognateModel

/// The scopes a request may have: those the client is allowed; none asked means all allowed (Cognito).
public enum CheckScopes {
    public static func check(_ requested: String?, client: AppClient) throws -> [String] {
        let asked = (requested ?? "").split(separator: " ").map(String.init).filter { !$0.isEmpty }
        if asked.isEmpty { return client.allowedOAuthScopes }
        for scope in asked where !client.allowedOAuthScopes.contains(scope) {
            throw OAuthError.invalidScope("scope \(scope) is not allowed for this client")
        }
        var seen: Set<String> = []
        return asked.filter { seen.insert($0).inserted }
    }
}
