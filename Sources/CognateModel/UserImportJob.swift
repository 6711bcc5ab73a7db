import Foundation

/// A CSV import of users into a pool (Cognito's user import jobs). The uploaded file is kept
/// beside the job until it has run (or the pool goes); progress is kept as the job runs, so a
/// node that dies mid-job leaves it to another node, which goes on from `rowsDone`.
public struct UserImportJob: Sendable, Equatable, Codable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        case created = "Created", pending = "Pending", inProgress = "InProgress", stopping = "Stopping"
        case expired = "Expired", stopped = "Stopped", failed = "Failed", succeeded = "Succeeded"

        /// A job some node should be running (or will, once its holder's claim lapses).
        public var isRunnable: Bool { self == .pending || self == .inProgress || self == .stopping }
    }

    public var poolId: String
    /// `import-<random>`.
    public var id: String
    public var name: String
    public var cloudWatchLogsRoleArn: String
    /// BCRYPT, SCRYPT, ARGON2ID or PBKDF2_SHA256: the file carries password hashes of that kind.
    public var passwordHashingAlgorithm: String?
    public var status: Status
    public var createdAt: Date
    public var startedAt: Date?
    public var completedAt: Date?
    public var imported: Int
    public var skipped: Int
    public var failed: Int
    public var completionMessage: String?
    /// CSV data rows already judged; a job taken over by another node goes on from here.
    public var rowsDone: Int
    /// Bytes of the uploaded file; nil until one is uploaded.
    public var fileSize: Int?
    /// The node run that holds the job, and until when; another may take it once this lapses.
    public var holder: UUID?
    public var heldUntil: Date?

    public init(poolId: String, id: String, name: String, cloudWatchLogsRoleArn: String, passwordHashingAlgorithm: String?,
                createdAt: Date) {
        self.poolId = poolId
        self.id = id
        self.name = name
        self.cloudWatchLogsRoleArn = cloudWatchLogsRoleArn
        self.passwordHashingAlgorithm = passwordHashingAlgorithm
        self.status = .created
        self.createdAt = createdAt
        self.imported = 0
        self.skipped = 0
        self.failed = 0
        self.rowsDone = 0
    }
}

public protocol UserImportJobStore: Sendable {
    /// `StoreError.notFound` for an unknown pool.
    func createImportJob(_ job: UserImportJob) async throws
    func importJob(poolId: String, id: String) async throws -> UserImportJob?
    /// The pool's jobs, newest first, `limit` at most, starting after the cursor.
    func listImportJobs(poolId: String, limit: Int, after cursor: String?) async throws -> ListPage<UserImportJob>
    /// Reads, changes and writes the job in one transaction (its pool and id stay); what
    /// `change` throws is thrown unchanged and nothing is written.
    @discardableResult
    func updateImportJob(poolId: String, id: String, _ change: @escaping @Sendable (inout UserImportJob) throws -> Void) async throws
        -> UserImportJob
    /// Keeps the job's file (replacing one uploaded before) and its size, only while the job is
    /// `created`; false otherwise (or when there is no such job).
    func saveImportFile(poolId: String, id: String, data: Data) async throws -> Bool
    func importFile(poolId: String, id: String) async throws -> Data?
    /// Drops the file of a finished job (it holds people's details).
    func deleteImportFile(poolId: String, id: String) async throws
    /// Takes one runnable job whose holder's claim lapsed at `date` (or that none holds) for
    /// `holder` until `until`; of many racing callers on any number of nodes one gets a job.
    func claimImportJob(holder: UUID, at date: Date, until: Date) async throws -> UserImportJob?
}
