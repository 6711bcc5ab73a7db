import CognateStore
import StoreConformance
import Testing

/// The shared store conformance suite on SQLite, a fresh database file per case.
@Suite struct SQLiteConformanceTests {
    @Test(arguments: StoreConformance.cases)
    func sqlite(_ conformance: ConformanceCase) async throws {
        try await TestDatabase.run(conformance, on: TestDatabase.sqliteFile())
    }
}
