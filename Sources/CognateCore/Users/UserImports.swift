import CognateModel
import Crypto
import Foundation
import Logging

/// A refusal of an import job operation, as Cognito words it.
public typealias UserImportError = ServiceRefusal

/// Cognito's user import jobs: a job is made, its CSV file is PUT to the upload URL Cognate
/// serves (signed, like S3's pre-signed URL), then started; any node runs it, keeping its
/// progress in the store, so a node that stops mid-job leaves the rest to another. Imported
/// users are RESET_REQUIRED (they set a password through ForgotPassword), as in Cognito, unless
/// the job names a PasswordHashingAlgorithm and a row carries the user's hash in
/// `cognito:password_hash`: then they are CONFIRMED and sign in with their old password, which
/// is hashed again with Argon2id at that first sign-in.
public struct UserImports: Sendable {
    public typealias Store = UserImportJobStore & UserPoolStore & UserStore
    /// Cognito's limit on the file.
    public static let fileLimit = 100 * 1024 * 1024
    /// How long the upload URL works.
    public static let urlSeconds: TimeInterval = 3600
    /// A job not started within this long expires (Cognito: 24 to 48 hours).
    public static let expirySeconds: TimeInterval = 24 * 3600
    /// How long a node holds a job between progress reports (every `reportEvery` rows, well under
    /// a second: rows are never hashed here) before another may take it over.
    static let holdSeconds: TimeInterval = 20
    public static let hashAlgorithms = ["BCRYPT", "SCRYPT", "ARGON2ID", "PBKDF2_SHA256"]
    public static let hashColumn = "cognito:password_hash"
    /// The standard attributes of GetCSVHeader, in Cognito's order.
    static let standardColumns = [
        "name", "given_name", "family_name", "middle_name", "nickname", "preferred_username", "profile", "picture", "website",
        "email", "email_verified", "gender", "birthdate", "zoneinfo", "locale", "phone_number", "phone_number_verified", "address",
        "updated_at",
    ]

    let store: any Store
    let creator: UserCreator
    let masterKey: MasterKey
    let publicURL: String
    let random: any RandomSource
    let now: Now
    let logger: Logger
    /// Rows between two progress reports (and checks for a stop).
    let reportEvery: Int

    public init(store: any Store, creator: UserCreator, masterKey: MasterKey, publicURL: String, random: any RandomSource = SystemRandomSource(),
                now: @escaping Now, logger: Logger, reportEvery: Int = 250) {
        self.store = store
        self.creator = creator
        self.masterKey = masterKey
        self.publicURL = publicURL
        self.random = random
        self.now = now
        self.logger = logger
        self.reportEvery = reportEvery
    }

    /// GetCSVHeader: the pool's attributes, its custom ones after the standard ones, then the two
    /// columns Cognito adds.
    public static func header(for pool: UserPool) -> [String] {
        standardColumns + pool.schema.map(\.name).filter { $0.hasPrefix("custom:") }.sorted() + ["cognito:mfa_enabled", "cognito:username"]
    }

    // MARK: Jobs

    public func create(poolId: String, name: String, roleArn: String, algorithm: String?) async throws -> UserImportJob {
        if let algorithm, !Self.hashAlgorithms.contains(algorithm) {
            throw UserImportError.invalidParameter("PasswordHashingAlgorithm must be one of \(Self.hashAlgorithms.joined(separator: ", ")).")
        }
        let date = now()
        let millis = String(format: "%013lld", Int64(date.timeIntervalSince1970 * 1000))
        let id = "import-\(millis)-\(random.string(count: 12, alphabet: Alphabet.alphanumeric))"
        let job = UserImportJob(poolId: poolId, id: id, name: name, cloudWatchLogsRoleArn: roleArn, passwordHashingAlgorithm: algorithm,
                                createdAt: date)
        try await store.createImportJob(job)
        return job
    }

    /// The job as it is now: one never started within `expirySeconds` reads as Expired.
    public func job(poolId: String, id: String) async throws -> UserImportJob {
        guard let job = try await store.importJob(poolId: poolId, id: id) else {
            throw UserImportError.notFound("Import job \(id) does not exist.")
        }
        return shown(job)
    }

    public func list(poolId: String, limit: Int, after cursor: String?) async throws -> ListPage<UserImportJob> {
        let page = try await store.listImportJobs(poolId: poolId, limit: limit, after: cursor)
        return ListPage(items: page.items.map(shown), next: page.next)
    }

    func shown(_ job: UserImportJob) -> UserImportJob {
        var job = job
        if job.status == .created, now().timeIntervalSince(job.createdAt) > Self.expirySeconds { job.status = .expired }
        return job
    }

    /// StartUserImportJob: the job waits (Pending) for a node to take it; `run` is the caller's
    /// nudge to take it now rather than at the next round of background work.
    public func start(poolId: String, id: String) async throws -> UserImportJob {
        guard let pool = try await store.pool(id: poolId) else { throw UserImportError.notFound("User pool \(poolId) does not exist.") }
        let current = try await job(poolId: poolId, id: id)
        if current.passwordHashingAlgorithm == nil, pool.autoVerifiedAttributes.isEmpty {
            throw UserImportError.preconditionNotMet("The user pool has no auto-verified attributes: imported users could not reset their passwords.")
        }
        let expiry = Self.expirySeconds
        let date = now()
        let started = try await store.updateImportJob(poolId: poolId, id: id) { job in
            if job.status == .created, date.timeIntervalSince(job.createdAt) > expiry {
                job.status = .expired
                return
            }
            guard job.status == .created else {
                throw UserImportError.invalidParameter("The import job is \(job.status.rawValue); only a Created job can be started.")
            }
            guard job.fileSize != nil else {
                throw UserImportError.preconditionNotMet("No CSV file was uploaded to the job's pre-signed URL.")
            }
            job.status = .pending
            job.startedAt = date
        }
        if started.status == .expired {
            try await store.deleteImportFile(poolId: poolId, id: id)
            throw UserImportError.preconditionNotMet("The import job expired: it was not started within 24 hours.")
        }
        return started
    }

    /// StopUserImportJob: a Pending job stops at once; a running one at its next progress report.
    public func stop(poolId: String, id: String) async throws -> UserImportJob {
        _ = try await job(poolId: poolId, id: id)
        let date = now()
        let stopped = try await store.updateImportJob(poolId: poolId, id: id) { job in
            switch job.status {
            case .pending:
                job.status = .stopped
                job.completedAt = date
                job.completionMessage = "Import Job Stopped."
            case .inProgress:
                job.status = .stopping
            default:
                throw UserImportError.invalidParameter("The import job is \(job.status.rawValue); only a Pending or InProgress job can be stopped.")
            }
        }
        if stopped.status == .stopped { try await store.deleteImportFile(poolId: poolId, id: id) }
        return stopped
    }

    // MARK: The upload URL

    /// Where the job's file is PUT: `{public}/user-import/{pool}/{job}?expires=…&signature=…`, an
    /// HMAC of the three under a key of the master key's, good for `urlSeconds`.
    public func uploadURL(for job: UserImportJob) -> String {
        let expires = Int(job.createdAt.timeIntervalSince1970 + Self.urlSeconds)
        let base = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        return "\(base)/user-import/\(job.poolId)/\(job.id)?expires=\(expires)&signature=\(signature(poolId: job.poolId, id: job.id, expires: expires))"
    }

    func signature(poolId: String, id: String, expires: Int) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(poolId)\n\(id)\n\(expires)".utf8),
                                                  using: masterKey.derivedKey(purpose: "user-import-url"))
        return Array(mac).hexString
    }

    public enum UploadRefusal: Error, Equatable {
        /// The signature does not match, or the URL has expired (S3 answers 403 to both).
        case forbidden(String)
        case notFound
        /// The job was started (or expired): its file can no longer change.
        case conflict(String)
        case tooLarge
    }

    /// Whether the URL is one `uploadURL` made and still good: checked before the body is read,
    /// so no one without the URL makes the server take in a file.
    public func authorizeUpload(poolId: String, id: String, expires: String?, signature presented: String?) throws(UploadRefusal) {
        guard let expires, let seconds = Int(expires), let presented else { throw .forbidden("The URL is not signed.") }
        let expected = signature(poolId: poolId, id: id, expires: seconds)
        guard constantTimeEquals(Array(presented.lowercased().utf8), Array(expected.utf8)) else {
            throw .forbidden("The request signature does not match.")
        }
        guard now().timeIntervalSince1970 <= Double(seconds) else { throw .forbidden("The URL has expired.") }
    }

    /// Keeps an uploaded file, if the URL is one `uploadURL` made and still good.
    public func receive(poolId: String, id: String, expires: String?, signature presented: String?, data: Data) async throws(UploadRefusal) {
        try authorizeUpload(poolId: poolId, id: id, expires: expires, signature: presented)
        guard data.count <= Self.fileLimit else { throw .tooLarge }
        let saved: Bool
        do {
            guard try await store.importJob(poolId: poolId, id: id) != nil else { throw UploadRefusal.notFound }
            saved = try await store.saveImportFile(poolId: poolId, id: id, data: data)
        } catch let refusal as UploadRefusal {
            throw refusal
        } catch {
            throw .conflict("The file could not be kept: \(error)")
        }
        guard saved else { throw .conflict("The job has started; its file can no longer change.") }
    }

    // MARK: Running

    /// Takes due jobs (started ones, or those whose node stopped holding them) and runs them,
    /// one after another, until none is left; returns how many it ran.
    @discardableResult
    public func runDue() async throws -> Int {
        var ran = 0
        while let job = try await store.claimImportJob(holder: UUID(), at: now(), until: now().addingTimeInterval(Self.holdSeconds)) {
            do {
                try await run(job)
            } catch is NotHolder {
                // not this node's to finish any more: taken over, or stopped before it was begun
                continue
            } catch {
                // the claim lapses and another round (here or on another node) goes on from the last report
                logger.warning("import job \(job.id) of \(job.poolId) interrupted: \(String(describing: error))")
                return ran
            }
            ran += 1
        }
        return ran
    }

    /// The job is no longer this run's: another node holds it, or it ended (a Pending job stopped
    /// after this node took it, before its first report).
    struct NotHolder: Error {}

    struct Tally {
        var imported = 0, skipped = 0, failed = 0
        var firstFailure: String?
    }

    func run(_ claimed: UserImportJob) async throws {
        guard let holder = claimed.holder else { return }
        let poolId = claimed.poolId, id = claimed.id
        var job = claimed
        if job.status == .stopping {
            try await finish(job, holder: holder, status: .stopped, tally: Tally(), message: "Import Job Stopped.")
            return
        }
        if job.status == .pending {
            job = try await report(job, holder: holder, rowsDone: 0, tally: Tally()) { $0.status = .inProgress }
        }
        guard let pool = try await store.pool(id: poolId), let data = try await store.importFile(poolId: poolId, id: id) else {
            try await finish(job, holder: holder, status: .failed, tally: Tally(), message: "The pool or the job's file is gone.")
            return
        }
        let records: [(line: Int, fields: [String])]
        do {
            records = try CSV.records(data)
        } catch {
            try await finish(job, holder: holder, status: .failed, tally: Tally(), message: "The CSV file is malformed: \(error).")
            return
        }
        let columns: Columns
        do {
            columns = try Columns(records.first?.fields ?? [], pool: pool, algorithm: job.passwordHashingAlgorithm)
        } catch {
            try await finish(job, holder: holder, status: .failed, tally: Tally(), message: error.message)
            return
        }
        let rows = Array(records.dropFirst())
        var tally = Tally()
        var position = job.rowsDone
        func failed(_ line: Int, _ error: any Error) {
            tally.failed += 1
            let reason = Self.reason(error)
            if tally.firstFailure == nil { tally.firstFailure = "line \(line): \(reason)" }
            logger.info("import job \(id) of \(poolId): line \(line) not imported: \(reason)")
        }
        // a batch at a time: made in one store write, then reported (renewing the hold, seeing a stop)
        while position < rows.count {
            let batch = rows[position..<min(position + reportEvery, rows.count)]
            var made: [(line: Int, user: NewUser)] = []
            for record in batch {
                do {
                    var new = try columns.newUser(record.fields, pool: pool)
                    new.sub = sub(of: job, line: record.line)
                    made.append((record.line, new))
                } catch {
                    failed(record.line, error)
                }
            }
            let results: [Result<User, any Error>]
            do {
                results = try await creator.create(batch: made.map(\.user), in: pool)
            } catch StoreError.duplicate {
                // the batch as a whole was refused (a write raced it): one user at a time
                var single: [Result<User, any Error>] = []
                for new in made.map(\.user) {
                    do {
                        single.append(.success(try await creator.create(new, in: pool)))
                    } catch let error as StoreError {
                        throw error  // the database, not the row: the job goes on later from the last report
                    } catch {
                        single.append(.failure(error))
                    }
                }
                results = single
            }
            for (entry, result) in zip(made, results) {
                if case .failure(let error) = result, error.isTaken, try await madeBefore(entry.user, in: pool) {
                    tally.imported += 1
                    continue
                }
                switch result {
                case .success: tally.imported += 1
                case .failure(AccountError.usernameExists): tally.skipped += 1
                case .failure(let error): failed(entry.line, error)
                }
            }
            position += batch.count
            job = try await report(job, holder: holder, rowsDone: position, tally: tally)
            tally = Tally(firstFailure: tally.firstFailure)
            if job.status == .stopping {
                try await finish(job, holder: holder, status: .stopped, tally: tally, message: "Import Job Stopped.")
                return
            }
        }
        try await finish(job, holder: holder, status: .succeeded, tally: tally, rowsDone: position, message: nil)
    }

    /// A row's user has a sub of its own, derived from the job and the line (under a key of the
    /// master key's, so no one outside can foresee it): a batch run again after a node stopped
    /// between making it and reporting it finds its users already there and counts them as
    /// imported, not as skipped names (and, where the sub is the user name, makes no second user).
    public func sub(of job: UserImportJob, line: Int) -> UUID {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(job.poolId)\n\(job.id)\n\(line)".utf8),
                                                  using: masterKey.derivedKey(purpose: "user-import-sub"))
        var bytes = Array(mac.prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x40  // version 4, as every other sub
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // RFC 4122 variant
        return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                           bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }

    /// Whether a row refused as taken was made by an earlier run of this very job (its derived sub is there).
    func madeBefore(_ new: NewUser, in pool: UserPool) async throws -> Bool {
        guard let sub = new.sub else { return false }
        return try await store.user(poolId: pool.id, sub: sub) != nil
    }

    static func reason(_ error: any Error) -> String {
        switch error {
        case let error as ValidationError: error.message
        case AccountError.aliasExists(let attribute): "another user holds this \(attribute)"
        case let error as RowError: error.message
        default: String(describing: error)
        }
    }

    /// Adds the tally to the job and renews the hold; throws `NotHolder` when another run took it
    /// or the job ended meanwhile (so a stopped job is never begun again, nor marked failed).
    func report(_ job: UserImportJob, holder: UUID, rowsDone: Int, tally: Tally,
                _ more: @escaping @Sendable (inout UserImportJob) -> Void = { _ in }) async throws -> UserImportJob {
        let until = now().addingTimeInterval(Self.holdSeconds)
        let (imported, skipped, failed, first) = (tally.imported, tally.skipped, tally.failed, tally.firstFailure)
        return try await store.updateImportJob(poolId: job.poolId, id: job.id) { stored in
            guard stored.holder == holder, stored.status.isRunnable else { throw NotHolder() }
            stored.imported += imported
            stored.skipped += skipped
            stored.failed += failed
            stored.rowsDone = max(stored.rowsDone, rowsDone)
            stored.heldUntil = until
            if stored.completionMessage == nil, let first { stored.completionMessage = "First failure: \(first)" }
            more(&stored)
        }
    }

    func finish(_ job: UserImportJob, holder: UUID, status: UserImportJob.Status, tally: Tally, rowsDone: Int? = nil, message: String?) async throws {
        let date = now()
        let done = try await report(job, holder: holder, rowsDone: rowsDone ?? job.rowsDone, tally: tally) { stored in
            stored.status = status
            stored.completedAt = date
            stored.heldUntil = nil
            stored.holder = nil
            let summary = message ?? (stored.failed == 0 ? "Import Job Completed Successfully." : "Import Job Completed with \(stored.failed) failed users.")
            let detail = stored.completionMessage.map { " \($0)" } ?? ""
            stored.completionMessage = String((summary + detail).prefix(128))
        }
        try await store.deleteImportFile(poolId: job.poolId, id: job.id)
        logger.info("import job \(job.id) of \(job.poolId): \(done.status.rawValue), \(done.imported) imported, \(done.skipped) skipped, \(done.failed) failed")
    }

    // MARK: Rows

    struct RowError: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    /// The header, checked against the pool once, and what makes a user of a row.
    struct Columns {
        let names: [String]
        let index: [String: Int]
        let algorithm: String?

        init(_ header: [String], pool: UserPool, algorithm: String?) throws(RowError) {
            let names = header.map { $0.trimmingCharacters(in: .whitespaces) }
            let allowed = Set(UserImports.header(for: pool) + (algorithm == nil ? [] : [UserImports.hashColumn]))
            if let unknown = names.first(where: { !allowed.contains($0) }) {
                throw RowError("The CSV header has a column the pool does not: \(unknown.prefix(64)).")
            }
            guard Set(names).count == names.count else { throw RowError("The CSV header names a column twice.") }
            for required in ["cognito:username", "cognito:mfa_enabled"] where !names.contains(required) {
                throw RowError("The CSV header has no \(required) column.")
            }
            self.names = names
            self.index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
            self.algorithm = algorithm
        }

        func newUser(_ fields: [String], pool: UserPool) throws -> NewUser {
            guard fields.count == names.count else { throw RowError("\(fields.count) fields where the header has \(names.count)") }
            func value(_ name: String) -> String { index[name].map { fields[$0].trimmingCharacters(in: .whitespaces) } ?? "" }
            let username = value("cognito:username")
            guard !username.isEmpty, username.count <= 128 else { throw RowError("cognito:username must be 1 to 128 characters") }
            let mfa: Bool
            switch value("cognito:mfa_enabled").lowercased() {
            case "true": mfa = true
            case "false", "": mfa = false
            default: throw RowError("cognito:mfa_enabled must be true or false")
            }
            var attributes: [String: String] = [:]
            for (position, name) in names.enumerated() where !name.hasPrefix("cognito:") {
                let text = fields[position].trimmingCharacters(in: .whitespaces)
                if !text.isEmpty { attributes[name] = name.hasSuffix("_verified") ? text.lowercased() : text }
            }
            try UserAttributeRules.validate(attributes, pool: pool, existing: nil)
            for contact in ["email", "phone_number"] where attributes["\(contact)_verified"] == "true" && attributes[contact] == nil {
                throw RowError("\(contact)_verified is true without a \(contact)")
            }
            let hash = value(UserImports.hashColumn)
            if hash.isEmpty {
                // the user sets a password through a code: one of the pool's auto-verified addresses must be verified
                let reachable = pool.autoVerifiedAttributes.contains { attributes["\($0)_verified"] == "true" && attributes[$0] != nil }
                guard reachable else {
                    throw RowError("no verified \(pool.autoVerifiedAttributes.joined(separator: " or ")) to send a password reset code to")
                }
            }
            if mfa, attributes["phone_number"] == nil { throw RowError("cognito:mfa_enabled is true without a phone_number") }
            var new = NewUser(username: pool.usernameAttributes.isEmpty ? username : nil, status: hash.isEmpty ? .resetRequired : .confirmed,
                              attributes: attributes, password: hash.isEmpty ? .none : .hashed(hash))
            if !hash.isEmpty, let algorithm {
                guard UserImports.hash(hash, isOf: algorithm) else { throw RowError("the password hash is not a \(algorithm) hash") }
            }
            if mfa { new.mfa = UserMFA(enabled: [UserMFA.sms], preferred: UserMFA.sms) }
            return new
        }
    }

    /// Whether `hash` is in the standard text form of `algorithm` (modular crypt for bcrypt, PHC
    /// for the others; Django's form for PBKDF2 too).
    static func hash(_ hash: String, isOf algorithm: String) -> Bool {
        let prefixes: [String] = switch algorithm {
        case "BCRYPT": ["$2a$", "$2b$", "$2y$"]
        case "SCRYPT": ["$scrypt$"]
        case "ARGON2ID": ["$argon2id$"]
        case "PBKDF2_SHA256": ["$pbkdf2-sha256$", "pbkdf2_sha256$"]
        default: []
        }
        return hash.count <= 512 && prefixes.contains { hash.hasPrefix($0) } && PasswordHashFormat.isSupported(hash)
    }
}

private extension Error {
    /// A refusal because a name or an alias is held already.
    var isTaken: Bool {
        switch self as any Error {
        case AccountError.usernameExists, AccountError.aliasExists: true
        default: false
        }
    }
}
