import CognateModel
import FluentKit
import Foundation
import SQLKit

extension FluentStore: AuthorizationRequestStore {
    public func createAuthorization(_ pending: PendingAuthorization) async throws {
        try await run("authorization request") {
            let row = AuthorizationRequestRow()
            row.id = pending.idHash
            row.poolId = pending.poolId
            row.browserHash = pending.browserHash
            row.request = pending.request
            row.step = pending.step.rawValue
            row.userSub = pending.userSub
            row.createdAt = pending.createdAt
            row.expiresAt = pending.expiresAt
            row.finishedAt = pending.finishedAt
            try await row.create(on: database)
        }
    }

    public func authorization(idHash: String) async throws -> PendingAuthorization? {
        try await run("authorization request") {
            guard let row = try await AuthorizationRequestRow.find(idHash, on: database) else { return nil }
            guard let id = row.id, let step = PendingAuthorization.Step(rawValue: row.step) else {
                throw StoreError.unavailable("corrupt authorization request record")
            }
            return PendingAuthorization(idHash: id, poolId: row.poolId, browserHash: row.browserHash, request: row.request,
                                        step: step, userSub: row.userSub, createdAt: row.createdAt, expiresAt: row.expiresAt,
                                        finishedAt: row.finishedAt)
        }
    }

    public func advanceAuthorization(idHash: String, to step: PendingAuthorization.Step, userSub: UUID?, at date: Date) async throws -> Bool {
        try await run("authorization request") {
            // one conditional UPDATE: a finished or expired request never moves again
            let rows = try await sql.raw("""
                UPDATE \(ident: AuthorizationRequestRow.schema) SET step = \(bind: step.rawValue),
                    user_sub = \(userSub.map { SQLQueryString("\(bind: $0)") } ?? "user_sub")
                WHERE id = \(bind: idHash) AND finished_at IS NULL AND expires_at > \(bind: date) RETURNING id
                """).all()
            return !rows.isEmpty
        }
    }

    public func finishAuthorization(idHash: String, at date: Date, session: SignInSession, code: AuthorizationCode?) async throws -> Bool {
        try await run("authorization request") {
            // one transaction, one commit: the finish, the session and the code stand or fall together
            try await database.transaction { db in
                let sql = db as! any SQLDatabase
                let finished = try await sql.raw(Self.finishQuery(idHash: idHash, at: date)).all()
                guard !finished.isEmpty else { return false }
                try await Self.sessionRow(session).create(on: db)
                if let code { try await Self.codeRow(code).create(on: db) }
                return true
            }
        }
    }

    /// The condition and the mark in one statement: of racing finishers exactly one sees the row
    /// unfinished (PostgreSQL re-reads a row it waited for; SQLite has one writer).
    static func finishQuery(idHash: String, at date: Date) -> SQLQueryString {
        """
        UPDATE \(ident: AuthorizationRequestRow.schema) SET finished_at = \(bind: date), step = \(bind: PendingAuthorization.Step.finished.rawValue)
        WHERE id = \(bind: idHash) AND finished_at IS NULL AND expires_at > \(bind: date) RETURNING id
        """
    }
}
