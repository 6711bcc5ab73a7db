import CognateCore
import CognateModel
import Foundation
import Testing

@Suite struct PasswordHasherTests {
    static let cheap = Argon2Parameters(memoryKiB: 8_192, iterations: 1, parallelism: 1)

    @Test func argon2idHashIsPHCWithConfiguredCostAndVerifies() async throws {
        // given
        let hasher = PasswordHasher(parameters: Self.cheap, workers: 2)
        // when
        let hash = try await hasher.hash("Tr0ub4dor&3")
        // then
        #expect(hash.hasPrefix("$argon2id$v=19$m=8192,t=1,p=1$"))
        #expect(try await hasher.verify("Tr0ub4dor&3", against: hash) == .match(needsUpgrade: false))
        #expect(try await hasher.verify("tr0ub4dor&3", against: hash) == .mismatch)
        try await hasher.shutdown()
    }

    @Test func defaultParametersAreOWASP() {
        #expect(PasswordHasher(workers: 1).parameters == Argon2Parameters(memoryKiB: 19_456, iterations: 2, parallelism: 1))
    }

    @Test func sameParametersDifferentSaltsGiveDifferentHashes() async throws {
        let hasher = PasswordHasher(parameters: Self.cheap, workers: 1)
        let first = try await hasher.hash("same password")
        let second = try await hasher.hash("same password")
        #expect(first != second)
        try await hasher.shutdown()
    }

    @Test func hashAtOtherCostAsksForUpgrade() async throws {
        let old = PasswordHasher(parameters: Self.cheap, workers: 1)
        let hash = try await old.hash("pw")
        let current = PasswordHasher(parameters: .init(memoryKiB: 16_384, iterations: 2, parallelism: 1), workers: 1)
        #expect(try await current.verify("pw", against: hash) == .match(needsUpgrade: true))
        try await old.shutdown()
        try await current.shutdown()
    }

    @Test func manyConcurrentHashesAllComplete() async throws {
        // given a pool smaller than the burst
        let hasher = PasswordHasher(parameters: Self.cheap, workers: 2)
        // when
        let hashes = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<12 { group.addTask { try await hasher.hash("password \(index)") } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        // then
        #expect(Set(hashes).count == 12)
        try await hasher.shutdown()
    }

    @Test func aFullQueueRefusesAtOnceInsteadOfWaiting() async throws {
        // given one worker and room for two jobs
        let hasher = PasswordHasher(parameters: .init(memoryKiB: 16_384, iterations: 4, parallelism: 1), workers: 1, queueLimit: 2)
        // when twelve arrive at once
        let outcomes = await withTaskGroup(of: Bool?.self) { group in
            for index in 0..<12 {
                group.addTask {
                    do { return !(try await hasher.hash("password \(index)")).isEmpty } catch is PasswordHasherBusy { return nil } catch { return false }
                }
            }
            return await group.reduce(into: [Bool?]()) { $0.append($1) }
        }
        // then some ran, the rest were refused as busy, none failed otherwise, and the queue is empty again
        #expect(outcomes.contains(true) && outcomes.contains(nil) && !outcomes.contains(false))
        #expect(hasher.queued == 0)
        #expect(!(try await hasher.hash("afterwards")).isEmpty)
        try await hasher.shutdown()
    }

    @Test func unsupportedAndMalformedHashesAreErrorsNotMatches() {
        #expect(throws: PasswordHashError.unsupportedFormat) {
            try PasswordHashFormat.verify("pw", against: "$1$md5crypt$abcdefgh", current: .owasp)
        }
        #expect(throws: PasswordHashError.self) {
            try PasswordHashFormat.verify("pw", against: "$2b$10$tooshort", current: .owasp)
        }
        #expect(throws: PasswordHashError.self) {
            try PasswordHashFormat.verify("pw", against: "$scrypt$ln=40,r=8,p=1$c2FsdA$aGFzaA", current: .owasp)
        }
        #expect(throws: PasswordHashError.self) {
            try PasswordHashFormat.verify("pw", against: "$argon2id$v=19$m=8192,t=1,p=1$bad", current: .owasp)
        }
    }

    @Test func policyReportsTheFirstBrokenRule() {
        let policy = PasswordPolicy()
        #expect(policy.problem(with: "Sh0rt!") != nil)
        #expect(policy.problem(with: "alllowercase1!")?.contains("uppercase") == true)
        #expect(policy.problem(with: "NoDigitsHere!")?.contains("numeric") == true)
        #expect(policy.problem(with: "NoSymbols123")?.contains("symbol") == true)
        #expect(policy.problem(with: "Val1d Passw0rd!") == nil)
    }
}
