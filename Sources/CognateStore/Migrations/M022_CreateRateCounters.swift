import FluentKit

struct M022_CreateRateCounters: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("rate_counters")
            .field("id", .string, .identifier(auto: false))
            .field("count", .int, .required)
            .field("expires_at", .datetime, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("rate_counters").delete()
    }
}
