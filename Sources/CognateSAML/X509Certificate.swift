import CLibCrypto
import Foundation

/// Why a certificate or key could not be used.
public struct CertificateError: Error, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// An X.509 certificate read with the system's OpenSSL: its validity and its DER. SAML carries
/// keys as certificates (an IdP's in its metadata, the SP's in its own), and an expired one is
/// not trusted.
public struct X509Certificate: Sendable, Equatable {
    public let der: Data
    public let notBefore: Date
    public let notAfter: Date

    /// From the base64 of its DER, as `ds:X509Certificate` holds it (whitespace ignored).
    public init(base64: String) throws {
        guard let der = Data(base64Encoded: base64.filter { !$0.isWhitespace }) else { throw CertificateError("the certificate is not base64") }
        try self.init(der: der)
    }

    public init(der: Data) throws {
        guard der.count <= 16 * 1024 else { throw CertificateError("the certificate is larger than 16 KiB") }
        let dates: (Date, Date)? = der.withUnsafeBytes { buffer in
            var cursor = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self)
            guard let certificate = d2i_X509(nil, &cursor, buffer.count) else { return nil }
            defer { X509_free(certificate) }
            guard let start = X509_get0_notBefore(certificate).flatMap(Self.date), let end = X509_get0_notAfter(certificate).flatMap(Self.date)
            else { return nil }
            return (start, end)
        }
        guard let dates else { throw CertificateError("the certificate is not an X.509 certificate") }
        self.der = der
        (notBefore, notAfter) = dates
    }

    public var base64: String { der.base64EncodedString() }

    /// The certificate's public key as a SubjectPublicKeyInfo DER (what a passkey's packed
    /// attestation is checked with); nil if OpenSSL cannot read it.
    public var subjectPublicKeyInfo: Data? {
        der.withUnsafeBytes { buffer -> Data? in
            var cursor = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self)
            guard let certificate = d2i_X509(nil, &cursor, buffer.count) else { return nil }
            defer { X509_free(certificate) }
            guard let key = X509_get0_pubkey(certificate) else { return nil }
            var out: UnsafeMutablePointer<UInt8>?
            let length = i2d_PUBKEY(key, &out)
            guard length > 0, let out else { return nil }
            defer { CRYPTO_free(out, #fileID, #line) }
            return Data(bytes: out, count: Int(length))
        }
    }

    /// Whether the certificate is within its validity at `date`.
    public func isValid(at date: Date) -> Bool { notBefore <= date && date <= notAfter }

    static func date(_ time: UnsafePointer<ASN1_TIME>) -> Date? {
        var parts = tm()
        guard ASN1_TIME_to_tm(time, &parts) == 1 else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }

    /// A self-signed certificate (SHA-256 with RSA) for the RSA key in `privateKeyPEM`, with the
    /// common name `commonName` (cut to X.509's 64 characters), valid from an hour before `now`
    /// for `years`: how a pool shows its SAML signing and encryption keys to IdPs, as Cognito's
    /// ten-year certificates do.
    public static func selfSigned(privateKeyPEM: String, commonName: String, now: Date, years: Int = 10) throws -> X509Certificate {
        var pem = Array(privateKeyPEM.utf8)
        let key: OpaquePointer? = pem.withUnsafeMutableBytes { buffer in
            guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_PrivateKey(bio, nil, nil, nil)
        }
        guard let key else { throw CertificateError("OpenSSL could not read the private key") }
        defer { EVP_PKEY_free(key) }
        guard let certificate = X509_new() else { throw CertificateError("out of memory") }
        defer { X509_free(certificate) }
        var serial = [UInt8](repeating: 0, count: 16)
        guard RAND_bytes(&serial, 16) == 1 else { throw CertificateError("no randomness for the serial number") }
        serial[0] &= 0x7f  // a positive serial
        let number = BN_bin2bn(serial, 16, nil)
        defer { BN_free(number) }
        let start = Int(now.timeIntervalSince1970) - 3600
        let end = start + 3600 + years * 365 * 86_400
        let name = X509_get_subject_name(certificate)
        let common = String(commonName.prefix(64))
        guard X509_set_version(certificate, 2) == 1,
            BN_to_ASN1_INTEGER(number, X509_get_serialNumber(certificate)) != nil,
            ASN1_TIME_set(X509_getm_notBefore(certificate), time_t(start)) != nil,
            ASN1_TIME_set(X509_getm_notAfter(certificate), time_t(end)) != nil,
            X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, common, -1, -1, 0) == 1,
            X509_set_issuer_name(certificate, name) == 1,
            X509_set_pubkey(certificate, key) == 1,
            X509_sign(certificate, key, EVP_sha256()) > 0
        else { throw CertificateError("OpenSSL could not make the certificate") }
        var out: UnsafeMutablePointer<UInt8>?
        let length = i2d_X509(certificate, &out)
        guard length > 0, let out else { throw CertificateError("OpenSSL could not write the certificate") }
        defer { CRYPTO_free(out, #fileID, #line) }
        return try X509Certificate(der: Data(bytes: out, count: Int(length)))
    }
}
