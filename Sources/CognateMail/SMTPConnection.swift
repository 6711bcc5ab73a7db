import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

struct SMTPReply: Sendable {
    var code: Int
    var lines: [String]
}

/// One SMTP connection: writes commands, reads multi-line replies ("250-…" until "250 …").
final class SMTPConnection: Sendable {
    let channel: any Channel
    let replies: ReplyHandler
    let timeout: TimeAmount

    private init(channel: any Channel, replies: ReplyHandler, timeout: TimeAmount) {
        self.channel = channel
        self.replies = replies
        self.timeout = timeout
    }

    static func open(host: String, port: Int, tls: NIOSSLContext?, group: any EventLoopGroup, timeout: TimeAmount) async throws -> SMTPConnection {
        let replies = ReplyHandler()
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(
                            try NIOSSLClientHandler(context: tls, serverHostname: SMTPConnection.sniName(host)))
                    }
                    try channel.pipeline.syncOperations.addHandler(replies)
                }
            }
            .connect(host: host, port: port).get()
        return SMTPConnection(channel: channel, replies: replies, timeout: timeout)
    }

    /// Sends `command` (if any) and waits for a reply with one of `codes`.
    @discardableResult
    func expect(_ codes: [Int], after command: String?, logged: String? = nil) async throws -> SMTPReply {
        let reply = replies.next(on: channel.eventLoop, timeout: timeout)
        if let command {
            var buffer = channel.allocator.buffer(capacity: command.utf8.count + 2)
            buffer.writeString(command + "\r\n")
            try await channel.writeAndFlush(buffer)
        }
        let answer = try await reply.get()
        guard codes.contains(answer.code) else {
            let shown = logged ?? command.map { String($0.prefix(40)) } ?? "greeting"
            throw SMTPError.unexpectedReply(command: shown, code: answer.code, text: answer.lines.joined(separator: " "))
        }
        return answer
    }

    @discardableResult
    func expect(_ code: Int, after command: String?, logged: String? = nil) async throws -> SMTPReply {
        try await expect([code], after: command, logged: logged)
    }

    /// RFC 3207: after "220 Ready to start TLS", TLS starts on the same connection.
    func startTLS(_ context: NIOSSLContext, serverHostname: String) async throws {
        let handler = try NIOSSLClientHandler(context: context, serverHostname: Self.sniName(serverHostname))
        try await channel.pipeline.addHandler(handler, position: .first)
    }

    /// The name sent in SNI and checked against the certificate. An IP address cannot go in SNI;
    /// without a name, NIOSSL checks the certificate against the peer's address instead.
    static func sniName(_ host: String) -> String? {
        let isIP = host.contains(":") || host.split(separator: ".").count == 4 && host.split(separator: ".").allSatisfy { UInt8($0) != nil }
        return isIP ? nil : host
    }

    func close() {
        channel.close(promise: nil)
    }
}

/// Splits the byte stream into replies and hands them to waiting callers in order.
/// State is touched only on the channel's event loop.
final class ReplyHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    private var text = ""
    private var lines: [String] = []
    private var ready: [SMTPReply] = []
    private var waiting: [EventLoopPromise<SMTPReply>] = []
    private var failure: (any Error)?

    func next(on loop: any EventLoop, timeout: TimeAmount) -> EventLoopFuture<SMTPReply> {
        loop.flatSubmit {
            if !self.ready.isEmpty { return loop.makeSucceededFuture(self.ready.removeFirst()) }
            if let failure = self.failure { return loop.makeFailedFuture(failure) }
            let promise = loop.makePromise(of: SMTPReply.self)
            self.waiting.append(promise)
            let deadline = loop.scheduleTask(in: timeout) { promise.fail(SMTPError.timedOut) }
            promise.futureResult.whenComplete { _ in
                deadline.cancel()
                self.waiting.removeAll { $0.futureResult === promise.futureResult }
            }
            return promise.futureResult
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        text += buffer.readString(length: buffer.readableBytes) ?? ""
        while let end = text.range(of: "\r\n") {
            let line = String(text[..<end.lowerBound])
            text.removeSubrange(..<end.upperBound)
            lines.append(line)
            let bytes = Array(line.utf8)
            // The last line of a reply has a space (or nothing) after the three-digit code.
            if bytes.count < 4 || bytes[3] == UInt8(ascii: " ") {
                let code = Int(String(line.prefix(3))) ?? 0
                deliver(SMTPReply(code: code, lines: lines.map { String($0.dropFirst(4)) }))
                lines.removeAll()
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(SMTPError.connectionClosed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error)
        context.close(promise: nil)
    }

    private func deliver(_ reply: SMTPReply) {
        if waiting.isEmpty { ready.append(reply) } else { waiting.removeFirst().succeed(reply) }
    }

    private func fail(_ error: any Error) {
        failure = failure ?? error
        let pending = waiting
        waiting.removeAll()
        for promise in pending { promise.fail(error) }
    }
}
