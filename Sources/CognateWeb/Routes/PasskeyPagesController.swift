import CognateCore
import CognateModel
import Foundation
import Vapor

/// `{base}/passkeys`: a signed-in person's passkeys (the hosted session's user): listed, removed,
/// and added with the browser's WebAuthn (Public/js/passkey.js). Without a hosted session the
/// page says to sign in first.
struct PasskeyPagesController {
    func show(_ request: Request) async throws -> Response {
        let services = try request.services()
        let pool = try await HostedPool.resolve(request, services)
        guard let user = try await Self.user(request, services, pool) else { return try await Self.signInFirst(request) }
        return try await Self.render(request, services, pool: pool, user: user, notice: nil, error: nil, status: .ok)
    }

    func change(_ request: Request) async throws -> Response {
        let services = try request.services()
        let pool = try await HostedPool.resolve(request, services)
        let form = try request.content.decode([String: String].self)
        if let refused = try await HostedPagesController.refuseWithoutCSRF(request, form: form) { return refused }
        guard let user = try await Self.user(request, services, pool) else { return try await Self.signInFirst(request) }
        if let id = form["remove"] {
            do {
                try await services.hosted.signInService.deletePasskey(of: user, id: id)
            } catch StoreError.notFound {
                return try await Self.render(request, services, pool: pool, user: user, notice: nil, error: "passkeys.notFound", status: .badRequest)
            }
            return try await Self.render(request, services, pool: pool, user: user, notice: "passkeys.removed", error: nil, status: .ok)
        }
        guard let text = form["credential"], text.utf8.count <= 256 * 1024,
            let credential = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        else { return try await Self.render(request, services, pool: pool, user: user, notice: nil, error: "passkeys.failed", status: .badRequest) }
        // from the offer after a password sign-in: on to the app once the passkey is kept
        let onward = form["continue"].flatMap { services.hosted.openContinuation($0, user: user) }
        do {
            _ = try await services.hosted.signInService.completePasskeyRegistration(user: user, pool: pool, credential: credential)
        } catch let error as WebAuthnError {
            if let onward, let text = form["continue"] {
                // if even the offer cannot be shown again (passkeys switched off meanwhile), on to the app
                return (try? await Self.renderOffer(request, services, pool: pool, user: user, location: onward, redirectURI: onward, sealed: text,
                                                    error: "passkeys.refused")) ?? HostedPagesController.found(onward)
            }
            let message: PageText = error == .limitExceeded ? "passkeys.tooMany" : error == .credentialExists ? "passkeys.exists" : "passkeys.refused"
            return try await Self.render(request, services, pool: pool, user: user, notice: nil, error: message, status: .badRequest)
        }
        if let onward { return HostedPagesController.found(onward) }
        return try await Self.render(request, services, pool: pool, user: user, notice: "passkeys.added", error: nil, status: .ok)
    }

    /// The offer after a password sign-in: add a passkey (then on to the app), or "Not now" (on to the app at once).
    static func renderOffer(_ request: Request, _ services: CognateServices, pool: UserPool, user: User, location: String, redirectURI: String,
                            sealed: String? = nil, error: PageText? = nil) async throws -> Response {
        let csrf = HostedPagesController.csrfToken(request)
        let options = try await services.hosted.signInService.startPasskeyRegistration(user: user, pool: pool)
        let context = PasskeyOfferContext(
            action: "\(HostedPool.base(request, pool))/passkeys", csrf: csrf,
            options: String(decoding: try JSONEncoder().encode(options), as: UTF8.self),
            continuation: try sealed ?? services.hosted.sealContinuation(location, user: user), skipLink: location, error: error)
        return try await HostedPagesController.page(request, PasskeyOfferContext.template, context, csrf: csrf, redirectURI: redirectURI,
                                                    status: error == nil ? .ok : .badRequest, pool: pool)
    }

    static func user(_ request: Request, _ services: CognateServices, _ pool: UserPool) async throws -> User? {
        try await services.hosted.sessionUser(request.cookies[HostedPagesController.sessionCookie(pool.id, request)]?.string, pool: pool)
    }

    static func signInFirst(_ request: Request) async throws -> Response {
        try await HostedPagesController.errorPage(request, status: .unauthorized, heading: "passkeys.title", message: "passkeys.signInFirst")
    }

    static func render(_ request: Request, _ services: CognateServices, pool: UserPool, user: User, notice: PageText?, error: PageText?,
                       status: HTTPStatus) async throws -> Response {
        let csrf = HostedPagesController.csrfToken(request)
        let passkeys = try await services.hosted.signInService.passkeys(of: user, limit: SignInService.passkeysPerUser, after: nil).items
        // the add button where the pool offers passkeys and the user may have another
        let options = (try? await services.hosted.signInService.startPasskeyRegistration(user: user, pool: pool))
            .map { String(decoding: (try? JSONEncoder().encode($0)) ?? Data(), as: UTF8.self) }
        let context = PasskeysContext(
            action: "\(HostedPool.base(request, pool))/passkeys", csrf: csrf,
            passkeys: passkeys.map { PasskeyItem(id: $0.id, name: $0.friendlyName, removeLabel: PageText("passkeys.removeNamed", ["name": $0.friendlyName])) },
            options: options, notice: notice, error: error)
        return try await HostedPagesController.page(request, PasskeysContext.template, context, csrf: csrf, redirectURI: nil, status: status, pool: pool)
    }
}
