import CXMLSec
import Foundation

/// XML Signature and XML Encryption with xmlsec1 (its OpenSSL back end), held to what SAML
/// needs: references only within the document, only the canonicalisation, digest and
/// signature algorithms listed here (no XPath, XSLT or SHA-1), the key always Cognate's choice
/// (an IdP certificate from its metadata, the pool's own private key), never one the document
/// offers in its KeyInfo.
enum XMLSecurity {
    /// xmlsec and its OpenSSL back end, set up once for the process.
    static let ready: Bool = {
        xmlInitParser()
        guard xmlSecInit() == 0,
            xmlSecCheckVersionExt(XMLSEC_VERSION_MAJOR, XMLSEC_VERSION_MINOR, XMLSEC_VERSION_SUBMINOR, xmlSecCheckVersionABICompatible) == 1,
            xmlSecOpenSSLAppInit(nil) == 0, xmlSecOpenSSLInit() == 0
        else { return false }
        // a refused signature is Cognate's to report, not xmlsec's to print
        xmlSecErrorsSetCallback { _, _, _, _, _, _, _ in }
        return true
    }()

    static var canonicalisations: [xmlSecTransformId] {
        [xmlSecTransformExclC14NGetKlass(), xmlSecTransformExclC14NWithCommentsGetKlass(), xmlSecTransformInclC14NGetKlass(),
         xmlSecTransformInclC14NWithCommentsGetKlass(), xmlSecTransformInclC14N11GetKlass()]
    }

    /// What a `ds:Reference` may use: the enveloped-signature transform, canonicalisation, SHA-2.
    static var referenceTransforms: [xmlSecTransformId] {
        canonicalisations + [xmlSecTransformEnvelopedGetKlass(), xmlSecOpenSSLTransformSha256GetKlass(),
                             xmlSecOpenSSLTransformSha384GetKlass(), xmlSecOpenSSLTransformSha512GetKlass()]
    }

    /// What `ds:SignedInfo` may use: canonicalisation and RSA or ECDSA with SHA-2.
    static var signatureTransforms: [xmlSecTransformId] {
        canonicalisations + [xmlSecOpenSSLTransformRsaSha256GetKlass(), xmlSecOpenSSLTransformRsaSha384GetKlass(),
                             xmlSecOpenSSLTransformRsaSha512GetKlass(), xmlSecOpenSSLTransformEcdsaSha256GetKlass(),
                             xmlSecOpenSSLTransformEcdsaSha384GetKlass(), xmlSecOpenSSLTransformEcdsaSha512GetKlass()]
    }

    /// The same-document URI (`#id`) of the one reference of `signature` when it verifies with
    /// the key of one of `certificates`; nil when it verifies with none of them.
    static func verifiedReference(_ signature: SafeXML.Element, certificates: [X509Certificate]) throws -> String? {
        guard ready else { throw XMLRefusal("xmlsec could not be set up") }
        for certificate in certificates {
            guard let context = xmlSecDSigCtxCreate(nil) else { throw XMLRefusal("out of memory") }
            defer { xmlSecDSigCtxDestroy(context) }
            let key = certificate.der.withUnsafeBytes { bytes in
                xmlSecOpenSSLAppKeyLoadMemory(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), .init(bytes.count),
                                              xmlSecKeyDataFormatCertDer, nil, nil, nil)
            }
            guard let key else { continue }
            // the context owns the key from here (destroyed with it)
            context.pointee.signKey = key
            context.pointee.enabledReferenceUris = xmlSecTransformUriType(xmlSecTransformUriTypeSameDocument)
            for transform in referenceTransforms { _ = xmlSecDSigCtxEnableReferenceTransform(context, transform) }
            for transform in signatureTransforms { _ = xmlSecDSigCtxEnableSignatureTransform(context, transform) }
            guard xmlSecDSigCtxVerify(context, signature.node) == 0, context.pointee.status == xmlSecDSigStatusSucceeded else { continue }
            // exactly one reference, to one element: what the caller reads is what was signed
            guard xmlSecPtrListGetSize(&context.pointee.signedInfoReferences) == 1,
                let item = xmlSecPtrListGetItem(&context.pointee.signedInfoReferences, 0)
            else { throw XMLRefusal("the signature covers more than one thing") }
            let reference = item.assumingMemoryBound(to: xmlSecDSigReferenceCtx.self)
            guard let uri = reference.pointee.uri else { throw XMLRefusal("the signature covers the whole document") }
            return String(cString: uri)
        }
        return nil
    }

    /// The key-transport algorithms an assertion's key may be sent with (RSA-OAEP; PKCS#1 v1.5 is not taken).
    static var keyTransports: [xmlSecTransformId] { [xmlSecOpenSSLTransformRsaOaepGetKlass()] }

    /// The block ciphers an assertion may be encrypted with (AES, CBC or GCM).
    static var dataCiphers: [xmlSecTransformId] {
        [xmlSecOpenSSLTransformAes128CbcGetKlass(), xmlSecOpenSSLTransformAes192CbcGetKlass(), xmlSecOpenSSLTransformAes256CbcGetKlass(),
         xmlSecOpenSSLTransformAes128GcmGetKlass(), xmlSecOpenSSLTransformAes192GcmGetKlass(), xmlSecOpenSSLTransformAes256GcmGetKlass()]
    }

    static let encryptionNS = "http://www.w3.org/2001/04/xmlenc#"

    /// Decrypts `encryptedData` (an `xenc:EncryptedData` whose key travels in an
    /// `xenc:EncryptedKey`, in its KeyInfo or beside it) with the RSA key in `privateKeyPEM`;
    /// the decrypted element takes the EncryptedData's place in the document.
    static func decrypt(_ encryptedData: SafeXML.Element, encryptedKey: SafeXML.Element, privateKeyPEM: String) throws {
        guard ready else { throw XMLRefusal("xmlsec could not be set up") }
        // 1. the content key, with the pool's private key
        guard let keyContext = xmlSecEncCtxCreate(nil) else { throw XMLRefusal("out of memory") }
        defer { xmlSecEncCtxDestroy(keyContext) }
        let pem = Array(privateKeyPEM.utf8)
        guard let privateKey = xmlSecOpenSSLAppKeyLoadMemory(pem, .init(pem.count), xmlSecKeyDataFormatPem, nil, nil, nil) else {
            throw XMLRefusal("the pool's decryption key could not be loaded")
        }
        keyContext.pointee.encKey = privateKey
        keyContext.pointee.mode = xmlEncCtxModeEncryptedKey
        for transform in keyTransports { _ = xmlSecPtrListAdd(&keyContext.pointee.transformCtx.enabledTransforms, UnsafeMutableRawPointer(mutating: transform)) }
        guard let contentKey = xmlSecEncCtxDecryptToBuffer(keyContext, encryptedKey.node) else {
            throw XMLRefusal("the assertion's key could not be decrypted with the pool's key")
        }
        guard let method = encryptedData.children(encryptionNS, "EncryptionMethod").first?.attribute("Algorithm"),
            method.hasPrefix("http://www.w3.org/2001/04/xmlenc#aes") || method.hasPrefix("http://www.w3.org/2009/xmlenc11#aes")
        else { throw XMLRefusal("the assertion is not encrypted with AES") }
        guard let symmetric = xmlSecKeyReadBuffer(xmlSecOpenSSLKeyDataAesGetKlass(), contentKey) else {
            throw XMLRefusal("the assertion's key is not an AES key")
        }
        // 2. the assertion, with the content key
        guard let dataContext = xmlSecEncCtxCreate(nil) else {
            xmlSecKeyDestroy(symmetric)
            throw XMLRefusal("out of memory")
        }
        defer { xmlSecEncCtxDestroy(dataContext) }
        dataContext.pointee.encKey = symmetric
        for transform in dataCiphers { _ = xmlSecPtrListAdd(&dataContext.pointee.transformCtx.enabledTransforms, UnsafeMutableRawPointer(mutating: transform)) }
        guard xmlSecEncCtxDecrypt(dataContext, encryptedData.node) == 0, dataContext.pointee.result != nil,
            dataContext.pointee.resultReplaced != 0
        else { throw XMLRefusal("the assertion could not be decrypted") }
    }
}

/// Debian's xmlsec is built with XMLSEC_NO_SIZE_T: its sizes are unsigned ints, which this
/// fails to compile without (the shim's definitions keep the struct layouts right).
private func sizesAreUnsignedInts(_ buffer: xmlSecBufferPtr?) -> UInt32 { xmlSecBufferGetSize(buffer) }
