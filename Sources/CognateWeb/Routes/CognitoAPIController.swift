import CognateCognitoAPI
import CognateCore
import CognateModel
import Foundation
import Vapor

/// `POST /`: hands the raw request to the Cognito protocol layer and writes its answer.
struct CognitoAPIController: Sendable {
    static let contentType = HTTPMediaType(type: "application", subType: "x-amz-json-1.1")

    func handle(_ request: Request) async throws -> Response {
        let services = try request.services()
        let action = Self.action(request)
        do {
            if let refused = try await Self.refuseFlood(action, request, services) { return refused }
        } catch is StoreError {
            // the address counters live in the database too: Cognito's error, as a 503 SDKs retry
            return Self.errorResponse("InternalErrorException", "The service is temporarily unavailable; try again.", status: .serviceUnavailable)
        }
        let body = request.body.data.map { Array($0.readableBytesView) } ?? []
        let signable = SignableRequest(
            method: request.method.rawValue, path: request.url.path, query: request.url.query ?? "",
            headers: request.headers.map { (name: $0.name, value: $0.value) }, body: body)
        let answer = await services.api.handle(signable)
        if answer.status == 200, action == .signIn {
            try? await services.limits.giveBack(.signIn, from: request.clientAddress)
        }
        var headers = HTTPHeaders()
        headers.contentType = Self.contentType
        headers.add(name: "x-amzn-RequestId", value: request.id)
        return Response(status: HTTPResponseStatus(statusCode: answer.status), headers: headers, body: .init(data: answer.body))
    }

    /// What the address limits count this call as: sign-ups, code requests, guests' credentials,
    /// and the public operations that check a password or code (only failures keep their count).
    static func action(_ request: Request) -> AddressLimits.Action? {
        switch request.headers.first(name: "X-Amz-Target")?.split(separator: ".").last {
        case "SignUp": .signUp
        case "ForgotPassword", "ResendConfirmationCode": .codeRequest
        case "InitiateAuth", "RespondToAuthChallenge", "ChangePassword", "ConfirmForgotPassword", "ConfirmSignUp": .signIn
        // an identity pool's guest identities are made by anyone who asks: counted as sign-ups are,
        // and each asks for credentials or a token without proving anyone signed in
        case "GetId": hasLogins(request) ? nil : .signUp
        case "GetCredentialsForIdentity", "GetOpenIdToken": hasLogins(request) ? nil : .guestCredentials
        default: nil
        }
    }

    /// Whether an identity pool call names logins (then its identity is a known person's, proven by a token).
    static func hasLogins(_ request: Request) -> Bool {
        guard let body = request.body.data, let object = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any],
            let logins = object["Logins"] as? [String: Any]
        else { return false }
        return !logins.isEmpty
    }

    /// Past the address's allowance (AddressLimits) the answer is Cognito's TooManyRequestsException.
    static func refuseFlood(_ action: AddressLimits.Action?, _ request: Request, _ services: CognateServices) async throws -> Response? {
        guard let action, !(try await services.limits.allow(action, from: request.clientAddress)) else { return nil }
        return errorResponse("TooManyRequestsException", "Too many requests from this address. Try again later.")
    }

    /// A Cognito error answered before the request reaches the API layer (JSON 1.1, status 400 unless given).
    static func errorResponse(_ type: String, _ message: String, status: HTTPResponseStatus = .badRequest) -> Response {
        var headers = HTTPHeaders()
        headers.contentType = contentType
        let body = (try? JSONSerialization.data(withJSONObject: ["__type": type, "message": message])) ?? Data()
        return Response(status: status, headers: headers, body: .init(data: body))
    }
}
