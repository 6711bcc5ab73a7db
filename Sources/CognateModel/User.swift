import Foundation

public enum UserStatus: String, Sendable, Codable, CaseIterable {
    case unconfirmed = "UNCONFIRMED"
    case confirmed = "CONFIRMED"
    case forceChangePassword = "FORCE_CHANGE_PASSWORD"
    case resetRequired = "RESET_REQUIRED"
    case externalProvider = "EXTERNAL_PROVIDER"
}

/// A person in a pool. `attributes` holds standard OIDC and `custom:*` attributes as Cognito
/// exposes them: strings, with `email_verified` and `phone_number_verified` as "true"/"false".
public struct User: Sendable, Equatable, Codable {
    public var poolId: String
    public var sub: UUID
    public var username: String
    public var status: UserStatus
    public var enabled: Bool
    public var attributes: [String: String]
    /// A PHC or modular-crypt string; the algorithm is its prefix.
    public var passwordHash: String?
    /// When a temporary password (FORCE_CHANGE_PASSWORD) stops working.
    public var temporaryPasswordExpiresAt: Date?
    /// The SRP salt and verifier for USER_SRP_AUTH, sealed with the master key; `nil` until a
    /// password is set or used in the clear (imported hashes get one at their first sign-in).
    public var srpVerifier: Data?
    /// Second factors: what is set up, enabled and preferred.
    public var mfa: UserMFA = UserMFA()
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        poolId: String, sub: UUID, username: String, status: UserStatus, enabled: Bool = true,
        attributes: [String: String] = [:], passwordHash: String? = nil, temporaryPasswordExpiresAt: Date? = nil,
        createdAt: Date, updatedAt: Date
    ) {
        self.poolId = poolId
        self.sub = sub
        self.username = username
        self.status = status
        self.enabled = enabled
        self.attributes = attributes
        self.passwordHash = passwordHash
        self.temporaryPasswordExpiresAt = temporaryPasswordExpiresAt
        self.srpVerifier = nil
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public var emailVerified: Bool { attributes["email_verified"] == "true" }
    public var phoneNumberVerified: Bool { attributes["phone_number_verified"] == "true" }
}

/// A user's second factors, as Cognito's SetUserMFAPreference describes them.
public struct UserMFA: Sendable, Equatable, Codable {
    public static let softwareToken = "SOFTWARE_TOKEN_MFA"
    public static let sms = "SMS_MFA"
    public static let email = "EMAIL_OTP"

    /// The verified TOTP secret, sealed with the master key.
    public var totpSecret: Data?
    /// A secret handed out by AssociateSoftwareToken and not yet proven with a code.
    public var pendingTotpSecret: Data?
    /// The MFA_SETUP sign-in the pending secret was made for (a digest of its session), nil
    /// when the signed-in user asked for it: another sign-in's setup never sees it.
    public var pendingTotpSession: String?
    /// The last 30-second step whose TOTP code was accepted: a code works once.
    public var lastTotpStep: Int?
    /// Enabled factors: SOFTWARE_TOKEN_MFA, SMS_MFA, EMAIL_OTP.
    public var enabled: Set<String>
    public var preferred: String?

    public init(totpSecret: Data? = nil, pendingTotpSecret: Data? = nil, lastTotpStep: Int? = nil, enabled: Set<String> = [],
                preferred: String? = nil) {
        self.totpSecret = totpSecret
        self.pendingTotpSecret = pendingTotpSecret
        self.lastTotpStep = lastTotpStep
        self.enabled = enabled
        self.preferred = preferred
    }
}

/// One way to name a user at sign-in: the user name itself or an alias. The store keeps
/// `(poolId, key)` unique with a database index, so two users can never share a name.
public struct UserIdentifier: Sendable, Equatable, Hashable, Codable {
    public enum Kind: String, Sendable, Codable {
        case username, email, phoneNumber = "phone_number", preferredUsername = "preferred_username"
        /// An outside provider's user linked to this one (AdminLinkProviderForUser): the key is
        /// the user name that provider's sign-in would have made, `<ProviderName>_<id>`.
        case federated
    }

    public var kind: Kind
    /// The value as compared: lower-cased unless the pool is case-sensitive.
    public var key: String

    public init(kind: Kind, key: String) {
        self.kind = kind
        self.key = key
    }

    /// The key under which `value` is looked up in a pool.
    public static func key(_ value: String, caseSensitive: Bool) -> String {
        caseSensitive ? value : value.lowercased()
    }
}

extension User {
    /// The identifiers this user holds in `pool`: the user name, plus each alias attribute
    /// (and user-name attribute) that has a value. Cognito counts an email or phone alias
    /// only once it is verified; until then it cannot be used to sign in.
    public func identifiers(in pool: UserPool) -> Set<UserIdentifier> {
        var result: Set<UserIdentifier> = [
            UserIdentifier(kind: .username, key: UserIdentifier.key(username, caseSensitive: pool.caseSensitive)),
        ]
        // a user of an outside provider signs in there: its addresses are no one's sign-in names
        if status == .externalProvider { return result }
        for link in linkedIdentities {
            result.insert(UserIdentifier(kind: .federated, key: UserIdentifier.key("\(link.providerName)_\(link.userId)", caseSensitive: pool.caseSensitive)))
        }
        let aliasNames = Set(pool.aliasAttributes + pool.usernameAttributes)
        for name in aliasNames {
            guard let kind = UserIdentifier.Kind(rawValue: name), kind != .username,
                let value = attributes[name], !value.isEmpty
            else { continue }
            switch kind {
            case .email where !emailVerified && !pool.usernameAttributes.contains("email"): continue
            case .phoneNumber where !phoneNumberVerified && !pool.usernameAttributes.contains("phone_number"): continue
            default: break
            }
            let key = kind == .email
                ? value.lowercased()
                : UserIdentifier.key(value, caseSensitive: pool.caseSensitive)
            result.insert(UserIdentifier(kind: kind, key: key))
        }
        return result
    }
}

/// One entry of a user's `identities` attribute (Cognito's JSON list): an outside provider's
/// user that signs in as this one, the one it was made for (`primary`) or one linked to it.
public struct FederatedIdentity: Sendable, Equatable {
    public var userId: String
    public var providerName: String
    public var providerType: String
    public var primary: Bool
    public var dateCreated: Date

    public init(userId: String, providerName: String, providerType: String, primary: Bool, dateCreated: Date) {
        self.userId = userId
        self.providerName = providerName
        self.providerType = providerType
        self.primary = primary
        self.dateCreated = dateCreated
    }

    /// The attribute's text for `list`, as Cognito writes it (`issuer` null, `primary` and
    /// `dateCreated`, in milliseconds, as strings); nil for an empty list.
    public static func attribute(_ list: [FederatedIdentity]) -> String? {
        guard !list.isEmpty else { return nil }
        let entries: [[String: Any]] = list.map {
            ["userId": $0.userId, "providerName": $0.providerName, "providerType": $0.providerType, "issuer": NSNull(),
             "primary": $0.primary ? "true" : "false", "dateCreated": String(Int($0.dateCreated.timeIntervalSince1970 * 1000))]
        }
        return (try? JSONSerialization.data(withJSONObject: entries, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) }
    }
}

extension User {
    /// The outside identities in the `identities` attribute: for a provider's user, the one it
    /// was made for; for a native user, those linked to it.
    public var linkedIdentities: [FederatedIdentity] {
        guard let text = attributes["identities"], let list = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]] else {
            return []
        }
        return list.compactMap { entry in
            guard let provider = entry["providerName"] as? String, let id = entry["userId"] as? String else { return nil }
            let created = (entry["dateCreated"] as? String).flatMap(Double.init).map { Date(timeIntervalSince1970: $0 / 1000) } ?? Date(timeIntervalSince1970: 0)
            return FederatedIdentity(userId: id, providerName: provider, providerType: entry["providerType"] as? String ?? "",
                                     primary: entry["primary"] as? String == "true", dateCreated: created)
        }
    }
}

/// ListUsers' filter: one field equal to `value`, or (`prefix`) starting with it, without case.
public struct UserFilter: Sendable, Equatable {
    public enum Field: Sendable, Equatable {
        case username
        /// `cognito:user_status`
        case status
        /// `status`: Enabled or Disabled
        case enabled
        case sub
        case attribute(String)
    }

    public var field: Field
    public var value: String
    public var prefix: Bool

    public init(field: Field, value: String, prefix: Bool) {
        self.field = field
        self.value = value
        self.prefix = prefix
    }

    public func matches(_ user: User) -> Bool {
        let actual: String? = switch field {
        case .username: user.username
        case .status: user.status.rawValue
        case .enabled: user.enabled ? "Enabled" : "Disabled"
        case .sub: user.sub.uuidString.lowercased()
        case .attribute(let name): user.attributes[name]
        }
        guard let actual else { return false }
        return matches(actual)
    }

    public func matches(_ actual: String) -> Bool {
        prefix ? actual.lowercased().hasPrefix(value.lowercased()) : actual == value
    }
}
