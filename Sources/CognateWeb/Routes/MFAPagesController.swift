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
                       parameters: [String: String], error: PageText? = nil, status: HTTPStatus = .ok) async throws -> Response {
        var setup: (uri: String, secret: String)?
        if challenge == "MFA_SETUP" {
            let made = try await request.services().hosted.softwareTokenSetup(pool: pool, request: authorization, session: session)
            setup = (made.uri, made.secret)
        }
        guard var context = context(challenge: challenge, parameters: parameters, setup: setup, action: "\(HostedPool.base(request, pool))/mfa",
                                    csrf: HostedPagesController.csrfToken(request), session: session,
                                    hidden: AccountPagesController.hidden(authorization))
        else { throw Abort(.badRequest) }
        context.error = error
        return try await HostedPagesController.page(request, MFAContext.template, context, csrf: context.csrf, redirectURI: authorization.redirectURI,
                                                    status: status, pool: pool, authorization: authorization)
    }

    /// The page's context for a challenge (nil for one the pages do not answer); `setup`: the
    /// authenticator's otpauth URI and key, for MFA_SETUP.
    static func context(challenge: String, parameters: [String: String], setup: (uri: String, secret: String)?, action: String, csrf: String,
                        session: String, hidden: [HostedPagesController.Hidden]) -> MFAContext? {
        var context = MFAContext(
            title: "mfa.title", heading: "mfa.title", action: action, csrf: csrf, challenge: challenge, session: session, hidden: hidden,
            challengeParameters: parameters.sorted { $0.key < $1.key }.map { HostedPagesController.Hidden(name: $0.key, value: $0.value) },
            choices: [], codeLabel: "mfa.code", button: "mfa.submit")
        switch challenge {
        case UserMFA.softwareToken:
            context.instructions = "mfa.totpInstructions"
            context.codeLabel = "mfa.totpCode"
        case UserMFA.email, UserMFA.sms:
            context.instructions = PageText(parameters["CODE_DELIVERY_DELIVERY_MEDIUM"] == "SMS" ? "common.sentBySMS" : "common.sentByEmail",
                                            ["destination": parameters["CODE_DELIVERY_DESTINATION"] ?? ""])
            context.codeLabel = "mfa.sentCode"
        case "SELECT_MFA_TYPE":
            let names: [String: PageText] = [UserMFA.softwareToken: "mfa.choiceTOTP", UserMFA.email: "mfa.choiceEmail", UserMFA.sms: "mfa.choiceSMS"]
            let offered = (try? JSONDecoder().decode([String].self, from: Data((parameters["MFAS_CAN_CHOOSE"] ?? "[]").utf8))) ?? []
            context.choices = offered.map { Choice(value: $0, label: names[$0] ?? .verbatim($0)) }
        case "MFA_SETUP":
            guard let setup else { return nil }
            context.title = "mfa.setupTitle"
            context.heading = "mfa.setupTitle"
            context.instructions = "mfa.setupInstructions"
            context.codeLabel = "mfa.totpCode"
            context.button = "mfa.setupSubmit"
            context.qr = QRCode.svg(setup.uri)
            context.setupLink = setup.uri
            // in groups of four, easier to type into an app
            let key = Array(setup.secret)
            context.secret = stride(from: 0, to: key.count, by: 4).map { String(key[$0..<min($0 + 4, key.count)]) }.joined(separator: " ")
        default:
            return nil
        }
        return context
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
            return try await HostedPagesController.errorPage(request, status: .badRequest, heading: "error.invalidSignInLink",
                                                             message: "error.startAgain")
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
                                         parameters: Self.parameters(form), error: "mfa.wrongCode", status: .badRequest)
        } catch AccountError.softwareTokenUsed {
            return try await Self.render(request, pool: pool, authorization: authorization, challenge: challenge, session: session,
                                         parameters: Self.parameters(form), error: "mfa.usedCode",
                                         status: .badRequest)
        } catch AccountError.tooManyFailedAttempts {
            return try await HostedPagesController.errorPage(request, status: .badRequest, heading: "error.tooManyWrongCodes",
                                                             message: "error.waitThenSignIn")
        } catch AccountError.expiredCode {
            return try await HostedPagesController.errorPage(request, status: .badRequest, heading: "error.codeExpired",
                                                             message: "error.signInForNewCode")
        } catch AccountError.limitExceeded {
            return try await HostedPagesController.errorPage(request, status: .tooManyRequests, heading: "error.tooManyCodes",
                                                             message: "error.tooManySignInCodes")
        } catch is SignInError {
            return try await HostedPagesController.errorPage(request, status: .badRequest, heading: "error.signInAgain",
                                                             message: "error.stepExpiredOrUsed")
        }
    }

    /// The challenge parameters a page needs again after a wrong code (sent back as hidden fields).
    static func parameters(_ form: [String: String]) -> [String: String] {
        form.filter { $0.key.hasPrefix("CODE_DELIVERY_") || $0.key == "MFAS_CAN_CHOOSE" }
    }
}
