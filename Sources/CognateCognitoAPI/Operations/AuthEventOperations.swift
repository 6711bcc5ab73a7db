import CognateCore
import CognateModel
import Foundation

/// Cognito's AuthEventType: one entry of a user's event history.
struct AuthEventType: Encodable, Sendable {
    struct Risk: Encodable, Sendable {
        var RiskDecision: String
        var CompromisedCredentialsDetected: Bool
    }

    struct ChallengeResponse: Encodable, Sendable {
        var ChallengeName: String
        var ChallengeResponse: String
    }

    struct ContextData: Encodable, Sendable {
        var IpAddress: String?
        var DeviceName: String?
    }

    struct Feedback: Encodable, Sendable {
        var FeedbackValue: String
        var Provider: String
        var FeedbackDate: Date
    }

    var EventId: String
    var EventType: String
    var CreationDate: Date
    var EventResponse: String
    var EventRisk: Risk
    var ChallengeResponses: [ChallengeResponse]
    var EventContextData: ContextData?
    var EventFeedback: Feedback?

    init(_ event: AuthEvent) {
        EventId = event.id.uuidString.lowercased()
        EventType = event.kind.rawValue
        CreationDate = event.createdAt
        EventResponse = event.response.rawValue
        // no risk scoring; a lockout's refusal is the one thing Cognate blocks on its own
        EventRisk = Risk(RiskDecision: event.blocked ? "Block" : "NoRisk", CompromisedCredentialsDetected: false)
        ChallengeResponses = event.steps.map { ChallengeResponse(ChallengeName: $0.name.rawValue, ChallengeResponse: $0.success ? "Success" : "Failure") }
        EventContextData = event.ipAddress == nil && event.userAgent == nil ? nil
            : ContextData(IpAddress: event.ipAddress, DeviceName: event.userAgent)
        EventFeedback = event.feedback.map { Feedback(FeedbackValue: $0, Provider: "Admin", FeedbackDate: event.feedbackAt ?? event.createdAt) }
    }
}

struct AdminListUserAuthEvents: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var Username: String
        var MaxResults: Int?
        var NextToken: String?
    }

    struct Output: Encodable, Sendable {
        var AuthEvents: [AuthEventType]
        var NextToken: String?
    }

    static let name = "AdminListUserAuthEvents"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        let user = try await context.existingUser(try await context.existingPool(input.UserPoolId), input.Username)
        let limit = (input.MaxResults ?? 0) > 0 ? input.MaxResults! : 60
        let page = try await context.store.authEvents(poolId: user.poolId, userSub: user.sub, limit: limit, after: input.NextToken)
        return Output(AuthEvents: page.items.map(AuthEventType.init), NextToken: page.next)
    }
}

struct AdminUpdateAuthEventFeedback: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var Username: String
        var EventId: String
        var FeedbackValue: String
    }

    static let name = "AdminUpdateAuthEventFeedback"

    static func run(_ input: Input, _ context: APIContext) async throws -> EmptyOutput {
        let user = try await context.existingUser(try await context.existingPool(input.UserPoolId), input.Username)
        guard let id = UUID(uuidString: input.EventId),
            try await context.store.setAuthEventFeedback(poolId: user.poolId, userSub: user.sub, id: id, value: input.FeedbackValue,
                                                         at: context.now())
        else { throw CognitoError.resourceNotFound("Auth event not found.") }
        return EmptyOutput()
    }
}
