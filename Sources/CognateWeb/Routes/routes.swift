import Vapor

func routes(_ app: Application) throws {
    let health = HealthController()
    app.get(RoutePath.health, use: health.alive)
    app.get(RoutePath.ready, use: health.ready)

    app.on(.POST, RoutePath.api, body: .collect(maxSize: ByteCount(value: BodyLimitMiddleware.limit)), use: CognitoAPIController().handle)

    let wellKnown = WellKnownController()
    app.get(RoutePath.discovery, use: wellKnown.discovery)
    app.get(RoutePath.jwks, use: wellKnown.jwks)
    app.get(RoutePath.domainDiscovery, use: wellKnown.discovery)
    app.get(RoutePath.domainJWKS, use: wellKnown.jwks)

    // The hosted endpoints answer under {public URL}/{pool id} and on the pool's domain.
    let hosted = HostedPagesController()
    let oauth = OAuthController()
    for prefix in [RoutePath.poolPrefix, []] {
        app.get(prefix + RoutePath.authorize, use: hosted.authorize)
        app.post(prefix + RoutePath.authorize, use: hosted.authorize)
        app.get(prefix + RoutePath.login, use: hosted.loginForm)
        app.post(prefix + RoutePath.login, use: hosted.login)
        app.post(prefix + RoutePath.token, use: oauth.token)
        app.get(prefix + RoutePath.userInfo, use: oauth.userInfo)
        app.post(prefix + RoutePath.userInfo, use: oauth.userInfo)
        app.post(prefix + RoutePath.revoke, use: oauth.revoke)
        app.get(prefix + RoutePath.logout, use: hosted.logout)
        app.post(prefix + RoutePath.forceChangePassword, use: hosted.newPassword)
    }
}
