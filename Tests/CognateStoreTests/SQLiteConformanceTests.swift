import CognateStore
import StoreConformance
import Testing

/// The shared store conformance suite on SQLite, a fresh database file per case.
@Suite struct SQLiteConformanceTests {
    @Test(arguments: StoreConformance.cases)
    func sqlite(_ conformance: ConformanceCase) async throws {
        let database = try await TestDatabase.make(TestDatabase.sqliteFile())
        do {
            try await conformance.run(database.store)
        } catch {
            await database.shutdown()
            throw error
        }
        await database.shutdown()
    }
}
