import CognateStore
import StoreConformance
import Testing

/// The shared store conformance suite on PostgreSQL, when COGNATE_TEST_DATABASE_URL names one.
/// Cases use their own pools, so they share one migrated database.
@Suite(.serialized, .enabled(if: TestDatabase.postgresURL != nil, "set COGNATE_TEST_DATABASE_URL=postgres://… to run"))
struct PostgresConformanceTests {
    @Test(arguments: StoreConformance.cases)
    func postgres(_ conformance: ConformanceCase) async throws {
        try await TestDatabase.run(conformance, on: .postgres(url: TestDatabase.postgresURL!))
    }
}
