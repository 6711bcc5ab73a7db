import CognateModel
import Vapor

/// `cognate outbox [--pool ID] [--limit N]`: the development outbox, newest first. Messages that
/// could not be sent (or had no sender configured) are here with their text; delivered ones
/// keep only their envelope.
struct OutboxCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "pool", help: "Only this user pool's messages")
        var pool: String?

        @Option(name: "limit", help: "How many messages (default 20)")
        var limit: Int?

        init() {}
    }

    var help: String { "Shows the development outbox: messages waiting for, or without, a sender." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let services = try await CognateRuntime.prepare(context.application)
        let page = try await services.delivery.outbox(poolId: signature.pool, limit: signature.limit ?? 20, after: nil)
        if page.items.isEmpty { context.console.print("The outbox is empty.") }
        for message in page.items {
            let state: String
            if let delivered = message.deliveredAt {
                state = "delivered \(delivered)"
            } else if let error = message.lastError {
                let next = message.nextAttemptAt.map { "next try \($0)" } ?? "given up"
                state = "failed: \(error) (tries: \(message.attempts), \(next))"
            } else {
                state = message.nextAttemptAt == nil ? "not sent (development outbox)" : "sending"
            }
            context.console.print("--- \(message.createdAt)  \(message.channel.rawValue) to \(message.destination)  [\(state)]")
            context.console.print("Subject: \(message.subject)")
            if !message.body.isEmpty { context.console.print(message.body) }
        }
    }
}
