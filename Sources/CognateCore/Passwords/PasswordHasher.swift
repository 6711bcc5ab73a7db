import Foundation
import NIOPosix

/// Hashes and verifies passwords on a bounded pool of threads, one per core by default, so the
/// event loops never run a memory-hard hash and a burst of sign-ins queues instead of
/// exhausting memory (each Argon2id call holds `memoryKiB` while it runs).
public final class PasswordHasher: Sendable {
    public let parameters: Argon2Parameters
    private let pool: NIOThreadPool
    private let random: any RandomSource

    public init(
        parameters: Argon2Parameters = .owasp,
        workers: Int = ProcessInfo.processInfo.activeProcessorCount,
        random: any RandomSource = SystemRandomSource()
    ) {
        self.parameters = parameters
        self.random = random
        self.pool = NIOThreadPool(numberOfThreads: max(1, workers))
        self.pool.start()
    }

    public func hash(_ password: String) async throws -> String {
        let salt = random.bytes(16)
        let parameters = self.parameters
        return try await pool.runIfActive {
            try PasswordHashFormat.argon2id(password, salt: salt, parameters: parameters)
        }
    }

    public func verify(_ password: String, against hash: String) async throws -> PasswordVerification {
        let parameters = self.parameters
        return try await pool.runIfActive {
            try PasswordHashFormat.verify(password, against: hash, current: parameters)
        }
    }

    /// Runs other CPU-heavy work (SRP's 3072-bit exponentiations) on the same bounded pool.
    public func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(body)
    }

    public func shutdown() async throws {
        try await pool.shutdownGracefully()
    }
}
