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
}
