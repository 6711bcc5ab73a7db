import CognateModel
import Foundation

/// What a PreTokenGeneration trigger asks of a token pair: claims added, overridden or suppressed
/// (V1: the ID token only, as text; V2 and V3: each token, any JSON value), scopes added to or
/// suppressed from the access token (V2/V3), and the groups the tokens name.
public struct TokenCustomization: Sendable, Equatable {
    public var idClaims: [String: ClaimValue] = [:]
    public var idSuppressed: Set<String> = []
    public var accessClaims: [String: ClaimValue] = [:]
    public var accessSuppressed: Set<String> = []
    public var scopesToAdd: [String] = []
    public var scopesToSuppress: Set<String> = []
    /// The groups the tokens carry (`cognito:groups`) instead of the user's; nil: the user's.
    public var groups: [String]?
    /// The ID token's `cognito:roles` instead of the groups'; nil: the groups'.
    public var roles: [String]?
    /// The ID token's `cognito:preferred_role` instead of the groups'; nil: the groups'.
    public var preferredRole: String?

    /// Claims Cognito does not let a trigger add, change or suppress (what it asks of them is
    /// ignored): they say who, for whom, when and by whom.
    public static let fixedClaims: Set<String> = [
        "acr", "amr", "aud", "at_hash", "auth_time", "azp", "c_hash", "client_id", "exp", "iat", "identities", "iss", "jti", "nbf",
        "nonce", "origin_jti", "scope", "sub", "token_use", "username", "cognito:username", "event_id", "version", "cognito:groups",
        "cognito:roles", "cognito:preferred_role",
    ]

    /// Calls the pool's PreTokenGeneration trigger (version from its PreTokenGenerationConfig) and
    /// reads its answer; nil when the pool has none. Without a user (a client's own token,
    /// TokenGeneration_ClientCredentials) only V3_0 is called, as in Cognito.
    public static func ask(_ triggers: Triggers, pool: UserPool, user: User?, client: AppClient, scopes: [String], groups: [String],
                           roles: (roles: [String], preferred: String?) = ([], nil), source: String) async throws -> TokenCustomization? {
        guard Triggers.has("PreTokenGeneration", pool) else { return nil }
        let version = pool.lambdaConfig?.preTokenGenerationVersion ?? "V1_0"
        if user == nil, version != "V3_0" { return nil }
        var request: [String: Any] = [
            "userAttributes": user.map(Triggers.attributes) ?? [:],
            "groupConfiguration": ["groupsToOverride": groups, "iamRolesToOverride": roles.roles, "preferredRole": roles.preferred ?? NSNull()]
                as [String: Any],
            "clientMetadata": [String: String](),
        ]
        if version != "V1_0" { request["scopes"] = scopes }
        guard let response = try await triggers.call("PreTokenGeneration", source: source, pool: pool, userName: user?.username,
                                                      clientId: client.clientId, request: request,
                                                      version: version == "V3_0" ? "3" : version == "V2_0" ? "2" : "1")
        else { return nil }
        var made = TokenCustomization()
        func unreadable() -> TriggerError { .unreadable(trigger: "PreTokenGeneration") }
        func claims(_ object: Any?, typed: Bool) throws -> [String: ClaimValue] {
            guard let object, !(object is NSNull) else { return [:] }
            guard let dictionary = object as? [String: Any] else { throw unreadable() }
            var result: [String: ClaimValue] = [:]
            for (name, value) in dictionary where !fixedClaims.contains(name) {
                if typed {
                    result[name] = try claim(value)
                } else {
                    guard let text = value as? String else { throw unreadable() }
                    result[name] = .string(text)
                }
            }
            return result
        }
        func names(_ object: Any?) throws -> [String] {
            guard let object, !(object is NSNull) else { return [] }
            guard let list = object as? [String] else { throw unreadable() }
            return list
        }
        func groupOverride(_ object: Any?) throws {
            guard let details = object as? [String: Any] else { return }
            if let groups = details["groupsToOverride"], !(groups is NSNull) { made.groups = try names(groups) }
            if let roles = details["iamRolesToOverride"], !(roles is NSNull) { made.roles = try names(roles) }
            switch details["preferredRole"] {
            case nil, is NSNull: break
            case let role as String: made.preferredRole = role
            default: throw unreadable()
            }
        }
        if version == "V1_0" {
            guard let details = response["claimsOverrideDetails"] else { return made }
            if details is NSNull { return made }
            guard let details = details as? [String: Any] else { throw unreadable() }
            made.idClaims = try claims(details["claimsToAddOrOverride"], typed: false)
            made.idSuppressed = Set(try names(details["claimsToSuppress"])).subtracting(fixedClaims)
            try groupOverride(details["groupOverrideDetails"])
        } else {
            guard let details = response["claimsAndScopeOverrideDetails"] else { return made }
            if details is NSNull { return made }
            guard let details = details as? [String: Any] else { throw unreadable() }
            if let id = details["idTokenGeneration"] as? [String: Any] {
                made.idClaims = try claims(id["claimsToAddOrOverride"], typed: true)
                made.idSuppressed = Set(try names(id["claimsToSuppress"])).subtracting(fixedClaims)
            }
            if let access = details["accessTokenGeneration"] as? [String: Any] {
                made.accessClaims = try claims(access["claimsToAddOrOverride"], typed: true)
                made.accessSuppressed = Set(try names(access["claimsToSuppress"])).subtracting(fixedClaims)
                made.scopesToAdd = try names(access["scopesToAdd"]).filter { !$0.isEmpty && !$0.contains(" ") }
                made.scopesToSuppress = Set(try names(access["scopesToSuppress"]))
            }
            try groupOverride(details["groupOverrideDetails"])
        }
        return made
    }

    /// A JSON value as a claim.
    static func claim(_ value: Any) throws -> ClaimValue {
        switch value {
        case let text as String: return .string(text)
        case let list as [String]: return .strings(list)
        case let number as NSNumber:
            // JSONSerialization's booleans are NSNumbers too, of C type char
            if String(cString: number.objCType) == "c" { return .bool(number.boolValue) }
            if number.doubleValue == Double(number.intValue) { return .int(number.intValue) }
            return .json(String(decoding: try JSONSerialization.data(withJSONObject: [number], options: [.fragmentsAllowed]).dropFirst().dropLast(), as: UTF8.self))
        default:
            let data = try JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys, .withoutEscapingSlashes])
            return .json(String(decoding: data, as: UTF8.self))
        }
    }

    /// The scopes an access token says, after the trigger.
    func scopes(_ granted: [String]) -> [String] {
        var result = granted.filter { !scopesToSuppress.contains($0) }
        for scope in scopesToAdd where !result.contains(scope) { result.append(scope) }
        return result
    }
}
