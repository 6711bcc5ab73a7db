import CognateModel
import Foundation

/// An RFC 5322 message as it goes after DATA: headers, a base64 UTF-8 text body (with, where
/// given, an HTML part and its inline images: RFC 2046 multipart/alternative, RFC 2387
/// multipart/related), CRLF line ends, and lines starting with "." doubled (RFC 5321 §4.5.2).
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

    /// The HTML part of an email, beside its text, and the images it shows by `cid:`.
    public struct HTMLPart: Sendable, Equatable {
        public struct Image: Sendable, Equatable {
            /// Its Content-ID without brackets (`logo@cognate`); the HTML names it `cid:logo@cognate`.
            public var contentID: String
            /// `image/png` or `image/jpeg`.
            public var type: String
            public var data: Data

            public init(contentID: String, type: String, data: Data) {
                self.contentID = contentID
                self.type = type
                self.data = data
            }
        }

        public var html: String
        public var images: [Image]

        public init(html: String, images: [Image] = []) {
            self.html = html
            self.images = images
        }
    }

    /// The message: the text alone (text/plain), or with `html` as multipart/alternative (the
    /// text first, as RFC 2046 orders them), wrapped in multipart/related when it has images.
    public static func render(from: String, to: String, subject: String, body: String, html: HTMLPart? = nil, date: Date,
                              messageID: String) throws -> String {
        for (field, value) in [("From", from), ("To", to), ("Subject", subject)] where value.contains(where: \.isNewline) {
            throw Problem.headerInjection(field)
        }
        try check(address: from)
        try check(address: to)
        for image in html?.images ?? [] where image.contentID.contains(where: { $0.isNewline || $0 == ">" || $0 == "<" })
            || image.type.contains(where: \.isNewline) {
            throw Problem.headerInjection("Content-ID")
        }
        var headers = [
            "From: \(from)",
            "To: \(to)",
            "Subject: \(encodedWord(subject))",
            "Date: \(rfc5322Date(date))",
            "Message-ID: <\(messageID)>",
            "MIME-Version: 1.0",
        ]
        var lines: [String]
        let text = part(type: "text/plain; charset=utf-8", data: Data(body.utf8))
        if let html {
            // boundaries from the message id: never in base64 text, unique per message
            let tag = String(messageID.filter { $0.isLetter || $0.isNumber }.prefix(32))
            var alternative = ["--alt-\(tag)"] + text + ["--alt-\(tag)"] + part(type: "text/html; charset=utf-8", data: Data(html.html.utf8))
                + ["--alt-\(tag)--"]
            if html.images.isEmpty {
                headers.append("Content-Type: multipart/alternative; boundary=\"alt-\(tag)\"")
                lines = alternative
            } else {
                alternative.insert(contentsOf: ["Content-Type: multipart/alternative; boundary=\"alt-\(tag)\"", ""], at: 0)
                var related = ["--rel-\(tag)"] + alternative
                for image in html.images {
                    related += ["--rel-\(tag)"] + part(type: image.type, data: image.data, extra: ["Content-ID: <\(image.contentID)>",
                                                                                              "Content-Disposition: inline"])
                }
                related.append("--rel-\(tag)--")
                headers.append("Content-Type: multipart/related; boundary=\"rel-\(tag)\"; type=\"multipart/alternative\"")
                lines = related
            }
        } else {
            headers += text.prefix(2)
            lines = Array(text.dropFirst(3))
        }
        let message = (headers + [""] + lines).map { $0.hasPrefix(".") ? "." + $0 : $0 }.joined(separator: "\r\n")
        return message + "\r\n"
    }

    /// A MIME part: its headers, a blank line, its data in base64 lines of 76.
    static func part(type: String, data: Data, extra: [String] = []) -> [String] {
        let encoded = data.base64EncodedString()
        var lines = ["Content-Type: \(type)", "Content-Transfer-Encoding: base64"] + extra + [""]
        var index = encoded.startIndex
        while index < encoded.endIndex {
            let end = encoded.index(index, offsetBy: 76, limitedBy: encoded.endIndex) ?? encoded.endIndex
            lines.append(String(encoded[index..<end]))
            index = end
        }
        return lines
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
