import Foundation

/// One sign-in, sign-up, code request or password change of a user, as Cognito's threat
/// protection keeps them (AdminListUserAuthEvents): what happened, whether it passed, and from
/// where. Kept until `expiresAt` (COGNATE_AUTH_EVENTS_DAYS), then swept.
public struct AuthEvent: Sendable, Equatable {
    /// Cognito's EventType values.
    public enum Kind: String, Sendable, CaseIterable {
        case signIn = "SignIn", signUp = "SignUp", forgotPassword = "ForgotPassword", passwordChange = "PasswordChange"
        case resendCode = "ResendCode"
    }

    /// Cognito's EventResponse values: a sign-in waiting on its second factor is in progress.
    public enum Response: String, Sendable {
        case pass = "Pass", fail = "Fail", inProgress = "InProgress"
    }

    /// A step of the event (Cognito's ChallengeResponses): the password, then the second factor.
    public struct Step: Sendable, Equatable, Codable {
        public enum Name: String, Sendable, Codable { case password = "Password", mfa = "Mfa" }
        public var name: Name
        public var success: Bool

        public init(_ name: Name, _ success: Bool) {
            self.name = name
            self.success = success
        }
    }

    public var id: UUID
    public var poolId: String
    public var userSub: UUID
    public var kind: Kind
    public var response: Response
    public var steps: [Step]
    /// Refused without looking at the password (the user is locked out): Cognito's RiskDecision "Block".
    public var blocked: Bool
    public var createdAt: Date
    public var expiresAt: Date
    public var clientId: String?
    public var ipAddress: String?
    public var userAgent: String?
    /// An operator's word on it (AdminUpdateAuthEventFeedback): "Valid" or "Invalid".
    public var feedback: String?
    public var feedbackAt: Date?

    public init(id: UUID = UUID(), poolId: String, userSub: UUID, kind: Kind, response: Response, steps: [Step] = [],
                blocked: Bool = false, createdAt: Date, expiresAt: Date, clientId: String? = nil, ipAddress: String? = nil,
                userAgent: String? = nil, feedback: String? = nil, feedbackAt: Date? = nil) {
        self.id = id
        self.poolId = poolId
        self.userSub = userSub
        self.kind = kind
        self.response = response
        self.steps = steps
        self.blocked = blocked
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.clientId = clientId
        self.ipAddress = ipAddress
        self.userAgent = userAgent
        self.feedback = feedback
        self.feedbackAt = feedbackAt
    }
}
