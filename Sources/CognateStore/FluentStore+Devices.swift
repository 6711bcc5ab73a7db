import CognateModel
import FluentKit
import Foundation
import SQLKit

final class DeviceRow: Model, @unchecked Sendable {
    static let schema = "devices"
    @ID(custom: "id", generatedBy: .user) var id: String?
    @Field(key: "pool_id") var poolId: String
    @Field(key: "user_sub") var userSub: UUID
    @Field(key: "confirmed") var confirmed: Bool
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "document") var document: String
    init() {}
}

extension FluentStore: DeviceStore {
    public func createDevice(_ device: Device) async throws {
        try await run("device") {
            guard let user = try await UserRow.find(device.userSub, on: database), user.poolId == device.poolId else {
                throw StoreError.notFound("user \(device.userSub)")
            }
            let row = DeviceRow()
            row.id = device.key
            try Self.fill(row, with: device)
            try await row.create(on: database)
        }
    }

    public func device(poolId: String, key: String) async throws -> Device? {
        try await run("device") {
            guard let row = try await DeviceRow.find(key, on: database), row.poolId == poolId else { return nil }
            return try Self.device(row)
        }
    }

    public func updateDevice(poolId: String, key: String, _ change: @escaping @Sendable (inout Device) throws -> Void) async throws -> Device {
        try await run("device") {
            try await database.transaction { db in
                // the no-op write first takes the row's (PostgreSQL) or the file's (SQLite) write lock before the read
                if let sql = db as? any SQLDatabase {
                    try await sql.update(DeviceRow.schema).set(SQLIdentifier("confirmed"), to: SQLIdentifier("confirmed"))
                        .where(SQLIdentifier("id"), .equal, SQLBind(key)).run()
                }
                guard let row = try await DeviceRow.find(key, on: db), row.poolId == poolId else { throw StoreError.notFound("device \(key)") }
                var device = try Self.device(row)
                let (userSub, createdAt) = (device.userSub, device.createdAt)
                do { try change(&device) } catch { throw ValidationFailure(underlying: error) }
                device.key = key
                device.poolId = poolId
                device.userSub = userSub
                device.createdAt = createdAt
                try Self.fill(row, with: device)
                try await row.update(on: db)
                return device
            }
        }
    }

    public func devices(poolId: String, userSub: UUID?, limit: Int, after cursor: String?) async throws -> ListPage<Device> {
        try await run("device") {
            let query = DeviceRow.query(on: database).filter(\.$poolId == poolId).filter(\.$confirmed == true).sort(\.$id).limit(limit + 1)
            if let userSub { query.filter(\.$userSub == userSub) }
            if let key = Self.key(fromCursor: cursor) { query.filter(\.$id > key) }
            return try Self.page(try await query.all(), limit: limit, key: { $0.id ?? "" }, map: Self.device)
        }
    }

    public func deleteDevice(poolId: String, key: String) async throws {
        try await run("device") {
            guard try await DeviceRow.find(key, on: database)?.poolId == poolId,
                try await Self.deleteReturning(DeviceRow.schema, id: key, on: database)
            else { throw StoreError.notFound("device \(key)") }
        }
    }

    static func fill(_ row: DeviceRow, with device: Device) throws {
        row.poolId = device.poolId
        row.userSub = device.userSub
        row.confirmed = device.isConfirmed
        row.createdAt = device.createdAt
        row.document = try encode(device)
    }

    static func device(_ row: DeviceRow) throws -> Device {
        try decode(Device.self, row.document)
    }
}
