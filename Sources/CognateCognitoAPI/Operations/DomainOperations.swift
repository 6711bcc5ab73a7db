import CognateCore
import CognateModel
import Foundation

struct CustomDomainConfigType: Codable, Sendable {
    var CertificateArn: String
}

/// Every member optional: an unknown domain is described as `{}`.
struct DomainDescriptionType: Encodable, Sendable {
    var UserPoolId: String?
    var AWSAccountId: String?
    var Domain: String?
    var CloudFrontDistribution: String?
    var Version: String?
    var Status: String?
    var CustomDomainConfig: CustomDomainConfigType?
    var ManagedLoginVersion: Int?
}

/// A prefix domain (`shop` → `shop.<COGNATE_DOMAIN_PARENT>`) or, with CustomDomainConfig, a
/// custom host name. A pool has at most one of each; names are unique across pools.
struct CreateUserPoolDomain: APIOperation {
    struct Input: Decodable, Sendable {
        var Domain: String
        var UserPoolId: String
        var ManagedLoginVersion: Int?
        var CustomDomainConfig: CustomDomainConfigType?
    }

    struct Output: Encodable, Sendable {
        var ManagedLoginVersion: Int
        var CloudFrontDomain: String?
    }

    static let name = "CreateUserPoolDomain"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        let pool = try await context.existingPool(input.UserPoolId)
        let custom = input.CustomDomainConfig != nil
        let name = input.Domain.lowercased()
        if custom {
            guard name.contains("."), !name.hasSuffix(".\(context.domains.parent)") else {
                throw CognitoError.invalidParameter("A custom domain must be a full host name outside \(context.domains.parent).")
            }
        } else if name.contains(".") {
            throw CognitoError.invalidParameter("Domain prefix must not contain dots; give CustomDomainConfig for a custom domain.")
        }
        if try await context.store.domains(poolId: pool.id).contains(where: { $0.isCustom == custom }) {
            throw CognitoError.invalidParameter("User pool \(pool.id) already has a \(custom ? "custom" : "prefix") domain configured.")
        }
        var domain = UserPoolDomain(domain: name, poolId: pool.id, isCustom: custom,
                                    certificateArn: input.CustomDomainConfig?.CertificateArn, createdAt: context.now())
        domain.managedLoginVersion = input.ManagedLoginVersion
        do {
            try await context.store.createDomain(domain)
        } catch StoreError.duplicate {
            throw CognitoError.invalidParameter("Domain already associated with another user pool.")
        }
        // For a custom domain Cognito names the host to point a DNS alias at: here, Cognate's own.
        return Output(ManagedLoginVersion: input.ManagedLoginVersion ?? 1, CloudFrontDomain: custom ? context.domains.publicURL.host : nil)
    }
}

struct DescribeUserPoolDomain: APIOperation {
    struct Input: Decodable, Sendable {
        var Domain: String
    }

    struct Output: Encodable, Sendable {
        var DomainDescription: DomainDescriptionType
    }

    static let name = "DescribeUserPoolDomain"

    /// As Cognito: an unknown domain answers an empty description, not an error.
    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        guard let domain = try await context.store.domain(named: input.Domain.lowercased()) else {
            return Output(DomainDescription: DomainDescriptionType())
        }
        return Output(DomainDescription: DomainDescriptionType(
            UserPoolId: domain.poolId, AWSAccountId: "000000000000", Domain: domain.domain,
            CloudFrontDistribution: context.domains.host(of: domain), Version: "1", Status: "ACTIVE",
            CustomDomainConfig: domain.certificateArn.map(CustomDomainConfigType.init), ManagedLoginVersion: domain.managedLoginVersion ?? 1))
    }
}

struct DeleteUserPoolDomain: APIOperation {
    struct Input: Decodable, Sendable {
        var Domain: String
        var UserPoolId: String
    }

    static let name = "DeleteUserPoolDomain"

    static func run(_ input: Input, _ context: APIContext) async throws -> EmptyOutput {
        _ = try await context.existingPool(input.UserPoolId)
        guard let domain = try await context.store.domain(named: input.Domain.lowercased()), domain.poolId == input.UserPoolId else {
            throw CognitoError.invalidParameter("No such domain or user pool exists.")
        }
        try await context.store.deleteDomain(named: domain.domain)
        return EmptyOutput()
    }
}

/// A pool's domain changed in place: its ManagedLoginVersion, and a custom domain's certificate.
struct UpdateUserPoolDomain: APIOperation {
    // the same shapes as CreateUserPoolDomain's
    typealias Input = CreateUserPoolDomain.Input
    typealias Output = CreateUserPoolDomain.Output

    static let name = "UpdateUserPoolDomain"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        let pool = try await context.existingPool(input.UserPoolId)
        let name = input.Domain.lowercased()
        guard let domain = try await context.store.domain(named: name), domain.poolId == pool.id else {
            throw CognitoError.invalidParameter("The domain \(name) is not a domain of user pool \(pool.id).")
        }
        if let version = input.ManagedLoginVersion, ![1, 2].contains(version) {
            throw CognitoError.invalidParameter("ManagedLoginVersion must be 1 or 2.")
        }
        if input.CustomDomainConfig != nil, !domain.isCustom {
            throw CognitoError.invalidParameter("CustomDomainConfig is for a custom domain; \(name) is a prefix domain.")
        }
        let updated = try await context.store.updateDomain(
            named: name, poolId: pool.id, certificateArn: input.CustomDomainConfig?.CertificateArn ?? domain.certificateArn,
            managedLoginVersion: input.ManagedLoginVersion ?? domain.managedLoginVersion)
        return Output(ManagedLoginVersion: updated.managedLoginVersion ?? 1, CloudFrontDomain: updated.isCustom ? context.domains.publicURL.host : nil)
    }
}
