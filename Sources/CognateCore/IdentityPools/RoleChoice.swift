import CognateModel
import Foundation

/// Which role an identity's credentials are for (docs.aws.amazon.com/cognito/latest/developerguide/role-based-access-control.html):
/// a guest gets the unauthenticated role; an authenticated identity the role its login's
/// mapping chooses — Token: `cognito:preferred_role`, or the one of `cognito:roles` the
/// caller names as CustomRoleArn; Rules: the first rule its claims match — and, when the mapping
/// cannot decide, the authenticated role or a refusal as AmbiguousRoleResolution says. Without
/// a mapping, the authenticated role.
enum RoleChoice {
    static func choose(pool: IdentityPool, authenticated: Bool, logins: [(mappingKey: String, claims: TokenClaims)],
                       customRoleArn: String?) throws -> String {
        guard authenticated else {
            guard pool.allowUnauthenticated else { throw IdentityPoolError.guestsRefused }
            guard let role = pool.roles["unauthenticated"] else { throw IdentityPoolError.badConfiguration }
            return role
        }
        for login in logins {
            guard let mapping = pool.roleMappings[login.mappingKey] else { continue }
            if let role = try mapped(mapping, claims: login.claims, customRoleArn: customRoleArn) { return role }
            switch mapping.ambiguous {
            case .deny, nil:
                throw IdentityPoolError.notAuthorized("No role could be chosen for this identity, and the role mapping denies the request.")
            case .authenticatedRole:
                break
            }
        }
        guard let role = pool.roles["authenticated"] else { throw IdentityPoolError.badConfiguration }
        return role
    }

    /// The mapping's role, or nil when it is ambiguous.
    static func mapped(_ mapping: IdentityPool.RoleMapping, claims: TokenClaims, customRoleArn: String?) throws -> String? {
        switch mapping.kind {
        case .token:
            let roles: [String] = switch claims["cognito:roles"] {
            case .strings(let list): list
            case .string(let one): [one]
            default: []
            }
            if let customRoleArn {
                guard roles.contains(customRoleArn) else {
                    throw IdentityPoolError.invalidParameter("CustomRoleArn is not one of the roles in the token.")
                }
                return customRoleArn
            }
            if let preferred = claims["cognito:preferred_role"]?.string { return preferred }
            return roles.count == 1 ? roles[0] : nil
        case .rules:
            return mapping.rules.first { matches($0, claims[$0.claim]) }?.roleARN
        }
    }

    static func matches(_ rule: IdentityPool.RoleMapping.Rule, _ value: ClaimValue?) -> Bool {
        let values: [String]
        switch value {
        case .string(let text): values = [text]
        case .strings(let list):
            // a list (cognito:groups) contains a value when one of its members is that value: "admin" is not in ["superadmin"]
            if rule.match == .contains { return list.contains(rule.value) }
            values = list
        case .bool(let flag): values = [flag ? "true" : "false"]
        case .int(let number): values = [String(number)]
        case .json, nil: return false
        }
        switch rule.match {
        case .equals: return values.contains(rule.value)
        case .notEqual: return !values.contains(rule.value)
        case .startsWith: return values.contains { $0.hasPrefix(rule.value) }
        case .contains: return values.contains { $0.contains(rule.value) }
        }
    }
}

extension IdentityPoolService {
    /// The role for an identity (see `RoleChoice`); public for tests of the rules.
    public static func chooseRole(pool: IdentityPool, authenticated: Bool, logins: [(mappingKey: String, claims: TokenClaims)],
                                  customRoleArn: String?) throws -> String {
        try RoleChoice.choose(pool: pool, authenticated: authenticated, logins: logins, customRoleArn: customRoleArn)
    }
}
