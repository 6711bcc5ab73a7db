import CognateCore
import Foundation

/// A fixed instant for tests: Core never reads the real clock.
let fixedNow = Date(timeIntervalSince1970: 1_800_000_000)

/// Deterministic bytes for tests that need repeatable ids.
struct CountingRandom: RandomSource {
    func bytes(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 * 7 + 3) } }
}
