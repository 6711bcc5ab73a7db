import CognateModel
import FluentKit
import Foundation
import SQLKit

final class WebAuthnCredentialRow: Model, @unchecked Sendable {
    static let schema = "webauthn_credentials"
    @ID(custom: "id", generatedBy: .user) var id: String?
    @Field(key: "pool_id") var poolId: String
    @Field(key: "user_sub") var userSub: UUID
    @Field(key: "sign_count") var signCount: Int64
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "document") var document: String
    init() {}

    /// The row's id: the pool's and the credential's.
    static func key(poolId: String, id: String) -> String { poolId + "/" + id }
}

extension FluentStore: WebAuthnCredentialStore {
    @discardableResult
    public func createWebAuthnCredential(_ credential: WebAuthnCredential, limit: Int?) async throws -> Bool {
        try await run("passkey") {
            // the pool's write lock first: two registrations at once cannot both count 19
            try await poolTransaction(credential.poolId) { db in
                guard let user = try await UserRow.find(credential.userSub, on: db), user.poolId == credential.poolId else {
                    throw StoreError.notFound("user \(credential.userSub)")
                }
                if let limit, try await WebAuthnCredentialRow.query(on: db).filter(\.$poolId == credential.poolId)
                    .filter(\.$userSub == credential.userSub).count() >= limit
                {
                    return false
                }
                let row = WebAuthnCredentialRow()
                row.id = WebAuthnCredentialRow.key(poolId: credential.poolId, id: credential.id)
                try Self.fill(row, with: credential)
                do {
                    try await row.create(on: db)
                } catch where Self.isUniqueViolation(error) {
                    throw StoreError.duplicate("passkey")
                }
                return true
            }
        }
    }

    public func webAuthnCredential(poolId: String, id: String) async throws -> WebAuthnCredential? {
        try await run("passkey") {
            try await WebAuthnCredentialRow.find(WebAuthnCredentialRow.key(poolId: poolId, id: id), on: database).map(Self.credential)
        }
    }

    public func webAuthnCredentials(poolId: String, userSub: UUID?, limit: Int, after cursor: String?) async throws -> ListPage<WebAuthnCredential> {
        try await run("passkeys") {
            let query = WebAuthnCredentialRow.query(on: database).filter(\.$poolId == poolId).sort(\.$id).limit(limit + 1)
            if let userSub { query.filter(\.$userSub == userSub) }
            if let key = Self.key(fromCursor: cursor) { query.filter(\.$id > key) }
            return try Self.page(try await query.all(), limit: limit, key: { $0.id ?? "" }, map: Self.credential)
        }
    }

    public func recordWebAuthnUse(poolId: String, id: String, expected: UInt32, signCount: UInt32, at date: Date) async throws -> Bool {
        try await run("passkey") {
            try await database.transaction { db in
                let key = WebAuthnCredentialRow.key(poolId: poolId, id: id)
                // the counter is compared and moved in one statement, so of two uses with one value one records
                guard let sql = db as? any SQLDatabase else { return false }
                let moved = try await sql.update(WebAuthnCredentialRow.schema).set(SQLIdentifier("sign_count"), to: SQLBind(Int64(signCount)))
                    .where(SQLIdentifier("id"), .equal, SQLBind(key)).where(SQLIdentifier("sign_count"), .equal, SQLBind(Int64(expected)))
                    .returning(SQLIdentifier("id")).all()
                guard !moved.isEmpty, let row = try await WebAuthnCredentialRow.find(key, on: db) else { return false }
                var credential = try Self.credential(row)
                credential.signCount = signCount
                credential.lastUsedAt = date
                try Self.fill(row, with: credential)
                try await row.update(on: db)
                return true
            }
        }
    }

    public func deleteWebAuthnCredential(poolId: String, userSub: UUID, id: String) async throws {
        try await run("passkey") {
            let key = WebAuthnCredentialRow.key(poolId: poolId, id: id)
            guard let row = try await WebAuthnCredentialRow.find(key, on: database), row.userSub == userSub else { throw StoreError.notFound("passkey \(id)") }
            guard try await Self.deleteReturning(WebAuthnCredentialRow.schema, id: key, on: database) else { throw StoreError.notFound("passkey \(id)") }
        }
    }

    /// Deletes a row by id in one statement that says whether it did: of two deletions at once, one did.
    static func deleteReturning(_ table: String, id: String, on database: any Database) async throws -> Bool {
        guard let sql = database as? any SQLDatabase else { throw StoreError.unavailable("not an SQL database") }
        return try await !sql.delete(from: table).where(SQLIdentifier("id"), .equal, SQLBind(id)).returning(SQLIdentifier("id")).all().isEmpty
    }

    static func fill(_ row: WebAuthnCredentialRow, with credential: WebAuthnCredential) throws {
        row.poolId = credential.poolId
        row.userSub = credential.userSub
        row.signCount = Int64(credential.signCount)
        row.createdAt = credential.createdAt
        row.document = try encode(credential)
    }

    static func credential(_ row: WebAuthnCredentialRow) throws -> WebAuthnCredential {
        var credential = try decode(WebAuthnCredential.self, row.document)
        credential.signCount = UInt32(clamping: row.signCount)
        return credential
    }
}
