import CognateModel
import Foundation

extension StoreConformance {
    static let signIn: [ConformanceCase] = [
        test("codeIsConsumedOnceAndAReplayIsTold") { store in
            let pool = try await makePool(store)
            let code = AuthorizationCode(codeHash: "hash-\(UUID())", poolId: pool.id, clientId: "c", userSub: UUID(),
                                         redirectURI: "https://app.example/cb", scopes: ["openid"], nonce: "n",
                                         codeChallenge: "abc", codeChallengeMethod: "S256", authTime: t0, expiresAt: t0.addingTimeInterval(300))
            try await store.createCode(code)
            let read = try await store.code(hash: code.codeHash)
            try check(read?.nonce == "n" && read?.consumedAt == nil, "reading a code does not use it")
            try check(try await store.code(hash: "unknown") == nil, "unknown code should be nil")
            let first = try await store.consumeCode(hash: code.codeHash, at: t0.addingTimeInterval(1))
            try check(first?.firstUse == true && first?.code.nonce == "n" && first?.code.codeChallenge == "abc", "first use")
            let replay = try await store.consumeCode(hash: code.codeHash, at: t0.addingTimeInterval(2))
            try check(replay?.firstUse == false, "a replay must be told apart")
            try check(replay?.code.consumedAt == t0.addingTimeInterval(1), "a replay reports the first use time")
            try check(try await store.code(hash: code.codeHash)?.consumedAt == t0.addingTimeInterval(1), "a read tells a used code")
            try check(try await store.consumeCode(hash: "unknown", at: t0) == nil, "unknown code should be nil")
        },
        test("racingConsumersOfOneCodeLetExactlyOneThrough") { store in
            let pool = try await makePool(store)
            let code = AuthorizationCode(codeHash: "race-\(UUID())", poolId: pool.id, clientId: "c", userSub: UUID(),
                                         redirectURI: "https://app.example/cb", scopes: [], authTime: t0, expiresAt: t0.addingTimeInterval(300))
            try await store.createCode(code)
            let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<10 { group.addTask { try await store.consumeCode(hash: code.codeHash, at: t0)?.firstUse ?? false } }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            try check(wins == 1, "\(wins) consumers saw the code unused")
        },
        test("sessionsAreRevokedOneOrAllForAUser") { store in
            let pool = try await makePool(store)
            let sub = UUID()
            for index in 0..<3 {
                try await store.createSession(SignInSession(idHash: "s\(index)-\(pool.id)", poolId: pool.id, userSub: sub,
                                                            authTime: t0, expiresAt: t0.addingTimeInterval(3600)))
            }
            try await store.revokeSession(idHash: "s0-\(pool.id)", at: t0)
            try check(try await store.session(idHash: "s0-\(pool.id)")?.revokedAt == t0, "one session revoked")
            try check(try await store.session(idHash: "s1-\(pool.id)")?.revokedAt == nil, "others untouched")
            try await store.revokeSessions(poolId: pool.id, userSub: sub, at: t0.addingTimeInterval(5))
            try check(try await store.session(idHash: "s2-\(pool.id)")?.revokedAt == t0.addingTimeInterval(5), "all revoked")
            try check(try await store.session(idHash: "s0-\(pool.id)")?.revokedAt == t0, "first revocation time kept")
        },
        test("aSessionKeepsTheSAMLSessionItCameFrom") { store in
            let pool = try await makePool(store)
            let federation = FederatedSession(providerName: "Okta", nameId: "ana.lima", nameIdFormat: "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
                                              sessionIndex: "id-42")
            let session = SignInSession(idHash: "fed-\(pool.id)", poolId: pool.id, userSub: UUID(), authTime: t0,
                                        expiresAt: t0.addingTimeInterval(3600), federation: federation)
            // opened as the hosted sign-in opens it: with the finish of its stored request
            try await store.createAuthorization(PendingAuthorization(idHash: "req-\(pool.id)", poolId: pool.id, browserHash: "b", request: "{}",
                                                                     createdAt: t0, expiresAt: t0.addingTimeInterval(600)))
            try check(try await store.finishAuthorization(idHash: "req-\(pool.id)", at: t0, session: session, code: nil), "finished")
            try check(try await store.session(idHash: session.idHash)?.federation == federation, "the SAML session is kept")
            try await store.createSession(SignInSession(idHash: "plain-\(pool.id)", poolId: pool.id, userSub: UUID(), authTime: t0,
                                                        expiresAt: t0.addingTimeInterval(3600)))
            try check(try await store.session(idHash: "plain-\(pool.id)")?.federation == nil, "other sessions have none")
        },
        test("refreshRotationLetsOneWinAndFamilyRevocationEndsAll") { store in
            let pool = try await makePool(store)
            let family = UUID()
            func token(_ hash: String) -> RefreshToken {
                RefreshToken(tokenHash: hash, familyId: family, poolId: pool.id, clientId: "c", userSub: UUID(), scopes: ["openid"],
                             authTime: t0, createdAt: t0, expiresAt: t0.addingTimeInterval(86_400))
            }
            let root = "root-\(UUID())"
            try await store.createRefreshToken(token(root))
            let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<6 {
                    group.addTask { try await store.rotateRefreshToken(oldHash: root, to: token("child\(index)-\(root)"), at: t0) }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            try check(wins == 1, "\(wins) rotations of one token succeeded")
            try check(try await store.refreshToken(hash: root)?.rotatedAt == t0, "rotated token must be marked")
            try await store.revokeRefreshTokenFamily(family, at: t0.addingTimeInterval(9))
            try check(try await store.refreshToken(hash: root)?.revokedAt == t0.addingTimeInterval(9), "family member not revoked")
            let next = try await store.rotateRefreshToken(oldHash: root, to: token("late-\(root)"), at: t0)
            try check(!next, "a revoked token cannot rotate")
        },
        test("a user's live sessions: refresh tokens not revoked, rotated or expired, and hosted sessions not revoked or expired") { store in
            let pool = try await makePool(store)
            let (ana, bo) = (UUID(), UUID())
            func token(_ hash: String, _ sub: UUID, expires: TimeInterval = 600) -> RefreshToken {
                RefreshToken(tokenHash: "\(hash)-\(pool.id)", familyId: UUID(), poolId: pool.id, clientId: "c", userSub: sub, scopes: [], authTime: t0,
                             createdAt: t0, expiresAt: t0.addingTimeInterval(expires))
            }
            let live = token("live", ana)
            try await store.createRefreshToken(live)
            try await store.createRefreshToken(token("old", ana, expires: 5))
            try await store.createRefreshToken(token("his", bo))
            let ended = token("ended", ana)
            try await store.createRefreshToken(ended)
            try await store.revokeRefreshTokenFamily(ended.familyId, at: t0)
            let rotated = token("rotated", ana)
            try await store.createRefreshToken(rotated)
            var child = token("child", ana)
            child.familyId = rotated.familyId
            _ = try await store.rotateRefreshToken(oldHash: rotated.tokenHash, to: child, at: t0)
            let tokens = try await store.liveRefreshTokens(poolId: pool.id, userSub: ana, at: t0.addingTimeInterval(10))
            try check(Set(tokens.map(\.tokenHash)) == [live.tokenHash, child.tokenHash], "live, one per family: \(tokens.map(\.tokenHash))")
            for (hash, sub, expires) in [("s1", ana, 600.0), ("s2", ana, 5.0), ("s3", bo, 600.0), ("s4", ana, 600.0)] {
                try await store.createSession(SignInSession(idHash: "\(hash)-\(pool.id)", poolId: pool.id, userSub: sub, authTime: t0,
                                                            expiresAt: t0.addingTimeInterval(expires)))
            }
            try await store.revokeSession(idHash: "s4-\(pool.id)", at: t0)
            let sessions = try await store.liveSessions(poolId: pool.id, userSub: ana, at: t0.addingTimeInterval(10))
            try check(sessions.map(\.idHash) == ["s1-\(pool.id)"], "live hosted sessions: \(sessions.map(\.idHash))")
        },
        test("revokingAUsersRefreshTokensSparesOthers") { store in
            let pool = try await makePool(store)
            let (alice, bob) = (UUID(), UUID())
            for (hash, sub) in [("a-\(pool.id)", alice), ("b-\(pool.id)", bob)] {
                try await store.createRefreshToken(RefreshToken(tokenHash: hash, familyId: UUID(), poolId: pool.id, clientId: "c", userSub: sub,
                                                                scopes: [], authTime: t0, createdAt: t0, expiresAt: t0.addingTimeInterval(600)))
            }
            let families = try await store.revokeRefreshTokens(poolId: pool.id, userSub: alice, at: t0)
            try check(families == [try await store.refreshToken(hash: "a-\(pool.id)")!.familyId], "revoked families not returned")
            try check(try await store.revokeRefreshTokens(poolId: pool.id, userSub: alice, at: t0).isEmpty, "nothing left to revoke")
            try check(try await store.refreshToken(hash: "a-\(pool.id)")?.revokedAt == t0, "alice's token not revoked")
            try check(try await store.refreshToken(hash: "b-\(pool.id)")?.revokedAt == nil, "bob's token revoked")
            // all but one family: the caller of ChangePassword keeps its own sign-in
            let (kept, ended) = (UUID(), UUID())
            for (hash, family) in [("k-\(pool.id)", kept), ("e-\(pool.id)", ended)] {
                try await store.createRefreshToken(RefreshToken(tokenHash: hash, familyId: family, poolId: pool.id, clientId: "c", userSub: bob,
                                                                scopes: [], authTime: t0, createdAt: t0, expiresAt: t0.addingTimeInterval(600)))
            }
            let others = try await store.revokeRefreshTokens(poolId: pool.id, userSub: bob, at: t0, except: kept)
            try check(!others.contains(kept) && others.contains(ended), "the kept family was revoked or the other was not: \(others)")
            try check(try await store.refreshToken(hash: "k-\(pool.id)")?.revokedAt == nil, "the kept family's token revoked")
            try check(try await store.refreshToken(hash: "e-\(pool.id)")?.revokedAt == t0, "another family's token not revoked")
        },
        test("revocationsAreKeptUntilExpiry") { store in
            let pool = try await makePool(store)
            let jti = "jti-\(UUID())"
            try await store.revoke(TokenRevocation(jti: jti, poolId: pool.id, expiresAt: t0.addingTimeInterval(60)))
            try await store.revoke(TokenRevocation(jti: jti, poolId: pool.id, expiresAt: t0.addingTimeInterval(60)))
            try check(try await store.isRevoked(jti: jti), "revoked jti not found")
            try check(!(try await store.isRevoked(jti: "other")), "unrevoked jti reported revoked")
            try check(try await store.isRevoked(anyOf: ["other", jti]), "revoked jti not found among others")
            try check(!(try await store.isRevoked(anyOf: ["other", "another"])), "unrevoked jtis reported revoked")
            try check(!(try await store.isRevoked(anyOf: [])), "no jtis reported revoked")
            _ = try await store.purgeExpired(at: t0, limit: 500, outboxDays: 7)
            try check(try await store.isRevoked(jti: jti), "purged before expiry")
            _ = try await store.purgeExpired(at: t0.addingTimeInterval(61), limit: 500, outboxDays: 7)
            try check(!(try await store.isRevoked(jti: jti)), "not purged after expiry")
        },
    ]

    static let refreshGrant: [ConformanceCase] = [
        test("refreshGrantReadBringsTheUserAndTheirGroups") { store in
            let pool = try await makePool(store)
            var user = makeUser(pool, "granted", email: "granted@example.com")
            user.mfa = UserMFA(enabled: [UserMFA.email])
            try await store.createUser(user, identifiers: user.identifiers(in: pool))
            let family = UUID()
            func token(_ hash: String, for sub: UUID) -> RefreshToken {
                RefreshToken(tokenHash: hash, familyId: family, poolId: pool.id, clientId: "c", userSub: sub, scopes: ["openid", "email"],
                             authTime: t0, createdAt: t0, expiresAt: t0.addingTimeInterval(3_600))
            }
            try await store.createRefreshToken(token("lonely-\(pool.id)", for: user.sub))
            var read = try await store.refreshTokenWithUser(hash: "lonely-\(pool.id)")
            try check(read?.token == token("lonely-\(pool.id)", for: user.sub), "token differs")
            try check(read?.user == user, "user differs")
            try check(read?.groups.isEmpty == true, "no groups yet")
            for name in ["b-team", "a-team"] {
                try await store.createGroup(Group(poolId: pool.id, name: name, precedence: 3, createdAt: t0, updatedAt: t0))
                try await store.addMember(poolId: pool.id, group: name, userSub: user.sub)
            }
            read = try await store.refreshTokenWithUser(hash: "lonely-\(pool.id)")
            try check(read?.groups.map(\.name) == ["a-team", "b-team"], "groups: \(read?.groups.map(\.name) ?? [])")
            try check(read?.groups.first?.precedence == 3, "group fields lost")
            try check(try await store.refreshTokenWithUser(hash: "unknown") == nil, "unknown token found")
            try await store.createRefreshToken(token("orphan-\(pool.id)", for: UUID()))
            try check(try await store.refreshTokenWithUser(hash: "orphan-\(pool.id)") == nil, "a token without its user is not a grant")
        },
        test("aRefreshTokensDeviceIsKeptThroughEveryReadAndRotation") { store in
            let pool = try await makePool(store)
            let user = makeUser(pool, "bound")
            try await store.createUser(user, identifiers: user.identifiers(in: pool))
            let bound = RefreshToken(tokenHash: "bound-\(pool.id)", familyId: UUID(), poolId: pool.id, clientId: "c", userSub: user.sub,
                                     scopes: ["openid"], authTime: t0, createdAt: t0, expiresAt: t0.addingTimeInterval(3_600),
                                     deviceKey: "local_\(UUID().uuidString.lowercased())")
            try await store.createRefreshToken(bound)
            try check(try await store.refreshToken(hash: bound.tokenHash) == bound, "the token alone lost its device")
            try check(try await store.refreshTokenWithUser(hash: bound.tokenHash)?.token == bound, "the grant's read lost the device")
            var next = bound
            next.tokenHash = "next-\(pool.id)"
            next.createdAt = t0.addingTimeInterval(1)
            try check(try await store.rotateRefreshToken(oldHash: bound.tokenHash, to: next, at: t0.addingTimeInterval(1)), "rotation refused")
            try check(try await store.refreshTokenWithUser(hash: next.tokenHash)?.token.deviceKey == bound.deviceKey, "the rotated token lost it")
            var unbound = bound
            unbound.tokenHash = "unbound-\(pool.id)"
            unbound.deviceKey = nil
            try await store.createRefreshToken(unbound)
            try check(try await store.refreshTokenWithUser(hash: unbound.tokenHash)?.token.deviceKey == nil, "a device appeared")
        },
    ]

    static let codes: [ConformanceCase] = [
        test("verificationCodesReplaceAndLeaveWithTheirUser") { store in
            let pool = try await makePool(store)
            let user = makeUser(pool, "coded")
            try await store.createUser(user, identifiers: user.identifiers(in: pool))
            let first = VerificationCode(poolId: pool.id, userSub: user.sub, purpose: .signUp, codeHash: "h1",
                                         expiresAt: t0.addingTimeInterval(60), windowStart: t0, createdAt: t0, pendingValue: "new@example.com")
            try await store.saveCode(first)
            try check(try await store.code(poolId: pool.id, userSub: user.sub, purpose: .signUp) == first, "code differs")
            try check(try await store.code(poolId: pool.id, userSub: user.sub, purpose: .resetPassword) == nil, "purposes are apart")
            var second = first
            second.codeHash = "h2"
            second.sentInWindow = 2
            try await store.saveCode(second)
            try check(try await store.code(poolId: pool.id, userSub: user.sub, purpose: .signUp)?.codeHash == "h2", "not replaced")
            try await store.deleteCode(poolId: pool.id, userSub: user.sub, purpose: .signUp)
            try check(try await store.code(poolId: pool.id, userSub: user.sub, purpose: .signUp) == nil, "not deleted")
            try await store.saveCode(first)
            try await store.deleteUser(poolId: pool.id, sub: user.sub)
            try check(try await store.code(poolId: pool.id, userSub: user.sub, purpose: .signUp) == nil, "outlived its user")
        },
        test("aCodeNeedsNoUser") { store in
            // a phantom: the code of a name no user holds, so its answers match a real user's
            let pool = try await makePool(store)
            let phantom = VerificationCode(poolId: pool.id, userSub: UUID(), purpose: .resetPassword, codeHash: "p",
                                           expiresAt: t0.addingTimeInterval(60), windowStart: t0, createdAt: t0)
            try await store.saveCode(phantom)
            try check(try await store.code(poolId: pool.id, userSub: phantom.userSub, purpose: .resetPassword) == phantom, "phantom code lost")
            try check(try await store.countAttempt(poolId: pool.id, userSub: phantom.userSub, purpose: .resetPassword, limit: 5) == 1,
                      "phantom attempts not counted")
        },
        test("aCodeAndItsMessageAreStoredTogetherOrNotAtAll") { store in
            let pool = try await makePool(store)
            let sub = UUID()
            func message() -> OutboundMessage {
                OutboundMessage(id: UUID(), poolId: pool.id, userSub: sub, channel: .email, destination: "m@example.com", subject: "Code",
                                body: "sealed:x", createdAt: t0, nextAttemptAt: t0, claimedUntil: t0.addingTimeInterval(300), locale: "de")
            }
            let first = message()
            let code = VerificationCode(poolId: pool.id, userSub: sub, purpose: .signUp, codeHash: "one",
                                        expiresAt: t0.addingTimeInterval(60), windowStart: t0, createdAt: t0)
            try await store.saveCode(poolId: pool.id, userSub: sub, purpose: .signUp, message: .kept(first)) { _ in code }
            try check(try await store.outbox(poolId: pool.id, limit: 10, after: nil).items == [first], "the message was not kept as given")
            // refused by the caller's rule (a send limit): neither the new code nor its message
            struct Refused: Error {}
            let second = message()
            do {
                try await store.saveCode(poolId: pool.id, userSub: sub, purpose: .signUp, message: .kept(second)) { _ in throw Refused() }
                try check(false, "a refused code was stored")
            } catch is Refused {}
            // a phantom's: its code is kept, its message written and not kept
            let phantom = UUID()
            try await store.saveCode(poolId: pool.id, userSub: phantom, purpose: .resetPassword, message: .withheld(message())) { _ in
                VerificationCode(poolId: pool.id, userSub: phantom, purpose: .resetPassword, codeHash: "-",
                                 expiresAt: t0.addingTimeInterval(60), windowStart: t0, createdAt: t0)
            }
            try check(try await store.code(poolId: pool.id, userSub: phantom, purpose: .resetPassword)?.codeHash == "-", "the phantom's code was not kept")
            let outbox = try await store.outbox(poolId: pool.id, limit: 10, after: nil).items.map(\.id)
            try check(outbox == [first.id], "outbox holds \(outbox.count) messages, expected the first only")
            try check(try await store.code(poolId: pool.id, userSub: sub, purpose: .signUp)?.codeHash == "one", "the first code was replaced")
        },
        test("racingGuessesAreCountedBeforeTheyAreJudgedAndStopAtTheLimit") { store in
            let pool = try await makePool(store)
            let sub = UUID()
            try await store.saveCode(VerificationCode(poolId: pool.id, userSub: sub, purpose: .resetPassword, codeHash: "h",
                                                      expiresAt: t0.addingTimeInterval(60), windowStart: t0, createdAt: t0))
            let counted = try await withThrowingTaskGroup(of: Int?.self) { group in
                for _ in 0..<30 {
                    group.addTask { try await store.countAttempt(poolId: pool.id, userSub: sub, purpose: .resetPassword, limit: 5) }
                }
                return try await group.reduce(into: [Int]()) { if let count = $1 { $0.append(count) } }
            }
            try check(counted.sorted() == [1, 2, 3, 4, 5], "judged attempts: \(counted.sorted())")
            try check(try await store.code(poolId: pool.id, userSub: sub, purpose: .resetPassword)?.attempts == 5, "count not stored")
            try check(try await store.countAttempt(poolId: pool.id, userSub: sub, purpose: .resetPassword, limit: 5) == nil,
                      "an attempt past the limit was counted")
            try check(try await store.countAttempt(poolId: pool.id, userSub: sub, purpose: .signUp, limit: 5) == nil, "no code, no count")
        },
        test("racingCodeSendersSeeEachOthersCodes") { store in
            let pool = try await makePool(store)
            let sub = UUID()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<8 {
                    group.addTask {
                        try await store.saveCode(poolId: pool.id, userSub: sub, purpose: .signUp) { previous in
                            VerificationCode(poolId: pool.id, userSub: sub, purpose: .signUp, codeHash: "h\(index)",
                                             expiresAt: t0.addingTimeInterval(60), sentInWindow: (previous?.sentInWindow ?? 0) + 1,
                                             windowStart: t0, createdAt: t0)
                        }
                    }
                }
                try await group.waitForAll()
            }
            try check(try await store.code(poolId: pool.id, userSub: sub, purpose: .signUp)?.sentInWindow == 8, "a racing send was lost")
            struct Refused: Error {}
            do {
                try await store.saveCode(poolId: pool.id, userSub: sub, purpose: .signUp) { _ in throw Refused() }
                throw ConformanceFailure(description: "a refusing maker saved a code")
            } catch is Refused {}
            try check(try await store.code(poolId: pool.id, userSub: sub, purpose: .signUp)?.sentInWindow == 8, "a refused save wrote")
        },
    ]

    static let counters: [ConformanceCase] = [
        test("rateCountersCountEveryRacingHit") { store in
            let key = "test|\(UUID())"
            let counts = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<6 { group.addTask { try await store.hit(key, expiresAt: t0.addingTimeInterval(3_600)) } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            try check(counts.sorted() == [1, 2, 3, 4, 5, 6], "hits lost or doubled: \(counts.sorted())")
            try check(try await store.hit("other|\(UUID())", expiresAt: t0.addingTimeInterval(3_600)) == 1, "counters are apart")
        },
        test("releasedHitsAreGivenBackButNeverBelowZero") { store in
            let key = "test|\(UUID())"
            _ = try await store.hit(key, expiresAt: t0.addingTimeInterval(3_600))
            _ = try await store.hit(key, expiresAt: t0.addingTimeInterval(3_600))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<5 { group.addTask { try await store.release(key) } }
                try await group.waitForAll()
            }
            try check(try await store.hit(key, expiresAt: t0.addingTimeInterval(3_600)) == 1, "released below zero or lost a release")
            try await store.release("absent|\(UUID())")
        },
    ]

    static let purge: [ConformanceCase] = [
        test("purgeDeletesWhatExpiredInBoundedBatchesAndKeepsTheRest") { store in
            let pool = try await makePool(store)
            let (old, live) = (t0.addingTimeInterval(-60), t0.addingTimeInterval(3_600))
            let tag = UUID().uuidString.prefix(8)
            for (name, expiry) in [("old", old), ("live", live)] {
                try await store.createCode(AuthorizationCode(codeHash: "code-\(name)-\(tag)", poolId: pool.id, clientId: "c", userSub: UUID(),
                                                             redirectURI: "https://app.example/cb", scopes: [], nonce: nil, codeChallenge: "x",
                                                             codeChallengeMethod: "S256", authTime: t0, expiresAt: expiry))
                try await store.createRefreshToken(RefreshToken(tokenHash: "rt-\(name)-\(tag)", familyId: UUID(), poolId: pool.id, clientId: "c",
                                                                userSub: UUID(), scopes: [], authTime: t0, createdAt: t0, expiresAt: expiry))
                try await store.revoke(TokenRevocation(jti: "jti-\(name)-\(tag)", poolId: pool.id, expiresAt: expiry))
                try await store.saveCode(VerificationCode(poolId: pool.id, userSub: UUID(uuidString: name == "old" ? "00000000-0000-4000-8000-000000000001"
                                                                                                       : "00000000-0000-4000-8000-000000000002")!,
                                                          purpose: .signUp, codeHash: "h", expiresAt: expiry, windowStart: t0, createdAt: t0))
            }
            for index in 0..<3 {
                try await store.createSession(SignInSession(idHash: "old\(index)-\(tag)", poolId: pool.id, userSub: UUID(), authTime: t0, expiresAt: old))
            }
            try await store.createSession(SignInSession(idHash: "live-\(tag)", poolId: pool.id, userSub: UUID(), authTime: t0, expiresAt: live))
            // a bounded pass deletes at most `limit` of a kind
            _ = try await store.purgeExpired(at: t0, limit: 2, outboxDays: 7)
            var left = 0
            for index in 0..<3 where try await store.session(idHash: "old\(index)-\(tag)") != nil { left += 1 }
            try check(left >= 1, "a pass of 2 deleted 3 sessions")
            // passes until a short one: everything expired is gone, nothing live is
            while try await store.purgeExpired(at: t0, limit: 2, outboxDays: 7) > 0 {}
            for index in 0..<3 { try check(try await store.session(idHash: "old\(index)-\(tag)") == nil, "an expired session stayed") }
            try check(try await store.session(idHash: "live-\(tag)") != nil, "a live session went")
            try check(try await store.code(hash: "code-old-\(tag)") == nil, "an expired code stayed")
            try check(try await store.code(hash: "code-live-\(tag)") != nil, "a live code went")
            try check(try await store.refreshToken(hash: "rt-old-\(tag)") == nil, "an expired refresh token stayed")
            try check(try await store.refreshToken(hash: "rt-live-\(tag)") != nil, "a live refresh token went")
            try check(try await store.isRevoked(jti: "jti-live-\(tag)"), "a live revocation went")
            try check(try await store.code(poolId: pool.id, userSub: UUID(uuidString: "00000000-0000-4000-8000-000000000001")!, purpose: .signUp) == nil,
                      "an expired user code stayed")
            try check(try await store.code(poolId: pool.id, userSub: UUID(uuidString: "00000000-0000-4000-8000-000000000002")!, purpose: .signUp) != nil,
                      "a live user code went")
        },
    ]

    static let system: [ConformanceCase] = [
        test("adminCredentialsRoundTrip") { store in
            let id = "AKTEST\(UUID().uuidString.prefix(8))"
            try await store.saveAdminCredential(AdminCredential(accessKeyId: id, sealedSecret: Data([9, 8, 7]), createdAt: t0))
            try check(try await store.adminCredential(accessKeyId: id)?.sealedSecret == Data([9, 8, 7]), "credential differs")
            try check(try await store.adminCredentials().contains { $0.accessKeyId == id }, "credential not listed")
            try check(try await store.deleteAdminCredential(accessKeyId: id), "a delete found nothing")
            try check(try await store.adminCredential(accessKeyId: id) == nil, "a deleted credential is still there")
            try check(!(try await store.deleteAdminCredential(accessKeyId: id)), "a second delete found something")
            try check(try await store.adminCredential(accessKeyId: "AKUNKNOWN") == nil, "unknown key should be nil")
        },
        test("racingSettingWritersAllSeeOneValue") { store in
            let name = "setting-\(UUID())"
            let values = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<8 { group.addTask { try await store.setSettingIfAbsent(name, value: "v\(index)") } }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            try check(values.count == 1, "writers saw different values: \(values)")
            try check(try await store.setting(name) == values.first, "stored value differs")
        },
        test("settingsAreReplacedOnlyFromTheValueTheWriterSaw") { store in
            let name = "setting-\(UUID())"
            try check(try await store.replaceSetting(name, expected: nil, value: "a"), "an absent setting was not made")
            try check(!(try await store.replaceSetting(name, expected: nil, value: "b")), "made twice")
            try check(!(try await store.replaceSetting(name, expected: "x", value: "b")), "replaced from a value it did not have")
            try check(try await store.replaceSetting(name, expected: "a", value: "b"), "not replaced")
            try check(try await store.setting(name) == "b", "replaced value differs")
            // writers racing from the same value: one wins
            let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<8 { group.addTask { try await store.replaceSetting(name, expected: "b", value: "c\(index)") } }
                return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
            }
            try check(wins == 1, "\(wins) writers replaced the same value")
        },
        test("authEventsListNewestFirstPerUserAndExpire") { store in
            let pool = try await makePool(store)
            let (ana, bob) = (UUID(), UUID())
            var ids: [UUID] = []
            // fractions of a second, and two at the same instant: the pages must neither repeat nor skip one
            let offsets = [0.123_456_7, 0.123_756_7, 1.000_001_3, 1.000_001_3, 2.5]
            for index in 0..<5 {
                let event = AuthEvent(poolId: pool.id, userSub: ana, kind: index == 0 ? .signUp : .signIn, response: .fail,
                                      steps: [.init(.password, false)], blocked: index == 4, createdAt: t0.addingTimeInterval(offsets[index]),
                                      expiresAt: t0.addingTimeInterval(3_600), clientId: "client", ipAddress: "192.0.2.\(index)",
                                      userAgent: "Mozilla/5.0")
                try await store.recordAuthEvent(event)
                ids.append(event.id)
            }
            try await store.recordAuthEvent(AuthEvent(poolId: pool.id, userSub: bob, kind: .signIn, response: .pass,
                                                      createdAt: t0, expiresAt: t0.addingTimeInterval(60)))
            var listed: [AuthEvent] = []
            var cursor: String?
            repeat {
                let page = try await store.authEvents(poolId: pool.id, userSub: ana, limit: 2, after: cursor)
                listed += page.items
                cursor = page.next
            } while cursor != nil && listed.count < 10
            try check(listed.count == 5 && Set(listed.map(\.id)) == Set(ids), "pages repeat or skip events: \(listed.count)")
            try check(listed.map(\.id).first == ids[4] && listed.map(\.id).last == ids[0]
                      && Set(listed[1...2].map(\.id)) == [ids[2], ids[3]], "events not newest first")
            let first = try await store.authEvents(poolId: pool.id, userSub: ana, limit: 3, after: nil)
            try check(first.items[0].blocked && first.items[0].ipAddress == "192.0.2.4" && first.items[0].steps == [.init(.password, false)],
                      "event fields not kept")
            try check(try await store.authEvents(poolId: pool.id, userSub: ana, limit: 3, after: "bm90IGEgY3Vyc29y").items.isEmpty,
                      "a foreign cursor must end the list")

            // a sign-in's outcome after its second factor; feedback on the user's own event only
            try await store.updateAuthEvent(id: ids[4], poolId: pool.id, response: .pass, steps: [.init(.password, true), .init(.mfa, true)])
            // an answer that lost the race to the right one does not turn the pass into a failure
            try await store.updateAuthEvent(id: ids[4], poolId: pool.id, response: .fail, steps: [.init(.password, true), .init(.mfa, false)])
            try check(try await store.setAuthEventFeedback(poolId: pool.id, userSub: ana, id: ids[4], value: "Valid", at: t0) == true, "feedback")
            try check(try await store.setAuthEventFeedback(poolId: pool.id, userSub: bob, id: ids[4], value: "Invalid", at: t0) == false,
                      "feedback set through another user")
            let updated = try await store.authEvents(poolId: pool.id, userSub: ana, limit: 1, after: nil).items.first
            try check(updated?.response == .pass && updated?.steps.count == 2 && updated?.feedback == "Valid" && updated?.feedbackAt == t0,
                      "update or feedback not recorded: \(String(describing: updated))")

            // swept once expired: bob's first
            _ = try await store.purgeExpired(at: t0.addingTimeInterval(61), limit: 500, outboxDays: 7)
            try check(try await store.authEvents(poolId: pool.id, userSub: bob, limit: 10, after: nil).items.isEmpty, "expired event kept")
            try check(try await store.authEvents(poolId: pool.id, userSub: ana, limit: 10, after: nil).items.count == 5, "live events swept")
        },
        test("anAuthorizationRequestMovesForwardAndIsFinishedOnce") { store in
            let pool = try await makePool(store)
            let idHash = "req-\(UUID())"
            let pending = PendingAuthorization(idHash: idHash, poolId: pool.id, browserHash: "b", request: "{\"scopes\":[]}",
                                               createdAt: t0, expiresAt: t0.addingTimeInterval(3_600))
            try await store.createAuthorization(pending)
            try check(try await store.authorization(idHash: idHash) == pending, "request not kept as stored")
            try check(try await store.authorization(idHash: "req-unknown") == nil, "an unknown request was found")
            let sub = UUID()
            try check(try await store.advanceAuthorization(idHash: idHash, to: .secondFactor, userSub: sub, at: t0), "advance refused")
            try check(try await store.advanceAuthorization(idHash: idHash, to: .newPassword, userSub: nil, at: t0), "advance refused")
            let moved = try await store.authorization(idHash: idHash)
            try check(moved?.step == .newPassword && moved?.userSub == sub, "step or user not kept: \(String(describing: moved))")

            // eight racing finishers: one finishes it; after that nothing moves it
            let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<8 {
                    let session = SignInSession(idHash: "s-\(idHash)-\(index)", poolId: pool.id, userSub: sub, authTime: t0, expiresAt: t0.addingTimeInterval(60))
                    group.addTask { try await store.finishAuthorization(idHash: idHash, at: t0.addingTimeInterval(1), session: session, code: nil) }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            try check(wins == 1, "\(wins) finishers won")
            let finished = try await store.authorization(idHash: idHash)
            try check(finished?.step == .finished && finished?.finishedAt == t0.addingTimeInterval(1), "finish not recorded")
            try check(!(try await store.advanceAuthorization(idHash: idHash, to: .login, userSub: nil, at: t0)), "a finished request moved")

            // an expired one can be neither moved nor finished, and is swept
            let old = PendingAuthorization(idHash: "req-\(UUID())", poolId: pool.id, browserHash: "b", request: "{}",
                                           createdAt: t0, expiresAt: t0.addingTimeInterval(60))
            try await store.createAuthorization(old)
            let late = SignInSession(idHash: "s-\(old.idHash)", poolId: pool.id, userSub: sub, authTime: t0, expiresAt: t0.addingTimeInterval(3_600))
            try check(!(try await store.finishAuthorization(idHash: old.idHash, at: t0.addingTimeInterval(61), session: late, code: nil)),
                      "an expired request was finished")
            try check(try await store.session(idHash: late.idHash) == nil, "an expired request's finish stored its session")
            try check(!(try await store.advanceAuthorization(idHash: old.idHash, to: .login, userSub: nil, at: t0.addingTimeInterval(61))),
                      "an expired request moved")
            _ = try await store.purgeExpired(at: t0.addingTimeInterval(61), limit: 500, outboxDays: 7)
            try check(try await store.authorization(idHash: old.idHash) == nil, "an expired request was kept")
            try check(try await store.authorization(idHash: idHash) != nil, "a live request was swept")
        },
        test("finishingARequestStoresItsSessionAndCodeOnceOrNotAtAll") { store in
            let pool = try await makePool(store)
            let idHash = "req-\(UUID())"
            try await store.createAuthorization(PendingAuthorization(idHash: idHash, poolId: pool.id, browserHash: "b",
                                                                     request: "{}", createdAt: t0, expiresAt: t0.addingTimeInterval(3_600)))
            let sub = UUID()
            func issue(_ index: Int) -> (SignInSession, AuthorizationCode) {
                (SignInSession(idHash: "session-\(idHash)-\(index)", poolId: pool.id, userSub: sub, authTime: t0, expiresAt: t0.addingTimeInterval(3_600)),
                 AuthorizationCode(codeHash: "code-\(idHash)-\(index)", poolId: pool.id, clientId: "client", userSub: sub,
                                   redirectURI: "https://app.example/cb", scopes: ["openid"], authTime: t0, expiresAt: t0.addingTimeInterval(300)))
            }
            let wins = try await withThrowingTaskGroup(of: Int?.self) { group in
                for index in 0..<6 {
                    group.addTask {
                        let (session, code) = issue(index)
                        return try await store.finishAuthorization(idHash: idHash, at: t0.addingTimeInterval(1), session: session, code: code) ? index : nil
                    }
                }
                return try await group.reduce(into: [Int]()) { if let index = $1 { $0.append(index) } }
            }
            try check(wins.count == 1, "\(wins.count) finishers won")
            for index in 0..<6 {
                let (session, code) = issue(index)
                let kept = try await store.session(idHash: session.idHash) != nil
                let coded = try await store.code(hash: code.codeHash) != nil
                try check(kept == (index == wins.first) && coded == (index == wins.first), "finisher \(index): session \(kept), code \(coded)")
            }
        },
        test("outboxListsNewestFirstAndRecordsDelivery") { store in
            let pool = try await makePool(store)
            var ids: [UUID] = []
            for index in 0..<5 {
                let message = OutboundMessage(id: UUID(), poolId: pool.id, userSub: nil, channel: .email, destination: "u\(index)@example.com",
                                              subject: "Code", body: "Your code is 12345\(index)", createdAt: t0.addingTimeInterval(Double(index)))
                try await store.enqueue(message)
                ids.append(message.id)
            }
            let first = try await store.outbox(poolId: pool.id, limit: 3, after: nil)
            let second = try await store.outbox(poolId: pool.id, limit: 3, after: first.next)
            try check((first.items + second.items).map(\.id) == ids.reversed(), "outbox order or pages wrong")
            try check(second.next == nil, "outbox should end")
            try await store.recordAttempt(id: ids[0], at: t0, error: "connection refused", retryAt: t0.addingTimeInterval(2))
            let failed = try await store.outbox(poolId: pool.id, limit: 10, after: nil).items.first { $0.id == ids[0] }
            try check(failed?.lastError == "connection refused" && failed?.nextAttemptAt == t0.addingTimeInterval(2), "failure not recorded")
            try await store.recordAttempt(id: ids[0], at: t0.addingTimeInterval(9), error: nil, retryAt: nil)
            let delivered = try await store.outbox(poolId: pool.id, limit: 10, after: nil).items.first { $0.id == ids[0] }
            try check(delivered?.attempts == 2 && delivered?.deliveredAt == t0.addingTimeInterval(9), "delivery not recorded")
            try check(delivered?.body == "" && delivered?.nextAttemptAt == nil, "a delivered message must not keep its code nor be due")
        },
        test("outboxClaimsAreExclusiveAndLapse") { store in
            let pool = try await makePool(store)
            // far in the future, so that other tests' messages in a shared database are never due
            let start = t0.addingTimeInterval(86_400 * 365 * 50)
            func message(_ index: Int, channel: OutboundMessage.Channel = .email, due: Date?, claimedUntil: Date? = nil) -> OutboundMessage {
                OutboundMessage(id: UUID(), poolId: pool.id, userSub: nil, channel: channel, destination: "c\(index)@example.com",
                                subject: "Code", body: "sealed", createdAt: start, nextAttemptAt: due, claimedUntil: claimedUntil)
            }
            var due: Set<UUID> = []
            for index in 0..<12 {
                let queued = message(index, due: start.addingTimeInterval(-Double(index)))
                try await store.enqueue(queued)
                due.insert(queued.id)
            }
            let held = message(20, due: start, claimedUntil: start.addingTimeInterval(60))  // a live node is sending it
            let later = message(21, due: start.addingTimeInterval(30))
            let sms = message(22, channel: .sms, due: start)
            let development = message(23, due: nil)
            for other in [held, later, sms, development] { try await store.enqueue(other) }
            // (another test's messages in a shared database may be due too: only this pool's count)
            func mine(_ claimed: [OutboundMessage]) -> [OutboundMessage] { claimed.filter { $0.poolId == pool.id } }

            // six nodes claim at once: every due message goes to exactly one of them
            let claims = try await withThrowingTaskGroup(of: [UUID].self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        mine(try await store.claimDue(channels: [.email], at: start, leaseUntil: start.addingTimeInterval(300), limit: 5)).map(\.id)
                    }
                }
                return try await group.reduce(into: [UUID]()) { $0 += $1 }
            }
            try check(claims.count == due.count && Set(claims) == due, "claimed \(claims.count), expected each of \(due.count) once")
            try check(mine(try await store.claimDue(channels: [.email], at: start, leaseUntil: start, limit: 50)).isEmpty,
                      "a claimed, held, later, other-channel or undue message was claimed")

            // the claims lapse: a stopped node's messages (and the one held) are taken up again
            let lapsed = mine(try await store.claimDue(channels: [.email, .sms], at: start.addingTimeInterval(301), leaseUntil: start.addingTimeInterval(601), limit: 500))
            try check(Set(lapsed.map(\.id)) == due.union([held.id, later.id, sms.id]), "lapsed claims not taken up: \(lapsed.count)")
            try check(lapsed.allSatisfy { $0.claimedUntil == start.addingTimeInterval(601) }, "claim not recorded")

            // a delivered message and one given up are never due again
            try await store.recordAttempt(id: held.id, at: start, error: nil, retryAt: nil)
            try await store.recordAttempt(id: later.id, at: start, error: "550 no such mailbox", retryAt: nil)
            // a node that was slower than its claim fails after another delivered: still delivered
            try await store.recordAttempt(id: held.id, at: start, error: "timed out", retryAt: start)
            let retried = mine(try await store.claimDue(channels: [.email, .sms], at: start.addingTimeInterval(1_000), leaseUntil: start.addingTimeInterval(1_300), limit: 500))
            try check(Set(retried.map(\.id)) == due.union([sms.id]), "a delivered or given-up message was claimed")
        },
        test("racingClaimsOfOneValueLetExactlyOneThrough") { store in
            let key = "claim-\(UUID())"
            let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<8 { group.addTask { try await store.claimOnce(key, until: t0) } }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            try check(wins == 1, "\(wins) claims succeeded")
            try check(!(try await store.claimOnce(key, until: t0)), "a used value was accepted again")
        },
        test("srpVerifierRoundTrips") { store in
            let pool = try await makePool(store)
            var user = makeUser(pool, "srp")
            user.srpVerifier = Data([1, 2, 3, 4])
            try await store.createUser(user, identifiers: user.identifiers(in: pool))
            try check(try await store.user(poolId: pool.id, sub: user.sub)?.srpVerifier == Data([1, 2, 3, 4]), "verifier lost")
        },
        test("pingAnswers") { store in
            try await store.ping()
        },
    ]
}
