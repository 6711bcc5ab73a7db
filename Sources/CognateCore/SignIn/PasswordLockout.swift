import CognateModel
import Foundation
import NIOConcurrencyHelpers

/// Cognito's lockout of password guessing, for every path that checks a password (sign-in,
/// SRP, the hosted form, ChangePassword): after five failures, each further attempt is refused
/// without checking the password for 2^(n−5) seconds (n failures so far), up to fifteen
/// minutes; fifteen minutes without a failure, or a right password, start the count again.
///
/// Guesses sent at once cannot outrun the limit: a check starts only while the failures so far
/// plus the checks already running stay under five (one at a time once the user was locked),
/// and the others wait their turn for a few seconds. So at most five wrong passwords are ever
/// judged before the lock, while many right ones at once (a user on several devices) all get
/// through. The count lives in the database (one transaction per step), so every node sees it;
/// a check left running by a node that died stops counting after a minute.
public struct PasswordLockout: Sendable {
    public static let freeFailures = 5
    public static let longestLock: TimeInterval = 900
    public static let forgetAfter: TimeInterval = 900
    public static let message = "Password attempts exceeded"
    /// A running check older than this is taken to have died with its node.
    static let staleCheck: TimeInterval = 60
    /// How long an attempt waits for a turn before the server says it is busy.
    static let longestWait: Duration = .seconds(5)

    let store: any VerificationCodeStore
    let now: Now

    public init(store: any VerificationCodeStore, now: @escaping Now) {
        self.store = store
        self.now = now
    }

    /// Runs `check` (true: the password was right) as one counted attempt at the password of
    /// `sub`, or throws `notAuthorized("Password attempts exceeded")` while the user is locked
    /// out, without running it. Without a sub (a name no one holds, where that may be told),
    /// the check just runs.
    public func attempt(poolId: String, sub: UUID?, _ check: () async throws -> Bool) async throws -> Bool {
        guard let sub else { return try await check() }
        try await begin(poolId: poolId, sub: sub)
        let right: Bool
        do {
            right = try await check()
        } catch {
            // The check could not run (a full hashing queue, a fault): nothing was judged.
            try? await finish(poolId: poolId, sub: sub, right: nil)
            throw error
        }
        try await finish(poolId: poolId, sub: sub, right: right)
        return right
    }

    /// Takes a turn: refused while locked, waits while the turns are taken.
    func begin(poolId: String, sub: UUID) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: Self.longestWait)
        while true {
            let date = now()
            let started = NIOLockedValueBox(false)
            _ = try await store.saveCode(poolId: poolId, userSub: sub, purpose: .passwordAttempts) { previous in
                var record = current(previous, poolId: poolId, sub: sub, at: date)
                if let locked = record.lockedUntil, locked > date {
                    CognateMetrics.passwordCheck("locked")
                    throw SignInError.lockedOut
                }
                let turns = max(1, Self.freeFailures - record.attempts)
                guard record.sentInWindow < turns else { return record }
                record.sentInWindow += 1
                record.windowStart = date
                record.expiresAt = max(record.expiresAt, date.addingTimeInterval(Self.forgetAfter))
                started.withLockedValue { $0 = true }
                return record
            }
            if started.withLockedValue({ $0 }) { return }
            guard clock.now < deadline else { throw PasswordHasherBusy() }
            try await Task.sleep(for: .milliseconds(25))
        }
    }

    /// Gives the turn back; a wrong password counts (and locks from the fifth), a right one
    /// starts the count again, an unjudged one changes nothing else.
    func finish(poolId: String, sub: UUID, right: Bool?) async throws {
        let date = now()
        if let right { CognateMetrics.passwordCheck(right ? "right" : "wrong") }
        let locks = NIOLockedValueBox(false)
        defer { if locks.withLockedValue({ $0 }) { CognateMetrics.lockout() } }
        _ = try await store.saveCode(poolId: poolId, userSub: sub, purpose: .passwordAttempts) { previous in
            var record = current(previous, poolId: poolId, sub: sub, at: date)
            record.sentInWindow = max(0, record.sentInWindow - 1)
            switch right {
            case true?:
                record.attempts = 0
                record.lockedUntil = nil
            case false?:
                record.attempts += 1
                record.windowStart = date
                record.expiresAt = date.addingTimeInterval(Self.forgetAfter)
                if record.attempts >= Self.freeFailures {
                    let exponent = min(record.attempts - Self.freeFailures, 10)
                    record.lockedUntil = date.addingTimeInterval(min(Double(1 << exponent), Self.longestLock))
                    locks.withLockedValue { $0 = true }
                }
            case nil:
                break
            }
            return record
        }
    }

    /// The record as it stands at `date`: forgotten once expired, running checks dropped once stale.
    /// (`attempts`: failures; `sentInWindow`: checks running; `windowStart`: the last change.)
    func current(_ previous: VerificationCode?, poolId: String, sub: UUID, at date: Date) -> VerificationCode {
        guard var record = previous, record.expiresAt > date else {
            return VerificationCode(poolId: poolId, userSub: sub, purpose: .passwordAttempts, codeHash: "-",
                                    expiresAt: date.addingTimeInterval(Self.forgetAfter), sentInWindow: 0, windowStart: date, createdAt: date)
        }
        if record.windowStart < date.addingTimeInterval(-Self.staleCheck) { record.sentInWindow = 0 }
        return record
    }
}
