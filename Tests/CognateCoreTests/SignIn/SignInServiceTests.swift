import CognateCore
import CognateModel
import Foundation
import Testing

/// Password sign-in in Core: the lockout's clock, the answers that must not tell an unknown
/// name from a wrong password, and the account states a password does not get past.
@Suite struct SignInServiceTests {
    @Test func fiveWrongPasswordsLockForAWhileThatGrows() async throws {
        let world = try await CoreWorld.make()
        try await world.user("kim")
        func attempt(_ password: String) async throws -> SignInOutcome {
            try await world.signIn.signIn(pool: world.pool, client: world.client, username: "kim", password: password)
        }
        for _ in 0..<PasswordLockout.freeFailures {
            await #expect(throws: SignInError.notAuthorized("Incorrect username or password.")) { try await attempt("wrong") }
        }
        // locked for 2^0 s: the right password is not even looked at
        await #expect(throws: SignInError.lockedOut) { try await attempt("Correct-horse-1") }
        world.clock.advance(1.5)
        await #expect(throws: SignInError.notAuthorized("Incorrect username or password.")) { try await attempt("wrong") }
        world.clock.advance(1.5)  // the sixth failure locks for 2 s
        await #expect(throws: SignInError.lockedOut) { try await attempt("Correct-horse-1") }
        world.clock.advance(1)
        guard case .tokens = try await attempt("Correct-horse-1") else { Issue.record("the right password after the lock"); return }
        // a right password starts the count again
        await #expect(throws: SignInError.notAuthorized("Incorrect username or password.")) { try await attempt("wrong") }
        guard case .tokens = try await attempt("Correct-horse-1") else { Issue.record("one failure must not lock"); return }
    }

    @Test func anUnknownNameIsAnsweredAsAWrongPasswordAndLocksAlike() async throws {
        let world = try await CoreWorld.make()
        func attempt(_ name: String) async throws -> SignInOutcome {
            try await world.signIn.signIn(pool: world.pool, client: world.client, username: name, password: "whatever-1")
        }
        for _ in 0..<PasswordLockout.freeFailures {
            await #expect(throws: SignInError.notAuthorized("Incorrect username or password.")) { try await attempt("nobody") }
        }
        await #expect(throws: SignInError.lockedOut) { try await attempt("nobody") }
        // a client that does not hide users says so
        var telling = world.client
        telling.preventUserExistenceErrors = false
        await #expect(throws: SignInError.userNotFound) {
            try await world.signIn.signIn(pool: world.pool, client: telling, username: "someone-else", password: "whatever-1")
        }
    }

    @Test func accountStatesAPasswordDoesNotGetPast() async throws {
        let world = try await CoreWorld.make()
        let lee = try await world.user("lee")
        _ = try await world.store.updateUser(poolId: world.pool.id, sub: lee.sub, identifiers: { $0.identifiers(in: world.pool) }) { $0.enabled = false }
        await #expect(throws: SignInError.notAuthorized("User is disabled.")) {
            try await world.signIn.signIn(pool: world.pool, client: world.client, username: "lee", password: "Correct-horse-1")
        }
        try await world.user("max", status: .unconfirmed)
        await #expect(throws: SignInError.userNotConfirmed) {
            try await world.signIn.signIn(pool: world.pool, client: world.client, username: "max", password: "Correct-horse-1")
        }
        try await world.user("ned", status: .resetRequired)
        await #expect(throws: SignInError.passwordResetRequired) {
            try await world.signIn.signIn(pool: world.pool, client: world.client, username: "ned", password: "Correct-horse-1")
        }
    }

    @Test func manyRightPasswordsAtOnceAllGetThrough() async throws {
        let world = try await CoreWorld.make()
        try await world.user("ola")
        let passed = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    if case .tokens? = try? await world.signIn.signIn(pool: world.pool, client: world.client, username: "ola",
                                                                        password: "Correct-horse-1") { return true }
                    return false
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(passed == 8)
    }
}
