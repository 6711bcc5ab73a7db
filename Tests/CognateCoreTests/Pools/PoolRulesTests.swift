import CognateCore
import CognateModel
import Foundation
import Testing

@Suite struct PoolRulesTests {
    @Test(arguments: [
        "https://app.example.com/callback", "http://localhost:3000/callback", "http://127.0.0.1/cb",
        "http://[::1]:8080/cb", "com.example.app://callback", "myapp:/oauth",
    ])
    func acceptedCallbackURLs(_ url: String) {
        #expect(RedirectURIRule.problem(with: url) == nil)
    }

    @Test(arguments: [
        "http://app.example.com/callback", "https://app.example.com/cb#fragment", "/relative/path",
        "javascript:alert(1)", "data:text/html,hi", "https:///nohost", "",
    ])
    func refusedCallbackURLs(_ url: String) {
        #expect(RedirectURIRule.problem(with: url) != nil)
    }

    @Test func poolLimitsAreCognitos() {
        var pool = UserPool(id: "local_Abcdefgh1", name: "p", createdAt: fixedNow, updatedAt: fixedNow)
        #expect(PoolRules.validate(pool).isEmpty)
        pool.passwordPolicy.minimumLength = 100
        pool.tokenValidity.accessToken = 60
        pool.aliasAttributes = ["nickname"]
        let fields = PoolRules.validate(pool).map(\.field)
        #expect(fields == ["passwordPolicy.minimumLength", "aliasAttributes", "tokenValidity.accessToken"])
    }

    @Test func poolIdsLookLikeCognitos() {
        #expect(PoolID.isValid("local_Ab3dE6gH9"))
        #expect(PoolID.isValid("eu-west-1_Ab3dE6gH9"))
        #expect(!PoolID.isValid("local_short"))
        #expect(!PoolID.isValid("LOCAL_Ab3dE6gH9"))
        #expect(!PoolID.isValid("../etc/passwd"))
        for invalid in ["_Ab3dE6gH9", "local_Ab3dE6gH", "local_Ab3dE6gH9x", "local_Ab3d_6gH9", "local__Ab3dE6gH", "lo cal_Ab3dE6gH9",
                        "local_Ab3dé6gH9", "l\u{301}ocal_Ab3dE6gH9", String(repeating: "a", count: 33) + "_Ab3dE6gH9", ""] {
            #expect(!PoolID.isValid(invalid), "\(invalid)")
        }
        #expect(PoolID.isValid(String(repeating: "a", count: 32) + "_Ab3dE6gH9"))
    }

    @Test func generatedIdsHaveCognitosShape() {
        let random = SystemRandomSource()
        for _ in 0..<50 {
            let clientId = random.string(count: 26, alphabet: Alphabet.lowerAlphanumeric)
            #expect(clientId.count == 26 && clientId.allSatisfy { $0.isLowercase || $0.isNumber })
        }
    }

    @Test func identifiersFollowCaseRuleAndVerifiedAliases() {
        var pool = UserPool(id: "local_Abcdefgh1", name: "p", aliasAttributes: ["email", "preferred_username"], createdAt: fixedNow, updatedAt: fixedNow)
        var user = User(poolId: pool.id, sub: UUID(), username: "Alice", status: .confirmed,
                        attributes: ["email": "Alice@Example.com", "preferred_username": "Ally"], createdAt: fixedNow, updatedAt: fixedNow)
        // an unverified email is not yet a sign-in name
        #expect(user.identifiers(in: pool) == [.init(kind: .username, key: "alice"), .init(kind: .preferredUsername, key: "ally")])
        user.attributes["email_verified"] = "true"
        #expect(user.identifiers(in: pool).contains(.init(kind: .email, key: "alice@example.com")))
        pool.caseSensitive = true
        #expect(user.identifiers(in: pool).contains(.init(kind: .username, key: "Alice")))
    }
}
