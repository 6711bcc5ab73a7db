import CognateCore
import CognateModel
import Foundation
import Testing

/// Sign-up and confirmation in Core: the code sent through the outbox, its guesses and its
/// lifetime on the injected clock.
@Suite struct AccountServiceTests {
    /// The six-digit code in a message's text.
    func sentCode(in text: String?) throws -> String {
        let text = try #require(text)
        let digits = try #require(text.firstMatch(of: /\b\d{6}\b/))
        return String(digits.output)
    }

    @Test func aSignUpIsConfirmedByTheEmailedCodeOnly() async throws {
        let world = try await CoreWorld.make()
        let (user, sent) = try await world.accounts.signUp(pool: world.pool, client: world.client, username: "pat", password: "Correct-horse-1",
                                                           attributes: ["email": "pat@example.com"])
        #expect(user.status == .unconfirmed && sent?.channel == .email && sent?.destination.contains("***") == true)
        let code = try sentCode(in: try await world.lastMessage(to: "pat@example.com"))
        let wrong = code == "000000" ? "111111" : "000000"
        await #expect(throws: AccountError.codeMismatch) { try await world.accounts.confirmSignUp(pool: world.pool, username: "pat", code: wrong) }
        let confirmed = try await world.accounts.confirmSignUp(pool: world.pool, username: "pat", code: code)
        #expect(confirmed.status == .confirmed && confirmed.emailVerified)
        await #expect(throws: AccountError.self) { try await world.accounts.confirmSignUp(pool: world.pool, username: "pat", code: code) }
    }

    @Test func aConfirmationCodeTakesFiveGuessesAndLastsADay() async throws {
        let world = try await CoreWorld.make()
        _ = try await world.accounts.signUp(pool: world.pool, client: world.client, username: "quin", password: "Correct-horse-1",
                                            attributes: ["email": "quin@example.com"])
        let code = try sentCode(in: try await world.lastMessage(to: "quin@example.com"))
        world.clock.advance(AccountService.lifetime(.signUp) + 1)
        await #expect(throws: AccountError.expiredCode) { try await world.accounts.confirmSignUp(pool: world.pool, username: "quin", code: code) }

        _ = try await world.accounts.resendConfirmationCode(pool: world.pool, username: "quin")
        let fresh = try sentCode(in: try await world.lastMessage(to: "quin@example.com"))
        let wrong = fresh == "000000" ? "111111" : "000000"
        for _ in 1..<AccountService.maxFailedAttempts {
            await #expect(throws: AccountError.codeMismatch) { try await world.accounts.confirmSignUp(pool: world.pool, username: "quin", code: wrong) }
        }
        // the fifth wrong guess is told it was the last; the right code after it is no longer judged
        await #expect(throws: AccountError.tooManyFailedAttempts) {
            try await world.accounts.confirmSignUp(pool: world.pool, username: "quin", code: wrong)
        }
        await #expect(throws: AccountError.tooManyFailedAttempts) {
            try await world.accounts.confirmSignUp(pool: world.pool, username: "quin", code: fresh)
        }
        #expect(try await world.store.user(poolId: world.pool.id, identifierKey: "quin")?.status == .unconfirmed)
    }

    @Test func aTakenNameIsRefusedAndRacingSignUpsOfOneNameMakeOneUser() async throws {
        let world = try await CoreWorld.make()
        let made = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<6 {
                group.addTask {
                    (try? await world.accounts.signUp(pool: world.pool, client: world.client, username: "rae", password: "Correct-horse-1",
                                                      attributes: ["email": "rae\(index)@example.com"])) != nil
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(made == 1)
        await #expect(throws: AccountError.usernameExists) {
            try await world.accounts.signUp(pool: world.pool, client: world.client, username: "RAE", password: "Correct-horse-1",
                                            attributes: ["email": "other@example.com"])
        }
        await #expect(throws: AccountError.self) {
            try await world.accounts.signUp(pool: world.pool, client: world.client, username: "sam", password: "short",
                                            attributes: ["email": "sam@example.com"])
        }
        #expect(try await world.store.user(poolId: world.pool.id, identifierKey: "sam") == nil, "a refused sign-up left a user")
    }
}
