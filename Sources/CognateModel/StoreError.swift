/// What a store can say went wrong, independent of the database behind it.
public enum StoreError: Error, Sendable, Equatable {
    /// The record asked for does not exist.
    case notFound(String)
    /// A unique rule would be broken (`what` names it: "user name", "alias", "client id"…).
    case duplicate(String)
    /// The database could not be reached or answered with an error.
    case unavailable(String)
}

extension StoreError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .notFound(let what): "\(what) not found"
        case .duplicate(let what): "\(what) already exists"
        case .unavailable(let reason): "database unavailable: \(reason)"
        }
    }
}
