import CognateModel
import Foundation
import JWTKit

/// Claim names that are not Swift identifiers, and values of several types.
struct ClaimKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

public enum ClaimValue: Sendable, Equatable, Codable {
    case string(String)
    case bool(Bool)
    case int(Int)
    case strings([String])
    /// A JSON value written as it is (Cognito's `identities` claim: an array of objects).
    case json(String)

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .strings(let value): try container.encode(value)
        case .json(let text): try container.encode(AnyJSON(try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])))
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int.self) { self = .int(value) }
        else if let value = try? container.decode([String].self) { self = .strings(value) }
        else { self = .string(try container.decode(String.self)) }
    }

    public var string: String? { if case .string(let value) = self { value } else { nil } }
    public var int: Int? { if case .int(let value) = self { value } else { nil } }
}

/// A token's claims as a flat map, signed as JSON. Cognito's tokens mix fixed claims with
/// user attributes (`email`, `custom:tenant`), so a fixed struct does not fit.
public struct TokenClaims: JWTPayload, Equatable {
    public var claims: [String: ClaimValue]

    public init(_ claims: [String: ClaimValue]) {
        self.claims = claims
    }

    public subscript(_ name: String) -> ClaimValue? { claims[name] }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: ClaimKey.self)
        for (name, value) in claims.sorted(by: { $0.key < $1.key }) { try container.encode(value, forKey: ClaimKey(name)) }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: ClaimKey.self)
        var claims: [String: ClaimValue] = [:]
        for key in container.allKeys {
            if let value = try? container.decode(ClaimValue.self, forKey: key) { claims[key.stringValue] = value }
        }
        self.claims = claims
    }

    /// The claims as compact JSON with sorted keys, written directly (RFC 8259 escaping):
    /// Foundation's JSONEncoder was a sixth of a refresh grant's time.
    public var json: [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(512)
        for (index, (name, value)) in claims.sorted(by: { $0.key < $1.key }).enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            Self.append(string: name, to: &out)
            out.append(UInt8(ascii: ":"))
            switch value {
            case .string(let text): Self.append(string: text, to: &out)
            case .bool(let flag): out += Array((flag ? "true" : "false").utf8)
            case .int(let number): out += Array(String(number).utf8)
            case .json(let text): out += Array(text.utf8)
            case .strings(let list):
                out.append(UInt8(ascii: "["))
                for (position, text) in list.enumerated() {
                    if position > 0 { out.append(UInt8(ascii: ",")) }
                    Self.append(string: text, to: &out)
                }
                out.append(UInt8(ascii: "]"))
            }
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    static func append(string: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        defer { out.append(UInt8(ascii: "\"")) }
        // most claims need no escaping: copy them whole
        if !string.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            out.append(contentsOf: string.utf8)
            return
        }
        let hex = hexDigits
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0x00..<0x20, 0x7F:
                out += [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            default: out.append(byte)
            }
        }
    }

    /// Signature checks happen in the keyring; the rules (expiry, use, issuer) in TokenService.
    public func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// A value JSONSerialization read, encodable again (for `ClaimValue.json` through Codable).
struct AnyJSON: Encodable {
    let value: Any
    init(_ value: Any) { self.value = value }

    func encode(to encoder: any Encoder) throws {
        switch value {
        case let object as [String: Any]:
            var container = encoder.container(keyedBy: ClaimKey.self)
            for (key, item) in object.sorted(by: { $0.key < $1.key }) { try container.encode(AnyJSON(item), forKey: ClaimKey(key)) }
        case let array as [Any]:
            var container = encoder.unkeyedContainer()
            for item in array { try container.encode(AnyJSON(item)) }
        case let text as String:
            var container = encoder.singleValueContainer()
            try container.encode(text)
        case let flag as Bool where type(of: value) == Bool.self:
            var container = encoder.singleValueContainer()
            try container.encode(flag)
        case let number as NSNumber where String(cString: number.objCType) == "c":
            var container = encoder.singleValueContainer()
            try container.encode(number.boolValue)
        case let number as NSNumber:
            var container = encoder.singleValueContainer()
            try container.encode(number.doubleValue)
        default:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        }
    }
}
