import CognateCore
import Foundation
import Testing

@Suite struct MasterKeyTests {
    @Test func sealedValueOpensWithSameKeyAndContext() throws {
        let key = MasterKey.generate()
        let sealed = try key.seal(Data("private key".utf8), context: "signing-key:a")
        #expect(try key.open(sealed, context: "signing-key:a") == Data("private key".utf8))
        #expect(!sealed.contains(Data("private key".utf8)))
    }

    @Test func anotherKeyCannotOpen() throws {
        let sealed = try MasterKey.generate().seal(Data("secret".utf8), context: "c")
        #expect(throws: MasterKeyError.self) { try MasterKey.generate().open(sealed, context: "c") }
    }

    @Test func valueMovedToAnotherContextDoesNotOpen() throws {
        let key = MasterKey.generate()
        let sealed = try key.seal(Data("secret".utf8), context: "signing-key:pool-a")
        #expect(throws: MasterKeyError.self) { try key.open(sealed, context: "signing-key:pool-b") }
    }

    @Test func tamperedCiphertextDoesNotOpen() throws {
        let key = MasterKey.generate()
        var sealed = try key.seal(Data("secret".utf8), context: "c")
        sealed[sealed.count / 2] ^= 0x01
        #expect(throws: MasterKeyError.self) { try key.open(sealed, context: "c") }
    }

    @Test func base64FormRoundTripsAndRejectsWrongLength() {
        let key = MasterKey.generate()
        #expect(MasterKey(base64: key.base64)?.base64 == key.base64)
        #expect(MasterKey(base64: Data(count: 16).base64EncodedString()) == nil)
        #expect(MasterKey(base64: "not base64 at all!") == nil)
    }

    @Test func constantTimeEqualsComparesWholeValues() {
        #expect(constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2]))
        #expect(SecretDigest.matches("s3cret", hash: SecretDigest.sha256Hex("s3cret")))
        #expect(!SecretDigest.matches("s3cret!", hash: SecretDigest.sha256Hex("s3cret")))
    }
}
