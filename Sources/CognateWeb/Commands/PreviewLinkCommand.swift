import CognateCore
import Vapor

/// `cognate preview-link --pool ID [--hours N]`: a link to the pool's preview for designers,
/// signed with the master key, good for N hours (default 24, at most a week).
struct PreviewLinkCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "pool", help: "The user pool's id")
        var pool: String?

        @Option(name: "hours", help: "How long the link is good for (default 24, at most 168)")
        var hours: Int?

        init() {}
    }

    var help: String { "Prints a signed link to a pool's preview of its hosted pages." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let services = try await CognateRuntime.prepare(context.application)
        guard let poolId = signature.pool else { throw CommandError("--pool is required") }
        guard try await services.store.pool(id: poolId) != nil else { throw CommandError("no user pool \(poolId)") }
        let hours = signature.hours ?? 24
        guard (1...168).contains(hours) else { throw CommandError("--hours must be from 1 to 168") }
        let expires = Int(services.now().timeIntervalSince1970) + hours * 3_600
        let signed = PreviewController.signature(poolId: poolId, expires: expires, masterKey: services.masterKey)
        context.console.print("\(services.publicURL)/\(poolId)/preview?expires=\(expires)&signature=\(signed)")
    }
}
