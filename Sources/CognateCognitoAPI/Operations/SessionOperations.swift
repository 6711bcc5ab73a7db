import CognateCore
import CognateModel
import Foundation

/// Cognito's SessionDescriptionType.
struct SessionDescriptionType: Encodable, Sendable {
    var SessionId: String
    var SessionType: String
    var ClientId: String?
    var CreateDate: Date
    var LastActiveDate: Date
    var IsCurrentSession: Bool

    init(_ session: UserSessions.Session, current: String?) {
        SessionId = session.id
        SessionType = session.kind.rawValue
        ClientId = session.clientId
        CreateDate = session.createdAt
        LastActiveDate = session.lastActiveAt
        IsCurrentSession = session.id == current
    }
}

struct UserSessionsOutput: Encodable, Sendable {
    var Sessions: [SessionDescriptionType]
    var NextToken: String?
}

extension APIContext {
    var userSessions: UserSessions { UserSessions(store: store, tokens: tokens, now: now) }

    func revokeUserSession(_ user: User, id: String, current: UUID?) async throws {
        guard id.count == 28, id.hasPrefix("tkn") || id.hasPrefix("sso") else { throw CognitoError.invalidParameter("SessionId is not a session id") }
        do {
            try await userSessions.revoke(user, id: id, current: current)
        } catch UserSessions.Refusal.notFound {
            throw CognitoError("ResourceNotFoundException", "The user has no session with this id.")
        } catch UserSessions.Refusal.current {
            throw CognitoError.invalidParameter("The session of the access token that calls cannot be revoked with it; use GlobalSignOut or RevokeToken.")
        }
    }
}

struct ListUserSessions: APIOperation {
    struct Input: Decodable, Sendable {
        var AccessToken: String
        var NextToken: String?
    }

    static let name = "ListUserSessions"

    static func run(_ input: Input, _ context: APIContext) async throws -> UserSessionsOutput {
        let (user, claims) = try await context.accessTokenCaller(input.AccessToken)
        let current = claims["origin_jti"]?.string.map(UserSessions.tokenSessionId(family:))
        return UserSessionsOutput(Sessions: try await context.userSessions.list(user).map { SessionDescriptionType($0, current: current) })
    }
}

struct RevokeUserSession: APIOperation {
    struct Input: Decodable, Sendable {
        var AccessToken: String
        var SessionId: String
        var RevokeAssociatedSessions: String?
    }

    static let name = "RevokeUserSession"

    static func run(_ input: Input, _ context: APIContext) async throws -> EmptyOutput {
        let (user, claims) = try await context.accessTokenCaller(input.AccessToken)
        try await context.revokeUserSession(user, id: input.SessionId, current: claims["origin_jti"]?.string.flatMap(UUID.init(uuidString:)))
        return EmptyOutput()
    }
}

struct AdminListUserSessions: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var Username: String
        var NextToken: String?
    }

    static let name = "AdminListUserSessions"

    static func run(_ input: Input, _ context: APIContext) async throws -> UserSessionsOutput {
        let pool = try await context.existingPool(input.UserPoolId)
        let user = try await context.existingUser(pool, input.Username)
        return UserSessionsOutput(Sessions: try await context.userSessions.list(user).map { SessionDescriptionType($0, current: nil) })
    }
}

struct AdminRevokeUserSession: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var Username: String
        var SessionId: String
        var RevokeAssociatedSessions: String?
    }

    static let name = "AdminRevokeUserSession"

    static func run(_ input: Input, _ context: APIContext) async throws -> EmptyOutput {
        let pool = try await context.existingPool(input.UserPoolId)
        try await context.revokeUserSession(try await context.existingUser(pool, input.Username), id: input.SessionId, current: nil)
        return EmptyOutput()
    }
}
