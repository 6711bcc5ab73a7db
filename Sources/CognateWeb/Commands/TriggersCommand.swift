import CognateCore
import Vapor

/// `cognate triggers secret --pool ID [--rotate | --retire]`: the secret a pool's trigger
/// requests are signed with (Standard Webhooks, `whsec_…`), made the first time. `--rotate` makes
/// a new one and keeps the previous one beside it (requests carry a signature by each, so
/// receivers may move over at their pace); `--retire` then signs with the new one alone.
struct TriggersCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "action", help: "secret")
        var action: String

        @Option(name: "pool", help: "The user pool's id")
        var pool: String?

        @Flag(name: "rotate", help: "Make a new secret; the previous one is still signed with until --retire")
        var rotate: Bool

        @Flag(name: "retire", help: "Sign with the newest secret alone")
        var retire: Bool

        init() {}
    }

    var help: String { "Shows, rotates or retires the secret a pool's trigger requests are signed with." }

    func run(using context: CommandContext, signature: Signature) async throws {
        guard signature.action == "secret" else { throw CommandError("unknown action '\(signature.action)'; use secret") }
        guard let poolId = signature.pool else { throw CommandError("--pool is required") }
        guard !(signature.rotate && signature.retire) else { throw CommandError("--rotate and --retire go one at a time") }
        let services = try await CognateRuntime.prepare(context.application)
        guard try await services.store.pool(id: poolId) != nil else { throw CommandError("no user pool \(poolId)") }
        let secrets = TriggerSecrets(store: services.store, masterKey: services.masterKey)
        let current = signature.rotate ? try await secrets.rotate(poolId: poolId)
            : signature.retire ? try await secrets.retire(poolId: poolId) : try await secrets.secrets(poolId: poolId)
        for (index, secret) in current.enumerated() {
            context.console.print(index == 0 ? secret : "\(secret)  (previous; still signed with until --retire)")
        }
    }
}
