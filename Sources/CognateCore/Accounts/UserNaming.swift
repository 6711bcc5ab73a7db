import CognateModel
import Foundation

/// How a requested user name becomes the stored one (Cognito's rules, for AdminCreateUser and
/// SignUp alike): where email or phone is the sign-in name, the value moves into that attribute
/// and the user name becomes the sub; where they are aliases, a user name may not look like one.
public enum UserNaming {
    /// Returns the user name to store (nil: use the new user's sub) and the attributes to keep.
    public static func resolve(_ requested: String, pool: UserPool, attributes: [String: String]) throws(ValidationError)
        -> (username: String?, attributes: [String: String])
    {
        var attributes = attributes
        if !pool.usernameAttributes.isEmpty {
            if pool.usernameAttributes.contains("email"), UserAttributeRules.isEmail(requested) {
                attributes["email"] = requested
            } else if pool.usernameAttributes.contains("phone_number"), UserAttributeRules.isPhoneNumber(requested) {
                attributes["phone_number"] = requested
            } else {
                throw ValidationError(field: "Username", message: "Username should be \(pool.usernameAttributes.joined(separator: " or ")) format.")
            }
            return (nil, attributes)
        }
        if pool.aliasAttributes.contains("email"), UserAttributeRules.isEmail(requested) {
            throw ValidationError(field: "Username", message: "Username cannot be of email format, since user pool is configured for email alias.")
        }
        if pool.aliasAttributes.contains("phone_number"), UserAttributeRules.isPhoneNumber(requested) {
            throw ValidationError(
                field: "Username", message: "Username cannot be of phone number format, since user pool is configured for phone_number alias.")
        }
        return (requested, attributes)
    }
}
