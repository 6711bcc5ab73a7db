import CognateCore
import CognateModel
@testable import CognateWeb
import Foundation
import Logging
import NIOConcurrencyHelpers
import Testing

/// A mail server that refuses the first `failures` messages, then takes them; or, with a gate,
/// holds every send until the gate opens and then fails it (a node that hangs, then dies).
final class ScriptedSender: MessageSender {
    struct Refused: Error, CustomStringConvertible {
        var description: String { "451 try again later" }
    }

    let failures: Int
    let gate: AsyncStream<Void>?
    let sent = NIOLockedValueBox<[OutboundMessage]>([])
    let tries = NIOLockedValueBox(0)

    init(failures: Int = 0, gate: AsyncStream<Void>? = nil) {
        self.failures = failures
        self.gate = gate
    }

    func send(_ message: OutboundMessage) async throws {
        let count = tries.withLockedValue { $0 += 1; return $0 }
        if let gate {
            for await _ in gate { break }
            throw Refused()
        }
        if count <= failures { throw Refused() }
        sent.withLockedValue { $0.append(message) }
    }
}

@Suite struct OutboxDeliveryTests {
    func delivery(_ services: CognateServices, _ sender: ScriptedSender, _ clock: TestClock) -> MessageDelivery {
        MessageDelivery(outbox: services.store, email: sender, sms: nil, masterKey: services.masterKey, now: clock.closure,
                        logger: Logger(label: "test"))
    }

    func message(_ pool: UserPool, _ clock: TestClock) -> OutboundMessage {
        OutboundMessage(id: UUID(), poolId: pool.id, userSub: nil, channel: .email, destination: "ana@example.com",
                        subject: "Your code", body: "Your code is 123456", createdAt: clock.now)
    }

    /// The stored copy, after the background send recorded `attempts` tries.
    func stored(_ services: CognateServices, _ id: UUID, attempts: Int) async throws -> OutboundMessage {
        for _ in 0..<200 {
            let found = try await services.delivery.outbox(poolId: nil, limit: 50, after: nil).items.first { $0.id == id }
            if let found, found.attempts >= attempts { return found }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw CancellationError()
    }

    @Test func aFailedMessageIsTriedAgainWhenDueAndGivenUpAfterFiveTries() async throws {
        let clock = TestClock()
        try await withCognate(clock: clock) { _, services, _ in
            let sender = ScriptedSender(failures: 100)
            let delivery = delivery(services, sender, clock)
            let sent = try await delivery.deliver(message(try await services.firstPool(), clock))
            var record = try await stored(services, sent.id, attempts: 1)
            #expect(record.lastError == "451 try again later" && record.nextAttemptAt == clock.now.addingTimeInterval(2))
            #expect(try await delivery.sendDue() == 0, "not due before its time")
            for (tries, delay) in zip(2..., MessageDelivery.retryDelays) {
                clock.advance(delay)
                #expect(try await delivery.sendDue() == 1)
                record = try await stored(services, sent.id, attempts: tries)
            }
            #expect(record.attempts == 5 && record.nextAttemptAt == nil && record.deliveredAt == nil, "given up after five tries")
            #expect(record.body == "Your code is 123456", "a message not sent keeps its text for the operator")
            clock.advance(86_400)
            #expect(try await delivery.sendDue() == 0)
            #expect(sender.tries.withLockedValue { $0 } == 5)
        }
    }

    @Test func aRetrySendsTheOpenedTextOnceAndBlanksIt() async throws {
        let clock = TestClock()
        try await withCognate(clock: clock) { _, services, _ in
            let sender = ScriptedSender(failures: 1)
            let delivery = delivery(services, sender, clock)
            let sent = try await delivery.deliver(message(try await services.firstPool(), clock))
            _ = try await stored(services, sent.id, attempts: 1)
            clock.advance(2)
            // two nodes' rounds at once: one of them sends it
            async let first = delivery.sendDue()
            async let second = delivery.sendDue()
            #expect(try await first + second == 1)
            let record = try await stored(services, sent.id, attempts: 2)
            #expect(record.deliveredAt != nil && record.body == "" && record.nextAttemptAt == nil)
            #expect(sender.sent.withLockedValue { $0.map(\.body) } == ["Your code is 123456"], "sent once, as written, not sealed")
        }
    }

    @Test func aMessageHeldByANodeThatStoppedIsSentByAnotherAfterTheLease() async throws {
        let clock = TestClock()
        try await withCognate(clock: clock) { _, services, _ in
            let (gate, open) = AsyncStream<Void>.makeStream()
            let stuck = ScriptedSender(gate: gate)
            let sent = try await delivery(services, stuck, clock).deliver(message(try await services.firstPool(), clock))
            while stuck.tries.withLockedValue({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(10)) }

            let other = ScriptedSender()
            let otherNode = delivery(services, other, clock)
            clock.advance(MessageDelivery.lease - 1)
            #expect(try await otherNode.sendDue() == 0, "a live node's claim is respected")
            clock.advance(2)
            #expect(try await otherNode.sendDue() == 1)
            #expect(other.sent.withLockedValue { $0.map(\.id) } == [sent.id])

            // the first node wakes up and fails late: the message stays delivered, never due again
            open.yield()
            let record = try await stored(services, sent.id, attempts: 2)
            #expect(record.deliveredAt != nil && record.lastError == nil && record.nextAttemptAt == nil)
            clock.advance(86_400)
            #expect(try await otherNode.sendDue() == 0)
        }
    }
}
