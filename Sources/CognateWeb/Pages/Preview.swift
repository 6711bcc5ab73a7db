import CognateCore
import CognateModel
import Crypto
import Foundation
import Vapor

/// The designers' preview: every hosted page in every state it can be in (errors, notices, the
/// second step's kinds, provider buttons, sign-up with the pool's own fields), filled with sample
/// data, as a chosen app client's pages look (its theme, style and customization), in a chosen
/// language, light and dark side by side. Open in development mode, or with a link an operator
/// makes (`cognate preview-link --pool ID`), signed with the master key and good for a while.
/// The pages it shows post nowhere.
struct PreviewController: Sendable {
    /// One page in one state.
    struct Sample: Sendable {
        var id: String
        var template: String
        var context: @Sendable (SampleData) -> any Encodable & Sendable
    }

    /// What samples are filled from: the pool's rules and fields, the client's providers.
    struct SampleData: Sendable {
        var base: String
        var pool: UserPool
        var providers: [String]
    }

    static let samples: [Sample] = {
        typealias H = HostedPagesController
        typealias A = AccountPagesController
        let hidden = sampleHidden
        let delivery: [String: String] = ["CODE_DELIVERY_DELIVERY_MEDIUM": "EMAIL", "CODE_DELIVERY_DESTINATION": "j***@e***"]
        return [
            Sample(id: "login", template: H.LoginContext.template) { PreviewController.login($0) },
            Sample(id: "login-error", template: H.LoginContext.template) { PreviewController.login($0, error: "login.incorrect") },
            Sample(id: "login-notice", template: H.LoginContext.template) { PreviewController.login($0, notice: "login.passwordReset") },
            Sample(id: "login-providers", template: H.LoginContext.template) { PreviewController.login($0, providers: true) },
            Sample(id: "login-providers-only", template: H.LoginContext.template) { PreviewController.login($0, providers: true, password: false) },
            Sample(id: "signup", template: A.SignUpContext.template) { PreviewController.signUp($0, error: nil, field: nil) },
            Sample(id: "signup-error", template: A.SignUpContext.template) {
                PreviewController.signUp($0, error: PageText("signUp.exists", texts: ["label": A.usernameLabel($0.pool)]), field: "username")
            },
            Sample(id: "signup-password", template: A.SignUpContext.template) { PreviewController.signUp($0, error: "common.passwordsDiffer", field: "confirm_password") },
            Sample(id: "confirm", template: A.ConfirmContext.template) {
                A.ConfirmContext(action: "\($0.base)/confirmUser", csrf: "preview", hidden: hidden, username: "jane.doe",
                                 notice: PageText("common.sentByEmail", ["destination": "j***@e***"]), error: nil, loginLink: "\($0.base)/login?request=preview")
            },
            Sample(id: "confirm-error", template: A.ConfirmContext.template) {
                A.ConfirmContext(action: "\($0.base)/confirmUser", csrf: "preview", hidden: hidden, username: "jane.doe", notice: nil,
                                 error: "common.codeWrong", loginLink: "\($0.base)/login?request=preview")
            },
            Sample(id: "forgot", template: A.ForgotContext.template) {
                A.ForgotContext(action: "\($0.base)/forgotPassword", csrf: "preview", hidden: hidden, username: "", usernameLabel: A.usernameLabel($0.pool),
                                error: nil, loginLink: "\($0.base)/login?request=preview")
            },
            Sample(id: "forgot-error", template: A.ForgotContext.template) {
                A.ForgotContext(action: "\($0.base)/forgotPassword", csrf: "preview", hidden: hidden, username: "jane.doe",
                                usernameLabel: A.usernameLabel($0.pool), error: "common.tooManyCodes", loginLink: "\($0.base)/login?request=preview")
            },
            Sample(id: "reset", template: A.ResetContext.template) {
                A.ResetContext(action: "\($0.base)/confirmForgotPassword", csrf: "preview", hidden: hidden, username: "jane.doe",
                               rules: A.passwordRules($0.pool), notice: PageText("common.sentByEmail", ["destination": "j***@e***"]), error: nil,
                               loginLink: "\($0.base)/login?request=preview")
            },
            Sample(id: "reset-error", template: A.ResetContext.template) {
                A.ResetContext(action: "\($0.base)/confirmForgotPassword", csrf: "preview", hidden: hidden, username: "jane.doe",
                               rules: A.passwordRules($0.pool), notice: nil, error: "reset.expired", loginLink: "\($0.base)/login?request=preview")
            },
            Sample(id: "new-password", template: H.NewPasswordContext.template) {
                H.NewPasswordContext(action: "\($0.base)/forceChangePassword", csrf: "preview", challenge: "preview", hidden: hidden,
                                     rules: A.passwordRules($0.pool), error: nil)
            },
            Sample(id: "new-password-error", template: H.NewPasswordContext.template) {
                H.NewPasswordContext(action: "\($0.base)/forceChangePassword", csrf: "preview", challenge: "preview", hidden: hidden,
                                     rules: A.passwordRules($0.pool), error: "common.passwordRules")
            },
            Sample(id: "mfa-totp", template: MFAPagesController.MFAContext.template) { PreviewController.mfa(UserMFA.softwareToken, [:], data: $0) },
            Sample(id: "mfa-totp-error", template: MFAPagesController.MFAContext.template) {
                PreviewController.mfa(UserMFA.softwareToken, [:], error: "mfa.wrongCode", data: $0)
            },
            Sample(id: "mfa-email", template: MFAPagesController.MFAContext.template) { PreviewController.mfa(UserMFA.email, delivery, data: $0) },
            Sample(id: "mfa-choice", template: MFAPagesController.MFAContext.template) {
                PreviewController.mfa("SELECT_MFA_TYPE", ["MFAS_CAN_CHOOSE": #"["SOFTWARE_TOKEN_MFA","EMAIL_OTP","SMS_MFA"]"#], data: $0)
            },
            Sample(id: "mfa-setup", template: MFAPagesController.MFAContext.template) { PreviewController.mfa("MFA_SETUP", [:], data: $0) },
            Sample(id: "continue", template: H.ContinueContext.template) {
                H.ContinueContext(action: "\($0.base)/saml2/idpresponse", fields: [H.Hidden(name: "RelayState", value: "preview")])
            },
            Sample(id: "error", template: H.ErrorContext.template) { _ in H.ErrorContext(heading: "error.expired", message: "error.startAgain") },
            Sample(id: "login-passkey", template: H.LoginContext.template) { PreviewController.login($0, passkey: true) },
            Sample(id: "passkeys", template: PasskeyPagesController.PasskeysContext.template) { PreviewController.passkeys($0, notice: "passkeys.added") },
            Sample(id: "passkeys-empty", template: PasskeyPagesController.PasskeysContext.template) { PreviewController.passkeys($0, none: true) },
            Sample(id: "passkey-offer", template: PasskeyPagesController.PasskeyOfferContext.template) {
                PasskeyPagesController.PasskeyOfferContext(action: "\($0.base)/passkeys", csrf: "preview", options: PreviewController.sampleOptions,
                                                           continuation: "preview", skipLink: "https://app.example/cb?code=preview", error: nil)
            },
            Sample(id: "passkey-offer-error", template: PasskeyPagesController.PasskeyOfferContext.template) {
                PasskeyPagesController.PasskeyOfferContext(action: "\($0.base)/passkeys", csrf: "preview", options: PreviewController.sampleOptions,
                                                           continuation: "preview", skipLink: "https://app.example/cb?code=preview",
                                                           error: "passkeys.refused")
            },
            Sample(id: "passkeys-error", template: PasskeyPagesController.PasskeysContext.template) { PreviewController.passkeys($0, error: "passkeys.refused") },
        ]
    }()

    typealias SampleContext = any Encodable & Sendable
    static let sampleHidden = [HostedPagesController.Hidden(name: "request", value: "preview")]

    /// Sample WebAuthn options: what the passkey forms carry (the preview's buttons do nothing a server would accept).
    static let sampleOptions = #"{"challenge":"cHJldmlldw","rpId":"localhost","timeout":300000,"allowCredentials":[],"userVerification":"preferred"}"#

    @Sendable static func passkeys(_ data: SampleData, notice: PageText? = nil, error: PageText? = nil, none: Bool = false)
        -> PasskeyPagesController.PasskeysContext
    {
        let names = none ? [] : ["Passkey added 2026-12-01", "Security key added 2026-12-05"]
        return PasskeyPagesController.PasskeysContext(
            action: "\(data.base)/passkeys", csrf: "preview",
            passkeys: names.enumerated().map { PasskeyPagesController.PasskeyItem(id: "preview\($0.offset)", name: $0.element,
                                                                                   removeLabel: PageText("passkeys.removeNamed", ["name": $0.element])) },
            options: sampleOptions, notice: notice, error: error)
    }

    @Sendable static func login(_ data: SampleData, error: PageText? = nil, notice: PageText? = nil, providers: Bool = false, password: Bool = true,
                                passkey: Bool = false) -> HostedPagesController.LoginContext {
        var context = HostedPagesController.LoginContext(action: "\(data.base)/login", csrf: "preview", hidden: sampleHidden, username: error == nil ? "" : "jane.doe", error: error,
                       notice: notice, forgotLink: "\(data.base)/forgotPassword?request=preview",
                       signUpLink: password ? "\(data.base)/signup?request=preview" : nil, passwordForm: password, domainField: providers,
                       providers: providers ? (data.providers.isEmpty ? ["Google", "Corp"] : data.providers).map {
                           HostedPagesController.ProviderButton(name: $0, label: PageText("login.provider", ["name": $0]), link: "\(data.base)/oauth2/authorize?identity_provider=\($0)")
                       } : [])
        if passkey { context.passkey = HostedPagesController.PasskeyForm(options: sampleOptions, ticket: "preview") }
        return context
    }
    @Sendable static func signUp(_ data: SampleData, error: PageText?, field: String?) -> AccountPagesController.SignUpContext {
        let fields = AccountPagesController.signUpFields(data.pool).map { each -> AccountPagesController.Field in
            var filled = each
            filled.value = error == nil ? "" : each.type == "email" ? "jane@example.com" : each.type == "tel" ? "+14155550100"
                : each.name == "username" ? "jane.doe" : "Jane"
            filled.invalid = each.name == field
            return filled
        }
        var context = AccountPagesController.SignUpContext(action: "\(data.base)/signup", csrf: "preview", hidden: sampleHidden, fields: fields,
                                      rules: AccountPagesController.passwordRules(data.pool), error: error, loginLink: "\(data.base)/login?request=preview")
        context.passwordInvalid = field == "password"
        context.confirmInvalid = field == "confirm_password"
        return context
    }
    @Sendable static func mfa(_ challenge: String, _ parameters: [String: String], error: PageText? = nil, data: SampleData) -> MFAPagesController.MFAContext {
        var context = MFAPagesController.context(
            challenge: challenge, parameters: parameters,
            setup: ("otpauth://totp/\(data.pool.name):jane.doe?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=\(data.pool.name)",
                    "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"),
            action: "\(data.base)/mfa", csrf: "preview", session: "preview", hidden: sampleHidden)!
        context.error = error
        return context
    }

    /// How long a preview link from `cognate preview-link` is good for, at most.
    static let longestLink: TimeInterval = 7 * 86_400

    /// `?expires=<epoch>&signature=<hex>` for the pool, signed with a key derived from the master key.
    static func signature(poolId: String, expires: Int, masterKey: MasterKey) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("preview:\(poolId):\(expires)".utf8), using: masterKey.derivedKey(purpose: "preview-links"))
        return Data(mac).map { String(format: "%02x", $0) }.joined()
    }

    /// Development mode, or a link signed for this pool that has not expired.
    static func allowed(_ request: Request, pool: UserPool, services: CognateServices) -> Bool {
        if request.application.themes.development { return true }
        guard let expires = try? request.query.get(Int.self, at: "expires"), let given = try? request.query.get(String.self, at: "signature"),
            Double(expires) > services.now().timeIntervalSince1970
        else { return false }
        let expected = signature(poolId: pool.id, expires: expires, masterKey: services.masterKey)
        return constantTimeEquals(Array(expected.utf8), Array(given.utf8))
    }

    /// The query every preview link carries: the access, the client, the language.
    static func carried(_ request: Request) -> [URLQueryItem] {
        ["expires", "signature", "client_id", "lang"].compactMap { name in
            (try? request.query.get(String.self, at: name)).map { URLQueryItem(name: name, value: $0) }
        }
    }

    struct IndexContext: Encodable {
        static let template = "preview"
        struct Frame: Encodable {
            var id: String
            var light: String
            var dark: String
        }
        struct Option: Encodable {
            var value: String
            var name: String
            var selected: Bool
        }
        var title = "Preview"
        var pool: String
        var action: String
        var hidden: [HostedPagesController.Hidden]
        var clients: [Option]
        var locales: [Option]
        var frames: [Frame]
    }

    /// GET {base}/preview?client_id=…&lang=…: every sample, light and dark side by side.
    func index(_ request: Request) async throws -> Response {
        let services = try request.services()
        let pool = try await HostedPool.resolve(request, services)
        guard Self.allowed(request, pool: pool, services: services) else { throw Abort(.notFound) }
        let clients = try await services.store.listClients(poolId: pool.id, limit: 60, after: nil).items
        let clientId = (try? request.query.get(String.self, at: "client_id")) ?? clients.first?.clientId ?? ""
        let theme = try await HostedPagesController.theme(request, pool: pool, clientId: clientId)
        let lang = (try? request.query.get(String.self, at: "lang")).flatMap { theme.languages.catalogs.match([$0]) } ?? MessageCatalogs.base
        let base = HostedPool.base(request, pool)
        func link(_ id: String, _ mode: String) -> String {
            var components = URLComponents()
            components.path = "\(base)/preview/\(id)"
            components.queryItems = Self.carried(request).filter { $0.name != "client_id" && $0.name != "lang" }
                + [URLQueryItem(name: "client_id", value: clientId), URLQueryItem(name: "lang", value: lang), URLQueryItem(name: "mode", value: mode)]
            return components.string ?? ""
        }
        let context = IndexContext(
            pool: pool.name, action: "\(base)/preview",
            hidden: Self.carried(request).filter { $0.name == "expires" || $0.name == "signature" }.map { .init(name: $0.name, value: $0.value ?? "") },
            clients: clients.map { .init(value: $0.clientId, name: $0.name, selected: $0.clientId == clientId) },
            locales: theme.languages.choices.map { .init(value: $0.tag, name: $0.name, selected: $0.tag == lang) },
            frames: Self.samples.map { .init(id: $0.id, light: link($0.id, "light"), dark: link($0.id, "dark")) })
        let buffer = try await theme.renderer(request).render(path: IndexContext.template, context: context).get()
        let response = Response(status: .ok, body: .init(buffer: buffer))
        response.headers.contentType = .html
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        response.headers.replaceOrAdd(name: "Content-Security-Policy", value: "default-src 'self'; form-action 'self'; frame-ancestors 'none'")
        return response
    }

    /// GET {base}/preview/{sample}?client_id=…&lang=…&mode=light|dark: one page in one state.
    func sample(_ request: Request) async throws -> Response {
        let services = try request.services()
        let pool = try await HostedPool.resolve(request, services)
        guard Self.allowed(request, pool: pool, services: services), let id = request.parameters.get("sample"),
            let sample = Self.samples.first(where: { $0.id == id })
        else { throw Abort(.notFound) }
        let clientId = (try? request.query.get(String.self, at: "client_id")) ?? ""
        guard let client = try await services.store.client(poolId: pool.id, clientId: clientId) else { throw Abort(.notFound) }
        let mode: ManagedLoginStyle.Mode? = switch try? request.query.get(String.self, at: "mode") {
        case "dark": .dark
        case "light": .light
        default: nil
        }
        let providers = client.supportedIdentityProviders.filter { $0 != "COGNITO" }
        let data = SampleData(base: HostedPool.base(request, pool), pool: pool, providers: providers)
        var authorization = AuthorizationRequest(clientId: client.clientId, redirectURI: client.callbackURLs.first ?? "", scopes: ["openid"])
        authorization.id = "preview"
        let look = try await PageLook.of(request, pool: pool, clientId: client.clientId, forcedMode: mode)
        let (html, _) = try await HostedPagesController.render(request, sample.template, sample.context(data), pool: pool,
                                                               authorization: authorization, look: look)
        var page = html
        if let look, look.styleHash != nil { page = page.replacingOccurrences(of: "</head>", with: "<style>\(look.css)</style>\n</head>") }
        let response = Response(status: .ok, body: .init(string: page))
        response.headers.contentType = .html
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        let style = look?.styleHash.map { "; style-src 'self' 'sha256-\($0)'" } ?? ""
        // shown in the preview's frames; its forms go nowhere
        response.headers.replaceOrAdd(name: "Content-Security-Policy", value: "default-src 'self'; form-action 'none'; frame-ancestors 'self'\(style)")
        response.headers.replaceOrAdd(name: "X-Frame-Options", value: "SAMEORIGIN")
        return response
    }
}
