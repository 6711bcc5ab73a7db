import CArgon2
import CCrypt
import Crypto
import CryptoExtras
import Foundation

/// The outcome of checking a password against a stored hash.
public enum PasswordVerification: Sendable, Equatable {
    case mismatch
    /// The password is right; `needsUpgrade` when the hash is not Argon2id at today's cost,
    /// so the caller should store a fresh hash while it has the password in hand.
    case match(needsUpgrade: Bool)

    public var isMatch: Bool { if case .match = self { true } else { false } }
}

public enum PasswordHashError: Error, Equatable, CustomStringConvertible {
    case unsupportedFormat
    case malformed(String)
    case hashingFailed(String)

    public var description: String {
        switch self {
        case .unsupportedFormat: "unsupported password hash format"
        case .malformed(let detail): "malformed password hash: \(detail)"
        case .hashingFailed(let detail): "password hashing failed: \(detail)"
        }
    }
}

/// Synchronous hashing and verification; slow by design. Call it through `PasswordHasher`,
/// which runs it off the event loops on a bounded pool.
public enum PasswordHashFormat {
    /// Hashes with Argon2id into a PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`).
    public static func argon2id(_ password: String, salt: [UInt8], parameters: Argon2Parameters) throws -> String {
        let hashLength = 32
        let encodedLength = argon2_encodedlen(
            parameters.iterations, parameters.memoryKiB, parameters.parallelism,
            UInt32(salt.count), UInt32(hashLength), Argon2_id)
        var encoded = [CChar](repeating: 0, count: encodedLength)
        let passwordBytes = Array(password.utf8)
        let status = argon2id_hash_encoded(
            parameters.iterations, parameters.memoryKiB, parameters.parallelism,
            passwordBytes, passwordBytes.count, salt, salt.count, hashLength, &encoded, encodedLength)
        guard status == ARGON2_OK.rawValue else {
            throw PasswordHashError.hashingFailed(String(cString: argon2_error_message(status)))
        }
        return String(decoding: encoded.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Checks `password` against a hash in any format Cognate accepts: Argon2 (PHC), bcrypt
    /// (`$2a$`, `$2b$`, `$2y$`), PBKDF2-SHA256/SHA512 (PHC, passlib or Django) and scrypt (PHC or passlib).
    /// Stands where a hash would for a user whose password is still another system's (a user
    /// brought from a Cognito pool ahead of their first sign-in): no password matches it here.
    public static let elsewhere = "$cognito-pool$"

    public static func verify(_ password: String, against hash: String, current: Argon2Parameters) throws -> PasswordVerification {
        if hash == elsewhere { return .mismatch }
        if hash.hasPrefix("$argon2") {
            return try verifyArgon2(password, hash: hash, current: current)
        } else if hash.hasPrefix("$2a$") || hash.hasPrefix("$2b$") || hash.hasPrefix("$2y$") {
            return try verifyBcrypt(password, hash: hash) ? .match(needsUpgrade: true) : .mismatch
        } else if hash.hasPrefix("$pbkdf2-") || hash.hasPrefix("pbkdf2_") {
            return try verifyPBKDF2(password, hash: hash) ? .match(needsUpgrade: true) : .mismatch
        } else if hash.hasPrefix("$scrypt$") {
            return try verifyScrypt(password, hash: hash) ? .match(needsUpgrade: true) : .mismatch
        }
        throw PasswordHashError.unsupportedFormat
    }

    /// Whether a stored hash is in a format `verify` understands (for imports).
    public static func isSupported(_ hash: String) -> Bool {
        ["$argon2i$", "$argon2d$", "$argon2id$", "$2a$", "$2b$", "$2y$", "$pbkdf2-sha256$",
         "$pbkdf2-sha512$", "pbkdf2_sha256$", "pbkdf2_sha512$", "$scrypt$"].contains { hash.hasPrefix($0) }
    }

    // MARK: Argon2

    static func verifyArgon2(_ password: String, hash: String, current: Argon2Parameters) throws -> PasswordVerification {
        let type: argon2_type
        if hash.hasPrefix("$argon2id$") { type = Argon2_id }
        else if hash.hasPrefix("$argon2i$") { type = Argon2_i }
        else if hash.hasPrefix("$argon2d$") { type = Argon2_d }
        else { throw PasswordHashError.unsupportedFormat }
        let passwordBytes = Array(password.utf8)
        let status = argon2_verify(hash, passwordBytes, passwordBytes.count, type)
        if status == ARGON2_VERIFY_MISMATCH.rawValue { return .mismatch }
        guard status == ARGON2_OK.rawValue else {
            throw PasswordHashError.malformed(String(cString: argon2_error_message(status)))
        }
        return .match(needsUpgrade: type != Argon2_id || argon2Parameters(of: hash) != current)
    }

    /// Reads `m`, `t` and `p` from a PHC Argon2 string.
    static func argon2Parameters(of hash: String) -> Argon2Parameters? {
        let fields = hash.split(separator: "$")
        guard let params = fields.first(where: { $0.hasPrefix("m=") }) else { return nil }
        var values: [String: UInt32] = [:]
        for pair in params.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2, let value = UInt32(parts[1]) { values[String(parts[0])] = value }
        }
        guard let m = values["m"], let t = values["t"], let p = values["p"] else { return nil }
        return Argon2Parameters(memoryKiB: m, iterations: t, parallelism: p)
    }

    // MARK: bcrypt

    /// bcrypt through libxcrypt's `crypt_rn`, which re-derives the hash from the stored setting.
    static func verifyBcrypt(_ password: String, hash: String) throws -> Bool {
        guard hash.count == 60 else { throw PasswordHashError.malformed("bcrypt hash must be 60 characters") }
        // bcrypt stops at the first NUL byte; refuse rather than compare a truncated password.
        guard !password.utf8.contains(0) else { return false }
        let data = UnsafeMutablePointer<crypt_data>.allocate(capacity: 1)
        defer { data.deallocate() }
        memset(data, 0, MemoryLayout<crypt_data>.size)
        guard let output = crypt_rn(password, hash, data, Int32(MemoryLayout<crypt_data>.size)) else {
            throw PasswordHashError.malformed("bcrypt setting rejected")
        }
        return constantTimeEquals(Array(String(cString: output).utf8), Array(hash.utf8))
    }

    // MARK: PBKDF2

    static func verifyPBKDF2(_ password: String, hash: String) throws -> Bool {
        let function: KDF.Insecure.PBKDF2.HashFunction
        let rounds: Int
        let salt: Data
        let expected: Data
        if hash.hasPrefix("pbkdf2_") {
            // Django: pbkdf2_sha256$<iterations>$<salt as text>$<base64 hash>
            let parts = hash.split(separator: "$", omittingEmptySubsequences: false)
            guard parts.count == 4, let iterations = Int(parts[1]), let digest = Data(lenientBase64: parts[3]) else {
                throw PasswordHashError.malformed("expected pbkdf2_<digest>$<iterations>$<salt>$<hash>")
            }
            function = try pbkdf2Function(String(parts[0].dropFirst("pbkdf2_".count)))
            rounds = iterations
            salt = Data(parts[2].utf8)
            expected = digest
        } else {
            // passlib: $pbkdf2-sha256$<rounds>$<ab64 salt>$<ab64 hash>
            // PHC:     $pbkdf2-sha256$i=<rounds>[,l=<length>]$<b64 salt>$<b64 hash>
            let parts = hash.split(separator: "$", omittingEmptySubsequences: false)
            guard parts.count == 5, let decodedSalt = Data(lenientBase64: parts[3]),
                let digest = Data(lenientBase64: parts[4])
            else { throw PasswordHashError.malformed("expected $pbkdf2-<digest>$<rounds>$<salt>$<hash>") }
            function = try pbkdf2Function(String(parts[1].dropFirst("pbkdf2-".count)))
            let params = phcParameters(parts[2])
            guard let iterations = Int(parts[2]) ?? params["i"].flatMap(Int.init) else {
                throw PasswordHashError.malformed("missing PBKDF2 rounds")
            }
            rounds = iterations
            salt = decodedSalt
            expected = digest
        }
        guard (1...10_000_000).contains(rounds), (16...64).contains(expected.count) else {
            throw PasswordHashError.malformed("PBKDF2 rounds or length out of range")
        }
        let derived = try KDF.Insecure.PBKDF2.deriveKey(
            from: Array(password.utf8), salt: salt, using: function,
            outputByteCount: expected.count, unsafeUncheckedRounds: rounds)
        return derived.withUnsafeBytes { constantTimeEquals(Array($0), Array(expected)) }
    }

    static func pbkdf2Function(_ name: String) throws -> KDF.Insecure.PBKDF2.HashFunction {
        switch name {
        case "sha256": .sha256
        case "sha512": .sha512
        default: throw PasswordHashError.unsupportedFormat
        }
    }

    // MARK: scrypt

    /// `$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<hash>` (passlib and PHC).
    static func verifyScrypt(_ password: String, hash: String) throws -> Bool {
        let parts = hash.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 5, let salt = Data(lenientBase64: parts[3]), let expected = Data(lenientBase64: parts[4]) else {
            throw PasswordHashError.malformed("expected $scrypt$ln=…,r=…,p=…$<salt>$<hash>")
        }
        let params = phcParameters(parts[2])
        guard let ln = params["ln"].flatMap(Int.init), let r = params["r"].flatMap(Int.init),
            let p = params["p"].flatMap(Int.init), (1...20).contains(ln), (1...32).contains(r),
            (1...16).contains(p), (16...64).contains(expected.count)
        else { throw PasswordHashError.malformed("scrypt parameters out of range") }
        let n = 1 << ln
        let derived = try KDF.Scrypt.deriveKey(
            from: Array(password.utf8), salt: salt, outputByteCount: expected.count,
            rounds: n, blockSize: r, parallelism: p, maxMemory: 128 * r * n * p + 1 << 20)
        return derived.withUnsafeBytes { constantTimeEquals(Array($0), Array(expected)) }
    }

    static func phcParameters(_ field: Substring) -> [String: String] {
        var result: [String: String] = [:]
        for pair in field.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { result[String(parts[0])] = String(parts[1]) }
        }
        return result
    }
}
