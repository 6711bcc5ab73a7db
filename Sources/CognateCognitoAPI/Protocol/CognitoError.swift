import CognateCore

/// An error as Cognito's JSON protocol returns it: HTTP 400 (500 for internal errors) with
/// `{"__type": "<Exception>", "message": "…"}`; the SDKs raise the exception by that name.
public struct CognitoError: Error, Sendable, Equatable, CustomStringConvertible {
    public let type: String
    public let message: String
    public let status: Int

    public init(_ type: String, _ message: String, status: Int = 400) {
        self.type = type
        self.message = message
        self.status = status
    }

    public var description: String { "\(type): \(message)" }

    public static func invalidParameter(_ message: String) -> CognitoError { .init("InvalidParameterException", message) }
    public static func resourceNotFound(_ message: String) -> CognitoError { .init("ResourceNotFoundException", message) }
    public static func notAuthorized(_ message: String) -> CognitoError { .init("NotAuthorizedException", message) }
    public static func serialization(_ message: String) -> CognitoError { .init("SerializationException", message) }
    public static func unknownOperation(_ message: String) -> CognitoError { .init("UnknownOperationException", message) }
    public static func limitExceeded(_ message: String) -> CognitoError { .init("LimitExceededException", message) }
    public static func scopeDoesNotExist(_ message: String) -> CognitoError { .init("ScopeDoesNotExistException", message) }
    public static func invalidOAuthFlow(_ message: String) -> CognitoError { .init("InvalidOAuthFlowException", message) }
    public static func tooManyRequests(_ message: String) -> CognitoError { .init("TooManyRequestsException", message) }
    public static func managedLoginBrandingExists(_ message: String) -> CognitoError { .init("ManagedLoginBrandingExistsException", message) }
    /// A trigger's failure as Cognito reports its Lambda's.
    public static func trigger(_ error: TriggerError) -> CognitoError { .init(error.exception, error.message) }
    public static let internalError = CognitoError("InternalErrorException", "Internal error.", status: 500)
    /// The database does not answer: Cognito's internal error type, with 503 so that SDKs
    /// (botocore retries 500–504) and operators tell "try again" from a fault.
    public static let unavailable = CognitoError("InternalErrorException", "The service is temporarily unavailable; try again.", status: 503)
}
