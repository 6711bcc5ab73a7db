import CognateCore
import CognateModel
import Vapor

/// The hosted pages' face of errors: a friendly page with the right status, never JSON and
/// never a stack trace. Unknown pools and hosts, malformed forms and internal faults alike.
struct HostedErrorMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch {
            let status: HTTPResponseStatus
            let message: PageText
            if let failure = error as? TemplateFailure {
                // development mode only: the designer sees where and why
                request.logger.error("\(failure.description)")
                let page = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Template error</title></head><body>"
                    + "<main><h1>Template error</h1><pre>\(Self.escaped(failure.description))</pre>"
                    + "<p>Shown because COGNATE_DEVELOPMENT is on; otherwise the built-in template is used.</p></main></body></html>"
                let response = Response(status: .internalServerError, body: .init(string: page))
                response.headers.contentType = .html
                response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
                return response
            }
            if let trigger = error as? TriggerError {
                request.logger.error("hosted page \(request.method) \(request.url.path): \(trigger.message)")
                let message: PageText = if case .failed(_, let said) = trigger { .verbatim(said) } else { "error.tryInAMoment" }
                return try await HostedPagesController.errorPage(request, status: .badRequest, heading: "error.unavailable", message: message)
            }
            if let flow = error as? HostedFlowError {
                let (status, heading, message): (HTTPResponseStatus, PageText, PageText) = switch flow {
                case .unknown: (.badRequest, "error.invalidSignInLink", "error.startAgain")
                case .otherBrowser: (.badRequest, "error.otherBrowser", "error.startAgainHere")
                case .expired: (.badRequest, "error.expired", "error.startAgain")
                case .finished: (.badRequest, "error.finished", "error.goBack")
                case .tooMany: (.tooManyRequests, "error.tooManyAttempts", "error.tooManyStarted")
                }
                return try await HostedPagesController.errorPage(request, status: status, heading: heading, message: message)
            } else if let store = error as? StoreError, case .unavailable(let reason) = store {
                request.logger.error("hosted page \(request.method) \(request.url.path): the database did not answer: \(reason)")
                let response = try await HostedPagesController.errorPage(request, status: .serviceUnavailable, heading: "error.unavailableNow",
                                                                         message: "error.tryInAMoment")
                response.headers.replaceOrAdd(name: .retryAfter, value: "5")
                return response
            } else if error is PasswordHasherBusy {
                return try await HostedPagesController.errorPage(request, status: .tooManyRequests, heading: "error.tooBusy",
                                                                 message: "error.tooManyAtOnce")
            } else if let abort = error as? any AbortError, abort.status != .internalServerError {
                status = abort.status
                message = abort.status == .notFound ? "error.notFound" : .verbatim(abort.reason)
            } else {
                request.logger.error("hosted page failed on \(request.method) \(request.url.path): \(String(reflecting: error))")
                status = .internalServerError
                message = "error.fault"
            }
            return try await HostedPagesController.errorPage(request, status: status, heading: "error.unavailable", message: message)
        }
    }

    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
