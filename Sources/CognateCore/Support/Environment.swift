import Foundation

/// The clock every Core service reads; tests pass a fixed or movable one.
public typealias Now = @Sendable () -> Date

/// Where randomness comes from; tests may pass a seeded source.
public protocol RandomSource: Sendable {
    func bytes(_ count: Int) -> [UInt8]
}

/// The operating system's cryptographically secure generator.
public struct SystemRandomSource: RandomSource {
    public init() {}

    public func bytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }
}

extension RandomSource {
    /// `count` characters drawn uniformly from `alphabet` (rejection sampling: no modulo bias).
    public func string(count: Int, alphabet: String) -> String {
        let symbols = Array(alphabet)
        precondition(!symbols.isEmpty && symbols.count <= 256)
        let limit = 256 - (256 % symbols.count)
        var result = ""
        result.reserveCapacity(count)
        while result.count < count {
            for byte in bytes(count * 2) where Int(byte) < limit && result.count < count {
                result.append(symbols[Int(byte) % symbols.count])
            }
        }
        return result
    }
}

public enum Alphabet {
    public static let lowerAlphanumeric = "abcdefghijklmnopqrstuvwxyz0123456789"
    public static let alphanumeric = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    public static let upperAlphanumeric = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
}
