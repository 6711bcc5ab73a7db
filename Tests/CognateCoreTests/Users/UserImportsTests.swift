@testable import CognateCore
import CognateModel
import Foundation
import Logging
import Testing

/// CSV import jobs in Core, on the memory store with the test clock: the CSV reader, the upload
/// URL's signature and lifetime, a job taken over from where another node stopped, a stop, expiry.
@Suite struct UserImportsTests {
    func imports(_ world: CoreWorld) -> UserImports {
        UserImports(store: world.store, creator: UserCreator(store: world.store, credentials: nil, now: world.clock.now), masterKey: world.masterKey,
                    publicURL: "https://id.example/", now: world.clock.now, logger: Logger(label: "cognate.test"), reportEvery: 100)
    }

    func file(_ names: Range<Int>) -> Data {
        let header = "cognito:username,email,email_verified,cognito:mfa_enabled,phone_number\r\n"
        return Data((header + names.map { "u\($0),u\($0)@example.com,true,false,\r\n" }.joined()).utf8)
    }

    /// The query items of an upload URL.
    func signed(_ url: String) throws -> (expires: String, signature: String) {
        let items = try #require(URLComponents(string: url)?.queryItems)
        return (try #require(items.first { $0.name == "expires" }?.value), try #require(items.first { $0.name == "signature" }?.value))
    }

    @Test func theCSVReaderFollowsRFC4180() throws {
        let text = "\u{FEFF}a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\n\n,,\nlast,row,\"\""
        let records = try CSV.records(Data(text.utf8))
        #expect(records.map(\.fields) == [["a", "b", "c"], ["x, y", "say \"hi\"", "two\nlines"], ["", "", ""], ["last", "row", ""]])
        #expect(records.map(\.line) == [1, 2, 5, 6])
        #expect(throws: CSV.Malformed.self) { try CSV.records(Data("a,\"open\n".utf8)) }
        #expect(throws: CSV.Malformed.self) { try CSV.records(Data("a,b\"c\"\n".utf8)) }
        #expect(throws: CSV.Malformed.self) { try CSV.records(Data("\"a\"b,c\n".utf8)) }
    }

    @Test func theUploadURLIsSignedAndLastsAnHour() async throws {
        let world = try await CoreWorld.make()
        let imports = imports(world)
        let job = try await imports.create(poolId: world.pool.id, name: "one", roleArn: "arn:aws:iam::123456789012:role/x", algorithm: nil)
        let url = imports.uploadURL(for: job)
        #expect(url.hasPrefix("https://id.example/user-import/\(world.pool.id)/\(job.id)?expires="))
        let (expires, signature) = try signed(url)
        let flipped = (signature.first == "0" ? "1" : "0") + signature.dropFirst()
        await #expect(throws: UserImports.UploadRefusal.forbidden("The request signature does not match.")) {
            try await imports.receive(poolId: world.pool.id, id: job.id, expires: expires, signature: flipped, data: file(0..<1))
        }
        await #expect(throws: UserImports.UploadRefusal.self) {
            try await imports.receive(poolId: world.pool.id, id: job.id, expires: String(Int(expires)! + 60), signature: signature, data: file(0..<1))
        }
        await #expect(throws: UserImports.UploadRefusal.self) {
            try await imports.receive(poolId: world.pool.id, id: job.id, expires: nil, signature: signature, data: file(0..<1))
        }
        try await imports.receive(poolId: world.pool.id, id: job.id, expires: expires, signature: signature, data: file(0..<3))
        #expect(try await imports.job(poolId: world.pool.id, id: job.id).fileSize == file(0..<3).count)
        world.clock.advance(UserImports.urlSeconds + 1)
        await #expect(throws: UserImports.UploadRefusal.forbidden("The URL has expired.")) {
            try await imports.receive(poolId: world.pool.id, id: job.id, expires: expires, signature: signature, data: file(0..<1))
        }
    }

    /// A started job of 450 rows (u0…u449).
    func startedJob(_ world: CoreWorld, _ imports: UserImports, _ name: String) async throws -> UserImportJob {
        let job = try await imports.create(poolId: world.pool.id, name: name, roleArn: "arn:aws:iam::123456789012:role/x", algorithm: nil)
        #expect(try await world.store.saveImportFile(poolId: world.pool.id, id: job.id, data: file(0..<450)))
        return try await imports.start(poolId: world.pool.id, id: job.id)
    }

    /// As a node that took the job, reported 300 rows and stopped answering leaves it: its hold lapsed.
    func lapsedAfter300Rows(_ world: CoreWorld, _ job: UserImportJob) async throws {
        let lapsed = world.clock.now().addingTimeInterval(-1)
        try await world.store.updateImportJob(poolId: world.pool.id, id: job.id) { job in
            job.status = .inProgress
            job.rowsDone = 300
            job.imported = 300
            job.holder = UUID()
            job.heldUntil = lapsed
        }
    }

    @Test func aJobTakenOverGoesOnFromTheLastReport() async throws {
        let world = try await CoreWorld.make()
        let imports = imports(world)
        let job = try await startedJob(world, imports, "resumed")
        try await lapsedAfter300Rows(world, job)
        #expect(try await imports.runDue() == 1)
        let done = try await imports.job(poolId: world.pool.id, id: job.id)
        #expect(done.status == .succeeded && done.imported == 450 && done.rowsDone == 450 && done.holder == nil, "\(done)")
        #expect(done.completionMessage == "Import Job Completed Successfully.")
        #expect(try await world.store.user(poolId: world.pool.id, identifierKey: "u299") == nil, "rows already reported are not read again")
        let user = try #require(try await world.store.user(poolId: world.pool.id, identifierKey: "u300@example.com"))
        #expect(user.username == "u300" && user.status == .resetRequired && user.passwordHash == nil)
        #expect(try await world.store.importFile(poolId: world.pool.id, id: job.id) == nil, "the file goes once the job is done")
        #expect(try await imports.runDue() == 0)
    }

    @Test func aBatchMadeButNotReportedIsCountedOnceWhenTakenOver() async throws {
        let world = try await CoreWorld.make()
        let imports = imports(world)
        let job = try await startedJob(world, imports, "cut")
        // a node reported 300 rows, made the next batch (rows 300–349, lines 302–351) and died before reporting it
        let creator = UserCreator(store: world.store, credentials: nil, now: world.clock.now)
        for n in 300..<350 {
            _ = try await creator.create(NewUser(username: "u\(n)", status: .resetRequired, attributes: ["email": "u\(n)@example.com", "email_verified": "true"],
                                                 password: .none, sub: imports.sub(of: job, line: n + 2)), in: world.pool)
        }
        // and u400 is someone else's name
        _ = try await creator.create(NewUser(username: "u400", status: .confirmed, attributes: [:], password: .none), in: world.pool)
        try await lapsedAfter300Rows(world, job)
        #expect(try await imports.runDue() == 1)
        let done = try await imports.job(poolId: world.pool.id, id: job.id)
        #expect(done.status == .succeeded && done.imported == 449 && done.skipped == 1 && done.failed == 0, "\(done)")
        let kept = try #require(try await world.store.user(poolId: world.pool.id, identifierKey: "u320"))
        #expect(kept.sub == imports.sub(of: job, line: 322), "the row's user of the first run, not a second one")
        #expect(imports.sub(of: job, line: 322) != imports.sub(of: job, line: 323))
        let other = try await imports.create(poolId: world.pool.id, name: "other", roleArn: "arn:aws:iam::123456789012:role/x", algorithm: nil)
        #expect(imports.sub(of: other, line: 322) != imports.sub(of: job, line: 322), "subs differ from job to job")
        #expect(imports.sub(of: job, line: 322).uuidString.dropFirst(14).first == "4", "a version 4 UUID like every other sub")
    }

    @Test func aStoppedJobStopsAtItsNextReportAndAnUnstartedOneExpires() async throws {
        let world = try await CoreWorld.make()
        let imports = imports(world)
        let job = try await imports.create(poolId: world.pool.id, name: "stopped", roleArn: "arn:aws:iam::123456789012:role/x", algorithm: nil)
        #expect(try await world.store.saveImportFile(poolId: world.pool.id, id: job.id, data: file(0..<50)))
        _ = try await imports.start(poolId: world.pool.id, id: job.id)
        let stopped = try await imports.stop(poolId: world.pool.id, id: job.id)
        #expect(stopped.status == .stopped && stopped.imported == 0, "a pending job stops at once")
        #expect(try await imports.runDue() == 0)
        await #expect(throws: UserImportError.self) { try await imports.stop(poolId: world.pool.id, id: job.id) }

        let late = try await imports.create(poolId: world.pool.id, name: "late", roleArn: "arn:aws:iam::123456789012:role/x", algorithm: nil)
        #expect(try await world.store.saveImportFile(poolId: world.pool.id, id: late.id, data: file(0..<5)))
        world.clock.advance(UserImports.expirySeconds + 1)
        #expect(try await imports.job(poolId: world.pool.id, id: late.id).status == .expired)
        await #expect(throws: UserImportError("PreconditionNotMetException", "The import job expired: it was not started within 24 hours.")) {
            try await imports.start(poolId: world.pool.id, id: late.id)
        }
        #expect(try await world.store.importJob(poolId: world.pool.id, id: late.id)?.status == .expired)
        #expect(try await world.store.importFile(poolId: world.pool.id, id: late.id) == nil)
    }

    /// StopUserImportJob between a node's taking a Pending job and its first report (the race
    /// `make test` once met): the job stays Stopped, nothing is imported, and it is not failed.
    @Test func aPendingJobStoppedJustAfterANodeTookItStaysStopped() async throws {
        let world = try await CoreWorld.make()
        let imports = imports(world)
        let job = try await startedJob(world, imports, "raced")
        let now = world.clock.now()
        let taken = try #require(try await world.store.claimImportJob(holder: UUID(), at: now, until: now.addingTimeInterval(20)))
        #expect(taken.id == job.id && taken.status == .pending)
        #expect(try await imports.stop(poolId: world.pool.id, id: job.id).status == .stopped)
        await #expect(throws: UserImports.NotHolder.self) { try await imports.run(taken) }
        let after = try await imports.job(poolId: world.pool.id, id: job.id)
        #expect(after.status == .stopped && after.imported == 0 && after.completionMessage == "Import Job Stopped.", "\(after)")
        #expect(try await world.store.user(poolId: world.pool.id, identifierKey: "u0") == nil, "no row was imported")
        #expect(try await imports.runDue() == 0)
    }

    @Test func rowsAreJudgedOneByOne() async throws {
        let world = try await CoreWorld.make { $0.schema = [SchemaAttribute(name: "custom:team", dataType: .string)] }
        let imports = imports(world)
        let job = try await imports.create(poolId: world.pool.id, name: "rows", roleArn: "arn:aws:iam::123456789012:role/x", algorithm: "SCRYPT")
        let rows = [
            "cognito:username,email,email_verified,cognito:mfa_enabled,phone_number,custom:team,cognito:password_hash",
            "ok,ok@example.com,TRUE,false,,red,",
            "mfa,mfa@example.com,true,true,+15555550100,,",
            "nophone,np@example.com,true,true,,,",
            "unverified,uv@example.com,false,false,,,",
            "bcrypt,b@example.com,true,false,,,$2b$04$abcdefghijklmnopqrstuu5s2v8.iDKgY.Rg1ZnF0JkU6Sx5Hi3Ja",
            "short,s@example.com,true,false,,",
            ",blank@example.com,true,false,,,",
            "ok,again@example.com,true,false,,,",
        ]
        #expect(try await world.store.saveImportFile(poolId: world.pool.id, id: job.id, data: Data(rows.joined(separator: "\n").utf8)))
        _ = try await imports.start(poolId: world.pool.id, id: job.id)
        #expect(try await imports.runDue() == 1)
        let done = try await imports.job(poolId: world.pool.id, id: job.id)
        #expect((done.imported, done.skipped, done.failed) == (2, 1, 5), "\(done)")
        #expect(done.completionMessage?.hasPrefix("Import Job Completed with 5 failed users. First failure: line 4:") == true, "\(done)")
        let mfa = try #require(try await world.store.user(poolId: world.pool.id, identifierKey: "mfa"))
        #expect(mfa.mfa.enabled == [UserMFA.sms] && mfa.attributes["phone_number"] == "+15555550100")
        let ok = try #require(try await world.store.user(poolId: world.pool.id, identifierKey: "ok"))
        #expect(ok.attributes["custom:team"] == "red" && ok.emailVerified && ok.attributes["email"] == "ok@example.com")
    }
}
