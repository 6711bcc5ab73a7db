import CognateModel
import FluentKit
import Foundation

extension FluentStore: UICustomizationStore {
    /// Read for every hosted page: kept in the pool's read cache (an absent one too).
    public func uiCustomization(poolId: String, clientId: String) async throws -> UICustomization? {
        try await cache.value("ui:\(poolId):\(clientId)", pool: poolId) {
            try await run("UI customization") {
                try await UICustomizationRow.query(on: database).filter(\.$poolId == poolId).filter(\.$clientId == clientId).first()
                    .map(Self.customization)
            }
        }
    }

    public func saveUICustomization(_ customization: UICustomization) async throws {
        defer { cache.invalidate(poolId: customization.poolId) }
        try await run("UI customization") {
            try await poolTransaction(customization.poolId) { db in
                guard try await PoolRow.find(customization.poolId, on: db) != nil else {
                    throw StoreError.notFound("user pool \(customization.poolId)")
                }
                // the pool's row is locked by the transaction: one writer per pool, so no two rows for one client
                let row = try await UICustomizationRow.query(on: db).filter(\.$poolId == customization.poolId)
                    .filter(\.$clientId == customization.clientId).first() ?? {
                        let made = UICustomizationRow()
                        made.id = UUID()
                        made.createdAt = customization.createdAt
                        return made
                    }()
                row.poolId = customization.poolId
                row.clientId = customization.clientId
                row.css = customization.css
                row.image = customization.image
                row.imageType = customization.imageType
                row.version = customization.version
                row.updatedAt = customization.updatedAt
                try await row.save(on: db)
            }
        }
    }

    public func deleteUICustomization(poolId: String, clientId: String) async throws {
        defer { cache.invalidate(poolId: poolId) }
        try await run("UI customization") {
            try await UICustomizationRow.query(on: database).filter(\.$poolId == poolId).filter(\.$clientId == clientId).delete()
        }
    }

    static func customization(_ row: UICustomizationRow) -> UICustomization {
        UICustomization(poolId: row.poolId, clientId: row.clientId, css: row.css, image: row.image, imageType: row.imageType,
                        version: row.version, createdAt: row.createdAt, updatedAt: row.updatedAt)
    }
}
