import CognateModel
import Foundation
import Logging

/// Sends a message over one channel (SMTP for email, a webhook for SMS).
public protocol MessageSender: Sendable {
    func send(_ message: OutboundMessage) async throws
}

/// Every message is written to the outbox first, so a failed send never loses it (nor the user
/// record it belongs to), then sent when a sender for its channel is configured. Without one it
/// stays in the outbox and is logged: the development outbox (`cognate outbox`).
public struct MessageDelivery: Sendable {
    let outbox: any OutboxStore
    let email: (any MessageSender)?
    let sms: (any MessageSender)?
    let now: Now
    let logger: Logger

    public init(outbox: any OutboxStore, email: (any MessageSender)?, sms: (any MessageSender)?, now: @escaping Now, logger: Logger) {
        self.outbox = outbox
        self.email = email
        self.sms = sms
        self.now = now
        self.logger = logger
    }

    @discardableResult
    public func deliver(_ message: OutboundMessage) async throws -> OutboundMessage {
        try await outbox.enqueue(message)
        guard let sender = message.channel == .email ? email : sms else {
            logger.notice("development outbox: \(message.channel.rawValue) to \(message.destination): \(message.subject) (see `cognate outbox`)")
            return message
        }
        do {
            try await sender.send(message)
            try await outbox.recordDelivery(id: message.id, at: now(), error: nil)
        } catch {
            logger.warning("delivery of \(message.channel.rawValue) to \(message.destination) failed: \(error)")
            try await outbox.recordDelivery(id: message.id, at: now(), error: String(describing: error))
        }
        return message
    }
}

/// Cognito's message texts and their placeholders: `{username}` and `{####}` (the code or
/// temporary password).
public enum MessageTemplates {
    public static let invitationSubject = "Your temporary password"
    public static let invitationBody = "Your username is {username} and temporary password is {####}."

    public static func render(_ template: String, username: String, code: String) -> String {
        template.replacingOccurrences(of: "{username}", with: username).replacingOccurrences(of: "{####}", with: code)
    }
}
