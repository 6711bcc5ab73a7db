import CognateModel
import Foundation

/// The behaviour every store must have, whatever database is behind it. The SQLite and
/// PostgreSQL test files only run these cases; a new store method gets a case here first.
public struct ConformanceCase: Sendable, CustomStringConvertible {
    public let description: String
    public let run: @Sendable (any CognateStore) async throws -> Void
}

public struct ConformanceFailure: Error, CustomStringConvertible {
    public let description: String
}

func check(_ condition: Bool, _ message: @autoclosure () -> String, line: Int = #line) throws {
    if !condition { throw ConformanceFailure(description: "StoreConformance.swift:\(line): \(message())") }
}

func expectError<T>(_ expected: StoreError, line: Int = #line, _ body: () async throws -> T) async throws {
    do {
        _ = try await body()
        throw ConformanceFailure(description: "StoreConformance.swift:\(line): expected \(expected), got success")
    } catch let error as StoreError {
        try check(error == expected, "expected \(expected), got \(error)", line: line)
    }
}

let t0 = Date(timeIntervalSince1970: 1_800_000_000)

func newPoolId() -> String {
    let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
    return "test_" + String((0..<9).map { _ in letters.randomElement()! })
}

func makeKey(_ poolId: String, kid: String = UUID().uuidString, at date: Date = t0) -> SigningKey {
    SigningKey(poolId: poolId, kid: kid, algorithm: .rs256, sealedPrivateKey: Data([1, 2, 3]), publicJWK: "{\"kid\":\"\(kid)\"}", createdAt: date)
}

@discardableResult
func makePool(_ store: any CognateStore, name: String? = nil, caseSensitive: Bool = false) async throws -> UserPool {
    let id = newPoolId()
    var pool = UserPool(id: id, name: name ?? "pool-\(id)", createdAt: t0, updatedAt: t0)
    pool.caseSensitive = caseSensitive
    pool.aliasAttributes = ["email"]
    try await store.createPool(pool, signingKey: makeKey(id))
    return pool
}

func makeUser(_ pool: UserPool, _ username: String, email: String? = nil) -> User {
    var attributes: [String: String] = [:]
    if let email { attributes = ["email": email, "email_verified": "true"] }
    return User(poolId: pool.id, sub: UUID(), username: username, status: .confirmed, attributes: attributes,
                passwordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", createdAt: t0, updatedAt: t0)
}

func makeClient(_ pool: UserPool, _ name: String) -> AppClient {
    let id = String((0..<26).map { _ in Array("abcdefghijklmnopqrstuvwxyz0123456789").randomElement()! })
    return AppClient(poolId: pool.id, clientId: id, name: name, callbackURLs: ["https://app.example/cb"],
                     allowedOAuthFlows: [.code], allowedOAuthScopes: ["openid"], createdAt: t0, updatedAt: t0)
}

public enum StoreConformance {
    static func test(_ name: String, _ run: @escaping @Sendable (any CognateStore) async throws -> Void) -> ConformanceCase {
        ConformanceCase(description: name, run: run)
    }

    public static let cases: [ConformanceCase] = pools + clients + readYourWrites + domains + users + groups + resourceServers + keys + signIn + refreshGrant + codes + counters + purge + system + federation + branding + managedLogin + identityPools + importJobs + devices + passkeys
}
