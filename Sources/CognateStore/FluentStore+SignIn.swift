import CognateModel
import FluentKit
import SQLKit
import Foundation

extension FluentStore: AuthorizationCodeStore {
    public func createCode(_ code: AuthorizationCode) async throws {
        try await run("authorization code") {
            try await Self.codeRow(code).create(on: database)
        }
    }

    static func codeRow(_ code: AuthorizationCode) throws -> AuthorizationCodeRow {
        let row = AuthorizationCodeRow()
        row.codeHash = code.codeHash
        row.poolId = code.poolId
        var stored = code
        stored.consumedAt = nil
        row.document = try Self.encode(stored)
        row.expiresAt = code.expiresAt
        return row
    }

    /// A code with its use, in one read of their columns (a code exchange reads it, then burns it).
    public func code(hash: String) async throws -> AuthorizationCode? {
        try await run("authorization code") { try await codeRead(hash) }
    }

    func codeRead(_ hash: String) async throws -> AuthorizationCode? {
        guard let row = try await rows("""
            SELECT c.document, u.used_at FROM \(ident: AuthorizationCodeRow.schema) c
            LEFT JOIN \(ident: CodeUseRow.schema) u ON u.code_hash = c.code_hash
            WHERE c.code_hash = \(bind: hash)
            """).first
        else { return nil }
        var code = try Self.decode(AuthorizationCode.self, try row.decode(column: "document", as: String.self))
        code.consumedAt = try row.decode(column: "used_at", as: Date?.self)
        return code
    }

    /// Burns a code: its use is inserted unless one is there (the unique `code_hash` decides a
    /// race: one insert wins, the others do nothing), then the code is read with the use that won.
    public func consumeCode(hash: String, at date: Date) async throws -> (code: AuthorizationCode, firstUse: Bool)? {
        try await run("authorization code") { () async throws -> (code: AuthorizationCode, firstUse: Bool)? in
            // (the SELECT's WHERE lets SQLite tell the upsert's ON from a join's)
            let inserted = try await sql.raw("""
                INSERT INTO \(ident: CodeUseRow.schema) (id, code_hash, used_at)
                SELECT \(bind: UUID()), code_hash, \(bind: date) FROM \(ident: AuthorizationCodeRow.schema) WHERE code_hash = \(bind: hash)
                ON CONFLICT (code_hash) DO NOTHING RETURNING id
                """).all()
            guard var code = try await codeRead(hash) else { return nil }
            let firstUse = !inserted.isEmpty
            if firstUse || code.consumedAt == nil { code.consumedAt = date }
            return (code, firstUse)
        }
    }
}

extension FluentStore: SessionStore {
    public func createSession(_ session: SignInSession) async throws {
        try await run("session") {
            try await Self.sessionRow(session).create(on: database)
        }
    }

    static func sessionRow(_ session: SignInSession) -> SessionRow {
        let row = SessionRow()
        row.idHash = session.idHash
        row.poolId = session.poolId
        row.userSub = session.userSub
        row.authTime = session.authTime
        row.expiresAt = session.expiresAt
        row.revokedAt = session.revokedAt
        row.federation = Self.federationText(session.federation)
        return row
    }

    public func session(idHash: String) async throws -> SignInSession? {
        try await run("session") {
            try await SessionRow.query(on: database).filter(\.$idHash == idHash).first().map { row in
                SignInSession(
                    idHash: row.idHash, poolId: row.poolId, userSub: row.userSub, authTime: row.authTime,
                    expiresAt: row.expiresAt, revokedAt: row.revokedAt,
                    federation: row.federation.flatMap { try? JSONDecoder().decode(FederatedSession.self, from: Data($0.utf8)) })
            }
        }
    }

    static func federationText(_ federation: FederatedSession?) -> String? {
        federation.flatMap { try? JSONEncoder().encode($0) }.map { String(decoding: $0, as: UTF8.self) }
    }

    public func liveSessions(poolId: String, userSub: UUID, at date: Date) async throws -> [SignInSession] {
        try await run("sessions") {
            try await SessionRow.query(on: database).filter(\.$poolId == poolId).filter(\.$userSub == userSub).filter(\.$revokedAt == nil)
                .filter(\.$expiresAt > date).sort(\.$authTime).all().map { row in
                    SignInSession(idHash: row.idHash, poolId: row.poolId, userSub: row.userSub, authTime: row.authTime, expiresAt: row.expiresAt,
                                  revokedAt: row.revokedAt,
                                  federation: row.federation.flatMap { try? JSONDecoder().decode(FederatedSession.self, from: Data($0.utf8)) })
                }
        }
    }

    public func liveRefreshTokens(poolId: String, userSub: UUID, at date: Date) async throws -> [RefreshToken] {
        try await run("refresh tokens") {
            try await RefreshTokenRow.query(on: database).filter(\.$poolId == poolId).filter(\.$userSub == userSub).filter(\.$revokedAt == nil)
                .filter(\.$rotatedAt == nil).filter(\.$expiresAt > date).sort(\.$createdAt).all().map(Self.refreshToken)
        }
    }

    public func revokeSession(idHash: String, at date: Date) async throws {
        try await run("session") {
            try await SessionRow.query(on: database).filter(\.$idHash == idHash).filter(\.$revokedAt == nil)
                .set(\.$revokedAt, to: date).update()
        }
    }

    public func revokeSessions(poolId: String, userSub: UUID, at date: Date) async throws {
        try await run("session") {
            try await SessionRow.query(on: database).filter(\.$poolId == poolId).filter(\.$userSub == userSub)
                .filter(\.$revokedAt == nil).set(\.$revokedAt, to: date).update()
        }
    }
}

extension FluentStore: RefreshTokenStore {
    public func createRefreshToken(_ token: RefreshToken) async throws {
        try await run("refresh token") { try await Self.refreshRow(token).create(on: database) }
    }

    public func refreshToken(hash: String) async throws -> RefreshToken? {
        try await refreshTokenByHash(hash)
    }

    public func refreshTokenWithUser(hash: String) async throws -> (token: RefreshToken, user: User, groups: [Group])? {
        try await refreshGrantRead(hash)
    }

    public func rotateRefreshToken(oldHash: String, to new: RefreshToken, at date: Date) async throws -> Bool {
        do {
            return try await run("refresh token") {
                try await poolTransaction(new.poolId) { db in
                    guard let old = try await RefreshTokenRow.query(on: db).filter(\.$tokenHash == oldHash).first(),
                        old.revokedAt == nil, old.rotatedAt == nil
                    else { return false }
                    // The unique index on the rotation's token hash lets one racing rotation through.
                    let claim = RefreshRotationRow()
                    claim.tokenHash = oldHash
                    claim.rotatedAt = date
                    try await claim.create(on: db)
                    old.rotatedAt = date
                    try await old.update(on: db)
                    try await Self.refreshRow(new).create(on: db)
                    return true
                }
            }
        } catch StoreError.duplicate("refresh token") {
            return false
        }
    }

    public func revokeRefreshTokenFamily(_ familyId: UUID, at date: Date) async throws {
        try await run("refresh token") {
            try await RefreshTokenRow.query(on: database).filter(\.$familyId == familyId).filter(\.$revokedAt == nil)
                .set(\.$revokedAt, to: date).update()
        }
    }

    public func revokeRefreshTokens(poolId: String, userSub: UUID, at date: Date, except: UUID?) async throws -> Set<UUID> {
        try await run("refresh token") {
            func live() -> QueryBuilder<RefreshTokenRow> {
                let query = RefreshTokenRow.query(on: database).filter(\.$poolId == poolId).filter(\.$userSub == userSub).filter(\.$revokedAt == nil)
                return except.map { query.filter(\.$familyId != $0) } ?? query
            }
            let families = Set(try await live().all().map(\.familyId))
            try await live().set(\.$revokedAt, to: date).update()
            return families
        }
    }

    static func refreshRow(_ token: RefreshToken) throws -> RefreshTokenRow {
        let row = RefreshTokenRow()
        row.tokenHash = token.tokenHash
        row.familyId = token.familyId
        row.poolId = token.poolId
        row.clientId = token.clientId
        row.userSub = token.userSub
        row.scopes = try encode(token.scopes)
        row.authTime = token.authTime
        row.createdAt = token.createdAt
        row.expiresAt = token.expiresAt
        row.rotatedAt = token.rotatedAt
        row.revokedAt = token.revokedAt
        row.deviceKey = token.deviceKey
        return row
    }

    static func refreshToken(_ row: RefreshTokenRow) throws -> RefreshToken {
        RefreshToken(
            tokenHash: row.tokenHash, familyId: row.familyId, poolId: row.poolId, clientId: row.clientId,
            userSub: row.userSub, scopes: try decode([String].self, row.scopes), authTime: row.authTime,
            createdAt: row.createdAt, expiresAt: row.expiresAt, rotatedAt: row.rotatedAt, revokedAt: row.revokedAt,
            deviceKey: row.deviceKey)
    }
}

extension FluentStore: RevocationStore {
    public func revoke(_ revocation: TokenRevocation) async throws {
        try await run("revocation") {
            guard try await RevocationRow.query(on: database).filter(\.$jti == revocation.jti).first() == nil else { return }
            let row = RevocationRow()
            row.jti = revocation.jti
            row.poolId = revocation.poolId
            row.expiresAt = revocation.expiresAt
            do {
                try await row.create(on: database)
            } catch where Self.isUniqueViolation(error) {
                return  // revoked by a racing call
            }
        }
    }

    public func isRevoked(anyOf jtis: [String]) async throws -> Bool {
        try await anyRevoked(jtis)
    }
}

extension FluentStore: AdminCredentialStore {
    public func adminCredential(accessKeyId: String) async throws -> AdminCredential? {
        try await adminCredentialById(accessKeyId)
    }

    public func adminCredentials() async throws -> [AdminCredential] {
        try await run("admin credential") {
            try await AdminCredentialRow.query(on: database).sort(\.$createdAt).all().map(Self.adminCredential)
        }
    }

    public func saveAdminCredential(_ credential: AdminCredential) async throws {
        try await run("admin credential") {
            let row = try await AdminCredentialRow.find(credential.accessKeyId, on: database) ?? AdminCredentialRow()
            row.id = credential.accessKeyId
            row.sealedSecret = credential.sealedSecret
            row.createdAt = credential.createdAt
            try await row.save(on: database)
        }
    }

    public func deleteAdminCredential(accessKeyId: String) async throws -> Bool {
        try await run("admin credential") {
            guard let row = try await AdminCredentialRow.find(accessKeyId, on: database) else { return false }
            try await row.delete(on: database)
            return true
        }
    }

    static func adminCredential(_ row: AdminCredentialRow) -> AdminCredential {
        AdminCredential(accessKeyId: row.id ?? "", sealedSecret: row.sealedSecret, createdAt: row.createdAt)
    }
}

extension FluentStore: SettingStore {
    public func setting(_ name: String) async throws -> String? {
        try await run("setting") { try await SettingRow.find(name, on: database)?.value }
    }

    public func setSettingIfAbsent(_ name: String, value: String) async throws -> String {
        try await run("setting") {
            if let existing = try await SettingRow.find(name, on: database) { return existing.value }
            let row = SettingRow()
            row.id = name
            row.value = value
            do {
                try await row.create(on: database)
                return value
            } catch where Self.isUniqueViolation(error) {
                return try await SettingRow.find(name, on: database)?.value ?? value
            }
        }
    }

    public func replaceSetting(_ name: String, expected: String?, value: String) async throws -> Bool {
        try await run("setting") {
            guard let expected else { return try await setSettingIfAbsent(name, value: value) == value }
            // compare-and-set in one statement: of two writers, one finds its expected value gone
            let changed = try await sql.update(SettingRow.schema).set(SQLIdentifier("value"), to: SQLBind(value))
                .where(SQLIdentifier("id"), .equal, SQLBind(name)).where(SQLIdentifier("value"), .equal, SQLBind(expected))
                .returning(SQLIdentifier("id")).all()
            return !changed.isEmpty
        }
    }
}
