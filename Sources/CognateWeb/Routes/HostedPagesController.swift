import CognateCore
import CognateModel
import Crypto
import Foundation
import Vapor

/// /oauth2/authorize and /login: the hosted sign-in, on `{public URL}/{pool id}` or the pool's domain.
struct HostedPagesController: Sendable {
    /// On https the cookies take the `__Host-` prefix: the browser keeps them to this host, with
    /// Secure and Path=/, so a sibling subdomain cannot plant or overwrite them.
    static func csrfCookie(_ request: Request) -> String { cookieName("cognate_csrf", request) }

    static func sessionCookie(_ poolId: String, _ request: Request) -> String { cookieName("cognate_session_\(poolId)", request) }

    /// The cookie that binds a stored authorization request to the browser that started it.
    static func browserCookie(_ request: Request) -> String { cookieName("cognate_browser", request) }

    static func browser(_ request: Request) -> String? { request.cookies[browserCookie(request)]?.string }

    /// Sets (or renews) the browser's binding cookie on a response.
    static func bind(_ response: Response, browser: String, _ request: Request) {
        response.cookies[browserCookie(request)] = cookie(browser, request: request, maxAge: Int(HostedSignIn.requestLifetime))
    }

    /// The login page of a stored request, with the cookie that binds it to this browser.
    static func toLogin(_ request: Request, pool: UserPool, authorization: AuthorizationRequest, browser: String) -> Response {
        let response = found("\(HostedPool.base(request, pool))/login?request=\(authorization.id)")
        bind(response, browser: browser, request)
        return response
    }

    static func isSecure(_ request: Request) -> Bool {
        (try? request.services().configuration.publicURL?.scheme == "https") ?? false
    }

    static func cookieName(_ base: String, _ request: Request) -> String {
        isSecure(request) ? "__Host-" + base : base
    }

    func authorize(_ request: Request) async throws -> Response {
        let services = try request.services()
        let pool = try await HostedPool.resolve(request, services)
        let parameters = try Self.parameters(request)
        let decision = try await services.hosted.authorize(
            pool: pool, parameters: parameters, sessionCookie: request.cookies[Self.sessionCookie(pool.id, request)]?.string,
            browser: Self.browser(request))
        switch decision {
        case .errorPage(let error):
            return try await Self.errorPage(request, status: .badRequest, heading: "error.invalidSignInLink", message: .verbatim(error.description))
        case .redirect(let location):
            return Self.found(location)
        case .login(let authorization, let browser):
            return Self.toLogin(request, pool: pool, authorization: authorization, browser: browser)
        case .federate(let authorization, let browser):
            return try await Self.toProvider(request, services, pool: pool, authorization: authorization, browser: browser)
        }
    }

    /// Off to the outside provider the stored request names, with the cookie that binds it to this browser.
    static func toProvider(_ request: Request, _ services: CognateServices, pool: UserPool, authorization: AuthorizationRequest,
                           browser: String) async throws -> Response {
        let response = found(try await services.federated.redirect(pool: pool, request: authorization))
        bind(response, browser: browser, request)
        return response
    }

    /// The login form of a stored request (`?request=`); or, as Cognito's /login, a new sign-in
    /// from the authorization parameters themselves (the form, whatever the session).
    func loginForm(_ request: Request) async throws -> Response {
        let services = try request.services()
        let pool = try await HostedPool.resolve(request, services)
        let parameters = try Self.parameters(request)
        guard parameters["request"] == nil, parameters["client_id"] != nil else {
            let authorization = try await services.hosted.resume(pool: pool, id: parameters["request"], browser: Self.browser(request))
            return try await Self.renderLogin(request, pool: pool, authorization: authorization, username: "", error: nil, status: .ok)
        }
        switch try await services.hosted.authorize(pool: pool, parameters: parameters.merging(["prompt": "login"]) { $1 }, sessionCookie: nil,
                                                   browser: Self.browser(request)) {
        case .errorPage(let error):
            return try await Self.errorPage(request, status: .badRequest, heading: "error.invalidSignInLink", message: .verbatim(error.description))
        case .redirect(let location):
            return Self.found(location)
        case .login(let authorization, let browser):
            return Self.toLogin(request, pool: pool, authorization: authorization, browser: browser)
        case .federate(let authorization, let browser):
            return try await Self.toProvider(request, services, pool: pool, authorization: authorization, browser: browser)
        }
    }

    /// GET (or POST, form_post) /oauth2/idpresponse: the outside provider's answer for the
    /// stored request its `state` names, in the browser that started it; an unknown, foreign,
    /// finished or expired state is a page, never a redirect.
    func providerResponse(_ request: Request) async throws -> Response {
        let services = try request.services()
        let pool = try await HostedPool.resolve(request, services)
        let parameters = try Self.parameters(request)
        // (once: posted again from here without the cookie, it is another browser's, and resume says so)
        if request.method == .POST, Self.browser(request) == nil, parameters["state"] != nil, parameters["continued"] == nil {
            // a form_post from the provider's site: the binding cookie was left out; post again from here
            let fields = parameters.filter { ["code", "state", "user", "error", "error_description", "id_token"].contains($0.key) }
                .sorted { $0.key < $1.key }.map { Hidden(name: $0.key, value: $0.value) } + [Hidden(name: "continued", value: "1")]
            let context = ContinueContext(action: "\(HostedPool.base(request, pool))/oauth2/idpresponse", fields: fields)
            return try await Self.page(request, ContinueContext.template, context, csrf: Self.csrfToken(request), redirectURI: nil, status: .ok)
        }
        let authorization = try await services.hosted.resume(pool: pool, id: parameters["state"], browser: Self.browser(request))
        return Self.respond(request, pool: pool, try await services.federated.callback(pool: pool, request: authorization, parameters: parameters))
    }

    /// GET {base}/saml2/metadata: what an IdP administrator loads to trust this pool as a SAML
    /// service provider (entity id `urn:amazon:cognito:sp:<poolId>`, its signing and encryption
    /// certificates, the assertion consumer and logout services).
    func samlMetadata(_ request: Request) async throws -> Response {
        let services = try request.services()
        let pool = try await HostedPool.resolve(request, services)
        let keys = try await services.federated.saml.keys(poolId: pool.id)
        let metadata = SAMLServiceProvider.metadata(poolId: pool.id, base: services.issuer(poolId: pool.id), keys: keys)
        let response = Response(status: .ok, body: .init(string: metadata))
        response.headers.contentType = HTTPMediaType(type: "application", subType: "samlmetadata+xml")
        response.headers.replaceOrAdd(name: .cacheControl, value: "public, max-age=3600")
        return response
    }

    /// POST {base}/saml2/idpresponse: a SAML IdP's Response (HTTP-POST binding). SP-initiated, its
    /// RelayState is the stored request's id, resumed in the browser that started it; an
    /// IdP-initiated one carries the app's authorization parameters instead (IDPInit).
    func samlResponse(_ request: Request) async throws -> Response {
        let services = try request.services()
        let pool = try await HostedPool.resolve(request, services)
        let form = (try? request.content.decode([String: String].self)) ?? [:]
        guard let saml = form["SAMLResponse"], !saml.isEmpty else {
            return try await Self.errorPage(request, status: .badRequest, heading: "error.cannotComplete",
                                            message: "error.answerMissing")
        }
        let relayState = form["RelayState"] ?? ""
        if relayState.contains("client_id=") {
            switch try await services.federated.unsolicited(pool: pool, relayState: relayState, samlResponse: saml, browser: Self.browser(request)) {
            case .page(let message):
                return try await Self.errorPage(request, status: .badRequest, heading: "error.cannotComplete", message: .verbatim(message))
            case .redirect(let location):
                return Self.found(location)
            case .outcome(let outcome, let browser):
                let response = Self.respond(request, pool: pool, outcome)
                Self.bind(response, browser: browser, request)
                return response
            }
        }
        if Self.browser(request) == nil, form["continued"] == nil {
            // posted from the IdP's site, without the cookie that binds the sign-in: post again from here
            let fields = [Hidden(name: "RelayState", value: relayState), Hidden(name: "SAMLResponse", value: saml), Hidden(name: "continued", value: "1")]
            let context = ContinueContext(action: "\(HostedPool.base(request, pool))/saml2/idpresponse", fields: fields)
            return try await Self.page(request, ContinueContext.template, context, csrf: Self.csrfToken(request), redirectURI: nil, status: .ok)
        }
        let authorization = try await services.hosted.resume(pool: pool, id: relayState, browser: Self.browser(request))
        return Self.respond(request, pool: pool, try await services.federated.samlCallback(pool: pool, request: authorization, samlResponse: saml))
    }

    /// A federated sign-in's outcome as the browser gets it: the session and the app's code, or the app's error.
    static func respond(_ request: Request, pool: UserPool, _ outcome: FederatedSignIn.Outcome) -> Response {
        switch outcome {
        case .signedIn(let session, let location): signedIn(request, pool: pool, session: session, location: location)
        case .refused(let location): found(location)
        }
    }

    func login(_ request: Request) async throws -> Response {
        let services = try request.services()
        let pool = try await HostedPool.resolve(request, services)
        let form = try request.content.decode([String: String].self)
        if let refused = try await Self.refuseWithoutCSRF(request, form: form) { return refused }
        let authorization = try await services.hosted.resume(pool: pool, id: form["request"], browser: Self.browser(request))
        if let email = form["corporate_email"] {
            return try await Self.routeByDomain(request, services, pool: pool, authorization: authorization, email: email)
        }
        let username = form["username"] ?? ""
        guard try await services.limits.allow(.signIn, from: request.clientAddress) else {
            return try await Self.errorPage(request, status: .tooManyRequests, heading: "error.tooManyAttempts",
                                            message: "error.tooManySignIns")
        }
        if form["email_code"] != nil, HostedSignIn.offersEmailCode(pool) {
            do {
                let result = try await services.hosted.emailCodeLogin(pool: pool, request: authorization, username: username)
                return try await MFAPagesController.respond(request, pool: pool, authorization: authorization, result: result)
            } catch AccountError.limitExceeded {
                return try await Self.renderLogin(request, pool: pool, authorization: authorization, username: username,
                                                  error: "login.tooManyCodes", status: .badRequest)
            } catch is SignInError {
                return try await Self.renderLogin(request, pool: pool, authorization: authorization, username: username,
                                                  error: "login.enterUsername", status: .badRequest)
            }
        }
        if let ticket = form["passkey_ticket"] {
            return try await Self.passkeyLogin(request, services, pool: pool, authorization: authorization, ticket: ticket,
                                               credential: form["credential"] ?? "")
        }
        do {
            let result = try await services.hosted.login(pool: pool, request: authorization, username: username, password: form["password"] ?? "")
            try await services.limits.giveBack(.signIn, from: request.clientAddress)
            // signed in by a password where the pool offers passkeys and the person has none: offered one first
            if case .signedIn(let session, let location) = result, let user = try await services.hosted.sessionUser(session, pool: pool),
                try await services.hosted.offersPasskey(to: user, pool: pool) {
                let response = try await PasskeyPagesController.renderOffer(request, services, pool: pool, user: user, location: location,
                                                                            redirectURI: authorization.redirectURI)
                response.cookies[Self.sessionCookie(pool.id, request)] = Self.cookie(session, request: request, maxAge: Int(HostedSignIn.sessionLifetime))
                return response
            }
            return try await MFAPagesController.respond(request, pool: pool, authorization: authorization, result: result)
        } catch AccountError.limitExceeded {
            return try await Self.renderLogin(request, pool: pool, authorization: authorization, username: username,
                                              error: "login.tooManyCodes", status: .badRequest)
        } catch let error as TriggerError {
            // the app's PreAuthentication refused: its own words
            guard case .failed(_, let message) = error else {
                return try await Self.renderLogin(request, pool: pool, authorization: authorization, username: username, error: "error.tryInAMoment",
                                                  status: .badRequest)
            }
            return try await Self.renderLogin(request, pool: pool, authorization: authorization, username: username, error: .verbatim(message),
                                              status: .badRequest)
        } catch let error as SignInError {
            let message: PageText = switch error {
            case .userNotConfirmed: "login.notConfirmed"
            case .passwordResetRequired: "login.resetRequired"
            case .temporaryPasswordExpired: "login.temporaryExpired"
            case .lockedOut: "login.lockedOut"
            case .poolUsersNotAllowed: "login.otherProvider"
            default: "login.incorrect"
            }
            return try await Self.renderLogin(request, pool: pool, authorization: authorization, username: username, error: message, status: .badRequest)
        }
    }

    /// The sign-in page's passkey form: signed in as by the password form, or the page again saying the passkey was not accepted.
    static func passkeyLogin(_ request: Request, _ services: CognateServices, pool: UserPool, authorization: AuthorizationRequest, ticket: String,
                             credential: String) async throws -> Response {
        do {
            let result = try await services.hosted.passkeyLogin(pool: pool, request: authorization, ticket: ticket, credential: credential)
            try await services.limits.giveBack(.signIn, from: request.clientAddress)
            return try await MFAPagesController.respond(request, pool: pool, authorization: authorization, result: result)
        } catch let error as TriggerError {
            guard case .failed(_, let message) = error else {
                return try await renderLogin(request, pool: pool, authorization: authorization, username: "", error: "error.tryInAMoment",
                                             status: .badRequest)
            }
            return try await renderLogin(request, pool: pool, authorization: authorization, username: "", error: .verbatim(message), status: .badRequest)
        } catch is SignInError {
            return try await renderLogin(request, pool: pool, authorization: authorization, username: "", error: "login.passkeyRefused", status: .badRequest)
        } catch is WebAuthnError {
            return try await renderLogin(request, pool: pool, authorization: authorization, username: "", error: "login.passkeyRefused", status: .badRequest)
        }
    }

    /// The sign-in page's work-address field: the domain of the address names the provider
    /// holding it as an identifier (`idp_identifier`), and the sign-in starts again there. Only
    /// domains are told apart, never users.
    static func routeByDomain(_ request: Request, _ services: CognateServices, pool: UserPool, authorization: AuthorizationRequest,
                              email: String) async throws -> Response {
        let domain = email.split(separator: "@", omittingEmptySubsequences: false).last.map(String.init)?
            .trimmingCharacters(in: .whitespaces) ?? ""
        let allowed = try await services.store.client(poolId: pool.id, clientId: authorization.clientId)?.supportedIdentityProviders ?? []
        guard email.contains("@"), !domain.isEmpty, domain.count <= 253,
            let provider = try await services.store.identityProvider(poolId: pool.id, identifier: domain),
            allowed.contains(provider.name), FederatedSignIn.supportedTypes.contains(provider.type)
        else {
            return try await renderLogin(request, pool: pool, authorization: authorization, username: "",
                                         error: "login.noProviderForDomain", status: .badRequest)
        }
        return found("\(HostedPool.base(request, pool))/oauth2/authorize?\(authorizeQuery(authorization, provider: provider.name))")
    }

    /// The form for a user signing in with a temporary password (Cognito's forceChangePassword).
    func newPassword(_ request: Request) async throws -> Response {
        let services = try request.services()
        let pool = try await HostedPool.resolve(request, services)
        let form = try request.content.decode([String: String].self)
        if let refused = try await Self.refuseWithoutCSRF(request, form: form) { return refused }
        let authorization = try await services.hosted.resume(pool: pool, id: form["request"], browser: Self.browser(request))
        guard let challenge = form["challenge"] else {
            return try await Self.errorPage(request, status: .badRequest, heading: "error.invalidSignInLink", message: "error.startAgain")
        }
        let password = form["new_password"] ?? ""
        guard password == form["confirm_password"] else {
            return try await Self.renderNewPassword(request, pool: pool, authorization: authorization, challenge: challenge,
                                                    error: "common.passwordsDiffer", status: .badRequest)
        }
        do {
            let result = try await services.hosted.setNewPassword(pool: pool, request: authorization, challenge: challenge, newPassword: password)
            return try await MFAPagesController.respond(request, pool: pool, authorization: authorization, result: result)
        } catch SignInError.invalidPassword {
            return try await Self.renderNewPassword(request, pool: pool, authorization: authorization, challenge: challenge,
                                                    error: "common.passwordRules", status: .badRequest)
        } catch is SignInError {
            return try await Self.errorPage(request, status: .badRequest, heading: "error.signInAgain", message: "error.stepExpired")
        }
    }

    /// Double-submit CSRF check: the form's hidden `_csrf` must equal the cookie set with the form.
    /// Returns the refusal page, or nil when the form may be processed.
    static func refuseWithoutCSRF(_ request: Request, form: [String: String]) async throws -> Response? {
        guard let cookie = request.cookies[csrfCookie(request)]?.string, let field = form["_csrf"], !cookie.isEmpty,
            constantTimeEquals(Array(cookie.utf8), Array(field.utf8))
        else {
            return try await errorPage(request, status: .forbidden, heading: "error.tryAgain",
                                       message: "error.formExpired")
        }
        return nil
    }

    static func signedIn(_ request: Request, pool: UserPool, session: String, location: String) -> Response {
        let response = found(location)
        response.cookies[sessionCookie(pool.id, request)] = cookie(session, request: request, maxAge: Int(HostedSignIn.sessionLifetime))
        return response
    }

    static func renderNewPassword(_ request: Request, pool: UserPool, authorization: AuthorizationRequest, challenge: String,
                                  error: PageText?, status: HTTPStatus) async throws -> Response {
        let csrf = csrfToken(request)
        let rules = AccountPagesController.passwordRules(pool)
        let context = NewPasswordContext(action: "\(HostedPool.base(request, pool))/forceChangePassword", csrf: csrf, challenge: challenge,
                                         hidden: authorization.parameters.map { Hidden(name: $0.0, value: $0.1) }, rules: rules, error: error)
        return try await page(request, NewPasswordContext.template, context, csrf: csrf, redirectURI: authorization.redirectURI, status: status,
                              pool: pool, authorization: authorization)
    }

    /// Renders a hosted form page, the one place its protections are set: the CSRF cookie the
    /// form's token matches, `no-store`, and the Content-Security-Policy (forms may post here
    /// and, after it, to the app's callback).
    /// `pool` and `authorization`: whose page it is. They choose its language (PageLanguages)
    /// and its look (PageLook: the client's managed login style and classic customization),
    /// whose CSS goes in a style element the policy names by its hash.
    static func page(_ request: Request, _ template: String, _ context: some Encodable & Sendable, csrf: String, redirectURI: String?,
                     status: HTTPStatus, formsAlsoTo others: [String] = [], pool: UserPool? = nil, authorization: AuthorizationRequest? = nil)
        async throws -> Response
    {
        var look: PageLook?
        if let pool, let authorization { look = try await PageLook.of(request, pool: pool, clientId: authorization.clientId) }
        let (rendered, catalog) = try await render(request, template, context, pool: pool, authorization: authorization, look: look)
        var html = rendered
        let styleHash = look?.styleHash
        if let look, styleHash != nil {
            html = html.replacingOccurrences(of: "</head>", with: "<style>\(look.css)</style>\n</head>")
        }
        let response = Response(status: status, body: .init(string: html))
        response.headers.contentType = .html
        response.cookies[csrfCookie(request)] = cookie(csrf, request: request, maxAge: 3_600)
        remember(catalog, request, response)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        response.headers.replaceOrAdd(name: "Content-Security-Policy",
                                      value: contentSecurityPolicy(redirectURI: redirectURI, alsoTo: others, styleHash: styleHash))
        return response
    }

    /// A page's template rendered in its theme (the client's, else the pool's, else the built-in
    /// one) and in the person's language (PageLanguages.choose): the context, its PageTexts said
    /// in that language, and `t`, `lang`, `dir`, `languages`, `brand` and `theme` beside it. A
    /// theme's template that fails is shown with its cause in development mode; otherwise the
    /// failure is logged and the built-in template is used.
    static func render(_ request: Request, _ template: String, _ context: some Encodable & Sendable, pool: UserPool?,
                       authorization: AuthorizationRequest?, look: PageLook? = nil) async throws -> (html: String, catalog: MessageCatalog) {
        let chosen = try await theme(request, pool: pool, clientId: authorization?.clientId)
        func attempt(_ theme: Theme) async throws -> (html: String, catalog: MessageCatalog) {
            let languages = theme.languages
            let catalog = languages.choose(request, pool: pool, authorization: authorization)
            let envelope = PageEnvelope(context: context, t: languages.trees[catalog.locale] ?? .group([:]), lang: catalog.locale,
                                        dir: catalog.rightToLeft ? "rtl" : "ltr", languages: selector(request, languages, chosen: catalog.locale),
                                        brand: look, theme: .init(name: theme.name, stylesheets: theme.stylesheets))
            let renderer = theme.renderer(request)
            let buffer = try await PageText.$catalog.withValue(catalog) { renderer.render(path: template, context: envelope) }.get()
            return (String(buffer: buffer), catalog)
        }
        guard !chosen.name.isEmpty else { return try await attempt(chosen) }
        do {
            return try await attempt(chosen)
        } catch {
            let cause = TemplateFailure(theme: chosen.name, template: template, error: error)
            guard !request.application.themes.development else { throw cause }
            request.logger.error("\(cause.description); the built-in template was used")
            return try await attempt(request.application.themes.builtIn)
        }
    }

    /// The language selector: a GET form back to this page, carrying what opens it again (the
    /// query of a GET; of a posted form, only the stored request's id). None on pages that only
    /// a form reaches (a second step, a new password), or where there is one language.
    static func selector(_ request: Request, _ languages: PageLanguages, chosen: String) -> LanguageSelector? {
        guard languages.choices.count > 1 else { return nil }
        // only the pages a link opens (never an answer from a provider, whose query holds its code)
        let reopens = [RoutePath.login, RoutePath.signUp, RoutePath.confirmUser, RoutePath.forgotPassword, RoutePath.confirmForgotPassword,
                       RoutePath.previewSample]
        // the route the request matched (under a pool's prefix or on its domain) ends with one of them
        guard let route = request.route?.path.map(\.description),
            reopens.contains(where: { path in route.suffix(path.count).elementsEqual(path.map(\.description)) })
        else { return nil }
        var hidden: [Hidden] = []
        if request.method == .GET {
            let query = (try? request.query.decode([String: String].self)) ?? [:]
            hidden = query.filter { $0.key != "lang" }.sorted { $0.key < $1.key }.map { Hidden(name: $0.key, value: $0.value) }
        } else {
            guard let id = try? request.content.get(String.self, at: "request"), !id.isEmpty else { return nil }
            hidden = [Hidden(name: "request", value: id)]
        }
        return .init(action: request.url.path, hidden: hidden, options: languages.choices.map {
            .init(tag: $0.tag, name: $0.name, selected: $0.tag == chosen)
        })
    }

    /// A language chosen on the page (`lang` in a GET's query, one there is a catalog for) is
    /// kept in a cookie for the person's next pages and sign-ins.
    static func remember(_ catalog: MessageCatalog, _ request: Request, _ response: Response) {
        guard request.method == .GET, let chosen = try? request.query.get(String.self, at: "lang"),
            MessageCatalogs.wellFormed(chosen), MessageCatalog.language(chosen) == MessageCatalog.language(catalog.locale)
        else { return }
        response.cookies[PageLanguages.cookie] = cookie(catalog.locale, request: request, maxAge: 365 * 86_400)
    }

    /// GET {base}/ui/logo?client_id=…: the logo of a client's (or `ALL`'s) customization, as set;
    /// cached for a day (its links carry the version), revalidated by ETag.
    func logo(_ request: Request) async throws -> Response {
        let services = try request.services()
        let pool = try await HostedPool.resolve(request, services)
        let clientId = (try? request.query.get(String.self, at: "client_id")) ?? UICustomization.allClients
        guard clientId.count <= 128, let custom = try await services.store.uiCustomization(poolId: pool.id, clientId: clientId),
            let image = custom.image, let type = custom.imageType
        else { return Response(status: .notFound) }
        let tag = "\"\(custom.version)\""
        if request.headers.first(name: .ifNoneMatch) == tag {
            let unchanged = Response(status: .notModified)
            unchanged.headers.replaceOrAdd(name: .eTag, value: tag)
            return unchanged
        }
        let response = Response(status: .ok, body: .init(data: image))
        response.headers.replaceOrAdd(name: .contentType, value: type)
        response.headers.replaceOrAdd(name: .eTag, value: tag)
        response.headers.replaceOrAdd(name: .cacheControl, value: "public, max-age=86400")
        return response
    }

    /// 302 Found, as Cognito and RFC 6749's examples answer.
    static func found(_ location: String) -> Response {
        let response = Response(status: .found)
        response.headers.replaceOrAdd(name: .location, value: location)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    /// Cognito's /logout: with `logout_uri` (a registered sign-out URL) it ends the session and
    /// returns there; with `redirect_uri` and `response_type` it ends the session and starts a
    /// fresh sign-in. Anything else is an error page: never an open redirect.
    func logout(_ request: Request) async throws -> Response {
        let services = try request.services()
        let pool = try await HostedPool.resolve(request, services)
        let parameters = try Self.parameters(request)
        guard let clientId = parameters["client_id"], let client = try await services.store.client(poolId: pool.id, clientId: clientId) else {
            return try await Self.errorPage(request, status: .badRequest, heading: "error.invalidSignOutLink", message: .verbatim("Unknown client_id."))
        }
        let target: String
        if let logoutURI = parameters["logout_uri"] {
            guard client.logoutURLs.contains(logoutURI) else {
                return try await Self.errorPage(request, status: .badRequest, heading: "error.invalidSignOutLink",
                                                message: .verbatim("logout_uri is not a sign-out URL of this client."))
            }
            target = logoutURI
        } else if let redirectURI = parameters["redirect_uri"], parameters["response_type"] != nil {
            guard client.callbackURLs.contains(redirectURI) else {
                return try await Self.errorPage(request, status: .badRequest, heading: "error.invalidSignOutLink",
                                                message: .verbatim("redirect_uri is not a callback URL of this client."))
            }
            var query = URLComponents()
            query.queryItems = parameters.filter { $0.key != "logout_uri" }.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
            target = "\(HostedPool.base(request, pool))/login?\(query.percentEncodedQuery ?? "")"
        } else {
            return try await Self.errorPage(request, status: .badRequest, heading: "error.invalidSignOutLink",
                                            message: .verbatim("Give logout_uri, or redirect_uri with response_type."))
        }
        let cookie = request.cookies[Self.sessionCookie(pool.id, request)]?.string
        // a session a SAML IdP opened signs out there too, where the provider says so (IDPSignout)
        let session = try await services.hosted.liveSession(cookie, pool: pool)
        let idpLogout = try await services.federated.samlLogout(pool: pool, session: session, then: target)
        try await services.hosted.endSession(cookie)
        let response = Self.found(idpLogout ?? target)
        response.cookies[Self.sessionCookie(pool.id, request)] = Self.cookie("", request: request, maxAge: 0)
        return response
    }

    /// POST (or GET) {base}/saml2/logout: the IdP's LogoutResponse after a sign-out it was told
    /// of; on to where the sign-out was going (the app's logout_uri, or its sign-in page).
    func samlLogout(_ request: Request) async throws -> Response {
        let services = try request.services()
        let pool = try await HostedPool.resolve(request, services)
        let parameters = request.method == .POST ? ((try? request.content.decode([String: String].self)) ?? [:]) : try Self.parameters(request)
        guard let target = try await services.federated.samlLogoutReturn(pool: pool, samlResponse: parameters["SAMLResponse"],
                                                                         relayState: parameters["RelayState"], deflated: request.method == .GET)
        else {
            return try await Self.errorPage(request, status: .badRequest, heading: "error.signOutCannotComplete",
                                            message: "error.signOutUnexpected")
        }
        return Self.found(target)
    }

    static func renderLogin(_ request: Request, pool: UserPool, authorization: AuthorizationRequest, username: String,
                            error: PageText?, notice: PageText? = nil, status: HTTPStatus) async throws -> Response {
        let csrf = csrfToken(request)
        let base = HostedPool.base(request, pool)
        let query = AccountPagesController.query(authorization)
        let services = try request.services()
        let client = try await services.store.client(poolId: pool.id, clientId: authorization.clientId)
        let allowed = client?.supportedIdentityProviders ?? []
        let poolUsers = client.map(HostedSignIn.allowsPoolUsers) ?? true
        // a button for each provider one can sign in through here
        let providers = allowed.contains(where: { $0 != "COGNITO" })
            ? try await services.store.listIdentityProviders(poolId: pool.id, limit: 60, after: nil).items
                .filter { FederatedSignIn.supportedTypes.contains($0.type) && allowed.contains($0.name) }
            : []
        let usable = Set(providers.map(\.name))
        var context = LoginContext(action: "\(base)/login", csrf: csrf,
                                   hidden: authorization.parameters.map { Hidden(name: $0.0, value: $0.1) },
                                   username: username, error: error, notice: notice, forgotLink: "\(base)/forgotPassword?\(query)",
                                   signUpLink: pool.allowAdminCreateUserOnly || !poolUsers ? nil : "\(base)/signup?\(query)",
                                   passwordForm: poolUsers,
                                   domainField: providers.contains { !$0.identifiers.isEmpty },
                                   providers: allowed.filter(usable.contains).map {
                                       ProviderButton(name: $0, label: PageText("login.provider", ["name": $0]), link: "\(base)/oauth2/authorize?\(Self.authorizeQuery(authorization, provider: $0))")
                                   })
        context.emailCode = poolUsers && HostedSignIn.offersEmailCode(pool)
        context.passkey = try services.hosted.passkeyRequest(pool: pool, request: authorization, client: client).map {
            PasskeyForm(options: $0.options, ticket: $0.ticket)
        }
        // the work-address form's answer goes on to a provider's sign-in page: its origin may be a form's target
        let routed = providers.filter { !$0.identifiers.isEmpty }.compactMap { $0.details[$0.type == .saml ? "SSORedirectBindingURI" : "authorize_url"] }
        return try await page(request, LoginContext.template, context, csrf: csrf, redirectURI: authorization.redirectURI, status: status,
                              formsAlsoTo: routed, pool: pool, authorization: authorization)
    }

    /// The authorization parameters of a stored request, naming `provider`: what a provider's
    /// button on the sign-in page starts (a new request, sent straight to that provider).
    static func authorizeQuery(_ authorization: AuthorizationRequest, provider: String) -> String {
        var items = [URLQueryItem(name: "response_type", value: authorization.responseType),
                     URLQueryItem(name: "client_id", value: authorization.clientId),
                     URLQueryItem(name: "redirect_uri", value: authorization.redirectURI),
                     URLQueryItem(name: "scope", value: authorization.scopes.joined(separator: " ")),
                     URLQueryItem(name: "identity_provider", value: provider)]
        if let state = authorization.state { items.append(URLQueryItem(name: "state", value: state)) }
        if let nonce = authorization.nonce { items.append(URLQueryItem(name: "nonce", value: nonce)) }
        if let locales = authorization.uiLocales { items.append(URLQueryItem(name: "ui_locales", value: locales.joined(separator: " "))) }
        if let challenge = authorization.codeChallenge {
            items += [URLQueryItem(name: "code_challenge", value: challenge), URLQueryItem(name: "code_challenge_method", value: "S256")]
        }
        if let maxAge = authorization.maxAge { items.append(URLQueryItem(name: "max_age", value: String(maxAge))) }
        var components = URLComponents()
        components.queryItems = items
        // URLComponents leaves + as it is, which a form decoder reads as a space
        return (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
    }

    /// The hosted pages load nothing from elsewhere and may not be framed. Their forms post to
    /// this server, which answers a successful sign-in with a redirect to the app: browsers apply
    /// `form-action` to that redirect too, so the app's callback origin is allowed as well.
    /// `alsoTo`: further places a form's answer may redirect to (the sign-in page's work-address
    /// form goes on to the provider of the address's domain).
    /// `styleHash`: the SHA-256 (base64) of the page's one style element, a pool's customization.
    static func contentSecurityPolicy(redirectURI: String?, alsoTo others: [String] = [], styleHash: String? = nil) -> String {
        var targets = ["'self'"]
        for place in [redirectURI].compactMap({ $0 }) + others {
            if let source = formSource(place), !targets.contains(source) { targets.append(source) }
        }
        let style = styleHash.map { "; style-src 'self' 'sha256-\($0)'" } ?? ""
        return "default-src 'self'; form-action \(targets.joined(separator: " ")); frame-ancestors 'none'\(style)"
    }

    /// A URL's origin as a CSP source (a custom scheme as `scheme:`); nil for what cannot be one.
    static func formSource(_ place: String) -> String? {
        guard let url = URLComponents(string: place), let scheme = url.scheme?.lowercased(),
            scheme.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." })
        else { return nil }
        if scheme == "http" || scheme == "https" {
            guard let host = url.host?.lowercased(), !host.isEmpty,
                host.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == ":" || $0 == "[" || $0 == "]" })
            else { return nil }
            return "\(scheme)://\(host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host)\(url.port.map { ":\($0)" } ?? "")"
        }
        return "\(scheme):"  // a native app's custom scheme
    }

    /// The browser's CSRF token, or a new one (256 random bits).
    static func csrfToken(_ request: Request) -> String {
        if let existing = request.cookies[csrfCookie(request)]?.string, !existing.isEmpty { return existing }
        var generator = SystemRandomNumberGenerator()
        return Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }).base64URLEncoded
    }

    static func errorPage(_ request: Request, status: HTTPStatus, heading: PageText, message: PageText,
                          pool: UserPool? = nil, authorization: AuthorizationRequest? = nil) async throws -> Response {
        let (html, catalog) = try await render(request, ErrorContext.template, ErrorContext(heading: heading, message: message),
                                               pool: pool, authorization: authorization)
        let response = Response(status: status, body: .init(string: html))
        response.headers.contentType = .html
        remember(catalog, request, response)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    /// Session and CSRF cookies: HttpOnly, SameSite=Lax, Secure whenever the public URL is https.
    static func cookie(_ value: String, request: Request, maxAge: Int) -> HTTPCookies.Value {
        HTTPCookies.Value(string: value, maxAge: maxAge, path: "/", isSecure: isSecure(request), isHTTPOnly: true, sameSite: .lax)
    }

    /// GET parameters, or the form of a POST (OIDC Core §3.1.2.1 allows both).
    static func parameters(_ request: Request) throws -> [String: String] {
        if request.method == .POST { return (try? request.content.decode([String: String].self)) ?? [:] }
        return (try? request.query.decode([String: String].self)) ?? [:]
    }
}

/// The pool a hosted request is for: named in the path, or by the pool domain the request came to.
enum HostedPool {
    static func resolve(_ request: Request, _ services: CognateServices) async throws -> UserPool {
        try await WellKnownController.pool(request, services)
    }

    /// Where this pool's hosted endpoints are, as the request reached them.
    static func base(_ request: Request, _ pool: UserPool) -> String {
        request.parameters.get("poolId") != nil ? "/\(pool.id)" : ""
    }
}
