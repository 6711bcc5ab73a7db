import CognateCore
import CognateModel
import Foundation
import Testing

@Suite struct UserRulesTests {
    static let pool = UserPool(
        id: "local_Abcdefgh1", name: "p",
        schema: [SchemaAttribute(name: "custom:tenant", mutable: false, maxLength: 5),
                 SchemaAttribute(name: "custom:age", dataType: .number, minValue: 0, maxValue: 150),
                 SchemaAttribute(name: "name", required: true)],
        createdAt: fixedNow, updatedAt: fixedNow)

    @Test(arguments: [PasswordPolicy(), PasswordPolicy(minimumLength: 20, requireUppercase: false),
                      PasswordPolicy(minimumLength: 6, requireUppercase: true, requireLowercase: false, requireNumbers: false, requireSymbols: true)])
    func temporaryPasswordsSatisfyTheirPolicy(_ policy: PasswordPolicy) {
        var seen: Set<String> = []
        for _ in 0..<50 {
            let password = policy.temporaryPassword()
            #expect(policy.problem(with: password) == nil, "\(password)")
            #expect(password.count >= max(12, policy.minimumLength))
            seen.insert(password)
        }
        #expect(seen.count == 50)
    }

    @Test func validCreationPasses() throws {
        try UserAttributeRules.validate(["name": "Ann", "email": "ann@example.com", "custom:tenant": "acme", "custom:age": "40"],
                                        pool: Self.pool, existing: nil)
    }

    @Test(arguments: [
        (["email": "ann@example.com"], "name"),  // required attribute missing
        (["name": "Ann", "nickname2": "x"], "nickname2"),
        (["name": "Ann", "custom:tenant": "toolong"], "custom:tenant"),
        (["name": "Ann", "custom:age": "200"], "custom:age"),
        (["name": "Ann", "custom:age": "old"], "custom:age"),
        (["name": "Ann", "email": "not-an-email"], "email"),
        (["name": "Ann", "phone_number": "0612345678"], "phone_number"),
        (["name": "Ann", "email_verified": "yes"], "email_verified"),
        (["name": "Ann", "sub": "x"], "sub"),
    ])
    func badAttributesAreRefusedNamingTheAttribute(_ attributes: [String: String], _ field: String) {
        let error = #expect(throws: ValidationError.self) {
            try UserAttributeRules.validate(attributes, pool: Self.pool, existing: nil)
        }
        #expect(error?.field == field)
    }

    @Test func immutableAttributesCannotChangeAfterCreation() {
        let user = User(poolId: Self.pool.id, sub: UUID(), username: "ann", status: .confirmed, createdAt: fixedNow, updatedAt: fixedNow)
        #expect(throws: ValidationError.self) {
            try UserAttributeRules.validate(["custom:tenant": "other"], pool: Self.pool, existing: user)
        }
    }
}
