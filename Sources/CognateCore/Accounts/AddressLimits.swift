import CognateModel
import Foundation

/// Slows floods from one client address: at most `perHour` sign-ups, and as many code
/// requests for recovery and confirmation, per address and clock hour, counted in the database
/// so every node shares the count. The address is the connection's peer: behind a proxy every
/// client shares the proxy's address, so raise the limit (COGNATE_ADDRESS_LIMIT_PER_HOUR) or
/// set it to 0 there.
public struct AddressLimits: Sendable {
    public enum Action: String, Sendable {
        case signUp = "sign-up"
        case codeRequest = "code-request"
    }

    let store: any RateLimitStore
    let perHour: Int
    let now: Now

    public init(store: any RateLimitStore, perHour: Int, now: @escaping Now) {
        self.store = store
        self.perHour = perHour
        self.now = now
    }

    /// Counts one attempt; false once the address has used its allowance for this hour.
    public func allow(_ action: Action, from address: String?) async throws -> Bool {
        guard perHour > 0, let address, !address.isEmpty else { return true }
        let hour = Int(now().timeIntervalSince1970 / 3_600)
        let count = try await store.hit("\(action.rawValue)|\(address)|\(hour)", expiresAt: Date(timeIntervalSince1970: Double(hour + 1) * 3_600))
        return count <= perHour
    }
}
