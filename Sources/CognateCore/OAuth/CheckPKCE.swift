import Crypto
import Foundation

/// RFC 7636: S256 only (`plain` is refused); clients without a secret must send a challenge; a
/// code issued with a challenge needs the matching verifier.
public enum CheckPKCE {
    /// At authorization: the challenge and method, checked.
    public static func challenge(_ challenge: String?, method: String?, publicClient: Bool) throws -> String? {
        guard let challenge, !challenge.isEmpty else {
            if publicClient { throw OAuthError.invalidRequest("code_challenge is required for clients without a secret (PKCE, RFC 7636)") }
            return nil
        }
        guard (method ?? "plain") == "S256" else { throw OAuthError.invalidRequest("code_challenge_method must be S256") }
        // §4.2: BASE64URL(SHA256(verifier)) is 43 characters.
        guard challenge.count == 43, challenge.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw OAuthError.invalidRequest("code_challenge is not a base64url SHA-256")
        }
        return challenge
    }

    /// At the token endpoint: §4.6, BASE64URL(SHA256(code_verifier)) == code_challenge.
    public static func verify(verifier: String?, challenge: String?) throws {
        guard let challenge else {
            if verifier != nil { throw OAuthError.invalidGrant("code_verifier given for a code issued without PKCE") }
            return
        }
        guard let verifier, (43...128).contains(verifier.count),
            verifier.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-._~".contains($0)) })
        else { throw OAuthError.invalidGrant("code_verifier is missing or malformed") }
        let computed = Data(SHA256.hash(data: Data(verifier.utf8))).base64URLEncoded
        guard constantTimeEquals(Array(computed.utf8), Array(challenge.utf8)) else {
            throw OAuthError.invalidGrant("code_verifier does not match code_challenge")
        }
    }
}
