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
///
/// The outbox keeps each message's text sealed with the master key (it holds codes and
/// temporary passwords), and blanks it once delivered; `outbox(...)` opens it for reading.
public struct MessageDelivery: Sendable {
    let outbox: any OutboxStore
    let email: (any MessageSender)?
    let sms: (any MessageSender)?
    let masterKey: MasterKey
    let now: Now
    let logger: Logger

    public init(outbox: any OutboxStore, email: (any MessageSender)?, sms: (any MessageSender)?, masterKey: MasterKey,
                now: @escaping Now, logger: Logger) {
        self.outbox = outbox
        self.email = email
        self.sms = sms
        self.masterKey = masterKey
        self.now = now
        self.logger = logger
    }

    static let sealedPrefix = "sealed:"

    func sealed(_ message: OutboundMessage) throws -> OutboundMessage {
        var copy = message
        copy.body = Self.sealedPrefix + (try masterKey.seal(Data(message.body.utf8), context: "outbox:\(message.id.uuidString.lowercased())")).base64URLEncoded
        return copy
    }

    /// A stored message with its text opened (as it was sent).
    public func readable(_ message: OutboundMessage) -> OutboundMessage {
        guard message.body.hasPrefix(Self.sealedPrefix), let data = Data(lenientBase64: message.body.dropFirst(Self.sealedPrefix.count)),
            let plain = try? masterKey.open(data, context: "outbox:\(message.id.uuidString.lowercased())")
        else { return message }
        var copy = message
        copy.body = String(decoding: plain, as: UTF8.self)
        return copy
    }

    /// The outbox, newest first, with the texts opened: `cognate outbox` and the tests read it.
    public func outbox(poolId: String?, limit: Int, after cursor: String?) async throws -> ListPage<OutboundMessage> {
        let page = try await outbox.outbox(poolId: poolId, limit: limit, after: cursor)
        return ListPage(items: page.items.map(readable), next: page.next)
    }

    /// Pauses before the second and third attempt of a failed send.
    public static let retryDelays: [Duration] = [.seconds(2), .seconds(10)]

    /// Stores the message and returns; it is sent in the background, and a failed send is
    /// recorded and tried again after `retryDelays`. The caller's work (the user it belongs to)
    /// is never undone by a delivery failure, and its answer never waits on a mail server: an
    /// answer that took as long as an SMTP exchange for real accounts only would tell who has
    /// one.
    @discardableResult
    public func deliver(_ message: OutboundMessage) async throws -> OutboundMessage {
        try await outbox.enqueue(try sealed(message))
        guard let sender = message.channel == .email ? email : sms else {
            logger.notice("development outbox: \(message.channel.rawValue) to \(message.destination): \(message.subject) (see `cognate outbox`)")
            return message
        }
        Task { [self] in
            if await attempt(message, with: sender) { return }
            for delay in Self.retryDelays {
                try? await Task.sleep(for: delay)
                if await attempt(message, with: sender) { return }
            }
        }
        return message
    }

    /// One try; records the outcome. Returns whether the message went out.
    func attempt(_ message: OutboundMessage, with sender: any MessageSender) async -> Bool {
        do {
            try await sender.send(message)
            try? await outbox.recordDelivery(id: message.id, at: now(), error: nil)
            return true
        } catch {
            logger.warning("delivery of \(message.channel.rawValue) to \(message.destination) failed: \(error)")
            try? await outbox.recordDelivery(id: message.id, at: now(), error: String(describing: error))
            return false
        }
    }
}

/// Renders Cognito's placeholders: `{username}` and `{####}` (the code or temporary password).
public enum MessageTemplates {
    public static func render(_ template: String, username: String, code: String) -> String {
        template.replacingOccurrences(of: "{username}", with: username).replacingOccurrences(of: "{####}", with: code)
    }

    /// Cognito's rules: invitations name both the user and the password, verification texts the code.
    public static func problems(_ messages: PoolMessages) -> [ValidationError] {
        var errors: [ValidationError] = []
        for (field, text) in [("InviteMessageTemplate.EmailMessage", messages.inviteEmailMessage),
                              ("InviteMessageTemplate.SMSMessage", messages.inviteSMSMessage)] {
            if let text, !(text.contains("{username}") && text.contains("{####}")) {
                errors.append(.init(field: field, message: "must contain {username} and {####}"))
            }
        }
        for (field, text) in [("VerificationMessageTemplate.EmailMessage", messages.verificationEmailMessage),
                              ("VerificationMessageTemplate.SmsMessage", messages.verificationSMSMessage),
                              ("SmsAuthenticationMessage", messages.authenticationSMSMessage)] {
            if let text, !text.contains("{####}") {
                errors.append(.init(field: field, message: "must contain {####}"))
            }
        }
        return errors
    }
}
