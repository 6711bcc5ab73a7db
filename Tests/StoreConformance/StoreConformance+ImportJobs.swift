import CognateModel
import Foundation

extension StoreConformance {
    static func makeImportJob(_ pool: UserPool, at offset: Int) -> UserImportJob {
        UserImportJob(poolId: pool.id, id: "import-\(String(format: "%013d", 1_000 + offset))-\(UUID().uuidString.prefix(8))",
                      name: "job \(offset)", cloudWatchLogsRoleArn: "arn:aws:iam::123456789012:role/import", passwordHashingAlgorithm: nil,
                      createdAt: t0.addingTimeInterval(Double(offset)))
    }

    static let importJobs: [ConformanceCase] = [
        test("import jobs are kept per pool, listed newest first, changed in one step and go with their pool") { store in
            let pool = try await makePool(store)
            let other = try await makePool(store)
            let jobs = (0..<3).map { makeImportJob(pool, at: $0) }
            for job in jobs { try await store.createImportJob(job) }
            try await store.createImportJob(makeImportJob(other, at: 9))
            try check(try await store.importJob(poolId: pool.id, id: jobs[1].id) == jobs[1], "read back")
            try check(try await store.importJob(poolId: other.id, id: jobs[1].id) == nil, "not through another pool")
            let listed = try await ListPage.all(size: 2) { try await store.listImportJobs(poolId: pool.id, limit: $0, after: $1) }.map(\.id)
            try check(listed == jobs.map(\.id).reversed(), "newest first, in pages: \(listed)")
            var unknownPool = makeImportJob(pool, at: 5)
            unknownPool.poolId = "local_nope"
            try await expectError(.notFound("user pool local_nope")) { try await store.createImportJob(unknownPool) }
            let changed = try await store.updateImportJob(poolId: pool.id, id: jobs[0].id) { job in
                job.id = "import-moved"
                job.status = .pending
                job.imported = 4
            }
            try check(changed.id == jobs[0].id && changed.status == .pending && changed.imported == 4, "changed, the id kept")
            struct Refused: Error {}
            do {
                try await store.updateImportJob(poolId: pool.id, id: jobs[0].id) { job in
                    job.imported = 99
                    throw Refused()
                }
                try check(false, "the refusal is thrown")
            } catch is Refused {}
            try check(try await store.importJob(poolId: pool.id, id: jobs[0].id)?.imported == 4, "a refused change writes nothing")
            try await expectError(.notFound("import job import-nope")) { try await store.updateImportJob(poolId: pool.id, id: "import-nope") { _ in } }
            // the file: kept while the job is created, replaced by a second upload, refused once started
            try check(try await store.saveImportFile(poolId: pool.id, id: jobs[1].id, data: Data("a,b\n".utf8)), "saved")
            try check(try await store.saveImportFile(poolId: pool.id, id: jobs[1].id, data: Data("c,d,e\n".utf8)), "replaced")
            try check(try await store.importFile(poolId: pool.id, id: jobs[1].id) == Data("c,d,e\n".utf8), "the last upload is kept")
            try check(try await store.importJob(poolId: pool.id, id: jobs[1].id)?.fileSize == 6, "its size is on the job")
            try check(try await store.importFile(poolId: other.id, id: jobs[1].id) == nil, "not through another pool")
            try check(!(try await store.saveImportFile(poolId: pool.id, id: jobs[0].id, data: Data("x".utf8))), "refused once started")
            try check(!(try await store.saveImportFile(poolId: pool.id, id: "import-nope", data: Data("x".utf8))), "refused for no job")
            try await store.deleteImportFile(poolId: pool.id, id: jobs[1].id)
            try check(try await store.importFile(poolId: pool.id, id: jobs[1].id) == nil, "the file deleted")
            try check(try await store.saveImportFile(poolId: pool.id, id: jobs[2].id, data: Data("f".utf8)), "saved")
            try await store.deletePool(id: pool.id)
            try check(try await store.importJob(poolId: pool.id, id: jobs[2].id) == nil, "the jobs go with the pool")
            try check(try await store.importFile(poolId: pool.id, id: jobs[2].id) == nil, "and their files")
            try check(try await store.listImportJobs(poolId: other.id, limit: 10, after: nil).items.count == 1, "another pool's stay")
        },
        test("a batch of users is kept in one write; each taken name or alias refuses its user only") { store in
            let pool = try await makePool(store)
            let held = makeUser(pool, "held", email: "held@example.com")
            try await store.createUser(held, identifiers: held.identifiers(in: pool))
            var batch = [makeUser(pool, "a1", email: "a1@example.com"), makeUser(pool, "HELD"), makeUser(pool, "a2", email: "held@example.com"),
                         makeUser(pool, "a3", email: "a3@example.com"), makeUser(pool, "a1"), makeUser(pool, "a4", email: "a3@example.com")]
            batch.append(batch[3])  // the same user twice
            let refusals = try await store.createUsers(batch.map { ($0, $0.identifiers(in: pool)) })
            try check(refusals.count == batch.count, "one answer a user")
            try check(refusals[0] == nil && refusals[3] == nil, "new users kept: \(refusals)")
            try check(refusals[1] == .duplicate("user name"), "a held name (without case): \(String(describing: refusals[1]))")
            try check(refusals[2] == .duplicate("alias email"), "a held alias: \(String(describing: refusals[2]))")
            try check(refusals[4] == .duplicate("user name"), "a name taken earlier in the batch: \(String(describing: refusals[4]))")
            try check(refusals[5] == .duplicate("alias email"), "an alias taken earlier in the batch")
            try check(refusals[6] != nil, "the same user twice")
            try check(try await store.user(poolId: pool.id, identifierKey: "a3@example.com")?.sub == batch[3].sub, "found by alias")
            try check(try await store.user(poolId: pool.id, identifierKey: "a1")?.sub == batch[0].sub, "found by name")
            try check(try await store.user(poolId: pool.id, sub: batch[2].sub) == nil, "a refused user is not kept")
            let all = try await ListPage.all(size: 50) { try await store.listUsers(poolId: pool.id, limit: $0, after: $1) }
            try check(all.count == 3, "held, a1, a3: \(all.map(\.username))")
            var elsewhere = makeUser(pool, "x")
            elsewhere.poolId = "local_nope"
            try await expectError(.notFound("user pool local_nope")) { try await store.createUsers([(elsewhere, [])]) }
            try check(try await store.createUsers([]).isEmpty, "an empty batch")
        },
        test("a runnable import job is claimed by one of many racing nodes, and again once the claim lapses") { store in
            let pool = try await makePool(store)
            let idle = makeImportJob(pool, at: 0)
            let job = makeImportJob(pool, at: 1)
            try await store.createImportJob(idle)
            try await store.createImportJob(job)
            try check(try await store.claimImportJob(holder: UUID(), at: t0, until: t0.addingTimeInterval(60)) == nil, "a created job is not runnable")
            try await store.updateImportJob(poolId: pool.id, id: job.id) { $0.status = .pending }
            let claims = try await withThrowingTaskGroup(of: UserImportJob?.self) { group in
                for _ in 0..<8 { group.addTask { try await store.claimImportJob(holder: UUID(), at: t0, until: t0.addingTimeInterval(60)) } }
                return try await group.reduce(into: [UserImportJob]()) { if let claim = $1 { $0.append(claim) } }
            }
            try check(claims.count == 1 && claims[0].id == job.id && claims[0].holder != nil, "one claim of eight: \(claims.count)")
            let holder = claims[0].holder
            try check(try await store.importJob(poolId: pool.id, id: job.id)?.holder == holder, "the holder is kept")
            try check(try await store.claimImportJob(holder: UUID(), at: t0.addingTimeInterval(30), until: t0.addingTimeInterval(90)) == nil,
                      "held until the claim lapses")
            let second = UUID()
            let retaken = try await store.claimImportJob(holder: second, at: t0.addingTimeInterval(61), until: t0.addingTimeInterval(120))
            try check(retaken?.id == job.id && retaken?.holder == second, "taken over once lapsed")
            try await store.updateImportJob(poolId: pool.id, id: job.id) { $0.status = .succeeded }
            try check(try await store.claimImportJob(holder: UUID(), at: t0.addingTimeInterval(500), until: t0.addingTimeInterval(600)) == nil,
                      "a finished job is not runnable")
        },
    ]
}
