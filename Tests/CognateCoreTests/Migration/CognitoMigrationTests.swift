import CognateCore
import CognateMemoryStore
import CognateModel
import Crypto
import Foundation
import Testing

/// The old Cognito pool as Cognate asks it: the requests (SECRET_HASH, SigV4 on the admin
/// operations, the fallback to ADMIN_USER_PASSWORD_AUTH), the source sealed at rest, and an old
/// pool that refuses or cannot be reached making nobody.
@Suite struct CognitoMigrationTests {
    /// The old pool: answers by operation, keeping every request.
    final class OldPool: OutboundHTTP, @unchecked Sendable {
        let answer: @Sendable (String, [String: Any]) throws -> OutboundAnswer
        private let lock = NSLock()
        private var seen: [OutboundRequest] = []
        var requests: [OutboundRequest] { lock.withLock { seen } }
        init(_ answer: @escaping @Sendable (String, [String: Any]) throws -> OutboundAnswer) { self.answer = answer }
        func send(_ request: OutboundRequest) async throws -> OutboundAnswer {
            lock.withLock { seen.append(request) }
            let operation = String(request.headers["X-Amz-Target"]?.split(separator: ".").last ?? "")
            let input = (try? JSONSerialization.jsonObject(with: request.body ?? Data())) as? [String: Any] ?? [:]
            return try answer(operation, input)
        }
    }

    static func json(_ object: [String: Any], status: Int = 200) -> OutboundAnswer {
        OutboundAnswer(status: status, body: try! JSONSerialization.data(withJSONObject: object))
    }

    static let source = MigrationSource(endpoint: "http://127.0.0.1:9/", region: "us-east-1", userPoolId: "us-east-1_Old123456",
                                        clientId: "oldclient", clientSecret: "old-client-secret",
                                        credentials: AWSCredentials(accessKeyId: "AKIDOLD", secretAccessKey: "old-secret-key"))
    static let sub = "0a4f3ac6-5d1e-4bb2-9f44-1b3f1f0ad0c1"

    static func oldUser(_ input: [String: Any]) -> OutboundAnswer {
        json(["Username": input["Username"] ?? "", "UserStatus": "CONFIRMED", "Enabled": true, "UserMFASettingList": ["SMS_MFA", "SOFTWARE_TOKEN_MFA"],
              "PreferredMfaSetting": "SOFTWARE_TOKEN_MFA",
              "UserAttributes": [["Name": "sub", "Value": sub], ["Name": "email", "Value": "ann@example.com"],
                                 ["Name": "phone_number", "Value": "+15555550100"], ["Name": "custom:unknown", "Value": "x"]]])
    }

    func migration(_ world: CoreWorld, _ http: OldPool) async throws -> CognitoMigration {
        try await MigrationSources(store: world.store, masterKey: world.masterKey).set(poolId: world.pool.id, Self.source)
        return CognitoMigration(store: world.store, credentials: Credentials(hasher: world.hasher, masterKey: world.masterKey),
                                masterKey: world.masterKey, http: http, now: world.clock.now)
    }

    @Test func aTakenPasswordBringsTheUserWithSubAttributesGroupsAndSMS() async throws {
        let world = try await CoreWorld.make()
        let old = OldPool { operation, input in
            switch operation {
            case "InitiateAuth": Self.json(["AuthenticationResult": ["AccessToken": "a"]])
            case "AdminGetUser": Self.oldUser(input)
            case "AdminListGroupsForUser": Self.json(["Groups": [["GroupName": "admins", "Precedence": 2]]])
            default: Self.json(["__type": "InvalidParameterException", "message": "?"], status: 400)
            }
        }
        let migration = try await migration(world, old)
        let user = try #require(try await migration.signingIn(pool: world.pool, username: "ann", password: "Old-Passw0rd!"))
        #expect(user.sub.uuidString.lowercased() == Self.sub && user.username == "ann" && user.status == .confirmed)
        #expect(user.attributes == ["email": "ann@example.com", "phone_number": "+15555550100"], "an attribute the pool lacks is left out")
        #expect(user.mfa.enabled == [UserMFA.sms] && user.mfa.preferred == nil, "a TOTP secret cannot come over")
        #expect(try await world.store.groups(poolId: world.pool.id, userSub: user.sub).map(\.name) == ["admins"])
        #expect(try await world.hasher.verify("Old-Passw0rd!", against: user.passwordHash ?? "").isMatch)

        let requests = old.requests
        // InitiateAuth goes unsigned, with the client's SECRET_HASH; the admin operations are signed
        let initiate = try #require(requests.first)
        #expect(initiate.headers["Authorization"] == nil)
        let parameters = ((try JSONSerialization.jsonObject(with: initiate.body ?? Data()) as? [String: Any])?["AuthParameters"] as? [String: String]) ?? [:]
        let expected = Data(HMAC<SHA256>.authenticationCode(for: Data("annoldclient".utf8), using: SymmetricKey(data: Data("old-client-secret".utf8))))
        #expect(parameters["SECRET_HASH"] == expected.base64EncodedString() && parameters["PASSWORD"] == "Old-Passw0rd!")
        for request in requests.dropFirst() {
            #expect(request.headers["Authorization"]?.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDOLD/") == true)
            #expect(request.headers["Authorization"]?.contains("/us-east-1/cognito-idp/aws4_request") == true)
        }
    }

    @Test func aClientWithoutUserPasswordAuthFallsBackToTheAdminFlow() async throws {
        let world = try await CoreWorld.make()
        let old = OldPool { operation, input in
            switch operation {
            case "InitiateAuth": Self.json(["__type": "InvalidParameterException", "message": "USER_PASSWORD_AUTH flow not enabled for this client"],
                                           status: 400)
            case "AdminInitiateAuth": Self.json(["ChallengeName": "SOFTWARE_TOKEN_MFA", "Session": "s"])
            case "AdminGetUser": Self.oldUser(input)
            default: Self.json(["Groups": []])
            }
        }
        let user = try await migration(world, old).signingIn(pool: world.pool, username: "ann", password: "Old-Passw0rd!")
        #expect(user != nil, "a challenge after the password means the password was right")
        #expect(old.requests.map { $0.headers["X-Amz-Target"] ?? "" }.prefix(2) == [
            "AWSCognitoIdentityProviderService.InitiateAuth", "AWSCognitoIdentityProviderService.AdminInitiateAuth",
        ])
    }

    @Test func refusalsAndSilenceMakeNobody() async throws {
        let world = try await CoreWorld.make()
        let refusing = OldPool { _, _ in Self.json(["__type": "NotAuthorizedException", "message": "Incorrect username or password."], status: 400) }
        let migration = try await migration(world, refusing)
        #expect(try await migration.signingIn(pool: world.pool, username: "ann", password: "Wrong-Passw0rd!") == nil)
        #expect(refusing.requests.count == 1, "a refused password reads nothing more")
        let silent = OldPool { _, _ in throw OutboundError("127.0.0.1 could not be reached") }
        let unreachable = try await self.migration(world, silent)
        #expect(try await unreachable.signingIn(pool: world.pool, username: "ann", password: "Old-Passw0rd!") == nil)
        #expect(try await unreachable.forgettingPassword(pool: world.pool, username: "ann") == nil)
        #expect(try await unreachable.holds(pool: world.pool, username: "ann"), "an old pool that cannot be asked keeps its names")
        let failing = OldPool { _, _ in OutboundAnswer(status: 500, body: Data("oops".utf8)) }
        #expect(try await self.migration(world, failing).signingIn(pool: world.pool, username: "ann", password: "Old-Passw0rd!") == nil)
        #expect(try await world.store.user(in: world.pool, named: "ann") == nil)
    }

    @Test func theSourceIsSealedAtRest() async throws {
        let world = try await CoreWorld.make()
        let sources = MigrationSources(store: world.store, masterKey: world.masterKey)
        try await sources.set(poolId: world.pool.id, Self.source)
        #expect(try await sources.source(poolId: world.pool.id) == Self.source)
        let stored = try #require(try await world.store.setting("migrate-from:\(world.pool.id)"))
        #expect(!stored.contains("old-secret") && !stored.contains("AKIDOLD"))
        // another pool's record does not open as this one's
        #expect(throws: (any Error).self) { try MasterKey.generate().open(Data(lenientBase64: stored) ?? Data(), context: "migrate-from:\(world.pool.id)") }
        try await sources.set(poolId: world.pool.id, nil)
        #expect(try await sources.source(poolId: world.pool.id) == nil)
    }
}
