import CLibCrypto
import Foundation

/// RS256 (RSASSA-PKCS1-v1_5 with SHA-256) with the system's OpenSSL. Token signing is the
/// largest cost of a token request, and OpenSSL 3 signs RSA-2048 about twice as fast as
/// swift-crypto's BoringSSL on CPUs with AVX-512 IFMA (and as fast elsewhere). Verification
/// stays with JWTKit, where it is cheap.
///
/// One parsed key serves every thread: each signature gets its own EVP_MD_CTX, and OpenSSL 3
/// keeps RSA blinding per thread.
final class RS256Signer: @unchecked Sendable {
    private let key: OpaquePointer

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    init(pem: String) throws {
        var bytes = Array(pem.utf8)
        let parsed: OpaquePointer? = bytes.withUnsafeMutableBytes { buffer in
            guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_PrivateKey(bio, nil, nil, nil)
        }
        guard let parsed else { throw Failure(description: "OpenSSL could not parse the private key") }
        guard EVP_PKEY_get_base_id(parsed) == EVP_PKEY_RSA else {
            EVP_PKEY_free(parsed)
            throw Failure(description: "not an RSA key")
        }
        key = parsed
    }

    deinit { EVP_PKEY_free(key) }

    func sign(_ message: [UInt8]) throws -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else { throw Failure(description: "out of memory") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, EVP_sha256(), nil, key) == 1 else {
            throw Failure(description: "EVP_DigestSignInit failed")
        }
        var length = 0
        guard EVP_DigestSign(context, nil, &length, message, message.count) == 1 else {
            throw Failure(description: "EVP_DigestSign (size) failed")
        }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(context, &signature, &length, message, message.count) == 1 else {
            throw Failure(description: "EVP_DigestSign failed")
        }
        return Array(signature.prefix(length))
    }
}
