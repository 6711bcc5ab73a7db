import CognateCore
import Vapor

/// - Parameter publicDirectory: Public/ of the resource root the templates come from.
func routes(_ app: Application, publicDirectory: String) throws {
    let health = HealthController()
    app.get(RoutePath.health, use: health.alive)
    app.get(RoutePath.ready, use: health.ready)

    // streamed: the handler checks the URL's signature before it takes the body in
    app.on(.PUT, RoutePath.userImport, body: .stream, use: UserImportController().upload)
    app.on(.POST, RoutePath.api, body: .collect(maxSize: ByteCount(value: BodyLimitMiddleware.apiLimit)), use: CognitoAPIController().handle)

    // The pages' style sheet. Files are looked for only under /css/: a global FileMiddleware
    // would ask the file system about every request's path (a thread hop and a stat each).
    app.grouped(FileMiddleware(publicDirectory: publicDirectory))
        .get(RoutePath.styles) { _ -> Response in throw Abort(.notFound) }
    app.grouped(FileMiddleware(publicDirectory: publicDirectory))
        .get(RoutePath.scripts) { _ -> Response in throw Abort(.notFound) }

    // A theme's style sheets, images and fonts (COGNATE_THEMES_DIR), its parent's where it has none.
    app.get(RoutePath.themeFiles, use: HostedPagesController().themeFile)

    let wellKnown = WellKnownController()
    app.get(RoutePath.discovery, use: wellKnown.discovery)
    app.get(RoutePath.jwks, use: wellKnown.jwks)
    app.get(RoutePath.domainDiscovery, use: wellKnown.discovery)
    app.get(RoutePath.domainJWKS, use: wellKnown.jwks)
    app.get(RoutePath.identityDiscovery, use: wellKnown.identityDiscovery)
    app.get(RoutePath.identityJWKS, use: wellKnown.identityJWKS)

    // The hosted endpoints answer under {public URL}/{pool id} and on the pool's domain.
    let hosted = HostedPagesController()
    let passkeys = PasskeyPagesController()
    let accounts = AccountPagesController()
    let mfa = MFAPagesController()
    let preview = PreviewController()
    let oauth = OAuthController()
    let pages = app.grouped(HostedErrorMiddleware())
    for prefix in [RoutePath.poolPrefix, []] {
        pages.get(prefix + RoutePath.authorize, use: hosted.authorize)
        pages.post(prefix + RoutePath.authorize, use: hosted.authorize)
        pages.get(prefix + RoutePath.providerResponse, use: hosted.providerResponse)
        pages.get(prefix + RoutePath.samlMetadata, use: hosted.samlMetadata)
        pages.get(prefix + RoutePath.logo, use: hosted.logo)
        pages.get(prefix + RoutePath.managedLoginAsset, use: hosted.managedLoginAsset)
        pages.get(prefix + RoutePath.preview, use: preview.index)
        pages.get(prefix + RoutePath.previewSample, use: preview.sample)
        pages.post(prefix + RoutePath.providerResponse, use: hosted.providerResponse)
        // Cognito takes SAML responses of up to 100,000 characters (form-encoded, a little more)
        pages.on(.POST, prefix + RoutePath.samlResponse, body: .collect(maxSize: "160kb"), use: hosted.samlResponse)
        pages.get(prefix + RoutePath.login, use: hosted.loginForm)
        pages.post(prefix + RoutePath.login, use: hosted.login)
        pages.get(prefix + RoutePath.logout, use: hosted.logout)
        pages.get(prefix + RoutePath.samlLogout, use: hosted.samlLogout)
        pages.on(.POST, prefix + RoutePath.samlLogout, body: .collect(maxSize: "160kb"), use: hosted.samlLogout)
        pages.post(prefix + RoutePath.forceChangePassword, use: hosted.newPassword)
        pages.get(prefix + RoutePath.signUp, use: accounts.signUpForm)
        pages.post(prefix + RoutePath.signUp, use: accounts.signUp)
        pages.get(prefix + RoutePath.confirmUser, use: accounts.confirmForm)
        pages.post(prefix + RoutePath.confirmUser, use: accounts.confirm)
        pages.get(prefix + RoutePath.forgotPassword, use: accounts.forgotForm)
        pages.post(prefix + RoutePath.forgotPassword, use: accounts.forgot)
        pages.get(prefix + RoutePath.confirmForgotPassword, use: accounts.forgotForm)
        pages.post(prefix + RoutePath.confirmForgotPassword, use: accounts.reset)
        pages.post(prefix + RoutePath.mfa, use: mfa.answer)
        pages.get(prefix + RoutePath.passkeys, use: passkeys.show)
        pages.post(prefix + RoutePath.passkeys, use: passkeys.change)
        let clientEndpoints = app.grouped(OAuthErrorMiddleware(bearer: false))
        let bearerEndpoints = app.grouped(OAuthErrorMiddleware(bearer: true))
        clientEndpoints.post(prefix + RoutePath.token, use: oauth.token)
        bearerEndpoints.get(prefix + RoutePath.userInfo, use: oauth.userInfo)
        bearerEndpoints.post(prefix + RoutePath.userInfo, use: oauth.userInfo)
        clientEndpoints.post(prefix + RoutePath.revoke, use: oauth.revoke)
        // proxies ask with the original request's method (Envoy's ext_authz) or GET (nginx, Traefik)
        let gateway = GatewayController()
        for method: HTTPMethod in [.GET, .HEAD, .POST, .PUT, .PATCH, .DELETE, .OPTIONS] {
            app.on(method, prefix + RoutePath.gatewayCheck, body: .collect(maxSize: "1kb"), use: gateway.check)
            app.on(method, prefix + RoutePath.gatewayCheckPath, body: .collect(maxSize: "1kb"), use: gateway.check)
        }
        app.get(prefix + RoutePath.gatewaySignIn, use: gateway.signIn)
        app.get(prefix + RoutePath.gatewayCallback, use: gateway.callback)
        app.get(prefix + RoutePath.gatewaySignOut, use: gateway.signOut)
    }
}
