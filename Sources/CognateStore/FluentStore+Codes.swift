import CognateModel
import FluentKit
import Foundation
import SQLKit

extension FluentStore: VerificationCodeStore {
    public func saveCode(poolId: String, userSub: UUID, purpose: VerificationCode.Purpose, message: OutboundMessage?,
                         _ make: @escaping @Sendable (VerificationCode?) throws -> VerificationCode) async throws -> VerificationCode {
        try await run("verification code") {
            // The pool's write lock first: two racing senders cannot both read the same send count.
            try await poolTransaction(poolId) { db in
                let previous = try await Self.codeQuery(poolId, userSub, purpose, on: db).first()
                let current = try previous.map { try Self.code($0, purpose: purpose) }
                var code: VerificationCode
                do { code = try make(current) } catch { throw ValidationFailure(underlying: error) }
                (code.poolId, code.userSub, code.purpose) = (poolId, userSub, purpose)
                if code == current {
                    if let message { try await Self.outboxRow(message).create(on: db) }
                    return code
                }
                try await previous?.delete(on: db)
                let row = VerificationCodeRow()
                row.poolId = poolId
                row.userSub = userSub
                row.purpose = purpose.rawValue
                row.codeHash = code.codeHash
                row.expiresAt = code.expiresAt
                row.attempts = code.attempts
                row.sentInWindow = code.sentInWindow
                row.windowStart = code.windowStart
                row.createdAt = code.createdAt
                row.pendingValue = code.pendingValue
                row.lockedUntil = code.lockedUntil
                try await row.create(on: db)
                if let message { try await Self.outboxRow(message).create(on: db) }
                return code
            }
        }
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
