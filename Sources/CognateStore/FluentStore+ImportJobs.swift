import CognateModel
import FluentKit
import Foundation
import SQLKit

extension FluentStore: UserImportJobStore {
    public func createImportJob(_ job: UserImportJob) async throws {
        try await run("import job") {
            guard try await PoolRow.find(job.poolId, on: database) != nil else { throw StoreError.notFound("user pool \(job.poolId)") }
            let row = UserImportJobRow()
            row.id = job.id
            try Self.fill(row, with: job)
            try await row.create(on: database)
        }
    }

    public func importJob(poolId: String, id: String) async throws -> UserImportJob? {
        try await run("import job") {
            guard let row = try await UserImportJobRow.find(id, on: database), row.poolId == poolId else { return nil }
            return try Self.importJob(row)
        }
    }

    public func listImportJobs(poolId: String, limit: Int, after cursor: String?) async throws -> ListPage<UserImportJob> {
        try await run("import job") {
            // ids begin with their creation time: newest first is by id, descending
            let query = UserImportJobRow.query(on: database).filter(\.$poolId == poolId).sort(\.$id, .descending).limit(limit + 1)
            if let key = Self.key(fromCursor: cursor) { query.filter(\.$id < key) }
            return try Self.page(try await query.all(), limit: limit, key: { $0.id ?? "" }, map: Self.importJob)
        }
    }

    public func updateImportJob(poolId: String, id: String, _ change: @escaping @Sendable (inout UserImportJob) throws -> Void) async throws
        -> UserImportJob
    {
        try await run("import job") {
            try await database.transaction { db in
                // the no-op write first: it takes the row's (PostgreSQL) or the file's (SQLite) write lock before the read
                if let sql = db as? any SQLDatabase {
                    try await sql.update(UserImportJobRow.schema).set(SQLIdentifier("status"), to: SQLIdentifier("status"))
                        .where(SQLIdentifier("id"), .equal, SQLBind(id)).run()
                }
                guard let row = try await UserImportJobRow.find(id, on: db), row.poolId == poolId else {
                    throw StoreError.notFound("import job \(id)")
                }
                var job = try Self.importJob(row)
                do { try change(&job) } catch { throw ValidationFailure(underlying: error) }
                job.poolId = poolId
                job.id = id
                try Self.fill(row, with: job)
                try await row.update(on: db)
                return job
            }
        }
    }

    public func saveImportFile(poolId: String, id: String, data: Data) async throws -> Bool {
        try await run("import job") {
            try await database.transaction { db in
                if let sql = db as? any SQLDatabase {
                    try await sql.update(UserImportJobRow.schema).set(SQLIdentifier("status"), to: SQLIdentifier("status"))
                        .where(SQLIdentifier("id"), .equal, SQLBind(id)).run()
                }
                guard let row = try await UserImportJobRow.find(id, on: db), row.poolId == poolId else { return false }
                var job = try Self.importJob(row)
                guard job.status == .created else { return false }
                try await UserImportFileRow.query(on: db).filter(\.$id == id).delete()
                let file = UserImportFileRow()
                file.id = id
                file.poolId = poolId
                file.data = data
                try await file.create(on: db)
                job.fileSize = data.count
                try Self.fill(row, with: job)
                try await row.update(on: db)
                return true
            }
        }
    }

    public func importFile(poolId: String, id: String) async throws -> Data? {
        try await run("import job") {
            guard let row = try await UserImportFileRow.find(id, on: database), row.poolId == poolId else { return nil }
            return row.data
        }
    }

    public func deleteImportFile(poolId: String, id: String) async throws {
        try await run("import job") {
            try await UserImportFileRow.query(on: database).filter(\.$id == id).filter(\.$poolId == poolId).delete()
        }
    }

    public func claimImportJob(holder: UUID, at date: Date, until: Date) async throws -> UserImportJob? {
        try await run("import job") {
            let runnable = UserImportJob.Status.allCases.filter(\.isRunnable).map(\.rawValue)
            let candidates = try await UserImportJobRow.query(on: database).filter(\.$status ~~ runnable).sort(\.$id).all()
            for candidate in candidates where candidate.heldUntil.map({ $0 < date }) ?? true {
                guard let id = candidate.id else { continue }
                // a conditional update: of two nodes racing for the job, the second finds it held and leaves it
                let taken = try await database.transaction { db -> UserImportJob? in
                    guard let sql = db as? any SQLDatabase else { return nil }
                    let rows = try await sql.raw("""
                        UPDATE \(ident: UserImportJobRow.schema) SET held_until = \(bind: until)
                        WHERE id = \(bind: id) AND status IN (\(binds: runnable))
                        AND (held_until IS NULL OR held_until < \(bind: date)) RETURNING id
                        """).all()
                    guard !rows.isEmpty, let row = try await UserImportJobRow.find(id, on: db) else { return nil }
                    var job = try Self.importJob(row)
                    job.holder = holder
                    job.heldUntil = until
                    try Self.fill(row, with: job)
                    try await row.update(on: db)
                    return job
                }
                if let taken { return taken }
            }
            return nil
        }
    }

    static func fill(_ row: UserImportJobRow, with job: UserImportJob) throws {
        row.poolId = job.poolId
        row.status = job.status.rawValue
        row.heldUntil = job.heldUntil
        row.document = try encode(job)
    }

    static func importJob(_ row: UserImportJobRow) throws -> UserImportJob {
        try decode(UserImportJob.self, row.document)
    }
}
