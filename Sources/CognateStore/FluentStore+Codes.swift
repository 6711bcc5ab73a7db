import CognateModel
import FluentKit
import Foundation
import SQLKit

extension FluentStore: VerificationCodeStore {
    public func saveCode(poolId: String, userSub: UUID, purpose: VerificationCode.Purpose, message: CodeMessage?,
                         _ make: @escaping @Sendable (VerificationCode?) throws -> VerificationCode) async throws -> VerificationCode {
        try await run("verification code") {
            // The pool's write lock first: two racing senders cannot both read the same send count.
            // Plain SQL: every password check passes here twice (the lockout), and Fluent's
            // reflective row decoding and model writes cost more than the statements.
            try await poolTransaction(poolId) { db in
                let sql = db as! any SQLDatabase
                let current = try await sql.raw("""
                    SELECT \(unsafeRaw: Self.codeColumns) FROM \(ident: VerificationCodeRow.schema)
                    WHERE pool_id = \(bind: poolId) AND user_sub = \(bind: userSub) AND purpose = \(bind: purpose.rawValue)
                    """).first().map { try Self.code($0, poolId: poolId, userSub: userSub, purpose: purpose) }
                var code: VerificationCode
                do { code = try make(current) } catch { throw ValidationFailure(underlying: error) }
                (code.poolId, code.userSub, code.purpose) = (poolId, userSub, purpose)
                if code != current {
                    if current == nil {
                        try await sql.raw("""
                            INSERT INTO \(ident: VerificationCodeRow.schema) (id, pool_id, user_sub, purpose, \(unsafeRaw: Self.codeColumns))
                            VALUES (\(bind: UUID()), \(bind: poolId), \(bind: userSub), \(bind: purpose.rawValue), \(Self.codeValues(code)))
                            """).run()
                    } else {
                        try await sql.raw("""
                            UPDATE \(ident: VerificationCodeRow.schema) SET code_hash = \(bind: code.codeHash), expires_at = \(bind: code.expiresAt),
                                attempts = \(bind: code.attempts), sent_in_window = \(bind: code.sentInWindow), window_start = \(bind: code.windowStart),
                                created_at = \(bind: code.createdAt), pending_value = \(bind: code.pendingValue), locked_until = \(bind: code.lockedUntil)
                            WHERE pool_id = \(bind: poolId) AND user_sub = \(bind: userSub) AND purpose = \(bind: purpose.rawValue)
                            """).run()
                    }
                }
                if let message {
                    // one statement for both kinds; a withheld message's row is selected by a false condition
                    let (row, kept) = switch message {
                    case .kept(let row): (row, true)
                    case .withheld(let row): (row, false)
                    }
                    try await sql.raw("""
                        INSERT INTO \(ident: OutboxRow.schema) (id, pool_id, user_sub, channel, destination, subject, body, created_at,
                            attempts, delivered_at, last_error, next_attempt_at, claimed_until, locale)
                        SELECT \(bind: row.id), \(bind: row.poolId), \(bind: row.userSub), \(bind: row.channel.rawValue), \
                            \(bind: row.destination), \(bind: row.subject), \(bind: row.body), \(bind: row.createdAt), \(bind: row.attempts), \
                            \(bind: row.deliveredAt), \(bind: row.lastError), \(bind: row.nextAttemptAt), \(bind: row.claimedUntil), \
                            \(bind: row.locale)
                        WHERE \(bind: kept)
                        """).run()
                }
                return code
            }
        }
    }

    static let codeColumns = "code_hash, expires_at, attempts, sent_in_window, window_start, created_at, pending_value, locked_until"

    static func codeValues(_ code: VerificationCode) -> SQLQueryString {
        """
        \(bind: code.codeHash), \(bind: code.expiresAt), \(bind: code.attempts), \(bind: code.sentInWindow), \(bind: code.windowStart), \
        \(bind: code.createdAt), \(bind: code.pendingValue), \(bind: code.lockedUntil)
        """
    }

    static func code(_ row: any SQLRow, poolId: String, userSub: UUID, purpose: VerificationCode.Purpose) throws -> VerificationCode {
        VerificationCode(
            poolId: poolId, userSub: userSub, purpose: purpose, codeHash: try row.decode(column: "code_hash", as: String.self),
            expiresAt: try row.decode(column: "expires_at", as: Date.self), attempts: try row.decode(column: "attempts", as: Int.self),
            sentInWindow: try row.decode(column: "sent_in_window", as: Int.self), windowStart: try row.decode(column: "window_start", as: Date.self),
            createdAt: try row.decode(column: "created_at", as: Date.self), pendingValue: try row.decode(column: "pending_value", as: String?.self),
            lockedUntil: try row.decode(column: "locked_until", as: Date?.self))
    }

    public func code(poolId: String, userSub: UUID, purpose: VerificationCode.Purpose) async throws -> VerificationCode? {
        try await run("verification code") {
            try await Self.codeQuery(poolId, userSub, purpose, on: database).first().map { try Self.code($0, purpose: purpose) }
        }
    }

    public func countAttempt(poolId: String, userSub: UUID, purpose: VerificationCode.Purpose, limit: Int) async throws -> Int? {
        try await run("verification code") {
            // One conditional UPDATE: the check and the count cannot be separated by a racing guess.
            let rows = try await sql.raw("""
                UPDATE \(ident: VerificationCodeRow.schema) SET attempts = attempts + 1
                WHERE pool_id = \(bind: poolId) AND user_sub = \(bind: userSub) AND purpose = \(bind: purpose.rawValue)
                AND attempts < \(bind: limit) RETURNING attempts
                """).all()
            return try rows.first?.decode(column: "attempts", as: Int.self)
        }
    }

    public func deleteCode(poolId: String, userSub: UUID, purpose: VerificationCode.Purpose) async throws {
        try await run("verification code") {
            try await Self.codeQuery(poolId, userSub, purpose, on: database).delete()
        }
    }

    static func code(_ row: VerificationCodeRow, purpose: VerificationCode.Purpose) throws -> VerificationCode {
        VerificationCode(
            poolId: row.poolId, userSub: row.userSub, purpose: purpose, codeHash: row.codeHash, expiresAt: row.expiresAt,
            attempts: row.attempts, sentInWindow: row.sentInWindow, windowStart: row.windowStart,
            createdAt: row.createdAt, pendingValue: row.pendingValue, lockedUntil: row.lockedUntil)
    }

    static func codeQuery(_ poolId: String, _ userSub: UUID, _ purpose: VerificationCode.Purpose, on db: any Database)
        -> QueryBuilder<VerificationCodeRow>
    {
        VerificationCodeRow.query(on: db).filter(\.$poolId == poolId).filter(\.$userSub == userSub)
            .filter(\.$purpose == purpose.rawValue)
    }
}
