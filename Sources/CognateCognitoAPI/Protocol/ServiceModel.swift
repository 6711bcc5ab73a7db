import Foundation

/// The request half of one of Cognito's service models (Resources/cognito-idp-model.json and
/// cognito-identity-model.json, made from botocore's by scripts/gen_cognito_model.py): which
/// operations exist, which need a signature, and the shapes and constraints of their inputs.
public struct ServiceModel: Sendable {
    public struct Operation: Sendable {
        public let name: String
        public let input: String?
        public let requiresSignature: Bool
    }

    struct Shape: Sendable, Decodable {
        var type: String
        var min: Double?
        var max: Double?
        var pattern: String?
        var `enum`: [String]?
        var required: [String]?
        var sensitive: Bool?
        var members: [String: String]?
        var member: String?
        var key: String?
        var value: String?

        init(type: String, min: Double? = nil, max: Double? = nil) {
            self.type = type
            self.min = min
            self.max = max
        }
    }

    private struct Document: Decodable {
        struct Operation: Decodable {
            var auth: String
            var input: String?
        }

        var targetPrefix: String
        var operations: [String: Operation]
        var shapes: [String: Shape]
    }

    public let targetPrefix: String
    public let operations: [String: Operation]
    /// What a broken constraint is answered with: the Identity Provider API says
    /// InvalidParameterException, the Identity API ValidationException.
    public let validationException: String
    let shapes: [String: Shape]

    /// Where Cognito's service accepts more than its published model says: custom domains are
    /// full host names, but the model's DomainType pattern allows no dots.
    static let overrides: [String: (pattern: String, max: Double)] = [
        "DomainType": ("^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$", 253),
    ]
    static let triggerTarget = "CognateTriggerTargetType"
    /// Patterns compiled once, anchored: AWS checks the whole value.
    let patterns: [String: NSRegularExpression]

    public static let cognito = bundled("cognito-idp-model", validationException: "InvalidParameterException")
    public static let identity = bundled("cognito-identity-model", validationException: "ValidationException")

    static func bundled(_ name: String, validationException: String) -> ServiceModel {
        guard let url = Bundle.module.url(forResource: name, withExtension: "json"),
            let data = try? Data(contentsOf: url), let model = try? ServiceModel(json: data, validationException: validationException)
        else { preconditionFailure("the bundled \(name).json is missing or unreadable") }
        return model
    }

    init(json: Data, validationException: String = "InvalidParameterException") throws {
        let document = try JSONDecoder().decode(Document.self, from: json)
        self.validationException = validationException
        targetPrefix = document.targetPrefix
        var shapes = document.shapes
        for (name, override) in Self.overrides { shapes[name]?.pattern = override.pattern; shapes[name]?.max = override.max }
        // a trigger may name an https:// URL as well as a Lambda ARN: its members get a shape without the ARN pattern
        shapes[Self.triggerTarget] = Shape(type: "string", min: 1, max: 2048)
        for name in ["LambdaConfigType", "PreTokenGenerationVersionConfigType", "CustomSMSLambdaVersionConfigType",
                     "CustomEmailLambdaVersionConfigType", "InboundFederationLambdaType"] {
            for (member, shape) in shapes[name]?.members ?? [:] where shape == "ArnType" && member != "KMSKeyID" {
                shapes[name]?.members?[member] = Self.triggerTarget
            }
        }
        self.shapes = shapes
        operations = Dictionary(uniqueKeysWithValues: document.operations.map { name, op in
            (name, Operation(name: name, input: op.input, requiresSignature: op.auth != "none"))
        })
        var compiled: [String: NSRegularExpression] = [:]
        for pattern in Set(shapes.values.compactMap(\.pattern)) {
            compiled[pattern] = try NSRegularExpression(pattern: "^(?:\(pattern))$", options: [.dotMatchesLineSeparators])
        }
        patterns = compiled
    }
}
