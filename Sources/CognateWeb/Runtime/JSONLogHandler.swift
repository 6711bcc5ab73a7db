import Foundation
import Logging
import NIOConcurrencyHelpers

/// COGNATE_LOG_FORMAT=json: each log event one JSON object on one line of standard output
/// (`time`, `level`, `logger`, `message`, then the event's metadata), for a log collector.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    /// Lines from every thread, written whole.
    private static let output = NIOLockedValueBox(FileHandle.standardOutput)

    init(label: String, level: Logger.Level) {
        self.label = label
        self.logLevel = level
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata extra: Logger.Metadata?, source: String, file: String,
             function: String, line: UInt) {
        var object: [String: Any] = [:]
        for (key, value) in metadata.merging(extra ?? [:], uniquingKeysWith: { $1 }) { object[key] = Self.json(value) }
        object["time"] = Self.timeStyle.format(Date())
        object["level"] = level.rawValue
        object["logger"] = label
        object["message"] = message.description
        guard var data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        data.append(0x0A)
        Self.output.withLockedValue { $0.write(data) }
    }

    static func json(_ value: Logger.Metadata.Value) -> Any {
        switch value {
        case .string(let text): text
        case .stringConvertible(let convertible): convertible.description
        case .array(let values): values.map(json)
        case .dictionary(let entries): entries.mapValues(json)
        }
    }

    /// A value, made once and shared by every thread (a formatter object per line cost more than the line).
    static let timeStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
}
