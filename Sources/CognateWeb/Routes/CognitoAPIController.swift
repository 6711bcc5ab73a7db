import CognateCognitoAPI
import CognateCore
import Foundation
import Vapor

/// `POST /`: hands the raw request to the Cognito protocol layer and writes its answer.
struct CognitoAPIController: Sendable {
    static let contentType = HTTPMediaType(type: "application", subType: "x-amz-json-1.1")

    func handle(_ request: Request) async throws -> Response {
        let services = try request.services()
        if let refused = try await Self.refuseFlood(request, services) { return refused }
        let body = request.body.data.map { Array($0.readableBytesView) } ?? []
        let signable = SignableRequest(
            method: request.method.rawValue, path: request.url.path, query: request.url.query ?? "",
            headers: request.headers.map { (name: $0.name, value: $0.value) }, body: body)
        let answer = await services.api.handle(signable)
        var headers = HTTPHeaders()
        headers.contentType = Self.contentType
        headers.add(name: "x-amzn-RequestId", value: UUID().uuidString.lowercased())
        return Response(status: HTTPResponseStatus(statusCode: answer.status), headers: headers, body: .init(data: answer.body))
    }

    /// Sign-ups and code requests are counted per client address (AddressLimits); past the
    /// allowance the answer is Cognito's TooManyRequestsException.
    static func refuseFlood(_ request: Request, _ services: CognateServices) async throws -> Response? {
        let target = request.headers.first(name: "X-Amz-Target")?.split(separator: ".").last.map(String.init)
        let action: AddressLimits.Action
        switch target {
        case "SignUp": action = .signUp
        case "ForgotPassword", "ResendConfirmationCode": action = .codeRequest
        default: return nil
        }
        guard !(try await services.limits.allow(action, from: request.remoteAddress?.ipAddress)) else { return nil }
        var headers = HTTPHeaders()
        headers.contentType = contentType
        let body = #"{"__type":"TooManyRequestsException","message":"Too many requests from this address. Try again later."}"#
        return Response(status: .badRequest, headers: headers, body: .init(string: body))
    }
}
