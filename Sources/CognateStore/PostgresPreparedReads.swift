import FluentPostgresDriver
import Foundation
import SQLKit

/// A hot read that PostgreSQL keeps prepared on each connection: parsed and planned once per
/// connection instead of at every call. Under a load of refresh grants, planning the grant's
/// four-table read took more of the machine than executing it (perf: 8.8% planning, 2.8%
/// parsing, 1.1% executing). Its SQL is written once, with `$1`, `$2`… where its values go;
/// SQLite (and PostgreSQL outside the prepared path) gets the same text with the values bound
/// in their places (`query`). Rows are decoded as the driver's others are.
/// (A pooler in front of PostgreSQL must pass named prepared statements through: PgBouncer in
/// transaction mode needs `max_prepared_statements`.)
protocol PreparedRead: PostgresPreparedStatement where Row == PostgresRow {
    /// The values for `$1`, `$2`…, in order.
    var values: [any PostgresEncodable & Encodable & Sendable] { get }
}

extension PreparedRead {
    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings()
        for value in values { try bindings.append(value) }
        return bindings
    }

    /// `sql` with the values bound where `$1`, `$2`… stand.
    var query: SQLQueryString {
        var query = SQLQueryString("")
        var rest = Substring(Self.sql)
        while let dollar = rest.firstIndex(of: "$") {
            let digits = rest[rest.index(after: dollar)...].prefix(while: \.isNumber)
            guard let number = Int(digits), number >= 1, number <= values.count else {
                query.appendLiteral(String(rest[...dollar]))
                rest = rest[rest.index(after: dollar)...]
                continue
            }
            query.appendLiteral(String(rest[..<dollar]))
            query.appendInterpolation(bind: values[number - 1])
            rest = rest[digits.endIndex...]
        }
        query.appendLiteral(String(rest))
        return query
    }
}

/// The refresh grant's read: token, user and groups (`FluentStore.refreshGrantRead`).
struct RefreshGrantRead: PreparedRead {
    static let name = "cognate_refresh_grant"
    static let sql = """
        SELECT t.token_hash, t.family_id, t.pool_id, t.client_id, t.user_sub, t.scopes, t.auth_time, t.created_at, t.expires_at,
        t.rotated_at, t.revoked_at, t.device_key, \(FluentStore.userColumns),
        g.name AS g_name, g.description AS g_description, g.precedence AS g_precedence, g.role_arn AS g_role_arn,
        g.created_at AS g_created_at, g.updated_at AS g_updated_at
        FROM refresh_tokens t JOIN users u ON u.id = t.user_sub AND u.pool_id = t.pool_id
        LEFT JOIN "\(GroupMemberRow.schema)" m ON m.user_id = u.id
        LEFT JOIN "\(GroupRow.schema)" g ON g.id = m.group_id AND g.pool_id = t.pool_id
        WHERE t.token_hash = $1
        """
    var hash: String
    var values: [any PostgresEncodable & Encodable & Sendable] { [hash] }
}

/// A refresh token alone, by its hash.
struct RefreshTokenRead: PreparedRead {
    static let name = "cognate_refresh_token"
    static let sql = """
        SELECT token_hash, family_id, pool_id, client_id, user_sub, scopes, auth_time, created_at, expires_at,
        rotated_at, revoked_at, device_key FROM refresh_tokens WHERE token_hash = $1
        """
    var hash: String
    var values: [any PostgresEncodable & Encodable & Sendable] { [hash] }
}

/// A user by sub.
struct UserBySubRead: PreparedRead {
    static let name = "cognate_user_by_sub"
    static let sql = "SELECT \(FluentStore.userColumns) FROM users u WHERE u.id = $1 AND u.pool_id = $2"
    var sub: UUID
    var poolId: String
    var values: [any PostgresEncodable & Encodable & Sendable] { [sub, poolId] }
}

/// A user by one of their identifiers (user name, alias or sub key).
struct UserByIdentifierRead: PreparedRead {
    static let name = "cognate_user_by_identifier"
    static let sql = """
        SELECT \(FluentStore.userColumns) FROM "\(UserIdentifierRow.schema)" i JOIN users u ON u.id = i.user_id
        WHERE i.pool_id = $1 AND i.key = $2
        """
    var poolId: String
    var key: String
    var values: [any PostgresEncodable & Encodable & Sendable] { [poolId, key] }
}

/// The admin key that signs a Cognito API request.
struct AdminCredentialRead: PreparedRead {
    static let name = "cognate_admin_credential"
    static let sql = "SELECT id, sealed_secret, created_at FROM \"\(AdminCredentialRow.schema)\" WHERE id = $1"
    var accessKeyId: String
    var values: [any PostgresEncodable & Encodable & Sendable] { [accessKeyId] }
}

extension FluentStore {
    /// `read`'s rows: prepared on PostgreSQL, else as `rows` reads (straight from a SQLite file).
    func rows<Read: PreparedRead>(_ read: Read) async throws -> [any SQLRow] {
        guard let postgres = database as? any PostgresDatabase else { return try await rows(read.query) }
        let logger = postgres.logger
        let found = try await postgres.withConnection { connection in
            let promise = connection.eventLoop.makePromise(of: [PostgresRow].self)
            promise.completeWithTask {
                try await connection.execute(read, logger: logger).reduce(into: [PostgresRow]()) { $0.append($1) }
            }
            return promise.futureResult
        }.get()
        return found.map { $0.sql() }
    }
}
