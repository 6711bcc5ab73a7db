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
            let message: String
            if let flow = error as? HostedFlowError {
                let (status, heading, message): (HTTPResponseStatus, String, String) = switch flow {
                case .unknown: (.badRequest, "This sign-in link is not valid", "Start again from the application.")
                case .otherBrowser: (.badRequest, "This sign-in was started in another browser", "Start again from the application in this browser.")
                case .expired: (.badRequest, "This sign-in has expired", "Start again from the application.")
                case .finished: (.badRequest, "This sign-in is already complete", "Go back to the application, or start again from it.")
                case .tooMany: (.tooManyRequests, "Too many attempts", "Too many sign-ins were started from your network. Wait an hour and try again.")
                }
                return try await HostedPagesController.errorPage(request, status: status, heading: heading, message: message)
            } else if let store = error as? StoreError, case .unavailable(let reason) = store {
                request.logger.error("hosted page \(request.method) \(request.url.path): the database did not answer: \(reason)")
                let response = try await HostedPagesController.errorPage(request, status: .serviceUnavailable, heading: "Sign-in is not available right now",
                                                                         message: "Please try again in a moment.")
                response.headers.replaceOrAdd(name: .retryAfter, value: "5")
                return response
            } else if error is PasswordHasherBusy {
                return try await HostedPagesController.errorPage(request, status: .tooManyRequests, heading: "Too busy right now",
                                                                 message: "Too many people are signing in at once. Wait a moment and try again.")
            } else if let abort = error as? any AbortError, abort.status != .internalServerError {
                status = abort.status
                message = abort.status == .notFound ? "There is no sign-in page here. Check the link you followed." : abort.reason
            } else {
                request.logger.error("hosted page failed on \(request.method) \(request.url.path): \(String(reflecting: error))")
                status = .internalServerError
                message = "Something went wrong on our side. Please try again."
            }
            return try await HostedPagesController.errorPage(request, status: status, heading: "Sign-in is not available", message: message)
        }
    }
}
