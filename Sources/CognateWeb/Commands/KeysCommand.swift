import CognateModel
import Vapor

/// `cognate keys rotate --pool ID`: a new active signing key; the old one stays in the JWKS
/// until every token it signed has expired. `cognate keys list --pool ID` shows them.
struct KeysCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "action", help: "rotate or list")
        var action: String

        @Option(name: "pool", help: "The user pool id, e.g. local_Ab3dE6gH9")
        var pool: String?

        init() {}
    }

    var help: String { "Rotates or lists a user pool's signing keys." }

    func run(using context: CommandContext, signature: Signature) async throws {
        guard let poolId = signature.pool else { throw CommandError("--pool is required") }
        let services = try await CognateRuntime.prepare(context.application)
        guard try await services.store.pool(id: poolId) != nil else { throw CommandError("user pool \(poolId) does not exist") }
        switch signature.action {
        case "rotate":
            let key = try await services.keyring.rotate(poolId: poolId)
            context.console.print("New active key \(key.kid) (\(key.algorithm.rawValue)) for \(poolId)")
        case "list":
            for key in try await services.store.signingKeys(poolId: poolId) {
                let state = key.retiredAt.map { "retired \($0)" } ?? "active"
                context.console.print("\(key.kid)  \(key.algorithm.rawValue)  created \(key.createdAt)  \(state)")
            }
        default:
            throw CommandError("unknown action '\(signature.action)'; use rotate or list")
        }
    }
}

struct CommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
