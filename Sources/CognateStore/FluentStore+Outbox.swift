import CognateModel
import FluentKit
import Foundation

extension FluentStore: OutboxStore {
    public func enqueue(_ message: OutboundMessage) async throws {
        try await run("message") {
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
            try await row.create(on: database)
        }
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

    public func recordDelivery(id: UUID, at date: Date, error: String?) async throws {
        try await run("message") {
            guard let row = try await OutboxRow.find(id, on: database) else { throw StoreError.notFound("message \(id)") }
            row.attempts += 1
            if let error {
                row.lastError = error
            } else {
                row.deliveredAt = date
                row.lastError = nil
                row.body = ""
            }
            try await row.update(on: database)
        }
    }

    static func message(_ row: OutboxRow) throws -> OutboundMessage {
        guard let id = row.id, let channel = OutboundMessage.Channel(rawValue: row.channel) else {
            throw StoreError.unavailable("corrupt outbox record")
        }
        return OutboundMessage(
            id: id, poolId: row.poolId, userSub: row.userSub, channel: channel, destination: row.destination,
            subject: row.subject, body: row.body, createdAt: row.createdAt, attempts: row.attempts,
            deliveredAt: row.deliveredAt, lastError: row.lastError)
    }
}
