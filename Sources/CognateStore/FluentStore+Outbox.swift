import CognateModel
import FluentKit
import Foundation
import SQLKit

extension FluentStore: OutboxStore {
    public func enqueue(_ message: OutboundMessage) async throws {
        try await run("message") {
            try await Self.outboxRow(message).create(on: database)
        }
    }

    static func outboxRow(_ message: OutboundMessage) -> OutboxRow {
        let row = OutboxRow()
        row.id = message.id
        row.poolId = message.poolId
        row.userSub = message.userSub
        row.channel = message.channel.rawValue
        row.destination = message.destination
        row.subject = message.subject
        row.body = message.body
        row.createdAt = message.createdAt
        row.attempts = message.attempts
        row.deliveredAt = message.deliveredAt
        row.lastError = message.lastError
        row.nextAttemptAt = message.nextAttemptAt
        row.claimedUntil = message.claimedUntil
        row.locale = message.locale
        return row
    }

    public func outbox(poolId: String?, limit: Int, after cursor: String?) async throws -> ListPage<OutboundMessage> {
        try await run("message") {
            // Newest first; the cursor is "<epoch seconds>|<id>" of the last message seen.
            let query = OutboxRow.query(on: database).sort(\.$createdAt, .descending).sort(\.$id, .descending).limit(limit + 1)
            if let poolId { query.filter(\.$poolId == poolId) }
            if let key = Self.key(fromCursor: cursor) {
                let parts = key.split(separator: "|")
                if parts.count == 2, let seconds = Double(parts[0]), let id = UUID(uuidString: String(parts[1])) {
                    let date = Date(timeIntervalSince1970: seconds)
                    query.group(.or) { or in
                        or.filter(\.$createdAt < date)
                        or.group(.and) { and in and.filter(\.$createdAt == date).filter(\.$id < id) }
                    }
                }
            }
            let rows = try await query.all()
            return try Self.page(rows, limit: limit, key: { "\($0.createdAt.timeIntervalSince1970)|\($0.id?.uuidString ?? "")" }, map: Self.message)
        }
    }

    public func recordAttempt(id: UUID, at date: Date, error: String?, retryAt: Date?) async throws {
        try await run("message") {
            guard let row = try await OutboxRow.find(id, on: database) else { throw StoreError.notFound("message \(id)") }
            row.attempts += 1
            row.claimedUntil = nil
            if let error {
                // a node whose claim lapsed may fail after another delivered: the message stays delivered
                guard row.deliveredAt == nil else { return try await row.update(on: database) }
                row.lastError = error
                row.nextAttemptAt = retryAt
            } else {
                row.deliveredAt = date
                row.lastError = nil
                row.nextAttemptAt = nil
                row.body = ""
            }
            try await row.update(on: database)
        }
    }

    public func claimDue(channels: [OutboundMessage.Channel], at date: Date, leaseUntil: Date, limit: Int) async throws -> [OutboundMessage] {
        guard !channels.isEmpty, limit > 0 else { return [] }
        return try await run("message") {
            // One UPDATE whose outer condition is checked again on each row it takes: of two
            // nodes racing for a message, the second finds it claimed and leaves it (PostgreSQL
            // re-reads a row it waited for; SQLite runs one writer at a time).
            let free: SQLQueryString = "(claimed_until IS NULL OR claimed_until < \(bind: date))"
            let claimed = try await sql.raw("""
                UPDATE \(ident: OutboxRow.schema) SET claimed_until = \(bind: leaseUntil)
                WHERE id IN (SELECT id FROM \(ident: OutboxRow.schema) WHERE delivered_at IS NULL
                    AND next_attempt_at <= \(bind: date) AND channel IN (\(binds: channels.map(\.rawValue))) AND \(free)
                    ORDER BY next_attempt_at LIMIT \(bind: limit))
                AND \(free) RETURNING id
                """).all().map { try $0.decode(column: "id", as: UUID.self) }
            guard !claimed.isEmpty else { return [] }
            return try await OutboxRow.query(on: database).filter(\.$id ~~ claimed).sort(\.$nextAttemptAt).all().map(Self.message)
        }
    }

    static func message(_ row: OutboxRow) throws -> OutboundMessage {
        guard let id = row.id, let channel = OutboundMessage.Channel(rawValue: row.channel) else {
            throw StoreError.unavailable("corrupt outbox record")
        }
        return OutboundMessage(
            id: id, poolId: row.poolId, userSub: row.userSub, channel: channel, destination: row.destination,
            subject: row.subject, body: row.body, createdAt: row.createdAt, attempts: row.attempts,
            deliveredAt: row.deliveredAt, lastError: row.lastError, nextAttemptAt: row.nextAttemptAt, claimedUntil: row.claimedUntil,
            locale: row.locale)
    }
}
