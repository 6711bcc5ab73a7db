import CognateModel
import FluentKit
import Foundation

extension FluentStore: ManagedLoginBrandingStore {
    public func managedLoginBranding(poolId: String, id: String) async throws -> ManagedLoginBranding? {
        try await run("managed login branding") {
            try await ManagedLoginBrandingRow.query(on: database).filter(\.$id == id).filter(\.$poolId == poolId).first().map(Self.branding)
        }
    }

    /// Read for every hosted page: kept in the pool's read cache (an absent one too).
    public func managedLoginBranding(poolId: String, clientId: String) async throws -> ManagedLoginBranding? {
        try await cache.value("branding:\(poolId):\(clientId)", pool: poolId) {
            try await run("managed login branding") {
                try await ManagedLoginBrandingRow.query(on: database).filter(\.$poolId == poolId).filter(\.$clientId == clientId).first()
                    .map(Self.branding)
            }
        }
    }

    public func createManagedLoginBranding(_ branding: ManagedLoginBranding, files: [ManagedLoginAsset.Key: Data]) async throws {
        defer { cache.invalidate(poolId: branding.poolId) }
        try await run("managed login branding") {
            try await poolTransaction(branding.poolId) { db in
                guard try await PoolRow.find(branding.poolId, on: db) != nil else { throw StoreError.notFound("user pool \(branding.poolId)") }
                // the pool's row is locked: a second style for the client is found here, or by the unique index
                guard try await ManagedLoginBrandingRow.query(on: db).filter(\.$poolId == branding.poolId)
                    .filter(\.$clientId == branding.clientId).first() == nil
                else { throw StoreError.duplicate("managed login branding for \(branding.clientId)") }
                let row = ManagedLoginBrandingRow()
                row.id = branding.id
                row.createdAt = branding.createdAt
                try Self.fill(row, branding)
                try await row.create(on: db)
                try await Self.write(files, of: branding, on: db)
            }
        }
    }

    public func updateManagedLoginBranding(poolId: String, id: String, files: [ManagedLoginAsset.Key: Data],
                                           _ change: @escaping @Sendable (inout ManagedLoginBranding) throws -> Void) async throws -> ManagedLoginBranding {
        defer { cache.invalidate(poolId: poolId) }
        return try await run("managed login branding") {
            try await poolTransaction(poolId) { db in
                guard let row = try await ManagedLoginBrandingRow.query(on: db).filter(\.$id == id).filter(\.$poolId == poolId).first() else {
                    throw StoreError.notFound("managed login branding \(id)")
                }
                var branding = try Self.branding(row)
                try change(&branding)
                branding.id = id
                branding.poolId = poolId
                try Self.fill(row, branding)
                try await row.update(on: db)
                try await Self.write(files, of: branding, on: db)
                return branding
            }
        }
    }

    public func deleteManagedLoginBranding(poolId: String, id: String) async throws -> Bool {
        defer { cache.invalidate(poolId: poolId) }
        return try await run("managed login branding") {
            try await poolTransaction(poolId) { db in
                guard let row = try await ManagedLoginBrandingRow.query(on: db).filter(\.$id == id).filter(\.$poolId == poolId).first() else {
                    return false
                }
                try await ManagedLoginAssetRow.query(on: db).filter(\.$brandingId == id).delete()
                try await row.delete(on: db)
                return true
            }
        }
    }

    public func managedLoginAssetFile(brandingId: String, key: ManagedLoginAsset.Key) async throws -> Data? {
        try await run("managed login asset") {
            try await ManagedLoginAssetRow.query(on: database).filter(\.$brandingId == brandingId).filter(\.$category == key.category)
                .filter(\.$colorMode == key.colorMode).first()?.bytes
        }
    }

    static func fill(_ row: ManagedLoginBrandingRow, _ branding: ManagedLoginBranding) throws {
        row.poolId = branding.poolId
        row.clientId = branding.clientId
        row.useCognitoProvidedValues = branding.useCognitoProvidedValues
        row.settings = branding.settings
        row.assets = try encode(branding.assets)
        row.updatedAt = branding.updatedAt
    }

    /// The bytes of `files` written (replacing those of the same role and mode); those of assets
    /// the style no longer lists removed.
    static func write(_ files: [ManagedLoginAsset.Key: Data], of branding: ManagedLoginBranding, on db: any Database) async throws {
        let listed = Set(branding.assets.map(\.key))
        for row in try await ManagedLoginAssetRow.query(on: db).filter(\.$brandingId == branding.id).all() {
            let key = ManagedLoginAsset.Key(category: row.category, colorMode: row.colorMode)
            if !listed.contains(key) || files[key] != nil { try await row.delete(on: db) }
        }
        for (key, bytes) in files where listed.contains(key) {
            let row = ManagedLoginAssetRow()
            row.id = UUID()
            row.brandingId = branding.id
            row.category = key.category
            row.colorMode = key.colorMode
            row.bytes = bytes
            try await row.create(on: db)
        }
    }

    static func branding(_ row: ManagedLoginBrandingRow) throws -> ManagedLoginBranding {
        ManagedLoginBranding(id: row.id ?? "", poolId: row.poolId, clientId: row.clientId, useCognitoProvidedValues: row.useCognitoProvidedValues,
                             settings: row.settings, assets: try decode([ManagedLoginAsset].self, row.assets), createdAt: row.createdAt,
                             updatedAt: row.updatedAt)
    }
}
