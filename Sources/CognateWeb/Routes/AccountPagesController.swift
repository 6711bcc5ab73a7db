import CognateCore
import CognateModel
import Foundation
import Vapor

/// The hosted account pages: /signup, /confirmUser, /forgotPassword and /confirmForgotPassword.
/// Each keeps the app's authorization request (as hidden fields and link queries), so the person
/// lands back at the app; each form has a CSRF token. Where the client hides which users exist
/// (PreventUserExistenceErrors), no page tells an existing account from a new one.
struct AccountPagesController: Sendable {
    typealias Hidden = HostedPagesController.Hidden

    // MARK: Sign-up

    func signUpForm(_ request: Request) async throws -> Response {
        let page = try await Page(request)
        guard let authorization = page.authorization else { return try await page.invalidLink() }
        guard !page.pool.allowAdminCreateUserOnly else {
            return try await HostedPagesController.errorPage(request, status: .forbidden, heading: "error.signUpClosed",
                                                             message: "error.adminCreatesAccounts")
        }
        return try await Self.renderSignUp(page, authorization: authorization, values: [:], error: nil, status: .ok)
    }

    func signUp(_ request: Request) async throws -> Response {
        let page = try await Page(request)
        if let refused = try await HostedPagesController.refuseWithoutCSRF(request, form: page.parameters) { return refused }
        guard let authorization = page.authorization, let client = page.client else { return try await page.invalidLink() }
        guard HostedSignIn.allowsPoolUsers(client) else {
            return try await HostedPagesController.errorPage(request, status: .forbidden, heading: "error.signUpClosed",
                                                             message: "login.otherProvider")
        }
        let form = page.parameters
        let values = Dictionary(uniqueKeysWithValues: Self.signUpFields(page.pool).map { ($0.name, (form[$0.name] ?? "").trimmingCharacters(in: .whitespaces)) })
        /// The form again with the refusal, tied to the field it is about.
        func again(_ error: PageText, field: String) async throws -> Response {
            try await Self.renderSignUp(page, authorization: authorization, values: values, error: error, errorField: field, status: .badRequest)
        }
        let password = form["password"] ?? ""
        guard password == form["confirm_password"] else { return try await again("common.passwordsDiffer", field: "confirm_password") }
        if let refused = try await page.refuseFlood(.signUp) { return refused }
        let username = values["username"] ?? ""
        guard !username.isEmpty else { return try await again(PageText("signUp.enterUsername", texts: ["label": Self.usernameLabel(page.pool)]), field: "username") }
        let attributes = values.filter { $0.key != "username" && !$0.value.isEmpty }
        do {
            let (user, delivery) = try await page.services.accounts.signUp(
                pool: page.pool, client: client, username: username, password: password, attributes: attributes,
                locale: try await HostedPagesController.theme(request, pool: page.pool, clientId: client.clientId).languages
                    .choose(request, pool: page.pool, authorization: authorization).locale)
            if user.status == .confirmed {
                // confirmed by the PreSignUp trigger: signed in at once, as after a confirmation
                try await page.services.hosted.advance(authorization, to: .confirmation, user: user)
                if let result = try await page.services.hosted.completeConfirmedSignIn(pool: page.pool, request: authorization, user: user) {
                    return try await MFAPagesController.respond(request, pool: page.pool, authorization: authorization, result: result)
                }
                return try await HostedPagesController.renderLogin(request, pool: page.pool, authorization: authorization, username: username,
                                                                   error: nil, notice: "login.confirmed", status: .ok)
            }
            guard let delivery else {
                return try await HostedPagesController.renderLogin(
                    request, pool: page.pool, authorization: authorization, username: "", error: nil,
                    notice: "login.created", status: .ok)
            }
            // the request names who signs up: confirming the code then signs them in
            try await page.services.hosted.advance(authorization, to: .confirmation, user: user)
            return try await Self.renderConfirm(page, authorization: authorization, username: username, notice: Self.sentNotice(delivery),
                                                error: nil, status: .ok)
        } catch AccountError.usernameExists where client.preventUserExistenceErrors {
            // Answer as for a new account (the request moves on, naming no one); no code is sent,
            // so nothing is confirmed and no one is signed in.
            try await page.services.hosted.advance(authorization, to: .confirmation, user: nil)
            return try await Self.renderConfirm(page, authorization: authorization, username: username,
                                                notice: Self.sentNotice(page.services.accounts.simulatedDelivery(pool: page.pool, username: attributes["email"] ?? username)),
                                                error: nil, status: .ok)
        } catch AccountError.usernameExists {
            return try await again(PageText("signUp.exists", texts: ["label": Self.usernameLabel(page.pool)]), field: "username")
        } catch AccountError.invalidPassword {
            return try await again("common.passwordRules", field: "password")
        } catch AccountError.unauthorizedAttribute {
            return try await HostedPagesController.errorPage(request, status: .forbidden, heading: "error.signUpUnavailable",
                                                             message: "error.attributesNotWritable")
        } catch AccountError.signUpNotPermitted {
            return try await HostedPagesController.errorPage(request, status: .forbidden, heading: "error.signUpClosed",
                                                             message: "error.adminCreatesAccounts")
        } catch let error as ValidationError {
            return try await again(Self.friendly(error), field: error.field)
        } catch let error as TriggerError {
            // the app's PreSignUp refused: its own words (they are the app's to choose)
            guard case .failed(_, let message) = error else { return try await again("error.tryInAMoment", field: "username") }
            return try await again(.verbatim(message), field: "username")
        }
    }

    // MARK: Confirmation

    func confirmForm(_ request: Request) async throws -> Response {
        let page = try await Page(request)
        guard let authorization = page.authorization else { return try await page.invalidLink() }
        return try await Self.renderConfirm(page, authorization: authorization, username: page.parameters["username"] ?? "",
                                            notice: nil, error: nil, status: .ok)
    }

    func confirm(_ request: Request) async throws -> Response {
        let page = try await Page(request)
        if let refused = try await HostedPagesController.refuseWithoutCSRF(request, form: page.parameters) { return refused }
        guard let authorization = page.authorization, let client = page.client else { return try await page.invalidLink() }
        guard HostedSignIn.allowsPoolUsers(client) else {
            return try await HostedPagesController.errorPage(request, status: .forbidden, heading: "error.signUpClosed",
                                                             message: "login.otherProvider")
        }
        let form = page.parameters
        let username = form["username"] ?? ""
        let accounts = page.services.accounts
        func again(notice: PageText? = nil, error: PageText?) async throws -> Response {
            try await Self.renderConfirm(page, authorization: authorization, username: username, notice: notice,
                                         error: error, status: error == nil ? .ok : .badRequest)
        }
        if form["action"] == "resend" {
            if let refused = try await page.refuseFlood(.codeRequest) { return refused }
            do {
                return try await again(notice: Self.sentNotice(try await accounts.resendConfirmationCode(pool: page.pool, username: username)), error: nil)
            } catch AccountError.limitExceeded {
                return try await again(error: "common.tooManyCodes")
            } catch let refusal as AccountError {
                // unknown, confirmed already or unreachable: the page says what it says to a
                // new account (and counts the send as for one), so it does not tell who has an
                // account, whatever the client's setting
                do {
                    let simulated = try await accounts.simulatedSend(.signUp, pool: page.pool, username: username,
                                                                     recorded: refusal != .userNotFound)
                    return try await again(notice: Self.sentNotice(simulated), error: nil)
                } catch AccountError.limitExceeded {
                    return try await again(error: "common.tooManyCodes")
                }
            }
        }
        let user: User
        do {
            user = try await accounts.confirmSignUp(pool: page.pool, username: username, code: form["code"] ?? "")
        } catch AccountError.cannotConfirm(let status) {
            // a second submit of the same form by the browser that signed up is told the account
            // is confirmed; anyone else is answered as for a wrong code, which tells nothing
            guard status == .confirmed, let confirmed = try await page.services.store.user(in: page.pool, named: username),
                page.services.hosted.isSigningIn(authorization, user: confirmed)
            else { return try await again(error: "common.codeWrong") }
            return try await HostedPagesController.renderLogin(request, pool: page.pool, authorization: authorization, username: username,
                                                               error: nil, notice: "login.confirmed", status: .ok)
        } catch AccountError.expiredCode {
            return try await again(error: "confirm.expired")
        } catch AccountError.tooManyFailedAttempts {
            return try await again(error: "confirm.tooManyWrong")
        } catch AccountError.aliasExists {
            return try await again(error: "confirm.addressTaken")
        } catch is AccountError {
            return try await again(error: "common.codeWrong")
        }
        if let result = try await page.services.hosted.completeConfirmedSignIn(pool: page.pool, request: authorization, user: user) {
            return try await MFAPagesController.respond(request, pool: page.pool, authorization: authorization, result: result)
        }
        return try await HostedPagesController.renderLogin(request, pool: page.pool, authorization: authorization, username: username,
                                                           error: nil, notice: "login.confirmed", status: .ok)
    }

    /// From the login form: the password was right but the account is unconfirmed. A fresh code
    /// goes out (unless too many did), and confirming it signs the person in.
    static func confirmationAfterPassword(_ request: Request, pool: UserPool, authorization: AuthorizationRequest, user: User) async throws -> Response {
        let page = try await Page(request)
        var notice: PageText = "confirm.notConfirmed"
        do {
            let delivery = try await page.services.accounts.resendConfirmationCode(pool: pool, username: user.username)
            notice = notice.then(sentNotice(delivery))
        } catch is AccountError {
            notice = notice.then("confirm.enterSentCode")
        }
        // the login step named the user on the request (HostedSignIn.login), so confirming signs in
        return try await renderConfirm(page, authorization: authorization, username: user.username, notice: notice, error: nil, status: .ok)
    }

    // MARK: Recovery

    func forgotForm(_ request: Request) async throws -> Response {
        let page = try await Page(request)
        guard let authorization = page.authorization else { return try await page.invalidLink() }
        return try await Self.renderForgot(page, authorization: authorization, username: "", error: nil, status: .ok)
    }

    func forgot(_ request: Request) async throws -> Response {
        let page = try await Page(request)
        if let refused = try await HostedPagesController.refuseWithoutCSRF(request, form: page.parameters) { return refused }
        guard let authorization = page.authorization, let client = page.client else { return try await page.invalidLink() }
        let username = (page.parameters["username"] ?? "").trimmingCharacters(in: .whitespaces)
        guard !username.isEmpty else {
            return try await Self.renderForgot(page, authorization: authorization, username: "", error: "forgot.enterUsername", status: .badRequest)
        }
        if let refused = try await page.refuseFlood(.codeRequest) { return refused }
        let delivery: CodeDelivery
        do {
            delivery = try await page.services.accounts.forgotPassword(pool: page.pool, username: username, clientId: client.clientId)
        } catch let error as AccountError where client.preventUserExistenceErrors && error != .limitExceeded {
            // unknown, disabled or unreachable accounts look like any other, send limit included
            do {
                delivery = try await page.services.accounts.simulatedSend(.resetPassword, pool: page.pool, username: username,
                                                                          recorded: error != .userNotFound)
            } catch AccountError.limitExceeded {
                return try await Self.renderForgot(page, authorization: authorization, username: username,
                                                   error: "common.tooManyCodes", status: .badRequest)
            }
        } catch AccountError.limitExceeded {
            return try await Self.renderForgot(page, authorization: authorization, username: username,
                                               error: "common.tooManyCodes", status: .badRequest)
        } catch AccountError.userNotFound {
            return try await Self.renderForgot(page, authorization: authorization, username: username,
                                               error: "forgot.noAccount", status: .badRequest)
        } catch is AccountError {
            return try await Self.renderForgot(page, authorization: authorization, username: username,
                                               error: "forgot.cannotReset", status: .badRequest)
        }
        return try await Self.renderReset(page, authorization: authorization, username: username, notice: Self.sentNotice(delivery),
                                          error: nil, status: .ok)
    }

    func reset(_ request: Request) async throws -> Response {
        let page = try await Page(request)
        if let refused = try await HostedPagesController.refuseWithoutCSRF(request, form: page.parameters) { return refused }
        guard let authorization = page.authorization else { return try await page.invalidLink() }
        let form = page.parameters
        let username = form["username"] ?? ""
        func again(_ error: PageText) async throws -> Response {
            try await Self.renderReset(page, authorization: authorization, username: username, notice: nil, error: error, status: .badRequest)
        }
        let password = form["new_password"] ?? ""
        guard password == form["confirm_password"] else { return try await again("common.passwordsDiffer") }
        do {
            try await page.services.accounts.confirmForgotPassword(
                pool: page.pool, username: username, code: form["code"] ?? "", password: password)
        } catch AccountError.invalidPassword {
            return try await again("common.passwordRules")
        } catch AccountError.expiredCode {
            return try await again("reset.expired")
        } catch AccountError.tooManyFailedAttempts {
            return try await again("reset.tooManyWrong")
        } catch is AccountError {
            return try await again("common.codeWrong")
        }
        return try await HostedPagesController.renderLogin(request, pool: page.pool, authorization: authorization, username: username,
                                                           error: nil, notice: "login.passwordReset",
                                                           status: .ok)
    }

    // MARK: Rendering

    static func renderSignUp(_ page: Page, authorization: AuthorizationRequest, values: [String: String], error: PageText?,
                             errorField: String? = nil, status: HTTPStatus) async throws -> Response {
        let fields = signUpFields(page.pool).map { field in
            var field = field
            field.value = values[field.name] ?? ""
            field.invalid = field.name == errorField
            return field
        }
        var context = SignUpContext(action: "\(page.base)/signup", csrf: page.csrf, hidden: hidden(authorization), fields: fields,
                                    rules: passwordRules(page.pool), error: error, loginLink: page.link("login", authorization))
        context.passwordInvalid = errorField == "password"
        context.confirmInvalid = errorField == "confirm_password"
        if page.client?.terms != nil {
            let locale = try await HostedPagesController.theme(page.request, pool: page.pool, clientId: authorization.clientId).languages
                .choose(page.request, pool: page.pool, authorization: authorization).locale
            context.terms = termsLinks(page.client, locale: locale)
        }
        return try await page.render(SignUpContext.template, context, status: status)
    }

    static func renderConfirm(_ page: Page, authorization: AuthorizationRequest, username: String, notice: PageText?,
                              error: PageText?, status: HTTPStatus) async throws -> Response {
        let context = ConfirmContext(action: "\(page.base)/confirmUser", csrf: page.csrf, hidden: hidden(authorization), username: username,
                                     notice: notice, error: error, loginLink: page.link("login", authorization))
        return try await page.render(ConfirmContext.template, context, status: status)
    }

    static func renderForgot(_ page: Page, authorization: AuthorizationRequest, username: String, error: PageText?,
                             status: HTTPStatus) async throws -> Response {
        let context = ForgotContext(action: "\(page.base)/forgotPassword", csrf: page.csrf, hidden: hidden(authorization), username: username,
                                    usernameLabel: usernameLabel(page.pool), error: error, loginLink: page.link("login", authorization))
        return try await page.render(ForgotContext.template, context, status: status)
    }

    static func renderReset(_ page: Page, authorization: AuthorizationRequest, username: String, notice: PageText?, error: PageText?,
                            status: HTTPStatus) async throws -> Response {
        let context = ResetContext(action: "\(page.base)/confirmForgotPassword", csrf: page.csrf, hidden: hidden(authorization),
                                   username: username, rules: passwordRules(page.pool), notice: notice, error: error,
                                   loginLink: page.link("login", authorization))
        return try await page.render(ResetContext.template, context, status: status)
    }

    /// The sign-up form's fields: the sign-in name, then the attributes the pool needs.
    static func signUpFields(_ pool: UserPool) -> [Field] {
        let byEmail = pool.usernameAttributes.contains("email")
        let byPhoneOnly = pool.usernameAttributes == ["phone_number"]
        var fields = [Field(name: "username", label: usernameLabel(pool), type: byEmail ? "email" : byPhoneOnly ? "tel" : "text",
                            autocomplete: byEmail ? "email" : "username", value: "")]
        let required = Set(pool.schema.filter(\.required).map(\.name))
        if !pool.usernameAttributes.contains("email"), required.contains("email") || pool.autoVerifiedAttributes.contains("email") {
            fields.append(Field(name: "email", label: "common.usernameLabel.email", type: "email", autocomplete: "email", value: ""))
        }
        if !pool.usernameAttributes.contains("phone_number"),
            required.contains("phone_number") || (pool.autoVerifiedAttributes.contains("phone_number") && !pool.autoVerifiedAttributes.contains("email"))
        {
            fields.append(Field(name: "phone_number", label: "signUp.phone", type: "tel", autocomplete: "tel", value: ""))
        }
        for name in required.subtracting(["email", "phone_number"]).sorted() {
            fields.append(Field(name: name, label: label(forAttribute: name), type: "text", autocomplete: "off", value: ""))
        }
        return fields
    }

    static func usernameLabel(_ pool: UserPool) -> PageText {
        if pool.usernameAttributes.contains("email") { return pool.usernameAttributes.contains("phone_number") ? "common.usernameLabel.emailOrPhone" : "common.usernameLabel.email" }
        return pool.usernameAttributes.contains("phone_number") ? "common.usernameLabel.phone" : "common.usernameLabel.username"
    }

    /// A required attribute's label: the catalog's (`attribute.given_name`) for a standard one,
    /// else its name in words ("custom:employee_id" → "Employee Id").
    static func label(forAttribute name: String) -> PageText {
        let bare = name.hasPrefix("custom:") ? String(name.dropFirst("custom:".count)) : name
        let words = bare.replacingOccurrences(of: "_", with: " ").capitalized
        return name.hasPrefix("custom:") ? .verbatim(words) : PageText("attribute.\(name)", fallback: words)
    }

    static func passwordRules(_ pool: UserPool) -> [PageText] {
        let policy = pool.passwordPolicy
        var rules = [PageText("common.rules.length", ["count": String(policy.minimumLength)])]
        if policy.requireUppercase { rules.append("common.rules.uppercase") }
        if policy.requireLowercase { rules.append("common.rules.lowercase") }
        if policy.requireNumbers { rules.append("common.rules.number") }
        if policy.requireSymbols { rules.append("common.rules.symbol") }
        return rules
    }

    static func sentNotice(_ delivery: CodeDelivery) -> PageText {
        PageText(delivery.channel == .email ? "common.sentByEmail" : "common.sentBySMS", ["destination": delivery.destination])
    }

    static func friendly(_ error: ValidationError) -> PageText {
        switch error.field {
        case "Username": .verbatim(error.message)
        case "email": "signUp.invalidEmail"
        case "phone_number": "signUp.invalidPhone"
        default: label(forAttribute: error.field).then(.verbatim(error.message))
        }
    }

    static func hidden(_ authorization: AuthorizationRequest) -> [Hidden] {
        authorization.parameters.map { Hidden(name: $0.0, value: $0.1) }
    }

    /// The authorization request as a query string, for links between the pages.
    static func query(_ authorization: AuthorizationRequest) -> String {
        var components = URLComponents()
        components.queryItems = authorization.parameters.map { URLQueryItem(name: $0.0, value: $0.1) }
        return components.percentEncodedQuery ?? ""
    }

    /// What every account page starts from: the pool, the form or query, and the app's stored
    /// authorization request (`request`; a page for another browser's, an expired or a finished
    /// one is answered by HostedErrorMiddleware). Opened with the authorization parameters
    /// themselves (Cognito's /signup and /forgotPassword links), it starts a new request.
    struct Page {
        let request: Request
        let services: CognateServices
        let pool: UserPool
        let parameters: [String: String]
        let authorization: AuthorizationRequest?
        let client: AppClient?
        let csrf: String
        /// The binding cookie to set, when this page started the request.
        let startedBrowser: String?

        init(_ request: Request) async throws {
            self.request = request
            services = try request.services()
            pool = try await HostedPool.resolve(request, services)
            parameters = try HostedPagesController.parameters(request)
            let browser = HostedPagesController.browser(request)
            var started: String?
            if parameters["request"] == nil, parameters["client_id"] != nil, request.method == .GET {
                let checked = parameters.merging(["prompt": "login"]) { $1 }
                if case .login(let authorization, let binding) = try await services.hosted.authorize(pool: pool, parameters: checked,
                                                                                                    sessionCookie: nil, browser: browser) {
                    self.authorization = authorization
                    started = binding
                } else {
                    authorization = nil
                }
            } else {
                authorization = try await services.hosted.resume(pool: pool, id: parameters["request"], browser: browser)
            }
            startedBrowser = started
            if let clientId = authorization?.clientId {
                client = try await services.store.client(poolId: pool.id, clientId: clientId)
            } else {
                client = nil
            }
            csrf = HostedPagesController.csrfToken(request)
        }

        var base: String { HostedPool.base(request, pool) }

        func link(_ path: String, _ authorization: AuthorizationRequest) -> String {
            "\(base)/\(path)?\(AccountPagesController.query(authorization))"
        }

        /// Past the address's allowance (AddressLimits): a page saying so, status 429.
        func refuseFlood(_ action: AddressLimits.Action) async throws -> Response? {
            guard !(try await services.limits.allow(action, from: request.clientAddress)) else { return nil }
            return try await HostedPagesController.errorPage(request, status: .tooManyRequests, heading: "error.tooManyAttempts",
                                                             message: "error.tooManyRequests")
        }

        func invalidLink() async throws -> Response {
            try await HostedPagesController.errorPage(request, status: .badRequest, heading: "error.invalidLink",
                                                      message: "error.startAgain")
        }

        func render(_ template: String, _ context: some Encodable & Sendable, status: HTTPStatus) async throws -> Response {
            let response = try await HostedPagesController.page(request, template, context, csrf: csrf, redirectURI: authorization?.redirectURI,
                                                                status: status, pool: pool, authorization: authorization)
            if let startedBrowser { HostedPagesController.bind(response, browser: startedBrowser, request) }
            return response
        }
    }
}
