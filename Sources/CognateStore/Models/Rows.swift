import FluentKit
import Foundation

// Fluent rows. They never leave this module: FluentStore maps them to CognateModel values.
// Pools and clients keep their settings as one JSON document beside the columns that are
// queried, so a new setting needs no migration.

final class PoolRow: Model, @unchecked Sendable {
    static let schema = "user_pools"
    @ID(custom: "id", generatedBy: .user) var id: String?
    @Field(key: "name") var name: String
    @Field(key: "document") var document: String
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date
    init() {}
}

final class ClientRow: Model, @unchecked Sendable {
    static let schema = "app_clients"
    @ID(custom: "id", generatedBy: .user) var id: String?
    @Field(key: "pool_id") var poolId: String
    @Field(key: "name") var name: String
    @OptionalField(key: "secret_hash") var secretHash: String?
    @Field(key: "document") var document: String
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date
    init() {}
}

final class UserRow: Model, @unchecked Sendable {
    static let schema = "users"
    @ID(custom: "id", generatedBy: .user) var id: UUID?
    @Field(key: "pool_id") var poolId: String
    @Field(key: "username") var username: String
    @Field(key: "status") var status: String
    @Field(key: "enabled") var enabled: Bool
    @Field(key: "attributes") var attributes: String
    @OptionalField(key: "password_hash") var passwordHash: String?
    @OptionalField(key: "temporary_password_expires_at") var temporaryPasswordExpiresAt: Date?
    @OptionalField(key: "srp_verifier") var srpVerifier: Data?
    @OptionalField(key: "mfa") var mfa: String?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date
    init() {}
}

final class UserIdentifierRow: Model, @unchecked Sendable {
    static let schema = "user_identifiers"
    @ID(key: .id) var id: UUID?
    @Field(key: "pool_id") var poolId: String
    @Field(key: "user_id") var userId: UUID
    @Field(key: "kind") var kind: String
    @Field(key: "key") var key: String
    init() {}
}

final class GroupRow: Model, @unchecked Sendable {
    static let schema = "groups"
    @ID(key: .id) var id: UUID?
    @Field(key: "pool_id") var poolId: String
    @Field(key: "name") var name: String
    @OptionalField(key: "description") var description: String?
    @OptionalField(key: "precedence") var precedence: Int?
    @OptionalField(key: "role_arn") var roleArn: String?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date
    init() {}
}

final class GroupMemberRow: Model, @unchecked Sendable {
    static let schema = "group_members"
    @ID(key: .id) var id: UUID?
    @Field(key: "group_id") var groupId: UUID
    @Field(key: "user_id") var userId: UUID
    init() {}
}

final class ResourceServerRow: Model, @unchecked Sendable {
    static let schema = "resource_servers"
    @ID(key: .id) var id: UUID?
    @Field(key: "pool_id") var poolId: String
    @Field(key: "identifier") var identifier: String
    @Field(key: "name") var name: String
    @Field(key: "scopes") var scopes: String
    init() {}
}

final class SigningKeyRow: Model, @unchecked Sendable {
    static let schema = "signing_keys"
    @ID(key: .id) var id: UUID?
    @Field(key: "pool_id") var poolId: String
    @Field(key: "kid") var kid: String
    @Field(key: "algorithm") var algorithm: String
    @Field(key: "sealed_private_key") var sealedPrivateKey: Data
    @Field(key: "public_jwk") var publicJWK: String
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "retired_at") var retiredAt: Date?
    init() {}
}

final class AuthorizationCodeRow: Model, @unchecked Sendable {
    static let schema = "authorization_codes"
    @ID(key: .id) var id: UUID?
    @Field(key: "code_hash") var codeHash: String
    @Field(key: "pool_id") var poolId: String
    @Field(key: "document") var document: String
    @Field(key: "expires_at") var expiresAt: Date
    init() {}
}

/// One row per use of a code; the unique index on `code_hash` lets exactly one use win.
final class CodeUseRow: Model, @unchecked Sendable {
    static let schema = "authorization_code_uses"
    @ID(key: .id) var id: UUID?
    @Field(key: "code_hash") var codeHash: String
    @Field(key: "used_at") var usedAt: Date
    init() {}
}

final class SessionRow: Model, @unchecked Sendable {
    static let schema = "sessions"
    @ID(key: .id) var id: UUID?
    @Field(key: "id_hash") var idHash: String
    @Field(key: "pool_id") var poolId: String
    @Field(key: "user_sub") var userSub: UUID
    @Field(key: "auth_time") var authTime: Date
    @Field(key: "expires_at") var expiresAt: Date
    @OptionalField(key: "revoked_at") var revokedAt: Date?
    /// FederatedSession as JSON (M029).
    @OptionalField(key: "federation") var federation: String?
    init() {}
}

final class RefreshTokenRow: Model, @unchecked Sendable {
    static let schema = "refresh_tokens"
    @ID(key: .id) var id: UUID?
    @Field(key: "token_hash") var tokenHash: String
    @Field(key: "family_id") var familyId: UUID
    @Field(key: "pool_id") var poolId: String
    @Field(key: "client_id") var clientId: String
    @Field(key: "user_sub") var userSub: UUID
    @Field(key: "scopes") var scopes: String
    @Field(key: "auth_time") var authTime: Date
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "expires_at") var expiresAt: Date
    @OptionalField(key: "rotated_at") var rotatedAt: Date?
    @OptionalField(key: "revoked_at") var revokedAt: Date?
    @OptionalField(key: "device_key") var deviceKey: String?
    init() {}
}

/// One row per rotation of a refresh token; the unique index on `token_hash` lets exactly one win.
final class RefreshRotationRow: Model, @unchecked Sendable {
    static let schema = "refresh_token_rotations"
    @ID(key: .id) var id: UUID?
    @Field(key: "token_hash") var tokenHash: String
    @Field(key: "rotated_at") var rotatedAt: Date
    init() {}
}

final class RevocationRow: Model, @unchecked Sendable {
    static let schema = "token_revocations"
    @ID(key: .id) var id: UUID?
    @Field(key: "jti") var jti: String
    @Field(key: "pool_id") var poolId: String
    @Field(key: "expires_at") var expiresAt: Date
    init() {}
}

final class AdminCredentialRow: Model, @unchecked Sendable {
    static let schema = "admin_credentials"
    @ID(custom: "id", generatedBy: .user) var id: String?
    @Field(key: "sealed_secret") var sealedSecret: Data
    @Field(key: "created_at") var createdAt: Date
    init() {}
}

final class SettingRow: Model, @unchecked Sendable {
    static let schema = "settings"
    @ID(custom: "id", generatedBy: .user) var id: String?
    @Field(key: "value") var value: String
    init() {}
}

final class OutboxRow: Model, @unchecked Sendable {
    static let schema = "outbox"
    @ID(custom: "id", generatedBy: .user) var id: UUID?
    @Field(key: "pool_id") var poolId: String
    @OptionalField(key: "user_sub") var userSub: UUID?
    @Field(key: "channel") var channel: String
    @Field(key: "destination") var destination: String
    @Field(key: "subject") var subject: String
    @Field(key: "body") var body: String
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "attempts") var attempts: Int
    @OptionalField(key: "delivered_at") var deliveredAt: Date?
    @OptionalField(key: "last_error") var lastError: String?
    @OptionalField(key: "next_attempt_at") var nextAttemptAt: Date?
    @OptionalField(key: "claimed_until") var claimedUntil: Date?
    @OptionalField(key: "locale") var locale: String?
    init() {}
}

final class DomainRow: Model, @unchecked Sendable {
    static let schema = "user_pool_domains"
    @ID(custom: "id", generatedBy: .user) var id: String?
    @Field(key: "pool_id") var poolId: String
    @Field(key: "is_custom") var isCustom: Bool
    @OptionalField(key: "certificate_arn") var certificateArn: String?
    @OptionalField(key: "managed_login_version") var managedLoginVersion: Int?
    @Field(key: "created_at") var createdAt: Date
    init() {}
}

/// A value that may be used once (an SRP secret block, a challenge session); the unique index lets one use through.
final class SingleUseRow: Model, @unchecked Sendable {
    static let schema = "single_uses"
    @ID(custom: "id", generatedBy: .user) var id: String?
    @Field(key: "expires_at") var expiresAt: Date
    init() {}
}

final class VerificationCodeRow: Model, @unchecked Sendable {
    static let schema = "user_codes"
    @ID(key: .id) var id: UUID?
    @Field(key: "pool_id") var poolId: String
    @Field(key: "user_sub") var userSub: UUID
    @Field(key: "purpose") var purpose: String
    @Field(key: "code_hash") var codeHash: String
    @Field(key: "expires_at") var expiresAt: Date
    @Field(key: "attempts") var attempts: Int
    @Field(key: "sent_in_window") var sentInWindow: Int
    @Field(key: "window_start") var windowStart: Date
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "pending_value") var pendingValue: String?
    @OptionalField(key: "locked_until") var lockedUntil: Date?
    init() {}
}

final class AuthEventRow: Model, @unchecked Sendable {
    static let schema = "auth_events"
    @ID(custom: "id", generatedBy: .user) var id: UUID?
    @Field(key: "pool_id") var poolId: String
    @Field(key: "user_sub") var userSub: UUID
    @Field(key: "kind") var kind: String
    @Field(key: "response") var response: String
    /// JSON array of {name, success}
    @Field(key: "steps") var steps: String
    @Field(key: "blocked") var blocked: Bool
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "created_us") var createdMicroseconds: Int64
    @Field(key: "expires_at") var expiresAt: Date
    @OptionalField(key: "client_id") var clientId: String?
    @OptionalField(key: "ip_address") var ipAddress: String?
    @OptionalField(key: "user_agent") var userAgent: String?
    @OptionalField(key: "feedback") var feedback: String?
    @OptionalField(key: "feedback_at") var feedbackAt: Date?
    init() {}
}

/// A pending authorization request, keyed by the SHA-256 of its id.
final class AuthorizationRequestRow: Model, @unchecked Sendable {
    static let schema = "authorization_requests"
    @ID(custom: "id", generatedBy: .user) var id: String?
    @Field(key: "pool_id") var poolId: String
    @Field(key: "browser_hash") var browserHash: String
    @Field(key: "request") var request: String
    @Field(key: "step") var step: String
    @OptionalField(key: "user_sub") var userSub: UUID?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "expires_at") var expiresAt: Date
    @OptionalField(key: "finished_at") var finishedAt: Date?
    init() {}
}

final class IdentityProviderRow: Model, @unchecked Sendable {
    static let schema = "identity_providers"
    @ID(key: .id) var id: UUID?
    @Field(key: "pool_id") var poolId: String
    @Field(key: "name") var name: String
    @Field(key: "type") var type: String
    /// The provider as JSON (details, sealed secrets, mapping, identifiers).
    @Field(key: "document") var document: String
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date
    init() {}
}

final class IdentityProviderIdentifierRow: Model, @unchecked Sendable {
    static let schema = "identity_provider_identifiers"
    @ID(key: .id) var id: UUID?
    @Field(key: "pool_id") var poolId: String
    @Field(key: "provider_id") var providerId: UUID
    @Field(key: "key") var key: String
    init() {}
}

/// A classic hosted-page customization (M030).
final class UICustomizationRow: Model, @unchecked Sendable {
    static let schema = "ui_customizations"
    @ID(key: .id) var id: UUID?
    @Field(key: "pool_id") var poolId: String
    /// An app client's id, or ALL.
    @Field(key: "client_id") var clientId: String
    @OptionalField(key: "css") var css: String?
    @OptionalField(key: "image") var image: Data?
    @OptionalField(key: "image_type") var imageType: String?
    @Field(key: "version") var version: String
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date
    init() {}
}

/// A managed login branding style (M031); its assets' descriptions as JSON.
final class ManagedLoginBrandingRow: Model, @unchecked Sendable {
    static let schema = "managed_login_brandings"
    @ID(custom: "id", generatedBy: .user) var id: String?
    @Field(key: "pool_id") var poolId: String
    @Field(key: "client_id") var clientId: String
    @Field(key: "use_cognito_provided_values") var useCognitoProvidedValues: Bool
    @OptionalField(key: "settings") var settings: String?
    @Field(key: "assets") var assets: String
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date
    init() {}
}

/// An asset's bytes (M031).
final class ManagedLoginAssetRow: Model, @unchecked Sendable {
    static let schema = "managed_login_assets"
    @ID(key: .id) var id: UUID?
    @Field(key: "branding_id") var brandingId: String
    @Field(key: "category") var category: String
    @Field(key: "color_mode") var colorMode: String
    @Field(key: "bytes") var bytes: Data
    init() {}
}

/// An identity pool (M033): the pool as JSON.
final class IdentityPoolRow: Model, @unchecked Sendable {
    static let schema = "identity_pools"
    @ID(custom: "id", generatedBy: .user) var id: String?
    @Field(key: "name") var name: String
    @Field(key: "document") var document: String
    @Field(key: "created_at") var createdAt: Date
    init() {}
}

final class IdentityRow: Model, @unchecked Sendable {
    static let schema = "identities"
    @ID(custom: "id", generatedBy: .user) var id: String?
    @Field(key: "pool_id") var poolId: String
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date
    init() {}
}

final class IdentityLoginRow: Model, @unchecked Sendable {
    static let schema = "identity_logins"
    @ID(key: .id) var id: UUID?
    @Field(key: "pool_id") var poolId: String
    @Field(key: "identity_id") var identityId: String
    @Field(key: "provider") var provider: String
    @Field(key: "subject") var subject: String
    init() {}
}

final class UserImportJobRow: Model, @unchecked Sendable {
    static let schema = "user_import_jobs"
    @ID(custom: "id", generatedBy: .user) var id: String?
    @Field(key: "pool_id") var poolId: String
    @Field(key: "status") var status: String
    @OptionalField(key: "held_until") var heldUntil: Date?
    @Field(key: "document") var document: String
    init() {}
}

final class UserImportFileRow: Model, @unchecked Sendable {
    static let schema = "user_import_files"
    @ID(custom: "id", generatedBy: .user) var id: String?
    @Field(key: "pool_id") var poolId: String
    @Field(key: "data") var data: Data
    init() {}
}
