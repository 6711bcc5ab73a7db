import CognateModel
import FluentKit
import Foundation
import SQLKit

extension FluentStore: VerificationCodeStore {
    public func saveCode(_ code: VerificationCode) async throws {
        try await run("verification code") {
            try await poolTransaction(code.poolId) { db in
                try await VerificationCodeRow.query(on: db).filter(\.$poolId == code.poolId).filter(\.$userSub == code.userSub)
                    .filter(\.$purpose == code.purpose.rawValue).delete()
                let row = VerificationCodeRow()
                row.poolId = code.poolId
                row.userSub = code.userSub
                row.purpose = code.purpose.rawValue
                row.codeHash = code.codeHash
                row.expiresAt = code.expiresAt
                row.failedAttempts = code.failedAttempts
                row.sentInWindow = code.sentInWindow
                row.windowStart = code.windowStart
                row.createdAt = code.createdAt
                row.pendingValue = code.pendingValue
                try await row.create(on: db)
            }
        }
    }

    public func code(poolId: String, userSub: UUID, purpose: VerificationCode.Purpose) async throws -> VerificationCode? {
        try await run("verification code") {
            guard let row = try await Self.codeQuery(poolId, userSub, purpose, on: database).first() else { return nil }
            return VerificationCode(
                poolId: row.poolId, userSub: row.userSub, purpose: purpose, codeHash: row.codeHash, expiresAt: row.expiresAt,
                failedAttempts: row.failedAttempts, sentInWindow: row.sentInWindow, windowStart: row.windowStart,
                createdAt: row.createdAt, pendingValue: row.pendingValue)
        }
    }

    public func recordFailedAttempt(poolId: String, userSub: UUID, purpose: VerificationCode.Purpose) async throws -> Int {
        try await run("verification code") {
            // One UPDATE adds to the count, so racing guesses are all counted.
            try await sql.raw("""
                UPDATE \(ident: VerificationCodeRow.schema) SET failed_attempts = failed_attempts + 1
                WHERE pool_id = \(bind: poolId) AND user_sub = \(bind: userSub) AND purpose = \(bind: purpose.rawValue)
                """).run()
            return try await Self.codeQuery(poolId, userSub, purpose, on: database).first()?.failedAttempts ?? 0
        }
    }

    public func deleteCode(poolId: String, userSub: UUID, purpose: VerificationCode.Purpose) async throws {
        try await run("verification code") {
            try await Self.codeQuery(poolId, userSub, purpose, on: database).delete()
        }
    }

    static func codeQuery(_ poolId: String, _ userSub: UUID, _ purpose: VerificationCode.Purpose, on db: any Database)
        -> QueryBuilder<VerificationCodeRow>
    {
        VerificationCodeRow.query(on: db).filter(\.$poolId == poolId).filter(\.$userSub == userSub)
            .filter(\.$purpose == purpose.rawValue)
    }
}
