import CognateCore
import Foundation

/// Checks a request body against the operation's input shape as AWS does: a value of the wrong
/// type is a SerializationException; broken constraints (missing required member, length,
/// range, pattern, enum) are collected into one InvalidParameterException (ValidationException for
/// the Identity API) worded like AWS's
/// ("2 validation errors detected: Value null at 'poolName' failed to satisfy constraint: …").
struct RequestValidator {
    let model: ServiceModel

    func validate(_ value: JSONValue, shape name: String) throws {
        var violations: [String] = []
        try check(value, shapeName: name, path: "", violations: &violations)
        guard !violations.isEmpty else { return }
        let count = violations.count
        throw CognitoError(model.validationException,
                           "\(count) validation error\(count == 1 ? "" : "s") detected: " + violations.joined(separator: "; "))
    }

    private func check(_ value: JSONValue, shapeName: String, path: String, violations: inout [String]) throws {
        guard let shape = model.shapes[shapeName] else { return }
        if case .null = value { return }
        func fail(_ constraint: String, shown: String? = nil) {
            let valueText = shape.sensitive == true ? "" : (shown.map { " '\($0)'" } ?? "")
            violations.append("Value\(valueText) at '\(path)' failed to satisfy constraint: Member must \(constraint)")
        }
        func wrongType() -> CognitoError {
            .serialization("Expected \(shape.type) for '\(path.isEmpty ? "request" : path)' but got \(value.typeName)")
        }
        switch shape.type {
        case "structure":
            guard case .object(let object) = value else { throw wrongType() }
            for member in shape.required ?? [] where object[member] == nil || object[member] == .null {
                violations.append("Value null at '\(Self.join(path, member))' failed to satisfy constraint: Member must not be null")
            }
            for (member, memberShape) in (shape.members ?? [:]).sorted(by: { $0.key < $1.key }) {
                if let child = object[member] {
                    try check(child, shapeName: memberShape, path: Self.join(path, member), violations: &violations)
                }
            }
        case "string", "blob":
            guard case .string(let text) = value else { throw wrongType() }
            // a blob travels as base64: its length is that of the bytes it stands for
            let length = shape.type == "blob" ? text.utf8.count / 4 * 3 - text.suffix(2).filter { $0 == "=" }.count : text.count
            if let min = shape.min, Double(length) < min { fail("have length greater than or equal to \(Int(min))", shown: text) }
            if let max = shape.max, Double(length) > max { fail("have length less than or equal to \(Int(max))", shown: text) }
            if let values = shape.enum, !values.contains(text) {
                fail("satisfy enum value set: [\(values.joined(separator: ", "))]", shown: text)
            }
            if let pattern = shape.pattern, let regex = model.patterns[pattern],
                regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil
            {
                fail("satisfy regular expression pattern: \(pattern)", shown: text)
            }
        case "integer", "long":
            let number: Int64
            switch value {
            case .integer(let int): number = int
            case .number(let double) where double.rounded() == double && abs(double) < 9e15: number = Int64(double)
            default: throw wrongType()
            }
            if let min = shape.min, Double(number) < min { fail("have value greater than or equal to \(Int(min))", shown: "\(number)") }
            if let max = shape.max, Double(number) > max { fail("have value less than or equal to \(Int(max))", shown: "\(number)") }
        case "double", "float":
            switch value {
            case .integer, .number: break
            default: throw wrongType()
            }
        case "boolean":
            guard case .bool = value else { throw wrongType() }
        case "timestamp":
            switch value {
            case .integer, .number: break
            default: throw wrongType()
            }
        case "list":
            guard case .array(let items) = value else { throw wrongType() }
            if let min = shape.min, Double(items.count) < min { fail("have length greater than or equal to \(Int(min))") }
            if let max = shape.max, Double(items.count) > max { fail("have length less than or equal to \(Int(max))") }
            for (index, item) in items.enumerated() {
                try check(item, shapeName: shape.member ?? "", path: "\(path).\(index + 1).member", violations: &violations)
            }
        case "map":
            guard case .object(let entries) = value else { throw wrongType() }
            if let max = shape.max, Double(entries.count) > max { fail("have length less than or equal to \(Int(max))") }
            for (key, item) in entries.sorted(by: { $0.key < $1.key }) {
                try check(.string(key), shapeName: shape.key ?? "", path: "\(path).\(key).key", violations: &violations)
                try check(item, shapeName: shape.value ?? "", path: "\(path).\(key).value", violations: &violations)
            }
        default:
            break
        }
    }

    /// AWS names members in lower camel case in its messages: `UserPoolId` → `userPoolId`.
    static func join(_ path: String, _ member: String) -> String {
        let name = member.prefix(1).lowercased() + member.dropFirst()
        return path.isEmpty ? name : "\(path).\(name)"
    }
}
