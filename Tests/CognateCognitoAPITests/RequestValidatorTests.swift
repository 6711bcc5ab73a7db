import CognateCore
@testable import CognateCognitoAPI
import Foundation
import Testing

@Suite struct RequestValidatorTests {
    let validator = RequestValidator(model: .cognito)

    func error(_ json: String, _ shape: String) -> CognitoError? {
        do {
            try validator.validate(try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8)), shape: shape)
            return nil
        } catch {
            return error as? CognitoError
        }
    }

    @Test func theModelHasEveryCognitoOperationAndItsAuth() {
        let model = ServiceModel.cognito
        #expect(model.targetPrefix == "AWSCognitoIdentityProviderService")
        #expect(model.operations.count >= 100)
        #expect(model.operations["AdminCreateUser"]?.requiresSignature == true)
        #expect(model.operations["InitiateAuth"]?.requiresSignature == false)
        #expect(model.operations["SignUp"]?.requiresSignature == false)
        for name in CognitoAPI.implementedOperations { #expect(model.operations[name] != nil, "\(name) is not in the model") }
        for name in CognitoAPI.implementedIdentityOperations {
            #expect(ServiceModel.identity.operations[name] != nil, "\(name) is not in the Identity API's model")
        }
    }

    @Test func validRequestPasses() {
        #expect(error(#"{"PoolName": "shop", "Policies": {"PasswordPolicy": {"MinimumLength": 12}}}"#, "CreateUserPoolRequest") == nil)
    }

    @Test func missingRequiredMemberIsNamedInAWSWords() {
        let failure = error(#"{}"#, "CreateUserPoolRequest")
        #expect(failure?.type == "InvalidParameterException")
        #expect(failure?.message == "1 validation error detected: Value null at 'poolName' failed to satisfy constraint: Member must not be null")
    }

    @Test func everyViolationIsCounted() {
        let failure = error(#"{"UserPoolId": "bad id", "MaxResults": 0}"#, "ListUserPoolClientsRequest")
        #expect(failure?.message.hasPrefix("2 validation errors detected: ") == true)
        #expect(failure?.message.contains("Value 'bad id' at 'userPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern") == true)
        #expect(failure?.message.contains("at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1") == true)
    }

    @Test func lengthEnumAndNestedMembersAreChecked() {
        let long = String(repeating: "a", count: 129)
        #expect(error(#"{"PoolName": "\#(long)"}"#, "CreateUserPoolRequest")?.message.contains("length less than or equal to 128") == true)
        #expect(error(#"{"PoolName": "p", "MfaConfiguration": "SOMETIMES"}"#, "CreateUserPoolRequest")?.message
            .contains("Member must satisfy enum value set: [OFF, ON, OPTIONAL]") == true)
        #expect(error(#"{"PoolName": "p", "Policies": {"PasswordPolicy": {"MinimumLength": 5}}}"#, "CreateUserPoolRequest")?.message
            .contains("'policies.passwordPolicy.minimumLength'") == true)
    }

    @Test func sensitiveValuesAreNotEchoed() {
        let failure = error(#"{"ClientId": "abc", "Username": "u", "Password": ""}"#, "SignUpRequest")
        #expect(failure?.type == "InvalidParameterException")
        #expect(failure?.message.contains("Value at 'password'") == true)
    }

    @Test(arguments: [#"{"PoolName": 12}"#, #"{"PoolName": "p", "AliasAttributes": "email"}"#,
                      #"{"PoolName": "p", "Policies": {"PasswordPolicy": {"RequireNumbers": "yes"}}}"#, #"["PoolName"]"#])
    func wrongTypeIsASerializationError(_ json: String) {
        #expect(error(json, "CreateUserPoolRequest")?.type == "SerializationException")
    }
}
