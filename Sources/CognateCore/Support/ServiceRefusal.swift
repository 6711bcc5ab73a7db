import Foundation

/// A refusal Core words as Cognito does: the exception's name (`type`) and its message. The
/// API answers it as it is (`{"__type": type, "message": message}`); the identity pools' service
/// and the import jobs throw it.
public struct ServiceRefusal: Error, Equatable, CustomStringConvertible {
    public var type: String
    public var message: String

    public init(_ type: String, _ message: String) {
        self.type = type
        self.message = message
    }

    public var description: String { "\(type): \(message)" }

    static func notAuthorized(_ message: String) -> Self { .init("NotAuthorizedException", message) }
    static func notFound(_ message: String) -> Self { .init("ResourceNotFoundException", message) }
    static func invalidParameter(_ message: String) -> Self { .init("InvalidParameterException", message) }
    static func conflict(_ message: String) -> Self { .init("ResourceConflictException", message) }
    static func preconditionNotMet(_ message: String) -> Self { .init("PreconditionNotMetException", message) }
}
