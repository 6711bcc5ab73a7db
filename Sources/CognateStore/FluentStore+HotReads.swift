import CognateModel
import FluentKit
import Foundation
import SQLKit

/// The reads every token request makes (refresh token, user, groups, revocations), written as
/// plain SQL. Fluent decodes each model row by reflection (Mirror), which cost more than the
/// query itself in the refresh grant's profile; the rows here are decoded column by column.
/// Values are bound and decoded by the same driver coders Fluent uses, so both read one format.
extension FluentStore {
    /// Both drivers are SQL databases.
    var sql: any SQLDatabase { database as! any SQLDatabase }

    func userBySub(poolId: String, sub: UUID) async throws -> User? {
        try await run("user") {
            guard let row = try await sql.raw("""
                SELECT id, pool_id, username, status, enabled, attributes, password_hash, temporary_password_expires_at,
                srp_verifier, mfa, created_at, updated_at FROM users WHERE id = \(bind: sub) AND pool_id = \(bind: poolId)
                """).first()
            else { return nil }
            guard let status = UserStatus(rawValue: try row.decode(column: "status", as: String.self)) else {
                throw StoreError.unavailable("corrupt user record")
            }
            var user = User(
                poolId: try row.decode(column: "pool_id", as: String.self), sub: try row.decode(column: "id", as: UUID.self),
                username: try row.decode(column: "username", as: String.self), status: status,
                enabled: try row.decode(column: "enabled", as: Bool.self),
                attributes: try Self.decode([String: String].self, try row.decode(column: "attributes", as: String.self)),
                passwordHash: try row.decode(column: "password_hash", as: String?.self),
                temporaryPasswordExpiresAt: try row.decode(column: "temporary_password_expires_at", as: Date?.self),
                createdAt: try row.decode(column: "created_at", as: Date.self),
                updatedAt: try row.decode(column: "updated_at", as: Date.self))
            user.srpVerifier = try row.decode(column: "srp_verifier", as: Data?.self)
            if let mfa = try row.decode(column: "mfa", as: String?.self) { user.mfa = try Self.decode(UserMFA.self, mfa) }
            return user
        }
    }

    func refreshTokenByHash(_ hash: String) async throws -> RefreshToken? {
        try await run("refresh token") {
            guard let row = try await sql.raw("""
                SELECT token_hash, family_id, pool_id, client_id, user_sub, scopes, auth_time, created_at, expires_at,
                rotated_at, revoked_at FROM refresh_tokens WHERE token_hash = \(bind: hash)
                """).first()
            else { return nil }
            return RefreshToken(
                tokenHash: try row.decode(column: "token_hash", as: String.self),
                familyId: try row.decode(column: "family_id", as: UUID.self),
                poolId: try row.decode(column: "pool_id", as: String.self),
                clientId: try row.decode(column: "client_id", as: String.self),
                userSub: try row.decode(column: "user_sub", as: UUID.self),
                scopes: try Self.decode([String].self, try row.decode(column: "scopes", as: String.self)),
                authTime: try row.decode(column: "auth_time", as: Date.self),
                createdAt: try row.decode(column: "created_at", as: Date.self),
                expiresAt: try row.decode(column: "expires_at", as: Date.self),
                rotatedAt: try row.decode(column: "rotated_at", as: Date?.self),
                revokedAt: try row.decode(column: "revoked_at", as: Date?.self))
        }
    }

    /// The user's groups in one join, by name.
    func groupsOfUser(poolId: String, userSub: UUID) async throws -> [Group] {
        try await run("group") {
            try await sql.raw("""
                SELECT g.pool_id, g.name, g.description, g.precedence, g.role_arn, g.created_at, g.updated_at
                FROM \(ident: GroupRow.schema) g JOIN \(ident: GroupMemberRow.schema) m ON m.group_id = g.id
                WHERE m.user_id = \(bind: userSub) AND g.pool_id = \(bind: poolId) ORDER BY g.name
                """).all().map { row in
                Group(
                    poolId: try row.decode(column: "pool_id", as: String.self), name: try row.decode(column: "name", as: String.self),
                    description: try row.decode(column: "description", as: String?.self),
                    precedence: try row.decode(column: "precedence", as: Int?.self),
                    roleArn: try row.decode(column: "role_arn", as: String?.self),
                    createdAt: try row.decode(column: "created_at", as: Date.self),
                    updatedAt: try row.decode(column: "updated_at", as: Date.self))
            }
        }
    }

    /// Whether any of `jtis` is revoked, in one query.
    func anyRevoked(_ jtis: [String]) async throws -> Bool {
        guard !jtis.isEmpty else { return false }
        return try await run("revocation") {
            let list = SQLList(jtis.map { SQLBind($0) })
            return try await sql.raw("SELECT 1 AS hit FROM \(ident: RevocationRow.schema) WHERE jti IN (\(list))").first() != nil
        }
    }
}
