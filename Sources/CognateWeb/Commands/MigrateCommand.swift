import CognateCore
import Vapor

/// `cognate migrate --pool ID`: copies every user and group of the Cognito pool the pool names
/// (`migrateFrom` in the config file) ahead of time, showing how far it has come. The copied users
/// keep their old password: their first password sign-in is checked by the old pool, then kept
/// here. The database migrations Fluent's own `migrate` command would run happen at every start,
/// so the name is this command's.
struct MigrateCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "pool", help: "The user pool's id")
        var pool: String?

        init() {}
    }

    var help: String { "Copies the users and groups of the Cognito pool a pool migrates from (its migrateFrom)." }

    func run(using context: CommandContext, signature: Signature) async throws {
        guard let poolId = signature.pool else { throw CommandError("--pool is required") }
        let services = try await CognateRuntime.prepare(context.application)
        guard let pool = try await services.store.pool(id: poolId) else { throw CommandError("no user pool \(poolId)") }
        guard let migration = services.accounts.migration,
            let source = try await MigrationSources(store: services.store, masterKey: services.masterKey).source(poolId: poolId)
        else { throw CommandError("the pool \(poolId) has no migrateFrom: name the Cognito pool in the config file first") }
        let console = context.console
        console.print("Copying the users of \(source.userPoolId) (\(source.url)) into \(poolId)")
        let done: CognitoMigration.CopyProgress
        do {
            done = try await migration.copyAll(pool: pool) { progress in
                console.print("  \(progress.copied) copied, \(progress.alreadyHere) already here, \(progress.skipped.count) skipped")
            }
        } catch let error as OldPoolError {
            throw CommandError("\(error)")
        }
        for reason in done.skipped { console.print("Skipped \(reason)") }
        if !done.leftOut.isEmpty {
            console.print("Left out (the pool's schema has no such attribute): \(done.leftOut.sorted().joined(separator: ", "))")
        }
        console.print("Done: \(done.copied) users copied, \(done.alreadyHere) already here, \(done.skipped.count) skipped, "
                      + "\(done.memberships) group memberships")
    }
}
