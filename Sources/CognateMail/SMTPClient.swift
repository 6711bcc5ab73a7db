import CognateCore
import CognateModel
import Foundation
import NIOCore
import NIOPosix
import NIOSSL

public enum SMTPError: Error, Equatable, CustomStringConvertible {
    /// The server answered `code` where another was expected.
    case unexpectedReply(command: String, code: Int, text: String)
    case connectionClosed
    case timedOut
    case startTLSUnavailable
    case authenticationUnavailable

    public var description: String {
        switch self {
        case .unexpectedReply(let command, let code, let text): "SMTP \(command) answered \(code) \(text)"
        case .connectionClosed: "the SMTP server closed the connection"
        case .timedOut: "the SMTP server did not answer in time"
        case .startTLSUnavailable: "the SMTP server does not offer STARTTLS"
        case .authenticationUnavailable: "the SMTP server offers neither AUTH PLAIN nor AUTH LOGIN"
        }
    }
}

/// A small SMTP client (RFC 5321) over SwiftNIO: one connection per message, TLS through
/// NIOSSL with certificate and host name verification, AUTH PLAIN or LOGIN (RFC 4954).
public struct SMTPClient: MessageSender {
    public let configuration: SMTPConfiguration
    let group: any EventLoopGroup
    let timeout: TimeAmount
    let now: Now

    /// The HTML part of a message, as the pages' theme designs it; nil: text alone.
    let design: (@Sendable (OutboundMessage) async -> MailMessage.HTMLPart?)?

    public init(configuration: SMTPConfiguration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                timeout: TimeAmount = .seconds(20), now: @escaping Now,
                design: (@Sendable (OutboundMessage) async -> MailMessage.HTMLPart?)? = nil) {
        self.configuration = configuration
        self.group = group
        self.timeout = timeout
        self.now = now
        self.design = design
    }

    public func send(_ message: OutboundMessage) async throws {
        let html = await design?(message)
        let data = try MailMessage.render(
            from: configuration.from, to: message.destination, subject: message.subject, body: message.body, html: html,
            date: now(), messageID: "\(message.id.uuidString.lowercased())@\(configuration.heloName)")
        let tls = try makeTLSContext()
        let connection = try await SMTPConnection.open(
            host: configuration.host, port: configuration.port, tls: configuration.security == .tls ? tls : nil,
            group: group, timeout: timeout)
        do {
            try await converse(connection, tls: tls, to: message.destination, data: data)
            connection.close()
        } catch {
            connection.close()
            throw error
        }
    }

    func converse(_ connection: SMTPConnection, tls: NIOSSLContext, to recipient: String, data: String) async throws {
        try await connection.expect(220, after: nil)
        var capabilities = try await connection.expect(250, after: "EHLO \(configuration.heloName)").lines
        if configuration.security == .startTLS {
            guard capabilities.contains(where: { $0.uppercased().hasPrefix("STARTTLS") }) else { throw SMTPError.startTLSUnavailable }
            try await connection.expect(220, after: "STARTTLS")
            try await connection.startTLS(tls, serverHostname: configuration.host)
            capabilities = try await connection.expect(250, after: "EHLO \(configuration.heloName)").lines
        }
        if let username = configuration.username {
            try await authenticate(connection, capabilities: capabilities, username: username, password: configuration.password ?? "")
        }
        try await connection.expect(250, after: "MAIL FROM:<\(configuration.from)>")
        try await connection.expect([250, 251], after: "RCPT TO:<\(recipient)>")
        try await connection.expect(354, after: "DATA")
        try await connection.expect(250, after: data + ".", logged: "<message>")
        _ = try? await connection.expect(221, after: "QUIT")
    }

    func authenticate(_ connection: SMTPConnection, capabilities: [String], username: String, password: String) async throws {
        let mechanisms = Set(capabilities.filter { $0.uppercased().hasPrefix("AUTH") }
            .flatMap { $0.uppercased().dropFirst(4).split(whereSeparator: { $0 == " " || $0 == "=" }).map(String.init) })
        if mechanisms.contains("PLAIN") {
            let token = Data("\0\(username)\0\(password)".utf8).base64EncodedString()
            try await connection.expect(235, after: "AUTH PLAIN \(token)", logged: "AUTH PLAIN <credentials>")
        } else if mechanisms.contains("LOGIN") {
            try await connection.expect(334, after: "AUTH LOGIN")
            try await connection.expect(334, after: Data(username.utf8).base64EncodedString(), logged: "<user name>")
            try await connection.expect(235, after: Data(password.utf8).base64EncodedString(), logged: "<password>")
        } else {
            throw SMTPError.authenticationUnavailable
        }
    }

    func makeTLSContext() throws -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        if let caFile = configuration.caFile {
            tls.additionalTrustRoots = [.file(caFile)]
        }
        return try NIOSSLContext(configuration: tls)
    }
}
