import CognateCore
import CognateModel
import Foundation

/// Cognito's DeviceType: the key, attributes (`device_status`, `device_name`,
/// `dev:device_remembered_status`, `last_ip_used`) and dates.
struct DeviceType: Encodable, Sendable {
    var DeviceKey: String
    var DeviceAttributes: [AttributeType]
    var DeviceCreateDate: Date
    var DeviceLastModifiedDate: Date
    var DeviceLastAuthenticatedDate: Date?

    init(_ device: Device) {
        DeviceKey = device.key
        var attributes = [AttributeType(Name: "device_status", Value: "valid"),
                          AttributeType(Name: "dev:device_remembered_status", Value: device.remembered ? "remembered" : "not_remembered")]
        if let name = device.name { attributes.append(AttributeType(Name: "device_name", Value: name)) }
        if let address = device.lastIP { attributes.append(AttributeType(Name: "last_ip_used", Value: address)) }
        DeviceAttributes = attributes
        DeviceCreateDate = device.createdAt
        DeviceLastModifiedDate = device.updatedAt
        DeviceLastAuthenticatedDate = device.lastAuthenticatedAt
    }
}

/// GetDevice's and AdminGetDevice's answer.
struct DeviceOutput: Encodable, Sendable {
    var Device: DeviceType
}

/// ListDevices' and AdminListDevices' answer.
struct DevicesOutput: Encodable, Sendable {
    var Devices: [DeviceType]
    var PaginationToken: String?
}

struct DeviceSecretVerifierConfigType: Decodable, Sendable {
    var PasswordVerifier: String?
    var Salt: String?
}

extension APIContext {
    /// The signed-in user of an access token, its pool, and the device the token names, if any.
    func deviceCaller(_ token: String) async throws -> (User, UserPool, String?) {
        let (user, claims) = try await accessTokenCaller(token)
        return (user, try await existingPool(user.poolId), claims["device_key"]?.string)
    }

    func devicesPage(of user: User, pool: UserPool, limit: Int?, token: String?) async throws -> (devices: [DeviceType], next: String?) {
        let page = try await signIn.devices(of: user, pool: pool, limit: min(max(limit ?? 60, 1), 60), after: token)
        return (page.items.map(DeviceType.init), page.next)
    }
}

/// Registers the SRP verifier of a device a sign-in handed out (NewDeviceMetadata).
struct ConfirmDevice: APIOperation {
    struct Input: Decodable, Sendable {
        var AccessToken: String
        var DeviceKey: String
        var DeviceSecretVerifierConfig: DeviceSecretVerifierConfigType?
        var DeviceName: String?
    }

    struct Output: Encodable, Sendable {
        var UserConfirmationNecessary: Bool
    }

    static let name = "ConfirmDevice"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        let (user, pool, tokenDevice) = try await context.deviceCaller(input.AccessToken)
        if let tokenDevice, tokenDevice != input.DeviceKey {
            throw CognitoError.notAuthorized("The access token was issued for another device.")
        }
        guard let verifier = input.DeviceSecretVerifierConfig?.PasswordVerifier, let salt = input.DeviceSecretVerifierConfig?.Salt else {
            throw CognitoError.invalidParameter("DeviceSecretVerifierConfig needs PasswordVerifier and Salt.")
        }
        let necessary = try await context.signIn.confirmDevice(user: user, pool: pool, deviceKey: input.DeviceKey, verifier: verifier, salt: salt,
                                                               name: input.DeviceName, address: nil)
        return Output(UserConfirmationNecessary: necessary)
    }
}

struct GetDevice: APIOperation {
    struct Input: Decodable, Sendable {
        var DeviceKey: String
        var AccessToken: String
    }

    typealias Output = DeviceOutput

    static let name = "GetDevice"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        let (user, pool, _) = try await context.deviceCaller(input.AccessToken)
        return Output(Device: DeviceType(try await context.signIn.device(of: user, pool: pool, key: input.DeviceKey)))
    }
}

struct ListDevices: APIOperation {
    struct Input: Decodable, Sendable {
        var AccessToken: String
        var Limit: Int?
        var PaginationToken: String?
    }

    typealias Output = DevicesOutput

    static let name = "ListDevices"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        let (user, pool, _) = try await context.deviceCaller(input.AccessToken)
        let page = try await context.devicesPage(of: user, pool: pool, limit: input.Limit, token: input.PaginationToken)
        return Output(Devices: page.devices, PaginationToken: page.next)
    }
}

struct UpdateDeviceStatus: APIOperation {
    struct Input: Decodable, Sendable {
        var AccessToken: String
        var DeviceKey: String
        var DeviceRememberedStatus: String?
    }

    static let name = "UpdateDeviceStatus"

    static func run(_ input: Input, _ context: APIContext) async throws -> EmptyOutput {
        let (user, pool, _) = try await context.deviceCaller(input.AccessToken)
        try await context.signIn.setDeviceRemembered(input.DeviceRememberedStatus == "remembered", user: user, pool: pool, deviceKey: input.DeviceKey)
        return EmptyOutput()
    }
}

struct ForgetDevice: APIOperation {
    struct Input: Decodable, Sendable {
        var AccessToken: String?
        var DeviceKey: String
    }

    static let name = "ForgetDevice"

    static func run(_ input: Input, _ context: APIContext) async throws -> EmptyOutput {
        guard let token = input.AccessToken else { throw CognitoError.notAuthorized("Missing access token.") }
        let (user, pool, _) = try await context.deviceCaller(token)
        try await context.signIn.forgetDevice(user: user, pool: pool, key: input.DeviceKey)
        return EmptyOutput()
    }
}

struct AdminGetDevice: APIOperation {
    struct Input: Decodable, Sendable {
        var DeviceKey: String
        var UserPoolId: String
        var Username: String
    }

    typealias Output = DeviceOutput

    static let name = "AdminGetDevice"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        let pool = try await context.existingPool(input.UserPoolId)
        let user = try await context.existingUser(pool, input.Username)
        return Output(Device: DeviceType(try await context.signIn.device(of: user, pool: pool, key: input.DeviceKey)))
    }
}

struct AdminListDevices: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var Username: String
        var Limit: Int?
        var PaginationToken: String?
    }

    typealias Output = DevicesOutput

    static let name = "AdminListDevices"

    static func run(_ input: Input, _ context: APIContext) async throws -> Output {
        let pool = try await context.existingPool(input.UserPoolId)
        let user = try await context.existingUser(pool, input.Username)
        let page = try await context.devicesPage(of: user, pool: pool, limit: input.Limit, token: input.PaginationToken)
        return Output(Devices: page.devices, PaginationToken: page.next)
    }
}

struct AdminUpdateDeviceStatus: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var Username: String
        var DeviceKey: String
        var DeviceRememberedStatus: String?
    }

    static let name = "AdminUpdateDeviceStatus"

    static func run(_ input: Input, _ context: APIContext) async throws -> EmptyOutput {
        let pool = try await context.existingPool(input.UserPoolId)
        let user = try await context.existingUser(pool, input.Username)
        try await context.signIn.setDeviceRemembered(input.DeviceRememberedStatus == "remembered", user: user, pool: pool, deviceKey: input.DeviceKey)
        return EmptyOutput()
    }
}

struct AdminForgetDevice: APIOperation {
    struct Input: Decodable, Sendable {
        var UserPoolId: String
        var Username: String
        var DeviceKey: String
    }

    static let name = "AdminForgetDevice"

    static func run(_ input: Input, _ context: APIContext) async throws -> EmptyOutput {
        let pool = try await context.existingPool(input.UserPoolId)
        let user = try await context.existingUser(pool, input.Username)
        try await context.signIn.forgetDevice(user: user, pool: pool, key: input.DeviceKey)
        return EmptyOutput()
    }
}
