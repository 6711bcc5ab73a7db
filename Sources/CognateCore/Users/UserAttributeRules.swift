import CognateModel
import Foundation

/// What attribute writes a pool accepts (Cognito's rules for AdminCreateUser, SignUp and the
/// attribute updates).
public enum UserAttributeRules {
    /// Attributes only the admin API may write directly.
    public static let verificationFlags: Set<String> = ["email_verified", "phone_number_verified"]

    /// Checks `changes` (name → new value) against the pool's schema. `existing` is nil when the
    /// user is being created; then immutable custom attributes may be set, and required ones must be.
    public static func validate(_ changes: [String: String], pool: UserPool, existing: User?) throws(ValidationError) {
        let schema = Dictionary(pool.schema.map { ($0.name, $0) }, uniquingKeysWith: { $1 })
        for (name, value) in changes.sorted(by: { $0.key < $1.key }) {
            if name == "sub" { throw ValidationError(field: name, message: "Cannot modify the non-mutable attribute sub") }
            let known = PoolRules.standardAttributeNames.contains(name) || verificationFlags.contains(name) || schema[name] != nil
            guard known else { throw ValidationError(field: name, message: "Attribute does not exist in the schema.") }
            if let attribute = schema[name], existing != nil, !attribute.mutable {
                throw ValidationError(field: name, message: "Cannot modify an immutable attribute: \(name)")
            }
            if value.count > 2048 { throw ValidationError(field: name, message: "Attribute value must be at most 2048 characters") }
            if verificationFlags.contains(name), value != "true", value != "false" {
                throw ValidationError(field: name, message: "\(name) must be true or false")
            }
            if name == "email", !value.isEmpty, !isEmail(value) {
                throw ValidationError(field: name, message: "Invalid email address format.")
            }
            if name == "phone_number", !value.isEmpty, !isPhoneNumber(value) {
                throw ValidationError(field: name, message: "Invalid phone number format: use +<country code><number>.")
            }
            if let attribute = schema[name], name.hasPrefix("custom:") {
                try check(value, against: attribute)
            }
        }
        if existing == nil {
            for attribute in pool.schema where attribute.required && (changes[attribute.name] ?? "").isEmpty {
                throw ValidationError(field: attribute.name, message: "The attribute \(attribute.name) is required")
            }
        }
    }

    static func check(_ value: String, against attribute: SchemaAttribute) throws(ValidationError) {
        switch attribute.dataType {
        case .string, .dateTime:
            if let min = attribute.minLength, value.count < min {
                throw ValidationError(field: attribute.name, message: "\(attribute.name) must be at least \(min) characters")
            }
            if let max = attribute.maxLength, value.count > max {
                throw ValidationError(field: attribute.name, message: "\(attribute.name) must be at most \(max) characters")
            }
        case .number:
            guard let number = Int(value) else {
                throw ValidationError(field: attribute.name, message: "\(attribute.name) must be a number")
            }
            if let min = attribute.minValue, number < min {
                throw ValidationError(field: attribute.name, message: "\(attribute.name) must be at least \(min)")
            }
            if let max = attribute.maxValue, number > max {
                throw ValidationError(field: attribute.name, message: "\(attribute.name) must be at most \(max)")
            }
        case .boolean:
            guard value == "true" || value == "false" else {
                throw ValidationError(field: attribute.name, message: "\(attribute.name) must be true or false")
            }
        }
    }

    public static func isEmail(_ value: String) -> Bool {
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && !parts[1].hasPrefix(".")
            && !parts[1].hasSuffix(".") && !value.contains(where: \.isWhitespace)
    }

    public static func isPhoneNumber(_ value: String) -> Bool {
        value.hasPrefix("+") && (2...16).contains(value.count) && value.dropFirst().allSatisfy { $0.isASCII && $0.isNumber }
    }
}
