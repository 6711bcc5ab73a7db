import CognateModel
import Foundation

/// What an app client may read and write of a user's attributes (its ReadAttributes and
/// WriteAttributes), for the operations a user calls through that client: sign-up, the
/// attribute updates, the NEW_PASSWORD_REQUIRED answer, the hosted pages; the ID token,
/// GetUser and userInfo. A client without a list has Cognito's default: every attribute.
/// The verification flags are never written by a user, whatever the list says; the admin
/// operations are not limited by either list.
public enum AttributePermissions {
    /// Cognito's words for a write the client may not make (NotAuthorizedException).
    public static let refusal = "A client attempted to write unauthorized attribute"

    public static func canRead(_ name: String, client: AppClient) -> Bool {
        client.readAttributes.isEmpty || client.readAttributes.contains(name)
    }

    public static func canWrite(_ name: String, client: AppClient) -> Bool {
        !UserAttributeRules.verificationFlags.contains(name) && (client.writeAttributes.isEmpty || client.writeAttributes.contains(name))
    }

    /// Refuses the whole request if any name is not the client's to write.
    public static func checkWrite(_ names: some Sequence<String>, client: AppClient) throws(AccountError) {
        if names.contains(where: { !canWrite($0, client: client) }) { throw AccountError.unauthorizedAttribute }
    }

    /// The attributes of `user` that `client` may read.
    public static func readable(_ attributes: [String: String], client: AppClient) -> [String: String] {
        client.readAttributes.isEmpty ? attributes : attributes.filter { canRead($0.key, client: client) }
    }
}
