import CognateModel
import FluentKit
import Foundation

extension FluentStore: SingleUseStore {
    public func claimOnce(_ key: String, until date: Date) async throws -> Bool {
        try await run("single use") {
            let row = SingleUseRow()
            row.id = key
            row.expiresAt = date
            do {
                try await row.create(on: database)
                return true
            } catch where Self.isUniqueViolation(error) {
                return false
            }
        }
    }
}
