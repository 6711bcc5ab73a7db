@testable import CognateCognitoAPI
import CognateCore
import CognateModel
@testable import CognateWeb
import Foundation
import Testing
import VaporTesting

/// Cognito's lockout: after five wrong passwords, 2^(n−5) seconds without checking any password.
@Suite struct LockoutTests {
    static let locked = "Password attempts exceeded"

    @Test func fiveWrongPasswordsLockTheUserForGrowingTimesAndARightOneResets() async throws {
        let clock = TestClock()
        try await withCognate(environment: adminEnvironment, clock: clock) { app, _, _ async throws in
            let fixture = try await SignInFixture.make(app)
            _ = try await call(app, "AdminCreateUser", ["UserPoolId": fixture.poolId, "Username": "bob", "MessageAction": "SUPPRESS"])
            _ = try await call(app, "AdminSetUserPassword", ["UserPoolId": fixture.poolId, "Username": "bob", "Password": "Bobs-Passw0rd!", "Permanent": true])
            for _ in 1...5 {
                let wrong = try await fixture.signIn(app, "alice", "Wrong-Passw0rd!")
                #expect(wrong.errorType == "NotAuthorizedException" && wrong.json["message"] as? String == "Incorrect username or password.")
            }
            // the right password is not even checked while locked
            let refused = try await fixture.signIn(app, "alice")
            #expect(refused.status == .badRequest && refused.errorType == "NotAuthorizedException")
            #expect(refused.json["message"] as? String == Self.locked)
            // a bystander is not affected
            #expect(try await fixture.signIn(app, "bob", "Bobs-Passw0rd!").result["AccessToken"] != nil)
            // the first lock is one second; the sixth failure locks for two
            clock.advance(1.1)
            #expect(try await fixture.signIn(app, "alice", "Wrong-Passw0rd!").json["message"] as? String == "Incorrect username or password.")
            clock.advance(1.1)
            #expect(try await fixture.signIn(app, "alice").json["message"] as? String == Self.locked)
            clock.advance(1)
            // a right password ends the count: five more failures are needed to lock again
            #expect(try await fixture.signIn(app, "alice").result["AccessToken"] != nil)
            for _ in 1...4 { _ = try await fixture.signIn(app, "alice", "Wrong-Passw0rd!") }
            #expect(try await fixture.signIn(app, "alice").result["AccessToken"] != nil)
        }
    }

    @Test func theLockGrowsToFifteenMinutesAndIsForgottenAfterAQuietQuarterHour() async throws {
        let clock = TestClock()
        try await withCognate(environment: adminEnvironment, clock: clock) { app, _, _ async throws in
            let fixture = try await SignInFixture.make(app)
            // each failure waits out the lock before it: failure n locks for 2^(n-5) s, capped at 900
            var lock: TimeInterval = 0
            for n in 1...15 {
                clock.advance(lock + 0.5)
                #expect(try await fixture.signIn(app, "alice", "Wrong-Passw0rd!").json["message"] as? String == "Incorrect username or password.")
                lock = n >= 5 ? min(pow(2, Double(n - 5)), 900) : 0
            }
            #expect(lock == 900)
            clock.advance(899)
            #expect(try await fixture.signIn(app, "alice").json["message"] as? String == Self.locked)
            // fifteen quiet minutes: the count starts again at zero
            clock.advance(2)
            for _ in 1...4 { _ = try await fixture.signIn(app, "alice", "Wrong-Passw0rd!") }
            #expect(try await fixture.signIn(app, "alice").result["AccessToken"] != nil)
        }
    }

    @Test func wrongPasswordsSentAtOnceGetFiveGuesses() async throws {
        try await withCognate(environment: adminEnvironment) { app, _, _ async throws in
            let fixture = try await SignInFixture.make(app)
            let messages = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<20 {
                    group.addTask { try await fixture.signIn(app, "alice", "Wrong-Passw0rd!").json["message"] as? String ?? "" }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            // five are judged; the rest are refused unjudged: locked, or (on a loaded machine, past
            // the five seconds a guess waits for its turn) told to try again later
            #expect(messages.filter { $0 == "Incorrect username or password." }.count == 5)
            #expect(messages.filter { $0 == Self.locked }.count + messages.filter { $0 == "Too many requests. Try again later." }.count == 15,
                    "\(messages)")
            #expect(messages.filter { $0 == Self.locked }.count >= 1)
        }
    }

    @Test func rightPasswordsSentAtOnceAllGetThrough() async throws {
        try await withCognate(environment: adminEnvironment) { app, _, _ async throws in
            let fixture = try await SignInFixture.make(app)
            let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<10 { group.addTask { try await fixture.signIn(app).result["AccessToken"] != nil } }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes == Array(repeating: true, count: 10), "a user on many devices is not locked out by its own sign-ins")
        }
    }

    @Test func anUnknownNameIsLockedOutLikeAUserWhereUsersAreHidden() async throws {
        try await withCognate(environment: adminEnvironment) { app, _, _ async throws in
            let fixture = try await SignInFixture.make(app)
            for name in ["alice", "nobody"] {
                let answers = try await (1...6).asyncMap { _ in try await fixture.signIn(app, name, "Wrong-Passw0rd!").json["message"] as? String }
                #expect(answers == Array(repeating: "Incorrect username or password.", count: 5) + [Self.locked], "\(name)")
            }
        }
    }

    @Test func changePasswordCountsTowardTheLockout() async throws {
        try await withCognate(environment: adminEnvironment) { app, _, _ async throws in
            let fixture = try await SignInFixture.make(app)
            let access = try #require(try await fixture.signIn(app).result["AccessToken"] as? String)
            for _ in 1...5 {
                let wrong = try await call(app, "ChangePassword", ["AccessToken": access, "PreviousPassword": "Wrong-Passw0rd!",
                                                                   "ProposedPassword": "N3w-Passw0rd!!"], signed: false)
                #expect(wrong.errorType == "NotAuthorizedException")
            }
            let locked = try await call(app, "ChangePassword", ["AccessToken": access, "PreviousPassword": "Corr3ct-Horse!",
                                                                "ProposedPassword": "N3w-Passw0rd!!"], signed: false)
            #expect(locked.errorType == "NotAuthorizedException" && locked.json["message"] as? String == Self.locked)
            #expect(try await fixture.signIn(app).json["message"] as? String == Self.locked)
        }
    }

    @Test func anUnknownNameGetsTheSameSaltOnEveryCall() async throws {
        try await withCognate(environment: adminEnvironment) { app, _, _ async throws in
            let fixture = try await SignInFixture.make(app)
            _ = try await call(app, "UpdateUserPoolClient", ["UserPoolId": fixture.poolId, "ClientId": fixture.clientId,
                                                             "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH"], "PreventUserExistenceErrors": "ENABLED"])
            func salt(_ name: String) async throws -> String? {
                let answer = try await call(app, "InitiateAuth", [
                    "ClientId": fixture.clientId, "AuthFlow": "USER_SRP_AUTH",
                    "AuthParameters": ["USERNAME": name, "SRP_A": String(repeating: "ab", count: 384), "SECRET_HASH": fixture.secretHash(name)],
                ], signed: false)
                return (answer.json["ChallengeParameters"] as? [String: Any])?["SALT"] as? String
            }
            let first = try await salt("nobody")
            #expect(first != nil)
            #expect(try await salt("nobody") == first)
            #expect(try await salt("NOBODY") == first)  // the pool is case-insensitive, as a user's name would be
            #expect(try await salt("someone-else") != first)
            let real = try await salt("alice")
            let again = try await salt("alice")
            #expect(real != nil && again == real)

            // an email typed where email is an alias: an account answers its user name, a name no
            // one holds a sub-shaped one (never the address itself, which no account's name is)
            func userId(_ name: String) async throws -> String? {
                let answer = try await call(app, "InitiateAuth", [
                    "ClientId": fixture.clientId, "AuthFlow": "USER_SRP_AUTH",
                    "AuthParameters": ["USERNAME": name, "SRP_A": String(repeating: "ab", count: 384), "SECRET_HASH": fixture.secretHash(name)],
                ], signed: false)
                return (answer.json["ChallengeParameters"] as? [String: Any])?["USER_ID_FOR_SRP"] as? String
            }
            #expect(try await userId("alice@example.com") == "alice")
            let phantom = try #require(try await userId("ghost@example.com"))
            #expect(UUID(uuidString: phantom) != nil && phantom == phantom.lowercased())
            #expect(try await userId("ghost@example.com") == phantom, "the same every time")
            #expect(try await userId("nobody") == "nobody", "a plain name is its own id, as an account's is")
        }
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
