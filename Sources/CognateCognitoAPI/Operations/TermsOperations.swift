import CognateCore
import CognateModel
import Foundation

/// Cognito's TermsType.
struct TermsType: Encodable, Sendable {
    var TermsId: String
    var UserPoolId: String
    var ClientId: String
    var TermsName: String
    var TermsSource: String
    var Enforcement: String
    var Links: [String: String]
    var CreationDate: Date
    var LastModifiedDate: Date

    init(_ terms: ClientTerms, client: AppClient) {
        TermsId = terms.id
        UserPoolId = client.poolId
        ClientId = client.clientId
        TermsName = terms.name
        TermsSource = terms.source
        Enforcement = terms.enforcement
        Links = terms.links
        CreationDate = terms.createdAt
        LastModifiedDate = terms.updatedAt
    }
}

struct TermsOutput: Encodable, Sendable {
    var Terms: TermsType
}

enum TermsRules {
    static let names: Set<String> = ["terms-of-use", "privacy-policy"]
    static let languages: Set<String> = [
        "cognito:default", "cognito:dutch", "cognito:english", "cognito:french", "cognito:spanish", "cognito:german", "cognito:bahasa-indonesia",
        "cognito:italian", "cognito:japanese", "cognito:korean", "cognito:portuguese-brazil", "cognito:chinese-simplified",
        "cognito:chinese-traditional",
    ]

    static func check(name: String?, source: String?, enforcement: String?, links: [String: String]?) throws {
        if let name, !names.contains(name) { throw CognitoError.invalidParameter("TermsName must be terms-of-use or privacy-policy") }
        if let source, source != "LINK" { throw CognitoError.invalidParameter("TermsSource must be LINK") }
        if let enforcement, enforcement != "NONE" { throw CognitoError.invalidParameter("Enforcement must be NONE") }
        guard let links else { return }
        guard (1...13).contains(links.count) else { throw CognitoError.invalidParameter("Links must have 1 to 13 entries") }
        for (language, link) in links {
            guard languages.contains(language) else { throw CognitoError.invalidParameter("\(language) is not one of Cognito's language ids") }
            // shown as a link on the sign-up page: an absolute https URL (http on localhost for development), nothing a browser would run
            guard link.count <= 1024, let url = URL(string: link), let host = url.host, !host.isEmpty, url.user == nil,
                url.scheme == "https" || (url.scheme == "http" && ["localhost", "127.0.0.1"].contains(host))
            else { throw CognitoError.invalidParameter("Links must be absolute https URLs: \(language)") }
        }
    }

    /// Every client of the pool with its terms (a pool has few clients; terms are found by id across them).
    static func all(_ poolId: String, _ context: APIContext) async throws -> [(ClientTerms, AppClient)] {
        _ = try await context.existingPool(poolId)
        var found: [(ClientTerms, AppClient)] = []
        var cursor: String?
        repeat {
            let page = try await context.store.listClients(poolId: poolId, limit: 60, after: cursor)
            for client in page.items { found += (client.terms ?? []).map { ($0, client) } }
            cursor = page.next
        } while cursor != nil
        return found.sorted { $0.0.id < $1.0.id }
    }

    static func find(_ id: String, poolId: String, _ context: APIContext) async throws -> (ClientTerms, AppClient) {
        guard let found = try await all(poolId, context).first(where: { $0.0.id == id }) else {
            throw CognitoError("ResourceNotFoundException", "Terms \(id) do not exist in user pool \(poolId).")
        }
        return found
    }

    static let exists = CognitoError("TermsExistsException", "The app client has terms of this name already.")
    static let gone = CognitoError("ResourceNotFoundException", "The terms do not exist.")
}

struct CreateTerms: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var ClientId: String
        var TermsName: String
        var TermsSource: String
        var Enforcement: String
        var Links: [String: String]?
    }

    typealias Output = TermsOutput

    static let name = "CreateTerms"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        try TermsRules.check(name: input.TermsName, source: input.TermsSource, enforcement: input.Enforcement, links: input.Links ?? [:])
        _ = try await context.existingPool(input.UserPoolId)
        _ = try await context.existingClient(input.UserPoolId, input.ClientId)
        let terms = ClientTerms(id: UUID().uuidString.lowercased(), name: input.TermsName, source: input.TermsSource, enforcement: input.Enforcement,
                                links: input.Links ?? [:], createdAt: context.now())
        let client = try await context.store.updateClient(poolId: input.UserPoolId, clientId: input.ClientId) { client in
            guard !(client.terms ?? []).contains(where: { $0.name == terms.name }) else { throw TermsRules.exists }
            client.terms = (client.terms ?? []) + [terms]
        }
        return Output(Terms: TermsType(terms, client: client))
    }
}

struct DescribeTerms: APIOperation {
    struct Input: Decodable, Sendable {
        var TermsId: String
        var UserPoolId: String
    }

    typealias Output = TermsOutput

    static let name = "DescribeTerms"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        let (terms, client) = try await TermsRules.find(input.TermsId, poolId: input.UserPoolId, context)
        return Output(Terms: TermsType(terms, client: client))
    }
}

struct DescribeTermsByClient: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var ClientId: String
        var TermsName: String
    }

    typealias Output = TermsOutput

    static let name = "DescribeTermsByClient"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        _ = try await context.existingPool(input.UserPoolId)
        let client = try await context.existingClient(input.UserPoolId, input.ClientId)
        guard let terms = client.terms?.first(where: { $0.name == input.TermsName }) else { throw TermsRules.gone }
        return Output(Terms: TermsType(terms, client: client))
    }
}

struct ListTerms: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var MaxResults: Int?
        var NextToken: String?
    }

    struct Description: Encodable, Sendable {
        var TermsId: String
        var TermsName: String
        var Enforcement: String
        var CreationDate: Date
        var LastModifiedDate: Date
    }

    struct Output: Encodable, Sendable {
        var Terms: [Description]
        var NextToken: String?
    }

    static let name = "ListTerms"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        let limit = min(max(input.MaxResults ?? 60, 1), 60)
        var all = try await TermsRules.all(input.UserPoolId, context).map(\.0)
        if let after = input.NextToken { all = all.filter { $0.id > after } }
        let page = all.prefix(limit)
        return Output(Terms: page.map { Description(TermsId: $0.id, TermsName: $0.name, Enforcement: $0.enforcement, CreationDate: $0.createdAt,
                                                    LastModifiedDate: $0.updatedAt) },
                      NextToken: all.count > limit ? page.last?.id : nil)
    }
}

struct UpdateTerms: APIOperation {
    struct Input: Decodable, Sendable {
        var TermsId: String
        var UserPoolId: String
        var TermsName: String?
        var TermsSource: String?
        var Enforcement: String?
        var Links: [String: String]?
    }

    typealias Output = TermsOutput

    static let name = "UpdateTerms"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        try TermsRules.check(name: input.TermsName, source: input.TermsSource, enforcement: input.Enforcement, links: input.Links)
        let (_, holder) = try await TermsRules.find(input.TermsId, poolId: input.UserPoolId, context)
        let date = context.now()
        let client = try await context.store.updateClient(poolId: input.UserPoolId, clientId: holder.clientId) { client in
            var list = client.terms ?? []
            guard let index = list.firstIndex(where: { $0.id == input.TermsId }) else { throw TermsRules.gone }
            if let name = input.TermsName, list.contains(where: { $0.name == name && $0.id != input.TermsId }) { throw TermsRules.exists }
            list[index].name = input.TermsName ?? list[index].name
            list[index].source = input.TermsSource ?? list[index].source
            list[index].enforcement = input.Enforcement ?? list[index].enforcement
            list[index].links = input.Links ?? list[index].links
            list[index].updatedAt = date
            client.terms = list
        }
        guard let terms = client.terms?.first(where: { $0.id == input.TermsId }) else { throw TermsRules.gone }
        return Output(Terms: TermsType(terms, client: client))
    }
}

struct DeleteTerms: APIOperation {
    struct Input: Decodable, Sendable {
        var TermsId: String
        var UserPoolId: String
    }

    static let name = "DeleteTerms"

    static func run(_ input: Input, _ context: APIContext) async throws -> EmptyOutput {
        let (_, holder) = try await TermsRules.find(input.TermsId, poolId: input.UserPoolId, context)
        _ = try await context.store.updateClient(poolId: input.UserPoolId, clientId: holder.clientId) { client in
            guard (client.terms ?? []).contains(where: { $0.id == input.TermsId }) else { throw TermsRules.gone }
            client.terms = client.terms?.filter { $0.id != input.TermsId }
            if client.terms?.isEmpty == true { client.terms = nil }
        }
        return EmptyOutput()
    }
}
