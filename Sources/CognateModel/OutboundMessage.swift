import Foundation

/// A message for a person (invitation, code), kept until it is delivered. Without SMTP or an
/// SMS webhook configured it stays here as the development outbox.
public struct OutboundMessage: Sendable, Equatable, Codable {
    public enum Channel: String, Sendable, Codable {
        case email, sms
        /// Handed to the pool's CustomEmailSender or CustomSMSSender trigger (CustomSenders),
        /// which delivers it by email or SMS itself.
        case customEmail = "custom-email", customSMS = "custom-sms"
    }

    public var id: UUID
    public var poolId: String
    public var userSub: UUID?
    public var channel: Channel
    public var destination: String
    public var subject: String
    public var body: String
    public var createdAt: Date
    public var attempts: Int
    public var deliveredAt: Date?
    public var lastError: String?
    /// When the next try is due; nil when none will be made (no sender, delivered, or given up).
    public var nextAttemptAt: Date?
    /// A node is sending it until then; after that any node may take it up.
    public var claimedUntil: Date?
    /// The language its text is in (a catalog's locale), for the HTML part of an email; nil: English.
    public var locale: String?

    public init(
        id: UUID, poolId: String, userSub: UUID?, channel: Channel, destination: String, subject: String,
        body: String, createdAt: Date, attempts: Int = 0, deliveredAt: Date? = nil, lastError: String? = nil,
        nextAttemptAt: Date? = nil, claimedUntil: Date? = nil, locale: String? = nil
    ) {
        self.locale = locale
        self.id = id
        self.poolId = poolId
        self.userSub = userSub
        self.channel = channel
        self.destination = destination
        self.subject = subject
        self.body = body
        self.createdAt = createdAt
        self.attempts = attempts
        self.deliveredAt = deliveredAt
        self.lastError = lastError
        self.nextAttemptAt = nextAttemptAt
        self.claimedUntil = claimedUntil
    }
}
