import CognateModel
import FluentKit
import SQLKit
import Foundation

extension FluentStore: AuthEventStore {
    /// Every sign-in records one: a plain INSERT (Fluent's model write costs more than the statement).
    public func recordAuthEvent(_ event: AuthEvent) async throws {
        try await run("auth event") {
            try await sql.raw("""
                INSERT INTO \(ident: AuthEventRow.schema) (id, pool_id, user_sub, kind, response, steps, blocked, created_at, created_us,
                    expires_at, client_id, ip_address, user_agent, feedback, feedback_at)
                VALUES (\(bind: event.id), \(bind: event.poolId), \(bind: event.userSub), \(bind: event.kind.rawValue), \
                    \(bind: event.response.rawValue), \(bind: try Self.steps(event.steps)), \(bind: event.blocked), \(bind: event.createdAt), \
                    \(bind: Int64((event.createdAt.timeIntervalSince1970 * 1_000_000).rounded())), \(bind: event.expiresAt), \
                    \(bind: event.clientId), \(bind: event.ipAddress), \(bind: event.userAgent), \(bind: event.feedback), \(bind: event.feedbackAt))
                """).run()
        }
    }

    public func updateAuthEvent(id: UUID, poolId: String, response: AuthEvent.Response, steps: [AuthEvent.Step]) async throws {
        try await run("auth event") {
            try await AuthEventRow.query(on: database).filter(\.$id == id).filter(\.$poolId == poolId)
                .filter(\.$response != AuthEvent.Response.pass.rawValue)
                .set(\.$response, to: response.rawValue).set(\.$steps, to: try Self.steps(steps)).update()
        }
    }

    public func authEvents(poolId: String, userSub: UUID, limit: Int, after cursor: String?) async throws -> ListPage<AuthEvent> {
        try await run("auth event") {
            // Newest first; the cursor is "<microseconds>|<id>" of the last event seen.
            let query = AuthEventRow.query(on: database).filter(\.$poolId == poolId).filter(\.$userSub == userSub)
                .sort(\.$createdMicroseconds, .descending).sort(\.$id, .descending).limit(limit + 1)
            if let key = Self.key(fromCursor: cursor) {
                let parts = key.split(separator: "|")
                // a token this store did not write ends the list
                guard parts.count == 2, let micros = Int64(parts[0]), let id = UUID(uuidString: String(parts[1])) else {
                    return ListPage(items: [], next: nil)
                }
                query.group(.or) { or in
                    or.filter(\.$createdMicroseconds < micros)
                    or.group(.and) { and in and.filter(\.$createdMicroseconds == micros).filter(\.$id < id) }
                }
            }
            let rows = try await query.all()
            return try Self.page(rows, limit: limit, key: { "\($0.createdMicroseconds)|\($0.id?.uuidString ?? "")" },
                                 map: Self.event)
        }
    }

    public func setAuthEventFeedback(poolId: String, userSub: UUID, id: UUID, value: String, at date: Date) async throws -> Bool {
        try await run("auth event") {
            guard let row = try await AuthEventRow.query(on: database).filter(\.$id == id).filter(\.$poolId == poolId)
                .filter(\.$userSub == userSub).first()
            else { return false }
            row.feedback = value
            row.feedbackAt = date
            try await row.update(on: database)
            return true
        }
    }

    static func steps(_ steps: [AuthEvent.Step]) throws -> String {
        String(decoding: try JSONEncoder().encode(steps), as: UTF8.self)
    }

    static func event(_ row: AuthEventRow) throws -> AuthEvent {
        guard let id = row.id, let kind = AuthEvent.Kind(rawValue: row.kind), let response = AuthEvent.Response(rawValue: row.response),
            let steps = try? JSONDecoder().decode([AuthEvent.Step].self, from: Data(row.steps.utf8))
        else { throw StoreError.unavailable("corrupt auth event record") }
        return AuthEvent(
            id: id, poolId: row.poolId, userSub: row.userSub, kind: kind, response: response, steps: steps, blocked: row.blocked,
            createdAt: row.createdAt, expiresAt: row.expiresAt, clientId: row.clientId, ipAddress: row.ipAddress,
            userAgent: row.userAgent, feedback: row.feedback, feedbackAt: row.feedbackAt)
    }
}
