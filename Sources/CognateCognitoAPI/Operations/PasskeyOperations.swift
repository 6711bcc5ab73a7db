import CognateCore
import CognateModel
import Foundation

/// Cognito's words for a passkey that cannot be registered or used.
enum Passkeys {
    /// StartWebAuthnRegistration and CompleteWebAuthnRegistration name each refusal.
    static func translate(_ error: WebAuthnError) -> CognitoError {
        switch error {
        case .notEnabled: CognitoError("WebAuthnNotEnabledException", "Passkeys are not enabled for this user pool (WEB_AUTHN is not an allowed first factor).")
        case .configurationMissing: CognitoError("WebAuthnConfigurationMissingException", "The user pool has no relying party ID.")
        case .challengeNotFound: CognitoError("WebAuthnChallengeNotFoundException", "The challenge is unknown, expired or already used.")
        case .relyingPartyMismatch: CognitoError("WebAuthnRelyingPartyMismatchException", "The passkey was made for another relying party.")
        case .originNotAllowed(let origin): CognitoError("WebAuthnOriginNotAllowedException", "The origin \(origin) is not allowed for this relying party.")
        case .clientMismatch(let message): CognitoError("WebAuthnClientMismatchException", message)
        case .notSupported(let message): CognitoError("WebAuthnCredentialNotSupportedException", message)
        case .invalid(let message): .invalidParameter(message)
        case .userVerificationRequired: .invalidParameter("The user pool requires user verification, and the authenticator did not verify the user.")
        case .counterRegressed: .notAuthorized("The authenticator's signature counter went backwards.")
        case .credentialExists: .invalidParameter("This passkey is registered already.")
        case .limitExceeded: CognitoError("LimitExceededException", "The user has \(SignInService.passkeysPerUser) passkeys, as many as a user may have.")
        }
    }

    /// A sign-in with a passkey is told only that it was not accepted; the pool's own misconfiguration is named.
    static func signInRefusal(_ error: WebAuthnError) -> CognitoError {
        switch error {
        case .notEnabled, .configurationMissing: CognitoError("InvalidUserPoolConfigurationException", translate(error).message)
        case .counterRegressed: .notAuthorized("The authenticator's signature counter went backwards; the passkey may have been copied.")
        default: .notAuthorized("Incorrect username or passkey.")
        }
    }

    static func run<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as WebAuthnError {
            throw translate(error)
        }
    }
}

struct StartWebAuthnRegistration: APIOperation {
    struct Input: Decodable, Sendable {
        var AccessToken: String
    }

    struct Output: Encodable, Sendable {
        var CredentialCreationOptions: JSONValue
    }

    static let name = "StartWebAuthnRegistration"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        let (user, pool) = try await context.signedInUser(input.AccessToken)
        return Output(CredentialCreationOptions: try await Passkeys.run { try await context.signIn.startPasskeyRegistration(user: user, pool: pool) })
    }
}

struct CompleteWebAuthnRegistration: APIOperation {
    struct Input: Decodable, Sendable {
        var AccessToken: String
        var Credential: JSONValue
    }

    static let name = "CompleteWebAuthnRegistration"

    static func run(_ input: Input, _ context: APIContext) async throws -> EmptyOutput {
        let (user, pool) = try await context.signedInUser(input.AccessToken)
        _ = try await Passkeys.run { try await context.signIn.completePasskeyRegistration(user: user, pool: pool, credential: input.Credential) }
        return EmptyOutput()
    }
}

/// Cognito's WebAuthnCredentialDescription.
struct WebAuthnCredentialDescription: Encodable, Sendable {
    var CredentialId: String
    var FriendlyCredentialName: String
    var RelyingPartyId: String
    var AuthenticatorAttachment: String?
    var AuthenticatorTransports: [String]
    var CreatedAt: Date

    init(_ passkey: WebAuthnCredential) {
        CredentialId = passkey.id
        FriendlyCredentialName = passkey.friendlyName
        RelyingPartyId = passkey.relyingPartyId
        AuthenticatorAttachment = passkey.attachment
        AuthenticatorTransports = passkey.transports
        CreatedAt = passkey.createdAt
    }
}

struct ListWebAuthnCredentials: APIOperation {
    struct Input: Decodable, Sendable {
        var AccessToken: String
        var NextToken: String?
        var MaxResults: Int?
    }

    struct Output: Encodable, Sendable {
        var Credentials: [WebAuthnCredentialDescription]
        var NextToken: String?
    }

    static let name = "ListWebAuthnCredentials"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        let (user, _) = try await context.signedInUser(input.AccessToken)
        // MaxResults 0 (the model allows it) or none: a page of 20, Cognito's most
        let limit = input.MaxResults.flatMap { $0 > 0 ? min($0, 20) : nil } ?? 20
        let page = try await context.signIn.passkeys(of: user, limit: limit, after: input.NextToken)
        return Output(Credentials: page.items.map(WebAuthnCredentialDescription.init), NextToken: page.next)
    }
}

struct DeleteWebAuthnCredential: APIOperation {
    struct Input: Decodable, Sendable {
        var AccessToken: String
        var CredentialId: String
    }

    static let name = "DeleteWebAuthnCredential"

    static func run(_ input: Input, _ context: APIContext) async throws -> EmptyOutput {
        let (user, _) = try await context.signedInUser(input.AccessToken)
        do {
            try await context.signIn.deletePasskey(of: user, id: input.CredentialId)
        } catch StoreError.notFound {
            throw CognitoError("ResourceNotFoundException", "The user has no passkey with this credential ID.")
        }
        return EmptyOutput()
    }
}
