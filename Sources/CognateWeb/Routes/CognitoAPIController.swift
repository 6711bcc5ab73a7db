import CognateCognitoAPI
import Foundation
import Vapor

/// `POST /`: hands the raw request to the Cognito protocol layer and writes its answer.
struct CognitoAPIController: Sendable {
    static let contentType = HTTPMediaType(type: "application", subType: "x-amz-json-1.1")

    func handle(_ request: Request) async throws -> Response {
        let services = try request.services()
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
}
