import CognateModel
import Foundation

/// Finds the master key and proves it is the one the database was set up with.
public enum MasterKeyLoader {
    static let checkSetting = "master_key_check"
    static let checkContext = "master-key-check"

    /// From COGNATE_MASTER_KEY, else `<data dir>/master.key`. A key file is generated (mode 0600)
    /// only for a database that has never been sealed with any key: a lost key is never replaced.
    public static func load(
        _ configuration: CognateConfiguration, settings: any SettingStore,
        random: any RandomSource = SystemRandomSource()
    ) async throws -> (key: MasterKey, generated: Bool) {
        let initialized = try await settings.setting(checkSetting) != nil
        var generated = false
        let key: MasterKey
        if let configured = configuration.masterKey {
            key = configured
        } else if FileManager.default.fileExists(atPath: configuration.masterKeyFile) {
            guard let text = try? String(contentsOfFile: configuration.masterKeyFile, encoding: .utf8),
                let parsed = MasterKey(base64: text)
            else { throw MasterKeyLoaderError.unreadableFile(configuration.masterKeyFile) }
            key = parsed
        } else if initialized {
            throw MasterKeyLoaderError.missing(configuration.masterKeyFile)
        } else {
            key = MasterKey.generate(random: random)
            try write(key, to: configuration.masterKeyFile)
            generated = true
        }
        try await verify(key, settings: settings)
        return (key, generated)
    }

    /// Seals a known value on first use; opens it on every later start.
    public static func verify(_ key: MasterKey, settings: any SettingStore) async throws {
        let candidate = try key.seal(Data("cognate".utf8), context: checkContext).base64EncodedString()
        let stored = try await settings.setSettingIfAbsent(checkSetting, value: candidate)
        guard let sealed = Data(base64Encoded: stored), (try? key.open(sealed, context: checkContext)) != nil else {
            throw MasterKeyError.mismatch
        }
    }

    static func write(_ key: MasterKey, to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        guard FileManager.default.createFile(
            atPath: path, contents: Data((key.base64 + "\n").utf8), attributes: [.posixPermissions: 0o600])
        else { throw MasterKeyLoaderError.unwritable(path) }
    }
}

public enum MasterKeyLoaderError: Error, Equatable, CustomStringConvertible {
    case unreadableFile(String)
    case missing(String)
    case unwritable(String)

    public var description: String {
        switch self {
        case .unreadableFile(let path):
            "COGNATE_MASTER_KEY is unset and \(path) does not hold a 32-byte base64 key"
        case .missing(let path):
            "this database was set up with a master key, but COGNATE_MASTER_KEY is unset and \(path) is missing; restore the key (it is never regenerated)"
        case .unwritable(let path):
            "cannot write the new master key to \(path)"
        }
    }
}
