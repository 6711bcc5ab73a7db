import CognateModel
import Foundation

/// What a caller of the token or revocation endpoint presents (RFC 6749 §2.3.1): its id and
/// secret by HTTP Basic (client_secret_basic) or in the form (client_secret_post); a public
/// client only its id.
public struct ClientCredentials: Sendable, Equatable {
    public var clientId: String?
    public var secret: String?

    public init(clientId: String?, secret: String?) {
        self.clientId = clientId
        self.secret = secret
    }
}

/// Proves an app client: /oauth2/token, /oauth2/revoke and Cognito's RevokeToken ask it alike.
public struct ClientAuthenticator: Sendable {
    let clients: any AppClientStore

    public init(clients: any AppClientStore) {
        self.clients = clients
    }

    /// The pool's client the credentials name, its secret checked when it has one;
    /// `invalid_client` (401) otherwise.
    public func authenticate(_ credentials: ClientCredentials, poolId: String) async throws -> AppClient {
        guard let clientId = credentials.clientId, let client = try await clients.client(poolId: poolId, clientId: clientId) else {
            throw OAuthError.invalidClient("unknown client")
        }
        guard Self.secretMatches(credentials.secret, client: client) else { throw OAuthError.invalidClient("client authentication failed") }
        return client
    }

    /// The client-secret check, the one place it is made: a client without a secret needs
    /// none; one with a secret needs it, compared with the stored hash in constant time.
    public static func secretMatches(_ secret: String?, client: AppClient) -> Bool {
        guard let hash = client.secretHash else { return true }
        guard let secret else { return false }
        // both compared, whichever matches: the time taken does not say which secret it was
        let first = SecretDigest.matches(secret, hash: hash)
        let second = client.additionalSecret.map { SecretDigest.matches(secret, hash: $0.hash) } ?? false
        return first || second
    }
}
