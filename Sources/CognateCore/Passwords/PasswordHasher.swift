import Foundation
import NIOConcurrencyHelpers
import NIOPosix
import Tracing

/// The hashing queue is full: the caller is told to come back later (TooManyRequestsException,
/// a 429 page) rather than wait behind minutes of queued work.
public struct PasswordHasherBusy: Error, Equatable {}

/// Hashes and verifies passwords on a bounded pool of threads, one per core by default, so the
/// event loops never run a memory-hard hash and a burst of sign-ins queues instead of
/// exhausting memory (each Argon2id call holds `memoryKiB` while it runs). At most `queueLimit`
/// jobs wait or run at once; beyond that a job is refused with `PasswordHasherBusy` at once.
public final class PasswordHasher: Sendable {
    public let parameters: Argon2Parameters
    public let queueLimit: Int
    private let pool: NIOThreadPool
    private let random: any RandomSource
    private let pending = NIOLockedValueBox(0)

    public init(
        parameters: Argon2Parameters = .owasp,
        workers: Int = ProcessInfo.processInfo.activeProcessorCount,
        queueLimit: Int? = nil,
        random: any RandomSource = SystemRandomSource()
    ) {
        self.parameters = parameters
        self.random = random
        self.queueLimit = max(1, queueLimit ?? max(1, workers) * 64)
        self.pool = NIOThreadPool(numberOfThreads: max(1, workers))
        self.pool.start()
    }

    public func hash(_ password: String) async throws -> String {
        let salt = random.bytes(16)
        let parameters = self.parameters
        return try await run("password hash") {
            try PasswordHashFormat.argon2id(password, salt: salt, parameters: parameters)
        }
    }

    public func verify(_ password: String, against hash: String) async throws -> PasswordVerification {
        let parameters = self.parameters
        return try await run("password verify") {
            try PasswordHashFormat.verify(password, against: hash, current: parameters)
        }
    }

    /// Runs other CPU-heavy work (SRP's 3072-bit exponentiations) on the same bounded pool.
    public func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await run("hashing pool work", body)
    }

    /// Jobs waiting or running now.
    public var queued: Int { pending.withLockedValue { $0 } }

    /// Traced (when a tracer is set up) as a span with the time spent waiting for a worker.
    private func run<T: Sendable>(_ name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withSpan(name) { span in
            try await queued(span, body)
        }
    }

    private func queued<T: Sendable>(_ span: any Span, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        let admitted = pending.withLockedValue { count in
            guard count < queueLimit else { return false }
            count += 1
            return true
        }
        guard admitted else { throw PasswordHasherBusy() }
        CognateMetrics.hashQueue(depth: queued)
        defer {
            pending.withLockedValue { $0 -= 1 }
            CognateMetrics.hashQueue(depth: queued)
        }
        let admittedAt = DispatchTime.now().uptimeNanoseconds
        let waited = NIOLockedValueBox<UInt64>(0)
        defer { span.attributes["cognate.hash.wait_ms"] = Double(waited.withLockedValue { $0 }) / 1_000_000 }
        return try await pool.runIfActive {
            let wait = DispatchTime.now().uptimeNanoseconds - admittedAt
            waited.withLockedValue { $0 = wait }
            CognateMetrics.hashWait(nanoseconds: wait)
            return try body()
        }
    }

    public func shutdown() async throws {
        try await pool.shutdownGracefully()
    }
}
