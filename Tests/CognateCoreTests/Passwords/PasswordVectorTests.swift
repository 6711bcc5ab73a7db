import CognateCore
import Foundation
import Testing

struct PasswordVector: Decodable, Sendable, CustomTestStringConvertible {
    var name: String
    var password: String
    var hash: String
    var needsUpgrade: Bool
    var testDescription: String { "\(name) / \(password)" }

    static let all: [PasswordVector] = {
        guard let url = Bundle.module.url(forResource: "password-vectors", withExtension: "json", subdirectory: "Fixtures"),
            let data = try? Data(contentsOf: url),
            let vectors = try? JSONDecoder().decode([PasswordVector].self, from: data)
        else { return [] }
        return vectors
    }()
}

/// Hashes made by argon2-cffi, bcrypt and hashlib (Tests/Interop/password_vectors.py).
@Suite struct PasswordVectorTests {
    /// A user whose password is still an old Cognito pool's: no password matches here, and the
    /// mark is not a hash an import may bring.
    @Test func thePasswordHeldElsewhereMatchesNothing() throws {
        for password in ["", "$cognito-pool$", "Old-Passw0rd!"] {
            #expect(try PasswordHashFormat.verify(password, against: PasswordHashFormat.elsewhere, current: .owasp) == .mismatch)
        }
        #expect(!PasswordHashFormat.isSupported(PasswordHashFormat.elsewhere))
    }

    @Test func vectorsAreLoaded() {
        #expect(PasswordVector.all.count >= 30)
    }

    @Test(arguments: PasswordVector.all)
    func independentHashVerifies(_ vector: PasswordVector) throws {
        // when
        let result = try PasswordHashFormat.verify(vector.password, against: vector.hash, current: .owasp)
        // then
        #expect(result == .match(needsUpgrade: vector.needsUpgrade))
    }

    @Test(arguments: PasswordVector.all)
    func wrongPasswordIsRefused(_ vector: PasswordVector) throws {
        #expect(try PasswordHashFormat.verify(vector.password + "x", against: vector.hash, current: .owasp) == .mismatch)
        #expect(try PasswordHashFormat.verify(String(vector.password.dropLast()), against: vector.hash, current: .owasp) == .mismatch)
    }
}
