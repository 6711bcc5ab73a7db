import CognateModel
import Foundation
import Logging

/// Where the request being served came from. The web layer sets it for the request's task, so
/// the services that record auth events learn the address and user agent without passing them
/// through every call.
public struct RequestOrigin: Sendable, Equatable {
    public var address: String?
    public var userAgent: String?

    public init(address: String?, userAgent: String?) {
        self.address = address
        self.userAgent = userAgent
    }

    @TaskLocal public static var current: RequestOrigin?
}

/// Records a user's sign-ins, sign-ups, code requests and password changes (Cognito's user
/// event history, AdminListUserAuthEvents), kept `days` days. A failure to record is logged and
/// never fails the person's request: the history serves the operator, not the sign-in.
public struct AuthEvents: Sendable {
    let store: any AuthEventStore
    let days: Int
    let now: Now
    let logger: Logger

    public init(store: any AuthEventStore, days: Int, now: @escaping Now, logger: Logger = Logger(label: "cognate.auth-events")) {
        self.store = store
        self.days = days
        self.now = now
        self.logger = logger
    }

    static let userAgentLimit = 512

    /// Records an event for `user` from the current request's origin; returns its id (nil when
    /// events are not kept).
    @discardableResult
    public func record(_ kind: AuthEvent.Kind, _ response: AuthEvent.Response, user: User, clientId: String?,
                       steps: [AuthEvent.Step] = [], blocked: Bool = false, id: UUID = UUID()) async -> UUID? {
        await record(kind, response, poolId: user.poolId, sub: user.sub, clientId: clientId, steps: steps, blocked: blocked, id: id)
    }

    /// Records an event under `sub`; for a name no one holds, its phantom's sub: the request
    /// then writes what an account's would (no one can list a phantom's events; they are swept
    /// with the rest).
    @discardableResult
    public func record(_ kind: AuthEvent.Kind, _ response: AuthEvent.Response, poolId: String, sub: UUID, clientId: String?,
                       steps: [AuthEvent.Step] = [], blocked: Bool = false, id: UUID = UUID()) async -> UUID? {
        guard days > 0 else { return nil }
        let date = now()
        let origin = RequestOrigin.current
        let event = AuthEvent(
            id: id, poolId: poolId, userSub: sub, kind: kind, response: response, steps: steps, blocked: blocked,
            createdAt: date, expiresAt: date.addingTimeInterval(Double(days) * 86_400), clientId: clientId,
            ipAddress: origin?.address, userAgent: origin?.userAgent.map { String($0.prefix(Self.userAgentLimit)) })
        do {
            try await store.recordAuthEvent(event)
            return id
        } catch {
            logger.warning("auth event not recorded: \(String(describing: error))")
            return nil
        }
    }

    /// A sign-in's outcome after the challenge that followed its password.
    public func settle(_ id: UUID?, poolId: String, _ response: AuthEvent.Response, steps: [AuthEvent.Step]) async {
        guard let id, days > 0 else { return }
        do {
            try await store.updateAuthEvent(id: id, poolId: poolId, response: response, steps: steps)
        } catch {
            logger.warning("auth event not updated: \(String(describing: error))")
        }
    }

    /// Whether a sign-in error is the lockout's (refused without looking at the password).
    static func isLockout(_ error: any Error) -> Bool {
        (error as? SignInError) == .lockedOut
    }
}
