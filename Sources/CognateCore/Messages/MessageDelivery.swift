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
    /// The pools' custom sender triggers (CustomEmailSender, CustomSMSSender).
    let custom: (any MessageSender)?
    let masterKey: MasterKey
    let now: Now
    let logger: Logger

    public init(outbox: any OutboxStore, email: (any MessageSender)?, sms: (any MessageSender)?, custom: (any MessageSender)? = nil,
                masterKey: MasterKey, now: @escaping Now, logger: Logger) {
        self.outbox = outbox
        self.email = email
        self.sms = sms
        self.custom = custom
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

    /// Pauses after the first, second, … failed try; after the last one the message is given up
    /// (it stays in the outbox with its error, for `cognate outbox`).
    public static let retryDelays: [TimeInterval] = [2, 10, 60, 300]
    /// How long a node holds a message it is sending before any other node may take it up: longer
    /// than one SMTP exchange with its timeouts, so a live node is not raced for its message.
    public static let lease: TimeInterval = 300

    func sender(for channel: OutboundMessage.Channel) -> (any MessageSender)? {
        switch channel {
        case .email: email
        case .sms: sms
        case .customEmail, .customSMS: custom
        }
    }

    /// Stores the message, claimed by this node and due now, and returns; it is sent in the
    /// background. A failed send is recorded with its next time, and whichever node's
    /// `sendDue` comes first tries it again, so a message outlives the node that took it. The
    /// caller's work (the user it belongs to) is never undone by a delivery failure, and its
    /// answer never waits on a mail server: an answer that took as long as an SMTP exchange for
    /// real accounts only would tell who has one.
    @discardableResult
    public func deliver(_ message: OutboundMessage) async throws -> OutboundMessage {
        let ready = try prepare(message)
        try await outbox.enqueue(ready.stored)
        dispatch(ready.plain)
        return message
    }

    /// A message made ready for the outbox, for a caller that stores it in its own transaction
    /// (a code and its message): `stored` is what the outbox keeps (the text sealed; claimed by
    /// this node and due now when a sender exists), `plain` what `dispatch` sends once it is stored.
    public func prepare(_ message: OutboundMessage) throws -> (stored: OutboundMessage, plain: OutboundMessage) {
        var plain = message
        if sender(for: message.channel) != nil {
            let start = now()
            (plain.nextAttemptAt, plain.claimedUntil) = (start, start.addingTimeInterval(Self.lease))
        }
        return (try sealed(plain), plain)
    }

    /// Sends a stored message in the background (or logs it where there is no sender).
    public func dispatch(_ plain: OutboundMessage) {
        guard let sender = sender(for: plain.channel) else {
            logger.notice("development outbox: \(plain.channel.rawValue) to \(plain.destination): \(plain.subject) (see `cognate outbox`)")
            return
        }
        Task { [self] in await attempt(plain, with: sender) }
    }

    /// Claims the messages that are due (a failed try's next time came, or the node holding one
    /// stopped before it finished) and tries each once. Every node runs it every few seconds;
    /// returns how many it tried.
    @discardableResult
    public func sendDue(limit: Int = 20) async throws -> Int {
        let channels = [OutboundMessage.Channel.email, .sms, .customEmail, .customSMS].filter { sender(for: $0) != nil }
        let start = now()
        let due = try await outbox.claimDue(channels: channels, at: start, leaseUntil: start.addingTimeInterval(Self.lease), limit: limit)
        CognateMetrics.outboxBacklog(due.count)
        for message in due {
            guard let sender = sender(for: message.channel) else { continue }
            await attempt(readable(message), with: sender)
        }
        return due.count
    }

    /// One try; records the outcome and, after a failure, when the next is due. Returns whether
    /// the message went out.
    @discardableResult
    func attempt(_ message: OutboundMessage, with sender: any MessageSender) async -> Bool {
        do {
            try await sender.send(message)
            try? await outbox.recordAttempt(id: message.id, at: now(), error: nil, retryAt: nil)
            return true
        } catch {
            let failures = message.attempts + 1
            CognateMetrics.deliveryFailure(channel: message.channel.rawValue)
            let retryAt = failures <= Self.retryDelays.count ? now().addingTimeInterval(Self.retryDelays[failures - 1]) : nil
            logger.warning("delivery of \(message.channel.rawValue) to \(message.destination) failed (try \(failures)): \(error)")
            try? await outbox.recordAttempt(id: message.id, at: now(), error: String(describing: error), retryAt: retryAt)
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
