import CognateModel
import Foundation

/// Finding users by the names people sign in with, for every face (API, hosted pages, sign-in).
extension UserStore {
    /// The user a sign-in name means: user name or alias (emails compared in lower case).
    public func user(in pool: UserPool, named name: String) async throws -> User? {
        if let user = try await user(poolId: pool.id, identifierKey: UserIdentifier.key(name, caseSensitive: pool.caseSensitive)) {
            return user
        }
        return name.contains("@") ? try await user(poolId: pool.id, identifierKey: name.lowercased()) : nil
    }

    /// ForceAliasCreation: the verified email or phone `user` holds moves to it; the old holder
    /// keeps the value, unverified, and no longer signs in with it.
    public func releaseAliases(of user: User, in pool: UserPool, at date: Date) async throws {
        for identifier in user.identifiers(in: pool) where identifier.kind == .email || identifier.kind == .phoneNumber {
            guard let holder = try await self.user(poolId: pool.id, identifierKey: identifier.key), holder.sub != user.sub else { continue }
            let flag = identifier.kind == .email ? "email_verified" : "phone_number_verified"
            try await updateUser(poolId: pool.id, sub: holder.sub, identifiers: { $0.identifiers(in: pool) }) {
                $0.attributes[flag] = "false"
                $0.updatedAt = date
            }
        }
    }
}
