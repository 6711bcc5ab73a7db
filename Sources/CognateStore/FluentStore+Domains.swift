import CognateModel
import FluentKit
import Foundation

extension FluentStore: DomainStore {
    public func createDomain(_ domain: UserPoolDomain) async throws {
        defer { cache.invalidate(poolId: domain.poolId) }
        try await run("domain") {
            guard try await PoolRow.find(domain.poolId, on: database) != nil else { throw StoreError.notFound("user pool \(domain.poolId)") }
            let row = DomainRow()
            row.id = domain.domain
            row.poolId = domain.poolId
            row.isCustom = domain.isCustom
            row.certificateArn = domain.certificateArn
            row.managedLoginVersion = domain.managedLoginVersion
            row.createdAt = domain.createdAt
            try await row.create(on: database)
        }
    }

    public func domain(named name: String) async throws -> UserPoolDomain? {
        try await cache.value("domain:\(name)", poolOf: \.poolId) {
            try await run("domain") { try await DomainRow.find(name, on: database).map(Self.domain) }
        }
    }

    public func domains(poolId: String) async throws -> [UserPoolDomain] {
        try await cache.value("domains:\(poolId)", pool: poolId) {
            try await run("domain") {
                try await DomainRow.query(on: database).filter(\.$poolId == poolId).sort(\.$id).all().map(Self.domain)
            }
        }
    }

    public func deleteDomain(named name: String) async throws {
        defer { cache.invalidateAll() }
        try await run("domain") {
            guard let row = try await DomainRow.find(name, on: database) else { throw StoreError.notFound("domain \(name)") }
            try await row.delete(on: database)
        }
    }

    public func updateDomain(named name: String, poolId: String, certificateArn: String?, managedLoginVersion: Int?) async throws -> UserPoolDomain {
        defer { cache.invalidateAll() }
        return try await run("domain") {
            guard let row = try await DomainRow.find(name, on: database), row.poolId == poolId else { throw StoreError.notFound("domain \(name)") }
            row.certificateArn = certificateArn
            row.managedLoginVersion = managedLoginVersion
            try await row.update(on: database)
            return Self.domain(row)
        }
    }

    static func domain(_ row: DomainRow) -> UserPoolDomain {
        var domain = UserPoolDomain(domain: row.id ?? "", poolId: row.poolId, isCustom: row.isCustom, certificateArn: row.certificateArn,
                                    createdAt: row.createdAt)
        domain.managedLoginVersion = row.managedLoginVersion
        return domain
    }
}
