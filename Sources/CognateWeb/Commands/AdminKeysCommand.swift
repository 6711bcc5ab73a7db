import CognateCore
import Vapor

/// `cognate admin-keys list | create | revoke --id AKID`: the admin API's SigV4 keys. Create
/// prints the new secret once; revoke removes a key at once on every node (never the last).
/// A key set in the environment (COGNATE_ADMIN_*) is stored again at the next start.
struct AdminKeysCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "action", help: "list, create or revoke")
        var action: String

        @Option(name: "id", help: "The access key id to revoke")
        var id: String?

        init() {}
    }

    var help: String { "Lists, creates or revokes the admin API's keys." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let services = try await CognateRuntime.prepare(context.application)
        switch signature.action {
        case "list":
            for key in try await services.adminCredentials.list() {
                context.console.print("\(key.accessKeyId)  created \(key.createdAt)")
            }
        case "create":
            let made = try await services.adminCredentials.create()
            context.console.print("COGNATE_ADMIN_ACCESS_KEY_ID=\(made.accessKeyId)")
            context.console.print("COGNATE_ADMIN_SECRET_ACCESS_KEY=\(made.secret)")
            context.console.print("(the secret is shown only now; store it)")
        case "revoke":
            guard let id = signature.id else { throw CommandError("--id is required") }
            do {
                try await services.adminCredentials.revoke(accessKeyId: id)
            } catch let error as AdminCredentials.RevokeError {
                throw CommandError(error.description)
            }
            context.console.print("Revoked \(id)")
        default:
            throw CommandError("unknown action '\(signature.action)'; use list, create or revoke")
        }
    }
}
