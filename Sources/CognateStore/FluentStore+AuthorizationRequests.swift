import CognateModel
import FluentKit
import Foundation
import SQLKit

extension FluentStore: AuthorizationRequestStore {
    /// Every hosted sign-in writes one: a plain INSERT (Fluent's model write costs more than the statement).
    public func createAuthorization(_ pending: PendingAuthorization) async throws {
        try await run("authorization request") {
            try await sql.raw("""
                INSERT INTO \(ident: AuthorizationRequestRow.schema)
                    (id, pool_id, browser_hash, request, step, user_sub, created_at, expires_at, finished_at)
                VALUES (\(bind: pending.idHash), \(bind: pending.poolId), \(bind: pending.browserHash), \(bind: pending.request), \
                    \(bind: pending.step.rawValue), \(bind: pending.userSub), \(bind: pending.createdAt), \(bind: pending.expiresAt), \
                    \(bind: pending.finishedAt))
                """).run()
        }
    }

    /// Read on every page of a sign-in: plain SQL, straight from the file on SQLite (see HotReads).
    public func authorization(idHash: String) async throws -> PendingAuthorization? {
        try await run("authorization request") {
            guard let row = try await rows("""
                SELECT id, pool_id, browser_hash, request, step, user_sub, created_at, expires_at, finished_at
                FROM \(ident: AuthorizationRequestRow.schema) WHERE id = \(bind: idHash)
                """).first
            else { return nil }
            guard let step = PendingAuthorization.Step(rawValue: try row.decode(column: "step", as: String.self)) else {
                throw StoreError.unavailable("corrupt authorization request record")
            }
            return PendingAuthorization(
                idHash: try row.decode(column: "id", as: String.self), poolId: try row.decode(column: "pool_id", as: String.self),
                browserHash: try row.decode(column: "browser_hash", as: String.self), request: try row.decode(column: "request", as: String.self),
                step: step, userSub: try row.decode(column: "user_sub", as: UUID?.self),
                createdAt: try row.decode(column: "created_at", as: Date.self), expiresAt: try row.decode(column: "expires_at", as: Date.self),
                finishedAt: try row.decode(column: "finished_at", as: Date?.self))
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
                try await sql.raw(Self.insertSession(session)).run()
                if let code { try await sql.raw(try Self.insertCode(code)).run() }
                return true
            }
        }
    }

    static func insertSession(_ session: SignInSession) -> SQLQueryString {
        """
        INSERT INTO \(ident: SessionRow.schema) (id, id_hash, pool_id, user_sub, auth_time, expires_at, revoked_at, federation)
        VALUES (\(bind: UUID()), \(bind: session.idHash), \(bind: session.poolId), \(bind: session.userSub), \(bind: session.authTime), \
            \(bind: session.expiresAt), \(bind: session.revokedAt), \(bind: federationText(session.federation)))
        """
    }

    static func insertCode(_ code: AuthorizationCode) throws -> SQLQueryString {
        var stored = code
        stored.consumedAt = nil
        return """
            INSERT INTO \(ident: AuthorizationCodeRow.schema) (id, code_hash, pool_id, document, expires_at)
            VALUES (\(bind: UUID()), \(bind: code.codeHash), \(bind: code.poolId), \(bind: try encode(stored)), \(bind: code.expiresAt))
            """
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
