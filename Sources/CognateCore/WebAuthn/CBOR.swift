import Foundation

/// A CBOR value (RFC 8949) as WebAuthn's authenticators send them: the attestation object and
/// the COSE keys inside authenticator data. Only what those use is read: integers, byte and
/// text strings, arrays, maps, and the simple values; tags are read through, floats refused.
public indirect enum CBOR: Sendable, Equatable, Hashable {
    case unsigned(UInt64)
    /// -1 - n, as CBOR encodes negative integers.
    case negative(UInt64)
    case bytes(Data)
    case text(String)
    case array([CBOR])
    case map([CBOR: CBOR])
    case bool(Bool)
    case null

    public struct Malformed: Error, Equatable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// The integer, where it fits an Int.
    public var int: Int? {
        switch self {
        case .unsigned(let value): value <= UInt64(Int.max) ? Int(value) : nil
        case .negative(let value): value < UInt64(Int.max) ? -1 - Int(value) : nil
        default: nil
        }
    }

    public var data: Data? { if case .bytes(let value) = self { value } else { nil } }
    public var string: String? { if case .text(let value) = self { value } else { nil } }

    public subscript(key: Int) -> CBOR? {
        guard case .map(let entries) = self else { return nil }
        return entries[key < 0 ? .negative(UInt64(-1 - key)) : .unsigned(UInt64(key))]
    }

    public subscript(key: String) -> CBOR? {
        guard case .map(let entries) = self else { return nil }
        return entries[.text(key)]
    }

    /// One value from the start of `bytes`; `consumed` says how many bytes it took (authenticator
    /// data carries a COSE key followed by extensions, so a value need not end the input).
    public static func decode(_ bytes: some Collection<UInt8>, consumed: inout Int) throws -> CBOR {
        var reader = Reader(bytes: Array(bytes))
        let value = try reader.value(depth: 0)
        consumed = reader.offset
        return value
    }

    /// Exactly one value, nothing after it.
    public static func decode(_ bytes: some Collection<UInt8>) throws -> CBOR {
        var consumed = 0
        let array = Array(bytes)
        let value = try decode(array, consumed: &consumed)
        guard consumed == array.count else { throw Malformed("\(array.count - consumed) bytes after the CBOR value") }
        return value
    }

    struct Reader {
        let bytes: [UInt8]
        var offset = 0
        static let maxDepth = 16
        static let maxItems = 4_096

        mutating func byte() throws -> UInt8 {
            guard offset < bytes.count else { throw Malformed("the CBOR value is cut off") }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func take(_ count: UInt64) throws -> [UInt8] {
            guard count <= UInt64(bytes.count - offset) else { throw Malformed("the CBOR value is cut off") }
            defer { offset += Int(count) }
            return Array(bytes[offset..<offset + Int(count)])
        }

        mutating func argument(_ info: UInt8) throws -> UInt64 {
            switch info {
            case 0..<24: return UInt64(info)
            case 24, 25, 26, 27:
                let size = 1 << Int(info - 24)
                return try take(UInt64(size)).reduce(0) { $0 << 8 | UInt64($1) }
            default: throw Malformed("indefinite lengths and reserved values are not read")
            }
        }

        mutating func value(depth: Int) throws -> CBOR {
            guard depth <= Self.maxDepth else { throw Malformed("the CBOR value is nested too deeply") }
            let initial = try byte()
            let major = initial >> 5
            let info = initial & 0x1f
            if major == 7 {
                switch info {
                case 20: return .bool(false)
                case 21: return .bool(true)
                case 22, 23: return .null
                default: throw Malformed("floating-point and other simple values are not read")
                }
            }
            let argument = try argument(info)
            switch major {
            case 0: return .unsigned(argument)
            case 1: return .negative(argument)
            case 2: return .bytes(Data(try take(argument)))
            case 3:
                guard let text = String(bytes: try take(argument), encoding: .utf8) else { throw Malformed("a CBOR text is not UTF-8") }
                return .text(text)
            case 4:
                guard argument <= UInt64(Self.maxItems) else { throw Malformed("a CBOR array is too long") }
                var items: [CBOR] = []
                for _ in 0..<argument { items.append(try value(depth: depth + 1)) }
                return .array(items)
            case 5:
                guard argument <= UInt64(Self.maxItems) else { throw Malformed("a CBOR map is too long") }
                var entries: [CBOR: CBOR] = [:]
                for _ in 0..<argument {
                    let key = try value(depth: depth + 1)
                    guard entries.updateValue(try value(depth: depth + 1), forKey: key) == nil else { throw Malformed("a CBOR map repeats a key") }
                }
                return .map(entries)
            default:  // 6: a tag, read through
                return try value(depth: depth + 1)
            }
        }
    }
}
