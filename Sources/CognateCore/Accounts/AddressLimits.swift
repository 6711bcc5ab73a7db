import CognateModel
import Foundation

/// Slows floods from one client address: at most `perHour` sign-ups, and as many code
/// requests for recovery and confirmation, twenty times as many hosted sign-ins started and
/// guest credentials, and `signInFailuresPerHour` failed password
/// sign-ins, per address and clock hour, counted in the database so every node shares the
/// count. An IPv6 address counts per /64. The address is the client's as TrustedProxies finds
/// it (the peer, or behind a trusted proxy the forwarded one).
public struct AddressLimits: Sendable {
    public enum Action: String, Sendable {
        case signUp = "sign-up"
        case codeRequest = "code-request"
        /// A password sign-in: counted before it runs, given back if it succeeds, so that only
        /// failures use the allowance and many sent at once cannot outrun it.
        case signIn = "sign-in"
        /// A hosted sign-in started (a stored authorization request): twenty times `perHour`, so
        /// no address fills the database with requests it never finishes.
        case signInStart = "sign-in-start"
        /// A guest identity's credentials or OpenID token (GetCredentialsForIdentity,
        /// GetOpenIdToken without logins): twenty times `perHour`, so no address that holds a
        /// guest identity id can make the server sign tokens and ask STS without end.
        case guestCredentials = "guest-credentials"
    }

    let store: any RateLimitStore
    let perHour: Int
    let signInFailuresPerHour: Int
    let now: Now

    public init(store: any RateLimitStore, perHour: Int, signInFailuresPerHour: Int = 100, now: @escaping Now) {
        self.store = store
        self.perHour = perHour
        self.signInFailuresPerHour = signInFailuresPerHour
        self.now = now
    }

    func limit(_ action: Action) -> Int {
        switch action {
        case .signIn: signInFailuresPerHour
        case .signInStart, .guestCredentials: perHour * 20
        default: perHour
        }
    }

    func key(_ action: Action, _ address: String) -> (key: String, expiresAt: Date) {
        let hour = Int(now().timeIntervalSince1970 / 3_600)
        let counted = IPAddress.limitKey(address) ?? address
        return ("\(action.rawValue)|\(counted)|\(hour)", Date(timeIntervalSince1970: Double(hour + 1) * 3_600))
    }

    /// Counts one attempt; false once the address has used its allowance for this hour.
    public func allow(_ action: Action, from address: String?) async throws -> Bool {
        guard limit(action) > 0, let address, !address.isEmpty else { return true }
        let (key, expiresAt) = key(action, address)
        return try await store.hit(key, expiresAt: expiresAt) <= limit(action)
    }

    /// Gives back an attempt `allow` counted (a sign-in that succeeded).
    public func giveBack(_ action: Action, from address: String?) async throws {
        guard limit(action) > 0, let address, !address.isEmpty else { return }
        try await store.release(key(action, address).key)
    }
}
