import CognateModel
import Foundation

/// What a first start makes so a newcomer has something to point an app at.
public enum DefaultPool {
    static let marker = "default_pool_created"
    public static let demoCallbackURL = "http://localhost:3000/callback"

    /// On the very first start (and only then), a pool named `default` with a public demo client.
    /// Returns the pool and client when they were made now.
    public static func createIfFirstStart(
        service: PoolService, settings: any SettingStore, store: any UserPoolStore
    ) async throws -> (pool: UserPool, client: AppClient)? {
        guard try await settings.setting(marker) == nil else { return nil }
        if try await !store.listPools(limit: 1, after: nil).items.isEmpty {
            _ = try await settings.setSettingIfAbsent(marker, value: "skipped: pools already existed")
            return nil
        }
        let pool: UserPool
        do {
            pool = try await service.createPool { pool in
                pool.name = "default"
                pool.aliasAttributes = ["email"]
                pool.autoVerifiedAttributes = ["email"]
            }
        } catch StoreError.duplicate {
            return nil  // another node starting on the same database made it first
        }
        let (client, _) = try await service.createClient(poolId: pool.id, generateSecret: false) { client in
            client.name = "demo"
            client.callbackURLs = [demoCallbackURL]
            client.logoutURLs = ["http://localhost:3000/"]
            client.allowedOAuthFlows = [.code]
            client.allowedOAuthFlowsUserPoolClient = true
            client.allowedOAuthScopes = ["openid", "email", "profile"]
        }
        _ = try await settings.setSettingIfAbsent(marker, value: pool.id)
        return (pool, client)
    }
}
