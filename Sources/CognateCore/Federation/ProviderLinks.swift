import CognateModel
import Foundation

/// Why a link was refused, in terms the API words as Cognito does.
public enum ProviderLinkError: Error, Equatable, Sendable {
    case invalid(String)
    case userNotFound
    case tooManyLinks
}

/// AdminLinkProviderForUser and AdminDisableProviderForUser: an outside provider's user linked
/// to a native user, so that signing in there lands on the native user (its groups, its
/// attributes). The link is an entry of the native user's `identities` and an identifier
/// (`<ProviderName>_<id>`) that the store keeps unique, so one outside user is linked once.
public struct ProviderLinks: Sendable {
    public typealias Store = UserStore & IdentityProviderStore
    let store: any Store
    let now: Now

    /// Cognito: at most five outside identities per user.
    public static let maximum = 5

    public init(store: any Store, now: @escaping Now) {
        self.store = store
        self.now = now
    }

    public func link(pool: UserPool, destination username: String, provider name: String, subject: String) async throws -> User {
        guard !subject.isEmpty else { throw ProviderLinkError.invalid("SourceUser needs ProviderAttributeValue.") }
        guard let provider = try await store.identityProvider(poolId: pool.id, name: name) else {
            throw ProviderLinkError.invalid("There is no identity provider \(name) in this user pool.")
        }
        guard let user = try await store.user(in: pool, named: username) else { throw ProviderLinkError.userNotFound }
        guard user.status != .externalProvider else {
            throw ProviderLinkError.invalid("DestinationUser must be a user of the pool itself (ProviderName Cognito).")
        }
        let federatedName = UserIdentifier.key("\(provider.name)_\(subject)", caseSensitive: pool.caseSensitive)
        if try await store.user(poolId: pool.id, identifierKey: federatedName) != nil {
            throw ProviderLinkError.invalid("Merging is not currently supported, provide a SourceUser that has not been used to sign in")
        }
        guard user.linkedIdentities.count < Self.maximum else { throw ProviderLinkError.tooManyLinks }
        let date = now()
        let (providerName, providerType) = (provider.name, provider.type.rawValue)
        do {
            return try await store.updateUser(poolId: pool.id, sub: user.sub, identifiers: { $0.identifiers(in: pool) }) { user in
                // read again in the transaction: racing links are counted once each
                guard user.linkedIdentities.count < Self.maximum else { throw ProviderLinkError.tooManyLinks }
                user.attributes["identities"] = FederatedIdentity.attribute(user.linkedIdentities + [
                    FederatedIdentity(userId: subject, providerName: providerName, providerType: providerType, primary: false, dateCreated: date),
                ])
                user.updatedAt = date
            }
        } catch StoreError.duplicate {
            throw ProviderLinkError.invalid("That \(provider.name) user is linked to another user already.")
        }
    }

    /// Ends signing in with that outside user: its link to a native user is removed, and a user
    /// it made by signing in is disabled.
    public func disable(pool: UserPool, provider name: String, subject: String) async throws {
        guard try await store.identityProvider(poolId: pool.id, name: name) != nil else {
            throw ProviderLinkError.invalid("There is no identity provider \(name) in this user pool.")
        }
        let key = UserIdentifier.key("\(name)_\(subject)", caseSensitive: pool.caseSensitive)
        guard let user = try await store.user(poolId: pool.id, identifierKey: key) else { throw ProviderLinkError.userNotFound }
        let date = now()
        _ = try await store.updateUser(poolId: pool.id, sub: user.sub, identifiers: { $0.identifiers(in: pool) }) { user in
            if user.status == .externalProvider {
                user.enabled = false
            } else {
                user.attributes["identities"] = FederatedIdentity.attribute(
                    user.linkedIdentities.filter { !($0.providerName == name && $0.userId == subject) })
            }
            user.updatedAt = date
        }
    }
}
