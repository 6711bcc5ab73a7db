import CognateCore
import CognateModel
import Foundation

/// UserImportJobType as Cognito answers it; the pre-signed URL is Cognate's own upload URL.
struct UserImportJobShape: Encodable, Sendable {
    var JobName: String
    var JobId: String
    var UserPoolId: String
    var PreSignedUrl: String?
    var CreationDate: Date
    var StartDate: Date?
    var CompletionDate: Date?
    var Status: String
    var CloudWatchLogsRoleArn: String
    var ImportedUsers: Int
    var SkippedUsers: Int
    var FailedUsers: Int
    var CompletionMessage: String?
    var PasswordHashingAlgorithm: String?

    init(_ job: UserImportJob, imports: UserImports) {
        JobName = job.name
        JobId = job.id
        UserPoolId = job.poolId
        // the URL only while the file can still be uploaded
        PreSignedUrl = job.status == .created ? imports.uploadURL(for: job) : nil
        CreationDate = job.createdAt
        StartDate = job.startedAt
        CompletionDate = job.completedAt
        Status = job.status.rawValue
        CloudWatchLogsRoleArn = job.cloudWatchLogsRoleArn
        ImportedUsers = job.imported
        SkippedUsers = job.skipped
        FailedUsers = job.failed
        CompletionMessage = job.completionMessage
        PasswordHashingAlgorithm = job.passwordHashingAlgorithm
    }
}

struct UserImportJobOutput: Encodable, Sendable {
    var UserImportJob: UserImportJobShape
}

struct ImportJobInput: Decodable, Sendable {
    var UserPoolId: String
    var JobId: String
}

struct GetCSVHeader: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
    }

    struct Output: Encodable, Sendable {
        var UserPoolId: String
        var CSVHeader: [String]
    }

    static let name = "GetCSVHeader"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        let pool = try await context.existingPool(input.UserPoolId)
        return Output(UserPoolId: pool.id, CSVHeader: UserImports.header(for: pool))
    }
}

struct CreateUserImportJob: APIOperation {
    struct Input: Decodable, Sendable {
        var JobName: String
        var UserPoolId: String
        var CloudWatchLogsRoleArn: String
        var PasswordHashingAlgorithm: String?
    }

    static let name = "CreateUserImportJob"

    static func run(_ input: Input, _ context: APIContext) async throws -> UserImportJobOutput {
        _ = try await context.existingPool(input.UserPoolId)
        let job = try await context.imports.create(poolId: input.UserPoolId, name: input.JobName, roleArn: input.CloudWatchLogsRoleArn,
                                                   algorithm: input.PasswordHashingAlgorithm)
        return UserImportJobOutput(UserImportJob: UserImportJobShape(job, imports: context.imports))
    }
}

struct DescribeUserImportJob: APIOperation {
    static let name = "DescribeUserImportJob"

    static func run(_ input: ImportJobInput, _ context: APIContext) async throws -> UserImportJobOutput {
        _ = try await context.existingPool(input.UserPoolId)
        let job = try await context.imports.job(poolId: input.UserPoolId, id: input.JobId)
        return UserImportJobOutput(UserImportJob: UserImportJobShape(job, imports: context.imports))
    }
}

struct ListUserImportJobs: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var MaxResults: Int
        var PaginationToken: String?
    }

    struct Output: Encodable, Sendable {
        var UserImportJobs: [UserImportJobShape]
        var PaginationToken: String?
    }

    static let name = "ListUserImportJobs"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        _ = try await context.existingPool(input.UserPoolId)
        let page = try await context.imports.list(poolId: input.UserPoolId, limit: input.MaxResults, after: input.PaginationToken)
        return Output(UserImportJobs: page.items.map { UserImportJobShape($0, imports: context.imports) }, PaginationToken: page.next)
    }
}

/// The job is taken by a node's background work at once (this node's, nudged) or within seconds.
struct StartUserImportJob: APIOperation {
    static let name = "StartUserImportJob"

    static func run(_ input: ImportJobInput, _ context: APIContext) async throws -> UserImportJobOutput {
        _ = try await context.existingPool(input.UserPoolId)
        let job = try await context.imports.start(poolId: input.UserPoolId, id: input.JobId)
        let imports = context.imports
        Task.detached { _ = try? await imports.runDue() }
        return UserImportJobOutput(UserImportJob: UserImportJobShape(job, imports: context.imports))
    }
}

struct StopUserImportJob: APIOperation {
    static let name = "StopUserImportJob"

    static func run(_ input: ImportJobInput, _ context: APIContext) async throws -> UserImportJobOutput {
        _ = try await context.existingPool(input.UserPoolId)
        let job = try await context.imports.stop(poolId: input.UserPoolId, id: input.JobId)
        return UserImportJobOutput(UserImportJob: UserImportJobShape(job, imports: context.imports))
    }
}
