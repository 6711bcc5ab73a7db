import CognateCore
import Crypto
import Vapor

/// `PUT /user-import/{pool}/{job}?expires=…&signature=…`: the pre-signed URL of an import job
/// (CreateUserImportJob's PreSignedUrl), where the CSV file is uploaded as to S3 (`curl -T`).
/// Refusals are S3's XML errors.
struct UserImportController: Sendable {
    func upload(_ request: Request) async throws -> Response {
        let services = try request.services()
        guard let poolId = request.parameters.get("poolId"), let jobId = request.parameters.get("jobId") else {
            return Self.error(.notFound, "NoSuchKey", "The specified key does not exist.")
        }
        let expires = request.query[String.self, at: "expires"], signature = request.query[String.self, at: "signature"]
        do {
            // the signature first: the body is read only for a URL Cognate made
            try services.imports.authorizeUpload(poolId: poolId, id: jobId, expires: expires, signature: signature)
            var body = try await request.body.collect(max: UserImports.fileLimit).get() ?? ByteBuffer()
            let data = body.readData(length: body.readableBytes) ?? Data()
            try await services.imports.receive(poolId: poolId, id: jobId, expires: expires, signature: signature, data: data)
            let response = Response(status: .ok)
            response.headers.replaceOrAdd(name: "ETag", value: "\"\(Insecure.MD5.hash(data: data).hexString)\"")
            return response
        } catch let error as UserImports.UploadRefusal {
            switch error {
            case .forbidden(let reason): return Self.error(.forbidden, "AccessDenied", reason)
            case .notFound: return Self.error(.notFound, "NoSuchKey", "The specified key does not exist.")
            case .conflict(let reason): return Self.error(.conflict, "InvalidRequest", reason)
            case .tooLarge: return Self.error(.payloadTooLarge, "EntityTooLarge", "The file is larger than \(UserImports.fileLimit) bytes.")
            }
        } catch let abort as any AbortError where abort.status == .payloadTooLarge {
            return Self.error(.payloadTooLarge, "EntityTooLarge", "The file is larger than \(UserImports.fileLimit) bytes.")
        } catch {
            return Self.error(.badRequest, "IncompleteBody", "The file was not received whole.")
        }
    }

    static func error(_ status: HTTPResponseStatus, _ code: String, _ message: String) -> Response {
        let escaped = message.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        let response = Response(status: status, body: .init(string: """
            <?xml version="1.0" encoding="UTF-8"?>
            <Error><Code>\(code)</Code><Message>\(escaped)</Message></Error>
            """))
        response.headers.contentType = .xml
        return response
    }
}
