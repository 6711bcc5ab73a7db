import CognateCore
import CognateModel
import Foundation
import Vapor

/// The hosted second-factor pages: a code from the authenticator app, email or text message;
/// the choice between factors; and setting up an authenticator (a QR code drawn on the server,
/// and the key as text) when the pool requires MFA.
struct MFAPagesController: Sendable {
    /// The page for a challenge a sign-in just met.
    static func render(_ request: Request, pool: UserPool, authorization: AuthorizationRequest, challenge: String, session: String,
                       parameters: [String: String], error: String? = nil, status: HTTPStatus = .ok) async throws -> Response {
        let services = try request.services()
        var context = MFAContext(
            title: "Confirm it is you", heading: "Confirm it is you", action: "\(HostedPool.base(request, pool))/mfa",
            csrf: HostedPagesController.csrfToken(request), challenge: challenge, session: session,
            hidden: AccountPagesController.hidden(authorization),
            challengeParameters: parameters.sorted { $0.key < $1.key }.map { HostedPagesController.Hidden(name: $0.key, value: $0.value) },
            choices: [], codeLabel: "Code", button: "Sign in")
        switch challenge {
        case UserMFA.softwareToken:
            context.instructions = "Enter the 6-digit code from your authenticator app."
            context.codeLabel = "Authenticator code"
        case UserMFA.email, UserMFA.sms:
            let medium = parameters["CODE_DELIVERY_DELIVERY_MEDIUM"] == "SMS" ? "text message" : "email"
            context.instructions = "We sent a code by \(medium) to \(parameters["CODE_DELIVERY_DESTINATION"] ?? "you")."
            context.codeLabel = "Sign-in code"
        case "SELECT_MFA_TYPE":
            let names = [UserMFA.softwareToken: "A code from my authenticator app", UserMFA.email: "A code by email", UserMFA.sms: "A code by text message"]
            let offered = (try? JSONDecoder().decode([String].self, from: Data((parameters["MFAS_CAN_CHOOSE"] ?? "[]").utf8))) ?? []
            context.choices = offered.map { Choice(value: $0, label: names[$0] ?? $0) }
        case "MFA_SETUP":
            context.title = "Set up your authenticator app"
            context.heading = "Set up your authenticator app"
            context.instructions = "This application asks for a second step at sign-in. Scan the QR code with an authenticator app (or type the key, or open the link on the device that has the app), then enter the code it shows."
            context.codeLabel = "Authenticator code"
            context.button = "Verify and sign in"
            let setup = try await services.hosted.softwareTokenSetup(pool: pool, request: authorization, session: session)
            context.qr = QRCode.svg(setup.uri)
            context.setupLink = setup.uri
            // in groups of four, easier to type into an app
            let key = Array(setup.secret)
            context.secret = stride(from: 0, to: key.count, by: 4).map { String(key[$0..<min($0 + 4, key.count)]) }.joined(separator: " ")
        default:
            throw Abort(.badRequest)
        }
        context.error = error
        return try await HostedPagesController.page(request, MFAContext.template, context, csrf: context.csrf, redirectURI: authorization.redirectURI,
                                                    status: status, branding: (pool, authorization.clientId))
    }

    /// What a sign-in step leads to: the app (with a session cookie) or the next page.
    static func respond(_ request: Request, pool: UserPool, authorization: AuthorizationRequest, result: HostedSignIn.LoginResult) async throws -> Response {
        switch result {
        case .signedIn(let session, let location):
            return HostedPagesController.signedIn(request, pool: pool, session: session, location: location)
        case .mfaRequired(let challenge, let session, let parameters):
            return try await render(request, pool: pool, authorization: authorization, challenge: challenge, session: session, parameters: parameters)
        case .newPasswordRequired(let challenge):
            return try await HostedPagesController.renderNewPassword(request, pool: pool, authorization: authorization, challenge: challenge,
                                                                     error: nil, status: .ok)
        case .confirmationRequired(let user):
            return try await AccountPagesController.confirmationAfterPassword(request, pool: pool, authorization: authorization, user: user)
        }
    }

    func answer(_ request: Request) async throws -> Response {
        let services = try request.services()
        let pool = try await HostedPool.resolve(request, services)
        let form = try request.content.decode([String: String].self)
        if let refused = try await HostedPagesController.refuseWithoutCSRF(request, form: form) { return refused }
        let authorization = try await services.hosted.resume(pool: pool, id: form["request"], browser: HostedPagesController.browser(request))
        guard let challenge = form["challenge"], let session = form["session"] else {
            return try await HostedPagesController.errorPage(request, status: .badRequest, heading: "This sign-in link is not valid",
                                                             message: "Start again from the application.")
        }
        var responses: [String: String] = [:]
        switch challenge {
        case UserMFA.softwareToken, "MFA_SETUP": responses["SOFTWARE_TOKEN_MFA_CODE"] = form["code"] ?? ""
        case UserMFA.email: responses["EMAIL_OTP_CODE"] = form["code"] ?? ""
        case UserMFA.sms: responses["SMS_MFA_CODE"] = form["code"] ?? ""
        default: responses["ANSWER"] = form["answer"] ?? ""
        }
        do {
            let result = try await services.hosted.answerMFA(pool: pool, request: authorization, challenge: challenge, session: session, responses: responses)
            return try await Self.respond(request, pool: pool, authorization: authorization, result: result)
        } catch AccountError.codeMismatch {
            // the setup page shows the same pending key again, so what was scanned stays good
            return try await Self.render(request, pool: pool, authorization: authorization, challenge: challenge, session: session,
                                         parameters: Self.parameters(form), error: "That code is not right. Try the newest code.", status: .badRequest)
        } catch AccountError.softwareTokenUsed {
            return try await Self.render(request, pool: pool, authorization: authorization, challenge: challenge, session: session,
                                         parameters: Self.parameters(form), error: "That code was used already. Wait for the next code.",
                                         status: .badRequest)
        } catch AccountError.tooManyFailedAttempts {
            return try await HostedPagesController.errorPage(request, status: .badRequest, heading: "Too many wrong codes",
                                                             message: "Wait a few minutes, then sign in again.")
        } catch AccountError.expiredCode {
            return try await HostedPagesController.errorPage(request, status: .badRequest, heading: "This code has expired",
                                                             message: "Sign in again to get a new code.")
        } catch AccountError.limitExceeded {
            return try await HostedPagesController.errorPage(request, status: .tooManyRequests, heading: "Too many codes",
                                                             message: "Too many sign-in codes were sent. Wait an hour and try again.")
        } catch is SignInError {
            return try await HostedPagesController.errorPage(request, status: .badRequest, heading: "Please sign in again",
                                                             message: "This step has expired or was already used.")
        }
    }

    /// The challenge parameters a page needs again after a wrong code (sent back as hidden fields).
    static func parameters(_ form: [String: String]) -> [String: String] {
        form.filter { $0.key.hasPrefix("CODE_DELIVERY_") || $0.key == "MFAS_CAN_CHOOSE" }
    }
}
