import CognateCore
import CognateModel
import Foundation

struct AttributeType: Codable, Sendable {
    var Name: String
    var Value: String?
}

struct UserType: Encodable, Sendable {
    var Username: String
    var Attributes: [AttributeType]
    var UserCreateDate: Date
    var UserLastModifiedDate: Date
    var Enabled: Bool
    var UserStatus: String

    init(_ user: User, only names: Set<String>? = nil) {
        Username = user.username
        Attributes = UserAttributes.list(user).filter { names?.contains($0.Name) ?? true }
        UserCreateDate = user.createdAt
        UserLastModifiedDate = user.updatedAt
        Enabled = user.enabled
        UserStatus = user.status.rawValue
    }
}

enum UserAttributes {
    /// UserMFASettingList: the enabled factors the user can use, or nil (omitted) when none.
    static func mfaFactors(_ user: User) -> [String]? {
        let factors = [UserMFA.sms, UserMFA.softwareToken, UserMFA.email]
            .filter { user.mfa.enabled.contains($0) && SignInService.availableFactors(user).contains($0) }
        return factors.isEmpty ? nil : factors
    }

    /// The attributes as Cognito lists them: `sub` first, then the rest by name.
    static func list(_ user: User) -> [AttributeType] {
        [AttributeType(Name: "sub", Value: user.sub.uuidString.lowercased())]
            + user.attributes.sorted { $0.key < $1.key }.map { AttributeType(Name: $0.key, Value: $0.value) }
    }

    /// Name → value from the request's list; a later duplicate wins, as in Cognito.
    static func dictionary(_ list: [AttributeType]?) -> [String: String] {
        var result: [String: String] = [:]
        for attribute in list ?? [] {
            var value = attribute.Value ?? ""
            // Cognito takes booleans in any case ("True"); they are kept as "true" and "false".
            if UserAttributeRules.verificationFlags.contains(attribute.Name), ["true", "false"].contains(value.lowercased()) { value = value.lowercased() }
            result[attribute.Name] = value
        }
        return result
    }
}
