import Foundation
import Yams

/// A node of the config file with its path, read with typed accessors that fail with the
/// file, line and field of the offending value.
struct YAMLField {
    let node: Node
    let path: String
    let file: String
    let marks: MarkTable

    func error(_ message: String, field: String? = nil) -> ConfigFileError {
        // The closest recorded position: the field itself, or the nearest enclosing one.
        let mark = field.flatMap { wanted in
            marks.marks.filter { wanted.hasPrefix($0.key) }.max { $0.key.count < $1.key.count }?.value
        } ?? node.mark
        return ConfigFileError(
            file: file, line: mark?.line ?? 0, column: mark?.column ?? 0, field: field ?? path, message: message)
    }

    func child(_ node: Node, _ name: String) -> YAMLField {
        let childPath = path.isEmpty ? name : (name.hasPrefix("[") ? path + name : "\(path).\(name)")
        marks.marks[childPath] = node.mark
        return YAMLField(node: node, path: childPath, file: file, marks: marks)
    }

    /// The mapping's values by key; a key outside `keys` is an error (it is usually a typo).
    func mapping(_ keys: Set<String>) throws -> [String: YAMLField] {
        guard case .mapping(let mapping) = node else { throw error("expected a mapping") }
        var result: [String: YAMLField] = [:]
        for (key, value) in mapping {
            guard let name = key.string else { throw error("keys must be strings") }
            guard keys.contains(name) else {
                throw child(key, name).error("unknown field; expected one of \(keys.sorted().joined(separator: ", "))")
            }
            result[name] = child(value, name)
        }
        return result
    }

    /// A mapping of text to text whose keys are not fixed (provider details, attribute mappings).
    func stringMap() throws -> [String: String] {
        guard case .mapping(let mapping) = node else { throw error("expected a mapping") }
        var result: [String: String] = [:]
        for (key, value) in mapping {
            guard let name = key.string else { throw error("keys must be strings") }
            result[name] = try child(value, name).string()
        }
        return result
    }

    func sequence() throws -> [YAMLField] {
        if case .scalar(let scalar) = node, scalar.string.isEmpty || scalar.string == "null" { return [] }
        guard case .sequence(let sequence) = node else { throw error("expected a list") }
        return sequence.enumerated().map { child($1, "[\($0)]") }
    }

    func string() throws -> String {
        guard case .scalar(let scalar) = node else { throw error("expected a text value") }
        return scalar.string
    }

    func nonEmptyString() throws -> String {
        let value = try string()
        guard !value.isEmpty else { throw error("must not be empty") }
        return value
    }

    func bool() throws -> Bool {
        guard case .scalar = node, let value = node.bool else { throw error("expected true or false") }
        return value
    }

    func int() throws -> Int {
        guard case .scalar = node, let value = node.int else { throw error("expected a whole number") }
        return value
    }

    func strings() throws -> [String] {
        try sequence().map { try $0.string() }
    }

    /// A lifetime in seconds: a number of seconds or a number with s, m, h or d.
    func duration() throws -> Int {
        let text = try string()
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400]
        if let last = text.last, let unit = units[last], let amount = Int(text.dropLast()) { return amount * unit }
        if let seconds = Int(text) { return seconds }
        throw error("expected a duration such as 3600, 60m, 24h or 30d")
    }

    func oneOf<Value: RawRepresentable & CaseIterable>(_: Value.Type) throws -> Value where Value.RawValue == String {
        let text = try string()
        guard let value = Value(rawValue: text) else {
            throw error("expected one of \(Value.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }
}

final class MarkTable {
    var marks: [String: Mark] = [:]
}
