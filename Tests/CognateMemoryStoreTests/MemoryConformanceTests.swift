import CognateMemoryStore
import CognateModel
import StoreConformance
import Testing

/// The shared store conformance suite on the in-memory store, a fresh store per case: the
/// store Core's service tests run on behaves as the SQL stores do.
@Suite struct MemoryConformanceTests {
    @Test(arguments: StoreConformance.cases)
    func memory(_ conformance: ConformanceCase) async throws {
        try await conformance.run(MemoryStore())
    }

    @Test func aStoppedStoreAnswersUnavailable() async throws {
        let store = MemoryStore()
        await store.setDown(true)
        await #expect(throws: StoreError.self) { try await store.ping() }
        await #expect(throws: StoreError.self) { _ = try await store.pool(id: "x") }
        await store.setDown(false)
        try await store.ping()
    }
}
