import CognateModel
import FluentKit
import Foundation
import SQLKit

/// The reads every token request or API call makes (refresh token, user, groups, revocations,
/// the admin key), written as plain SQL. Fluent decodes each model row by reflection (Mirror),
/// which cost more than the query itself in the refresh grant's profile; the rows here are
/// decoded column by column. Values are bound and decoded by the same driver coders Fluent
/// uses, so both read one format. On a SQLite file they skip the driver (`SQLiteDirectReads`);
/// on PostgreSQL they are prepared once per connection (`PreparedRead`).
extension FluentStore {
    /// Both drivers are SQL databases.
    var sql: any SQLDatabase { database as! any SQLDatabase }

    /// The rows of a read outside any transaction: straight from the file when the store is a
    /// SQLite file, else through the driver.
    func rows(_ query: SQLQueryString) async throws -> [any SQLRow] {
        if let direct { return try await direct.rows(query, dialect: sql) }
        return try await sql.raw(query).all()
    }

    static let userColumns = """
        u.id AS u_id, u.pool_id AS u_pool_id, u.username AS u_username, u.status AS u_status, u.enabled AS u_enabled,
        u.attributes AS u_attributes, u.password_hash AS u_password_hash,
        u.temporary_password_expires_at AS u_temporary_password_expires_at, u.srp_verifier AS u_srp_verifier, u.mfa AS u_mfa,
        u.created_at AS u_created_at, u.updated_at AS u_updated_at
        """

    func userBySub(poolId: String, sub: UUID) async throws -> User? {
        try await run("user") {
            guard let row = try await rows(UserBySubRead(sub: sub, poolId: poolId)).first
            else { return nil }
            return try Self.user(row)
        }
    }

    /// A user by one of their identifiers (user name, alias or sub key): sign-in and most API calls start here.
    func userByIdentifier(poolId: String, key: String) async throws -> User? {
        try await run("user") {
            guard let row = try await rows(UserByIdentifierRead(poolId: poolId, key: key)).first
            else { return nil }
            return try Self.user(row)
        }
    }

    /// The admin key that signs a Cognito API request.
    func adminCredentialById(_ accessKeyId: String) async throws -> AdminCredential? {
        try await run("admin credential") {
            guard let row = try await rows(AdminCredentialRead(accessKeyId: accessKeyId)).first
            else { return nil }
            return AdminCredential(accessKeyId: try row.decode(column: "id", as: String.self),
                                   sealedSecret: try row.decode(column: "sealed_secret", as: Data.self),
                                   createdAt: try row.decode(column: "created_at", as: Date.self))
        }
    }

    /// A user from the `u_`-prefixed columns of `userColumns`.
    static func user(_ row: any SQLRow) throws -> User {
        guard let status = UserStatus(rawValue: try row.decode(column: "u_status", as: String.self)) else {
            throw StoreError.unavailable("corrupt user record")
        }
        var user = User(
            poolId: try row.decode(column: "u_pool_id", as: String.self), sub: try row.decode(column: "u_id", as: UUID.self),
            username: try row.decode(column: "u_username", as: String.self), status: status,
            enabled: try row.decode(column: "u_enabled", as: Bool.self),
            attributes: try decode([String: String].self, try row.decode(column: "u_attributes", as: String.self)),
            passwordHash: try row.decode(column: "u_password_hash", as: String?.self),
            temporaryPasswordExpiresAt: try row.decode(column: "u_temporary_password_expires_at", as: Date?.self),
            createdAt: try row.decode(column: "u_created_at", as: Date.self),
            updatedAt: try row.decode(column: "u_updated_at", as: Date.self))
        user.srpVerifier = try row.decode(column: "u_srp_verifier", as: Data?.self)
        if let mfa = try row.decode(column: "u_mfa", as: String?.self) { user.mfa = try decode(UserMFA.self, mfa) }
        return user
    }

    /// The refresh grant's read: token, user and groups in one query (one row per group, or
    /// one row with no group), so a grant waits for the database once instead of three times.
    func refreshGrantRead(_ hash: String) async throws -> (token: RefreshToken, user: User, groups: [Group])? {
        try await run("refresh token") {
            let found = try await rows(RefreshGrantRead(hash: hash))
            guard let first = found.first else { return nil }
            let token = try Self.refreshToken(first)
            let groups = try found.compactMap { row -> Group? in
                guard let name = try row.decode(column: "g_name", as: String?.self) else { return nil }
                return Group(
                    poolId: token.poolId, name: name, description: try row.decode(column: "g_description", as: String?.self),
                    precedence: try row.decode(column: "g_precedence", as: Int?.self),
                    roleArn: try row.decode(column: "g_role_arn", as: String?.self),
                    createdAt: try row.decode(column: "g_created_at", as: Date.self),
                    updatedAt: try row.decode(column: "g_updated_at", as: Date.self))
            }
            return (token, try Self.user(first), groups.sorted { $0.name < $1.name })
        }
    }

    static func refreshGrantQuery(_ hash: String) -> SQLQueryString {
        RefreshGrantRead(hash: hash).query
    }

    func refreshTokenByHash(_ hash: String) async throws -> RefreshToken? {
        try await run("refresh token") {
            guard let row = try await rows(RefreshTokenRead(hash: hash)).first
            else { return nil }
            return try Self.refreshToken(row)
        }
    }

    static func refreshToken(_ row: any SQLRow) throws -> RefreshToken {
        RefreshToken(
            tokenHash: try row.decode(column: "token_hash", as: String.self),
            familyId: try row.decode(column: "family_id", as: UUID.self),
            poolId: try row.decode(column: "pool_id", as: String.self),
            clientId: try row.decode(column: "client_id", as: String.self),
            userSub: try row.decode(column: "user_sub", as: UUID.self),
            scopes: try decode([String].self, try row.decode(column: "scopes", as: String.self)),
            authTime: try row.decode(column: "auth_time", as: Date.self),
            createdAt: try row.decode(column: "created_at", as: Date.self),
            expiresAt: try row.decode(column: "expires_at", as: Date.self),
            rotatedAt: try row.decode(column: "rotated_at", as: Date?.self),
            revokedAt: try row.decode(column: "revoked_at", as: Date?.self),
            deviceKey: try row.decode(column: "device_key", as: String?.self))
    }

    /// The user's groups in one join, by name.
    func groupsOfUser(poolId: String, userSub: UUID) async throws -> [Group] {
        try await run("group") {
            try await rows("""
                SELECT g.pool_id, g.name, g.description, g.precedence, g.role_arn, g.created_at, g.updated_at
                FROM \(ident: GroupRow.schema) g JOIN \(ident: GroupMemberRow.schema) m ON m.group_id = g.id
                WHERE m.user_id = \(bind: userSub) AND g.pool_id = \(bind: poolId) ORDER BY g.name
                """).map { row in
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
            return try await !rows("SELECT 1 AS hit FROM \(ident: RevocationRow.schema) WHERE jti IN (\(list))").isEmpty
        }
    }
}
