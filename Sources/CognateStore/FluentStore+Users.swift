import CognateModel
import FluentKit
import Foundation
import SQLKit

extension FluentStore: UserStore {
    public func createUser(_ user: User, identifiers: Set<UserIdentifier>) async throws {
        try await run("user name or alias") {
            try await poolTransaction(user.poolId) { db in
                guard try await PoolRow.find(user.poolId, on: db) != nil else { throw StoreError.notFound("user pool \(user.poolId)") }
                try await Self.checkFree(identifiers, poolId: user.poolId, except: nil, on: db)
                let row = UserRow()
                row.id = user.sub
                try Self.fill(row, with: user)
                try await row.create(on: db)
                try await Self.claim(identifiers, poolId: user.poolId, userId: user.sub, on: db)
            }
        }
    }

    public func createUsers(_ users: [(user: User, identifiers: Set<UserIdentifier>)]) async throws -> [StoreError?] {
        guard let poolId = users.first?.user.poolId else { return [] }
        precondition(users.allSatisfy { $0.user.poolId == poolId }, "one pool a batch")
        return try await run("user name or alias") {
            // the pool's lock is held for the batch, so the reads below are not raced by another
            // writer; a few statements for the whole batch, not a few for each user
            try await poolTransaction(poolId) { db in
                guard try await PoolRow.find(poolId, on: db) != nil else { throw StoreError.notFound("user pool \(poolId)") }
                let keys = Set(users.flatMap { $0.identifiers.map(\.key) })
                var taken = Set(try await UserIdentifierRow.query(on: db).filter(\.$poolId == poolId).filter(\.$key ~~ keys).all().map(\.key))
                let subs = Set(try await UserRow.query(on: db).filter(\.$id ~~ users.map(\.user.sub)).all().compactMap(\.id))
                var refusals: [StoreError?] = []
                var rows: [UserRow] = []
                var claims: [UserIdentifierRow] = []
                var seen = subs
                for (user, identifiers) in users {
                    if let held = identifiers.sorted(by: { $0.key < $1.key }).first(where: { taken.contains($0.key) }) {
                        refusals.append(.duplicate(held.kind == .username ? "user name" : "alias \(held.kind.rawValue)"))
                        continue
                    }
                    guard seen.insert(user.sub).inserted else {
                        refusals.append(.duplicate("user name or alias"))
                        continue
                    }
                    let row = UserRow()
                    row.id = user.sub
                    try Self.fill(row, with: user)
                    rows.append(row)
                    for identifier in identifiers {
                        taken.insert(identifier.key)
                        let claim = UserIdentifierRow()
                        claim.id = UUID()
                        claim.poolId = poolId
                        claim.userId = user.sub
                        claim.kind = identifier.kind.rawValue
                        claim.key = identifier.key
                        claims.append(claim)
                    }
                    refusals.append(nil)
                }
                // in slices, within the databases' limits on a statement's values
                for slice in stride(from: 0, to: rows.count, by: 500) { try await rows[slice..<min(slice + 500, rows.count)].create(on: db) }
                for slice in stride(from: 0, to: claims.count, by: 1000) { try await claims[slice..<min(slice + 1000, claims.count)].create(on: db) }
                return refusals
            }
        }
    }

    public func user(poolId: String, sub: UUID) async throws -> User? {
        try await userBySub(poolId: poolId, sub: sub)
    }

    public func user(poolId: String, identifierKey key: String) async throws -> User? {
        try await userByIdentifier(poolId: poolId, key: key)
    }

    public func listUsers(poolId: String, limit: Int, after cursor: String?) async throws -> ListPage<User> {
        try await run("user") {
            let query = UserRow.query(on: database).filter(\.$poolId == poolId).sort(\.$id).limit(limit + 1)
            if let key = Self.key(fromCursor: cursor), let id = UUID(uuidString: key) { query.filter(\.$id > id) }
            return try Self.page(try await query.all(), limit: limit, key: { $0.id?.uuidString ?? "" }, map: Self.user)
        }
    }

    public func listUsers(poolId: String, matching filter: UserFilter, limit: Int, after cursor: String?) async throws -> ListPage<User> {
        try await run("user") {
            let query = UserRow.query(on: database).filter(\.$poolId == poolId).sort(\.$id).limit(limit + 1)
            if let key = Self.key(fromCursor: cursor), let id = UUID(uuidString: key) { query.filter(\.$id > id) }
            switch filter.field {
            case .username, .status, .attribute:
                guard let expression = Self.filterExpression(filter.field, postgres: sql.dialect.name == "postgresql") else {
                    return ListPage(items: [], next: nil)
                }
                if filter.prefix {
                    let pattern = filter.value.lowercased().replacingOccurrences(of: "!", with: "!!")
                        .replacingOccurrences(of: "%", with: "!%").replacingOccurrences(of: "_", with: "!_") + "%"
                    query.filter(.sql(SQLBinaryExpression(SQLFunction("lower", args: SQLRaw(expression)), .like,
                                                          SQLBinaryExpression(left: SQLBind(pattern), op: SQLRaw("ESCAPE"), right: SQLLiteral.string("!")))))
                } else {
                    query.filter(.sql(SQLBinaryExpression(SQLRaw(expression), .equal, SQLBind(filter.value))))
                }
            case .enabled:
                let states = [true, false].filter { filter.matches($0 ? "Enabled" : "Disabled") }
                guard !states.isEmpty else { return ListPage(items: [], next: nil) }
                query.filter(\.$enabled ~~ states)
            case .sub where !filter.prefix:
                guard let sub = UUID(uuidString: filter.value), sub.uuidString.lowercased() == filter.value else {
                    return ListPage(items: [], next: nil)
                }
                query.filter(\.$id == sub)
            case .sub:
                // a prefix of the id: read in id order and matched here (rare, and ids are not text in every database)
                var matched: [UserRow] = []
                var after = Self.key(fromCursor: cursor).flatMap(UUID.init(uuidString:))
                while matched.count <= limit {
                    let page = UserRow.query(on: database).filter(\.$poolId == poolId).sort(\.$id).limit(500)
                    if let after { page.filter(\.$id > after) }
                    let rows = try await page.all()
                    matched += rows.filter { filter.matches(($0.id ?? UUID()).uuidString.lowercased()) }
                    guard rows.count == 500, let last = rows.last?.id else { break }
                    after = last
                }
                return try Self.page(Array(matched.prefix(limit + 1)), limit: limit, key: { $0.id?.uuidString ?? "" }, map: Self.user)
            }
            return try Self.page(try await query.all(), limit: limit, key: { $0.id?.uuidString ?? "" }, map: Self.user)
        }
    }

    /// The SQL of a filtered field, written as the indexes of M035 are (an index serves a query
    /// only when the expressions are the same text); attribute names are from ListUsers' fixed
    /// set, checked again here before they go into the statement.
    static func filterExpression(_ field: UserFilter.Field, postgres: Bool) -> String? {
        switch field {
        case .username: return "username"
        case .status: return "status"
        case .attribute(let name):
            guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") }) else { return nil }
            return attributeExpression(name, postgres: postgres)
        default: return nil
        }
    }

    static func attributeExpression(_ name: String, postgres: Bool) -> String {
        postgres ? "(attributes::jsonb ->> '\(name)')" : "json_extract(attributes, '$.\"\(name)\"')"
    }

    public func updateUser(
        poolId: String, sub: UUID, identifiers: @escaping @Sendable (User) -> Set<UserIdentifier>,
        _ change: @escaping @Sendable (inout User) throws -> Void
    ) async throws -> User {
        try await run("user name or alias") {
            try await poolTransaction(poolId) { db in
                guard let row = try await UserRow.find(sub, on: db), row.poolId == poolId else {
                    throw StoreError.notFound("user \(sub)")
                }
                var user = try Self.user(row)
                do { try change(&user) } catch { throw ValidationFailure(underlying: error) }
                user.poolId = poolId
                user.sub = sub
                let wanted = identifiers(user)
                let existing = try await UserIdentifierRow.query(on: db).filter(\.$userId == sub).all()
                let held = Set(existing.compactMap { row in UserIdentifier.Kind(rawValue: row.kind).map { UserIdentifier(kind: $0, key: row.key) } })
                if wanted != held {
                    try await Self.checkFree(wanted.subtracting(held), poolId: poolId, except: sub, on: db)
                    for stale in existing where !wanted.contains(where: { $0.key == stale.key && $0.kind.rawValue == stale.kind }) {
                        try await stale.delete(on: db)
                    }
                    try await Self.claim(wanted.subtracting(held), poolId: poolId, userId: sub, on: db)
                }
                try Self.fill(row, with: user)
                try await row.update(on: db)
                return user
            }
        }
    }

    public func deleteUser(poolId: String, sub: UUID) async throws {
        try await run("user") {
            try await poolTransaction(poolId) { db in
                guard let row = try await UserRow.find(sub, on: db), row.poolId == poolId else {
                    throw StoreError.notFound("user \(sub)")
                }
                // codes do not reference users (phantoms have them too), so they go by hand
                try await VerificationCodeRow.query(on: db).filter(\.$poolId == poolId).filter(\.$userSub == sub).delete()
                try await row.delete(on: db)
            }
        }
    }

    /// Names the first identifier already held by another user. The unique index still decides
    /// races; this only lets the error say which name was taken.
    static func checkFree(_ identifiers: Set<UserIdentifier>, poolId: String, except sub: UUID?, on db: any Database) async throws {
        for identifier in identifiers.sorted(by: { $0.key < $1.key }) {
            if let holder = try await UserIdentifierRow.query(on: db).filter(\.$poolId == poolId)
                .filter(\.$key == identifier.key).first(), holder.userId != sub
            {
                throw StoreError.duplicate(identifier.kind == .username ? "user name" : "alias \(identifier.kind.rawValue)")
            }
        }
    }

    static func claim(_ identifiers: Set<UserIdentifier>, poolId: String, userId: UUID, on db: any Database) async throws {
        for identifier in identifiers {
            let row = UserIdentifierRow()
            row.poolId = poolId
            row.userId = userId
            row.kind = identifier.kind.rawValue
            row.key = identifier.key
            try await row.create(on: db)
        }
    }

    static func fill(_ row: UserRow, with user: User) throws {
        row.poolId = user.poolId
        row.username = user.username
        row.status = user.status.rawValue
        row.enabled = user.enabled
        row.attributes = try encode(user.attributes)
        row.passwordHash = user.passwordHash
        row.temporaryPasswordExpiresAt = user.temporaryPasswordExpiresAt
        row.srpVerifier = user.srpVerifier
        row.mfa = user.mfa == UserMFA() ? nil : try encode(user.mfa)
        row.createdAt = user.createdAt
        row.updatedAt = user.updatedAt
    }

    static func user(_ row: UserRow) throws -> User {
        guard let status = UserStatus(rawValue: row.status), let sub = row.id else {
            throw StoreError.unavailable("corrupt user record")
        }
        var user = User(
            poolId: row.poolId, sub: sub, username: row.username, status: status, enabled: row.enabled,
            attributes: try decode([String: String].self, row.attributes), passwordHash: row.passwordHash,
            temporaryPasswordExpiresAt: row.temporaryPasswordExpiresAt, createdAt: row.createdAt, updatedAt: row.updatedAt)
        user.srpVerifier = row.srpVerifier
        if let mfa = row.mfa { user.mfa = try decode(UserMFA.self, mfa) }
        return user
    }
}

extension FluentStore: GroupStore {
    public func createGroup(_ group: Group) async throws {
        try await run("group") {
            guard try await PoolRow.find(group.poolId, on: database) != nil else { throw StoreError.notFound("user pool \(group.poolId)") }
            let row = GroupRow()
            Self.fill(row, with: group)
            try await row.create(on: database)
        }
    }

    public func group(poolId: String, name: String) async throws -> Group? {
        try await run("group") { try await Self.groupRow(poolId: poolId, name: name, on: database).map(Self.group) }
    }

    public func listGroups(poolId: String, limit: Int, after cursor: String?) async throws -> ListPage<Group> {
        try await run("group") {
            let query = GroupRow.query(on: database).filter(\.$poolId == poolId).sort(\.$name).limit(limit + 1)
            if let key = Self.key(fromCursor: cursor) { query.filter(\.$name > key) }
            return Self.page(try await query.all(), limit: limit, key: { $0.name }, map: Self.group)
        }
    }

    public func updateGroup(poolId: String, name: String, _ change: @escaping @Sendable (inout Group) throws -> Void) async throws -> Group {
        try await run("group") {
            try await poolTransaction(poolId) { db in
                guard let row = try await Self.groupRow(poolId: poolId, name: name, on: db) else {
                    throw StoreError.notFound("group \(name)")
                }
                var group = Self.group(row)
                do { try change(&group) } catch { throw ValidationFailure(underlying: error) }
                group.poolId = poolId
                group.name = name
                Self.fill(row, with: group)
                try await row.update(on: db)
                return group
            }
        }
    }

    public func deleteGroup(poolId: String, name: String) async throws {
        try await run("group") {
            guard let row = try await Self.groupRow(poolId: poolId, name: name, on: database) else {
                throw StoreError.notFound("group \(name)")
            }
            try await row.delete(on: database)
        }
    }

    public func addMember(poolId: String, group: String, userSub: UUID) async throws {
        try await run("group membership") {
            guard let groupRow = try await Self.groupRow(poolId: poolId, name: group, on: database), let groupId = groupRow.id else {
                throw StoreError.notFound("group \(group)")
            }
            guard let user = try await UserRow.find(userSub, on: database), user.poolId == poolId else {
                throw StoreError.notFound("user \(userSub)")
            }
            let existing = try await GroupMemberRow.query(on: database).filter(\.$groupId == groupId)
                .filter(\.$userId == userSub).first()
            guard existing == nil else { return }
            let row = GroupMemberRow()
            row.groupId = groupId
            row.userId = userSub
            do {
                try await row.create(on: database)
            } catch where Self.isUniqueViolation(error) {
                return  // added by a racing call: the membership exists, which is what was asked
            }
        }
    }

    public func removeMember(poolId: String, group: String, userSub: UUID) async throws {
        try await run("group membership") {
            guard let groupRow = try await Self.groupRow(poolId: poolId, name: group, on: database), let groupId = groupRow.id else {
                throw StoreError.notFound("group \(group)")
            }
            try await GroupMemberRow.query(on: database).filter(\.$groupId == groupId).filter(\.$userId == userSub).delete()
        }
    }

    public func groups(poolId: String, userSub: UUID) async throws -> [Group] {
        try await groupsOfUser(poolId: poolId, userSub: userSub)
    }

    public func members(poolId: String, group: String, limit: Int, after cursor: String?) async throws -> ListPage<User> {
        try await run("group membership") {
            guard let groupRow = try await Self.groupRow(poolId: poolId, name: group, on: database), let groupId = groupRow.id else {
                throw StoreError.notFound("group \(group)")
            }
            let query = GroupMemberRow.query(on: database).filter(\.$groupId == groupId).sort(\.$userId).limit(limit + 1)
            if let key = Self.key(fromCursor: cursor), let id = UUID(uuidString: key) { query.filter(\.$userId > id) }
            let memberships = try await query.all()
            let users = try await UserRow.query(on: database).filter(\.$id ~~ memberships.prefix(limit).map(\.userId)).all()
            let byId = Dictionary(uniqueKeysWithValues: users.compactMap { row in row.id.map { ($0, row) } })
            let page = Self.page(memberships, limit: limit, key: { $0.userId.uuidString }, map: { $0.userId })
            return ListPage(items: try page.items.compactMap { byId[$0] }.map(Self.user), next: page.next)
        }
    }

    static func groupRow(poolId: String, name: String, on db: any Database) async throws -> GroupRow? {
        try await GroupRow.query(on: db).filter(\.$poolId == poolId).filter(\.$name == name).first()
    }

    static func fill(_ row: GroupRow, with group: Group) {
        row.poolId = group.poolId
        row.name = group.name
        row.description = group.description
        row.precedence = group.precedence
        row.roleArn = group.roleArn
        row.createdAt = group.createdAt
        row.updatedAt = group.updatedAt
    }

    static func group(_ row: GroupRow) -> Group {
        Group(
            poolId: row.poolId, name: row.name, description: row.description, precedence: row.precedence,
            roleArn: row.roleArn, createdAt: row.createdAt, updatedAt: row.updatedAt)
    }
}
