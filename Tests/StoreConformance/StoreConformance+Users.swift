import CognateModel
import Foundation

extension StoreConformance {
    static let users: [ConformanceCase] = [
        test("ListUsers' filters are answered by the store: equal values, prefixes without case, by id in pages") { store in
            let pool = try await makePool(store)
            let other = try await makePool(store)
            var made: [User] = []
            for (index, name) in ["Ann", "anna", "bob", "cy_1", "cy%2"].enumerated() {
                var user = makeUser(pool, name, email: "\(name.lowercased())@example.com")
                user.attributes["given_name"] = index % 2 == 0 ? "Even" : "Odd"
                user.enabled = index != 2
                if index == 3 { user.status = .resetRequired }
                try await store.createUser(user, identifiers: user.identifiers(in: pool))
                made.append(user)
            }
            let stranger = makeUser(other, "ann-elsewhere", email: "ann@example.com")
            try await store.createUser(stranger, identifiers: stranger.identifiers(in: other))
            func names(_ field: UserFilter.Field, _ value: String, prefix: Bool = false, size: Int = 2) async throws -> [String] {
                try await ListPage.all(size: size) {
                    try await store.listUsers(poolId: pool.id, matching: UserFilter(field: field, value: value, prefix: prefix), limit: $0, after: $1)
                }.map(\.username).sorted()
            }
            try check(try await names(.attribute("email"), "ann@example.com") == ["Ann"], "an email, in this pool only")
            try check(try await names(.attribute("email"), "ANN@example.com") == [], "equality keeps case")
            try check(try await names(.attribute("email"), "AN", prefix: true) == ["Ann", "anna"], "a prefix without case")
            try check(try await names(.username, "anna") == ["anna"], "a user name")
            try check(try await names(.username, "a", prefix: true, size: 1) == ["Ann", "anna"], "user names by prefix, a page at a time")
            try check(try await names(.username, "cy_", prefix: true) == ["cy_1"], "_ is not a wildcard")
            try check(try await names(.username, "cy%", prefix: true) == ["cy%2"], "% is not a wildcard")
            try check(try await names(.attribute("given_name"), "Even") == ["Ann", "bob", "cy%2"], "another attribute")
            try check(try await names(.status, "RESET_REQUIRED") == ["cy_1"], "cognito:user_status")
            try check(try await names(.enabled, "Disabled") == ["bob"], "status")
            try check(try await names(.enabled, "Enabled").count == 4, "status, enabled")
            try check(try await names(.sub, made[1].sub.uuidString.lowercased()) == ["anna"], "a sub")
            try check(try await names(.sub, String(made[1].sub.uuidString.lowercased().prefix(8)), prefix: true) == ["anna"], "a sub's prefix")
            try check(try await names(.attribute("phone_number"), "+1") == [], "nobody")
            try check(try await names(.attribute("x') OR 1=1 --"), "a") == [], "a name that is not an attribute's matches nothing")
        },
        test("secondFactorSettingsRoundTrip") { store in
            let pool = try await makePool(store)
            let user = makeUser(pool, "mfa-user", email: "mfa@example.com")
            try await store.createUser(user, identifiers: user.identifiers(in: pool))
            try check(try await store.user(poolId: pool.id, sub: user.sub)?.mfa == UserMFA(), "a new user has no factors")
            let settings = UserMFA(totpSecret: Data([1, 2, 3]), lastTotpStep: 42, enabled: [UserMFA.softwareToken, UserMFA.email],
                                   preferred: UserMFA.softwareToken)
            try await store.updateUser(poolId: pool.id, sub: user.sub, identifiers: { $0.identifiers(in: pool) }) { $0.mfa = settings }
            try check(try await store.user(poolId: pool.id, sub: user.sub)?.mfa == settings, "read by sub")
            try check(try await store.user(poolId: pool.id, identifierKey: "mfa@example.com")?.mfa == settings, "read by alias")
        },
        test("userIsFoundBySubAndEveryIdentifier") { store in
            let pool = try await makePool(store)
            let user = makeUser(pool, "Alice", email: "alice@example.com")
            try await store.createUser(user, identifiers: user.identifiers(in: pool))
            try check(try await store.user(poolId: pool.id, sub: user.sub) == user, "user differs after a round trip")
            try check(try await store.user(poolId: pool.id, identifierKey: "alice")?.sub == user.sub, "not found by user name")
            try check(try await store.user(poolId: pool.id, identifierKey: "alice@example.com")?.sub == user.sub, "not found by alias")
            try check(try await store.user(poolId: pool.id, identifierKey: "bob") == nil, "unknown name should be nil")
            let other = try await makePool(store)
            try check(try await store.user(poolId: other.id, identifierKey: "alice") == nil, "user visible from another pool")
            try check(try await store.user(poolId: other.id, sub: user.sub) == nil, "user visible by sub from another pool")
        },
        test("userNameIsUniqueCaseInsensitivelyByDefault") { store in
            let pool = try await makePool(store)
            let alice = makeUser(pool, "alice")
            try await store.createUser(alice, identifiers: alice.identifiers(in: pool))
            let shouting = makeUser(pool, "ALICE")
            try await expectError(.duplicate("user name")) { try await store.createUser(shouting, identifiers: shouting.identifiers(in: pool)) }
            try check(try await store.user(poolId: pool.id, sub: shouting.sub) == nil, "a refused user must leave no record")
        },
        test("caseSensitivePoolKeepsNamesApart") { store in
            let pool = try await makePool(store, caseSensitive: true)
            let lower = makeUser(pool, "alice")
            let upper = makeUser(pool, "Alice")
            try await store.createUser(lower, identifiers: lower.identifiers(in: pool))
            try await store.createUser(upper, identifiers: upper.identifiers(in: pool))
            try check(try await store.user(poolId: pool.id, identifierKey: "Alice")?.sub == upper.sub, "wrong user for Alice")
        },
        test("aliasHeldByAnotherUserIsRefused") { store in
            let pool = try await makePool(store)
            let alice = makeUser(pool, "alice", email: "shared@example.com")
            try await store.createUser(alice, identifiers: alice.identifiers(in: pool))
            let bob = makeUser(pool, "bob", email: "Shared@Example.com")
            try await expectError(.duplicate("alias email")) { try await store.createUser(bob, identifiers: bob.identifiers(in: pool)) }
        },
        test("updateUserMovesItsIdentifiers") { store in
            let pool = try await makePool(store)
            let alice = makeUser(pool, "alice", email: "old@example.com")
            try await store.createUser(alice, identifiers: alice.identifiers(in: pool))
            let updated = try await store.updateUser(poolId: pool.id, sub: alice.sub, identifiers: { $0.identifiers(in: pool) }) {
                $0.attributes["email"] = "new@example.com"
                $0.status = .resetRequired
            }
            try check(updated.status == .resetRequired, "change not returned")
            try check(try await store.user(poolId: pool.id, identifierKey: "old@example.com") == nil, "old alias still held")
            try check(try await store.user(poolId: pool.id, identifierKey: "new@example.com")?.sub == alice.sub, "new alias not held")
            // the freed alias can now be taken by someone else
            let bob = makeUser(pool, "bob", email: "old@example.com")
            try await store.createUser(bob, identifiers: bob.identifiers(in: pool))
        },
        test("updateUserCannotTakeAnotherUsersAlias") { store in
            let pool = try await makePool(store)
            let alice = makeUser(pool, "alice", email: "alice@example.com")
            let bob = makeUser(pool, "bob", email: "bob@example.com")
            try await store.createUser(alice, identifiers: alice.identifiers(in: pool))
            try await store.createUser(bob, identifiers: bob.identifiers(in: pool))
            try await expectError(.duplicate("alias email")) {
                try await store.updateUser(poolId: pool.id, sub: bob.sub, identifiers: { $0.identifiers(in: pool) }) {
                    $0.attributes["email"] = "alice@example.com"
                }
            }
            try check(try await store.user(poolId: pool.id, sub: bob.sub)?.attributes["email"] == "bob@example.com", "refused change was written")
        },
        test("racingCreatesOfOneUserNameLeaveExactlyOne") { store in
            let pool = try await makePool(store)
            let results = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        let user = makeUser(pool, "racer")
                        return (try? await store.createUser(user, identifiers: user.identifiers(in: pool))) != nil
                    }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            try check(results.filter { $0 }.count == 1, "\(results.filter { $0 }.count) creates succeeded")
            try check(try await store.listUsers(poolId: pool.id, limit: 20, after: nil).items.count == 1, "more than one user stored")
        },
        test("usersListInPagesAndDelete") { store in
            let pool = try await makePool(store)
            for index in 0..<5 {
                let user = makeUser(pool, "user\(index)")
                try await store.createUser(user, identifiers: user.identifiers(in: pool))
            }
            let first = try await store.listUsers(poolId: pool.id, limit: 2, after: nil)
            let second = try await store.listUsers(poolId: pool.id, limit: 2, after: first.next)
            let third = try await store.listUsers(poolId: pool.id, limit: 2, after: second.next)
            let all = (first.items + second.items + third.items).map(\.username)
            try check(Set(all).count == 5 && third.next == nil, "pagination lost or repeated users: \(all)")
            let victim = first.items[0]
            try await store.deleteUser(poolId: pool.id, sub: victim.sub)
            try check(try await store.user(poolId: pool.id, identifierKey: victim.username) == nil, "identifier outlived the user")
            try await expectError(.notFound("user \(victim.sub)")) { try await store.deleteUser(poolId: pool.id, sub: victim.sub) }
        },
    ]

    static let groups: [ConformanceCase] = [
        test("groupMembershipIsIdempotentAndListed") { store in
            let pool = try await makePool(store)
            let user = makeUser(pool, "member")
            try await store.createUser(user, identifiers: user.identifiers(in: pool))
            for (name, precedence) in [("admins", 1), ("editors", 5)] {
                try await store.createGroup(Group(poolId: pool.id, name: name, precedence: precedence, createdAt: t0, updatedAt: t0))
            }
            try await expectError(.duplicate("group")) {
                try await store.createGroup(Group(poolId: pool.id, name: "admins", createdAt: t0, updatedAt: t0))
            }
            try await store.addMember(poolId: pool.id, group: "admins", userSub: user.sub)
            try await store.addMember(poolId: pool.id, group: "admins", userSub: user.sub)
            try await store.addMember(poolId: pool.id, group: "editors", userSub: user.sub)
            try check(try await store.groups(poolId: pool.id, userSub: user.sub).map(\.name) == ["admins", "editors"], "groups of user")
            let members = try await store.members(poolId: pool.id, group: "admins", limit: 10, after: nil)
            try check(members.items.map(\.sub) == [user.sub], "members of admins")
            try await store.removeMember(poolId: pool.id, group: "admins", userSub: user.sub)
            try check(try await store.groups(poolId: pool.id, userSub: user.sub).map(\.name) == ["editors"], "removal lost")
            try await expectError(.notFound("group ghosts")) { try await store.addMember(poolId: pool.id, group: "ghosts", userSub: user.sub) }
        },
        test("groupUpdateAndDeleteEndMemberships") { store in
            let pool = try await makePool(store)
            let user = makeUser(pool, "member")
            try await store.createUser(user, identifiers: user.identifiers(in: pool))
            try await store.createGroup(Group(poolId: pool.id, name: "g", createdAt: t0, updatedAt: t0))
            try await store.addMember(poolId: pool.id, group: "g", userSub: user.sub)
            try await store.updateGroup(poolId: pool.id, name: "g") { $0.description = "the g"; $0.roleArn = "arn:aws:iam::1:role/g" }
            try check(try await store.group(poolId: pool.id, name: "g")?.description == "the g", "update lost")
            try await store.deleteGroup(poolId: pool.id, name: "g")
            try check(try await store.groups(poolId: pool.id, userSub: user.sub).isEmpty, "membership outlived the group")
            let page = try await store.listGroups(poolId: pool.id, limit: 10, after: nil)
            try check(page.items.isEmpty, "group not deleted")
        },
        test("membersListInPages") { store in
            let pool = try await makePool(store)
            try await store.createGroup(Group(poolId: pool.id, name: "many", createdAt: t0, updatedAt: t0))
            for index in 0..<5 {
                let user = makeUser(pool, "m\(index)")
                try await store.createUser(user, identifiers: user.identifiers(in: pool))
                try await store.addMember(poolId: pool.id, group: "many", userSub: user.sub)
            }
            let first = try await store.members(poolId: pool.id, group: "many", limit: 3, after: nil)
            let second = try await store.members(poolId: pool.id, group: "many", limit: 3, after: first.next)
            try check(Set((first.items + second.items).map(\.sub)).count == 5 && second.next == nil, "member pages wrong")
        },
    ]
}
