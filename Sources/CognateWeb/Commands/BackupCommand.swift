import CognateCore
import CognateStore
import Foundation
import Vapor

/// `cognate backup [--output FILE]`: a consistent copy of the SQLite database, taken while the
/// server runs, as a file only its owner reads. PostgreSQL is backed up with its own tools.
struct BackupCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "output", help: "The backup file to write (it must not exist); default: backup-<time>.sqlite in COGNATE_DATA_DIR")
        var output: String?

        init() {}
    }

    static let postgresRecipe = """
        cognate backup copies a SQLite database. For PostgreSQL use its own tools, while Cognate serves:
          pg_dump --format=custom --file=cognate.dump "$COGNATE_DATABASE_URL"
        and to restore into an empty database:
          pg_restore --no-owner --dbname="$COGNATE_DATABASE_URL" cognate.dump
        Keep the master key (COGNATE_MASTER_KEY or master.key) with the dump: the sealed keys and secrets need it.
        """

    var help: String { "Writes a consistent copy of the SQLite database while the server runs (PostgreSQL: see the pg_dump recipe it prints)." }

    func run(using context: CommandContext, signature: Signature) async throws {
        guard let configuration = context.application.cognateSettings?.configuration else { throw CommandError("not configured") }
        guard case .sqlite = configuration.database else { throw CommandError(Self.postgresRecipe) }
        let stamp = ISO8601DateFormatter.string(from: Date(), timeZone: TimeZone(identifier: "UTC")!,
                                                formatOptions: [.withYear, .withMonth, .withDay, .withTime])
        let path = signature.output ?? (configuration.dataDirectory as NSString).appendingPathComponent("backup-\(stamp).sqlite")
        let files = FileManager.default
        if let size = (try? files.attributesOfItem(atPath: path))?[.size] as? Int, size > 0 {
            throw CommandError("\(path) exists: name a new file")
        }
        let services = try await CognateRuntime.prepare(context.application)
        guard let store = services.store as? FluentStore else { throw CommandError("the store is not a database") }
        // made empty first, readable by its owner only: the copy holds password hashes and sealed secrets
        guard files.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw CommandError("cannot create \(path)")
        }
        do {
            try await store.backupSQLite(to: path)
        } catch {
            try? files.removeItem(atPath: path)
            throw CommandError("the backup failed: \(error)")
        }
        let size = (try? files.attributesOfItem(atPath: path))?[.size] as? Int ?? 0
        context.console.print("Backed up to \(path) (\(size) bytes).")
        context.console.print("Keep the master key (COGNATE_MASTER_KEY or \(configuration.masterKeyFile)) with it: the sealed keys and secrets need it.")
        context.console.print("To restore: stop the server, put the file in place of the database (COGNATE_DATABASE_URL=sqlite://<file>), start it.")
    }
}
