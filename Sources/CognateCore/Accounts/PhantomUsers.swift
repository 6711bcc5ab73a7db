import CognateModel
import Crypto
import Foundation

/// Stand-ins for names no user holds, so that the public operations answer an unknown name
/// exactly as they answer a real user: the same code paths, counters and limits run on a
/// phantom whose sub (and, later, whose masked address and SRP salt) come from a keyed hash of
/// the pool and the name. The same name always gets the same phantom, on every node, and no
/// one without the master key can tell a phantom from a user.
public struct PhantomUsers: Sendable {
    let key: SymmetricKey

    public init(masterKey: MasterKey) {
        key = masterKey.derivedKey(purpose: "phantom-users")
    }

    /// `count` bytes for `label`, stable for the pool and the name as sign-in would look it up.
    public func bytes(_ label: String, pool: UserPool, name: String, count: Int = 32) -> [UInt8] {
        let normalized = UserIdentifier.key(name, caseSensitive: pool.caseSensitive && !name.contains("@"))
        var output: [UInt8] = []
        var block = 0
        while output.count < count {
            let message = Data("\(label)|\(block)|\(pool.id)|\(normalized)".utf8)
            output += Array(HMAC<SHA256>.authenticationCode(for: message, using: key))
            block += 1
        }
        return Array(output.prefix(count))
    }

    /// The phantom's sub: a version 4 UUID, as a real user's is.
    public func sub(pool: UserPool, name: String) -> UUID {
        var raw = bytes("sub", pool: pool, name: name, count: 16)
        raw[6] = (raw[6] & 0x0F) | 0x40
        raw[8] = (raw[8] & 0x3F) | 0x80
        return UUID(uuid: (raw[0], raw[1], raw[2], raw[3], raw[4], raw[5], raw[6], raw[7],
                           raw[8], raw[9], raw[10], raw[11], raw[12], raw[13], raw[14], raw[15]))
    }
}
