/// An API a pool issues access tokens for; its scopes are requested as `identifier/scope`.
public struct ResourceServer: Sendable, Equatable, Codable {
    public struct Scope: Sendable, Equatable, Codable {
        public var name: String
        public var description: String

        public init(name: String, description: String) {
            self.name = name
            self.description = description
        }
    }

    public var poolId: String
    public var identifier: String
    public var name: String
    public var scopes: [Scope]

    public init(poolId: String, identifier: String, name: String, scopes: [Scope] = []) {
        self.poolId = poolId
        self.identifier = identifier
        self.name = name
        self.scopes = scopes
    }

    public var qualifiedScopes: [String] { scopes.map { "\(identifier)/\($0.name)" } }
}
