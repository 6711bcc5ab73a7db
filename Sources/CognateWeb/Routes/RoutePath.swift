import Vapor

/// Every route path Cognate serves, in one place.
enum RoutePath {
    /// Cognito's JSON API: `POST /` with X-Amz-Target.
    static let api: [PathComponent] = []
    static let health: [PathComponent] = ["health"]
    /// An import job's pre-signed URL (PUT).
    static let userImport: [PathComponent] = ["user-import", ":poolId", ":jobId"]
    static let ready: [PathComponent] = ["ready"]
    static let discovery: [PathComponent] = [":poolId", ".well-known", "openid-configuration"]
    static let jwks: [PathComponent] = [":poolId", ".well-known", "jwks.json"]
    /// The same documents on a pool's domain host (prefix or custom), where the pool comes from the Host header.
    static let domainDiscovery: [PathComponent] = [".well-known", "openid-configuration"]
    static let domainJWKS: [PathComponent] = [".well-known", "jwks.json"]
    /// The identity pools' OpenID provider (issuer `{public URL}/identity`).
    static let identityDiscovery: [PathComponent] = ["identity", ".well-known", "openid-configuration"]
    static let identityJWKS: [PathComponent] = ["identity", ".well-known", "jwks.json"]
    static let poolPrefix: [PathComponent] = [":poolId"]
    static let authorize: [PathComponent] = ["oauth2", "authorize"]
    static let token: [PathComponent] = ["oauth2", "token"]
    static let userInfo: [PathComponent] = ["oauth2", "userInfo"]
    static let revoke: [PathComponent] = ["oauth2", "revoke"]
    /// Where outside OpenID providers send the person back (Cognito's path).
    static let providerResponse: [PathComponent] = ["oauth2", "idpresponse"]
    /// The pool's SAML service provider metadata.
    static let samlMetadata: [PathComponent] = ["saml2", "metadata"]
    static let samlResponse: [PathComponent] = ["saml2", "idpresponse"]
    static let samlLogout: [PathComponent] = ["saml2", "logout"]
    /// A client's (or ALL's) classic customization logo.
    static let logo: [PathComponent] = ["ui", "logo"]
    static let themeFiles: [PathComponent] = ["themes", ":theme", "**"]
    /// The designers' preview, and one page of it.
    static let preview: [PathComponent] = ["preview"]
    static let previewSample: [PathComponent] = ["preview", ":sample"]
    /// A managed login style's image: {id}/{category}/{colour mode}.
    static let managedLoginAsset: [PathComponent] = ["managed-login", "assets", ":id", ":category", ":mode"]
    static let login: [PathComponent] = ["login"]
    static let logout: [PathComponent] = ["logout"]
    static let forceChangePassword: [PathComponent] = ["forceChangePassword"]
    static let signUp: [PathComponent] = ["signup"]
    static let confirmUser: [PathComponent] = ["confirmUser"]
    static let forgotPassword: [PathComponent] = ["forgotPassword"]
    static let confirmForgotPassword: [PathComponent] = ["confirmForgotPassword"]
    static let mfa: [PathComponent] = ["mfa"]
    static let passkeys: [PathComponent] = ["passkeys"]
    /// Token checks for proxies; Envoy's ext_authz appends the original path.
    static let gatewayCheck: [PathComponent] = ["gateway", "check"]
    static let gatewayCheckPath: [PathComponent] = ["gateway", "check", "**"]
    /// The browser mode, reached through the app's host.
    static let gatewaySignIn: [PathComponent] = ["gateway", "signin"]
    static let gatewayCallback: [PathComponent] = ["gateway", "callback"]
    static let gatewaySignOut: [PathComponent] = ["gateway", "signout"]
    /// Files under Public/css.
    static let styles: [PathComponent] = ["css", "**"]
    /// Files under Public/js (the one script: continue.js).
    static let scripts: [PathComponent] = ["js", "**"]
}
