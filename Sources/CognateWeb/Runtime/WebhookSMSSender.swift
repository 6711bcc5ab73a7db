import CognateCore
import CognateModel
import Crypto
import Foundation
import Vapor

/// Sends SMS messages to an HTTPS webhook (Cognito's custom SMS sender idea): a JSON POST whose
/// body is signed with HMAC-SHA256 over `<timestamp>.<body>`, so the receiver can tell it came
/// from this Cognate and is fresh. Any answer but 2xx is a failure, retried by MessageDelivery.
struct WebhookSMSSender: MessageSender {
    struct Payload: Content {
        var version = "1"
        var messageId: String
        var userPoolId: String
        var phoneNumber: String
        var message: String
    }

    let client: any Client
    let url: URI
    let secret: SymmetricKey
    let now: Now

    func send(_ message: OutboundMessage) async throws {
        let payload = Payload(messageId: message.id.uuidString.lowercased(), userPoolId: message.poolId,
                              phoneNumber: message.destination, message: message.body)
        let body = try JSONEncoder().encode(payload)
        let timestamp = String(Int(now().timeIntervalSince1970))
        let signature = HMAC<SHA256>.authenticationCode(for: Data("\(timestamp).".utf8) + body, using: secret).hexString
        let response = try await client.post(url) { request in
            request.headers.contentType = .json
            request.headers.replaceOrAdd(name: "X-Cognate-Timestamp", value: timestamp)
            request.headers.replaceOrAdd(name: "X-Cognate-Signature", value: "sha256=\(signature)")
            request.body = ByteBuffer(data: body)
        }
        guard (200..<300).contains(response.status.code) else {
            throw Abort(.badGateway, reason: "SMS webhook answered \(response.status.code)")
        }
    }
}
