import CognateCore
import Foundation
import Vapor

/// `cognate export --pool ID [--output FILE] [--for-master-key FILE]`: the whole pool as JSON
/// lines (see `PoolTransfer`), written as it is read, with its users' password hashes and MFA
/// secrets, so only its owner may read the file.
struct ExportCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "pool", help: "The user pool's id")
        var pool: String?
        @Option(name: "output", help: "The file to write (it must not exist); default: standard output")
        var output: String?
        @Option(name: "for-master-key", help: "A file holding the target server's master key (base64): its secrets are sealed for it")
        var target: String?

        init() {}
    }

    var help: String { "Writes a whole user pool (settings, clients, groups, users with their hashes) as JSON lines." }

    func run(using context: CommandContext, signature: Signature) async throws {
        guard let poolId = signature.pool else { throw CommandError("--pool is required") }
        let target = try signature.target.map(PoolTransferKeys.read)
        let services = try await CognateRuntime.prepare(context.application)
        guard try await services.store.pool(id: poolId) != nil else { throw CommandError("no user pool \(poolId)") }
        let handle: FileHandle
        if let path = signature.output {
            let files = FileManager.default
            if files.fileExists(atPath: path) { throw CommandError("\(path) exists: name a new file") }
            guard files.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
                let opened = FileHandle(forWritingAtPath: path)
            else { throw CommandError("cannot create \(path)") }
            handle = opened
        } else {
            handle = .standardOutput
        }
        defer { if signature.output != nil { try? handle.close() } }
        var buffer = Data()
        // what is said goes to standard error: standard output may be the export itself
        func say(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }
        do {
            let counts = try await PoolExporter(store: services.store, masterKey: services.masterKey).export(
                poolId: poolId, for: target, now: services.now(),
                write: { line in
                    buffer.append(contentsOf: line.utf8)
                    buffer.append(0x0A)
                    if buffer.count > 1 << 16 {
                        try handle.write(contentsOf: buffer)
                        buffer.removeAll(keepingCapacity: true)
                    }
                },
                progress: { users in if users > 0, users % 10_000 == 0 { say("  \(users) users written") } })
            try handle.write(contentsOf: buffer)
            say("Exported \(poolId): \(counts.users) users, \(counts.groups) groups, \(counts.clients) clients, \(counts.keys) signing keys, "
                + "\(counts.passkeys) passkeys, \(counts.devices) devices"
                + (target == nil ? " (sealed with this server's master key)" : " (sealed for the target's master key)"))
        } catch {
            if let path = signature.output { try? FileManager.default.removeItem(atPath: path) }
            throw CommandError("the export failed: \(error)")
        }
    }
}

/// `cognate import [--file FILE] [--from-master-key FILE]`: a pool written by `cognate export`
/// (from standard input without --file), into a server that does not have it; all of it, or
/// nothing.
struct ImportCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "file", help: "The export to read; default: standard input")
        var file: String?
        @Option(name: "from-master-key", help: "A file holding the master key (base64) that sealed the export, when it is not this server's")
        var source: String?

        init() {}
    }

    var help: String { "Reads a user pool written by `cognate export` into this server (all of it, or nothing)." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let source = try signature.source.map(PoolTransferKeys.read)
        let handle: FileHandle
        if let path = signature.file {
            guard let opened = FileHandle(forReadingAtPath: path) else { throw CommandError("cannot read \(path)") }
            handle = opened
        } else {
            handle = .standardInput
        }
        let services = try await CognateRuntime.prepare(context.application)
        let lines = LineReader(handle: handle)
        let console = context.console
        do {
            let (poolId, counts) = try await PoolImporter(store: services.store, masterKey: services.masterKey).importPool(
                source: source, next: { try lines.next() },
                progress: { users in if users % 10_000 == 0 { console.print("  \(users) users read") } })
            console.print("Imported \(poolId): \(counts.users) users, \(counts.groups) groups (\(counts.memberships) memberships), "
                          + "\(counts.clients) clients, \(counts.keys) signing keys, \(counts.identityProviders) identity providers, "
                          + "\(counts.passkeys) passkeys, \(counts.devices) devices")
        } catch {
            throw CommandError("the import failed, nothing was kept: \(error)")
        }
    }
}

enum PoolTransferKeys {
    static func read(_ path: String) throws -> MasterKey {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8), let key = MasterKey(base64: text) else {
            throw CommandError("\(path) does not hold a master key (32 bytes in base64)")
        }
        return key
    }
}

/// A file's lines, read a block at a time (an export may be larger than memory).
final class LineReader {
    let handle: FileHandle
    var buffer = Data()
    var done = false

    init(handle: FileHandle) {
        self.handle = handle
    }

    func next() throws -> String? {
        while true {
            if let end = buffer.firstIndex(of: 0x0A) {
                let line = buffer[buffer.startIndex..<end]
                buffer.removeSubrange(buffer.startIndex...end)
                return String(decoding: line, as: UTF8.self)
            }
            if done {
                guard !buffer.isEmpty else { return nil }
                defer { buffer.removeAll() }
                return String(decoding: buffer, as: UTF8.self)
            }
            let block = try handle.read(upToCount: 1 << 16) ?? Data()
            if block.isEmpty { done = true } else { buffer.append(block) }
        }
    }
}
