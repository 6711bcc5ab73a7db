import CognateModel
import Foundation

/// An RFC 5322 message as it goes after DATA: headers, a base64 UTF-8 text body, CRLF line
/// ends, and lines starting with "." doubled (RFC 5321 §4.5.2).
public enum MailMessage {
    public enum Problem: Error, Equatable, CustomStringConvertible {
        case headerInjection(String)
        case invalidAddress(String)

        public var description: String {
            switch self {
            case .headerInjection(let field): "line break in the \(field) header"
            case .invalidAddress(let address): "not a deliverable address: \(address)"
            }
        }
    }

    public static func render(from: String, to: String, subject: String, body: String, date: Date, messageID: String) throws -> String {
        for (field, value) in [("From", from), ("To", to), ("Subject", subject)] where value.contains(where: \.isNewline) {
            throw Problem.headerInjection(field)
        }
        try check(address: from)
        try check(address: to)
        let headers = [
            "From: \(from)",
            "To: \(to)",
            "Subject: \(encodedWord(subject))",
            "Date: \(rfc5322Date(date))",
            "Message-ID: <\(messageID)>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: base64",
        ]
        let encoded = Data(body.utf8).base64EncodedString()
        var lines: [String] = []
        var index = encoded.startIndex
        while index < encoded.endIndex {
            let end = encoded.index(index, offsetBy: 76, limitedBy: encoded.endIndex) ?? encoded.endIndex
            lines.append(String(encoded[index..<end]))
            index = end
        }
        let text = (headers + [""] + lines).map { $0.hasPrefix(".") ? "." + $0 : $0 }.joined(separator: "\r\n")
        return text + "\r\n"
    }

    /// An address SMTP can carry in MAIL FROM / RCPT TO: no spaces, angle brackets or line breaks.
    public static func check(address: String) throws {
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
            !address.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" || $0.isNewline })
        else { throw Problem.invalidAddress(address) }
    }

    /// RFC 2047 encoded word for a subject that is not plain ASCII.
    static func encodedWord(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { !$0.isASCII }) else { return text }
        return "=?UTF-8?B?\(Data(text.utf8).base64EncodedString())?="
    }

    static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }
}
