import Foundation

/// A device a user signs in from, as Cognito remembers them (the pool's DeviceConfiguration):
/// made when a sign-in hands out NewDeviceMetadata, confirmed when the app registers the
/// device's SRP verifier (ConfirmDevice), remembered or not; a confirmed device signs in with
/// DEVICE_SRP_AUTH, and a remembered one skips the second factor.
public struct Device: Sendable, Equatable, Codable {
    /// `<region>_<uuid>`, as Cognito's DeviceKey.
    public var key: String
    public var poolId: String
    public var userSub: UUID
    /// Mixed into the device's SRP secret with its key (Cognito's DeviceGroupKey).
    public var groupKey: String
    public var name: String?
    /// The SRP salt and verifier the app registered, sealed with the master key; nil until ConfirmDevice.
    public var sealedVerifier: Data?
    public var remembered: Bool
    public var lastIP: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var lastAuthenticatedAt: Date?

    public var isConfirmed: Bool { sealedVerifier != nil }

    public init(key: String, poolId: String, userSub: UUID, groupKey: String, createdAt: Date) {
        self.key = key
        self.poolId = poolId
        self.userSub = userSub
        self.groupKey = groupKey
        self.remembered = false
        self.createdAt = createdAt
        self.updatedAt = createdAt
    }
}

public protocol DeviceStore: Sendable {
    /// `StoreError.notFound` when the user is not there.
    func createDevice(_ device: Device) async throws
    func device(poolId: String, key: String) async throws -> Device?
    /// Reads, changes and writes the device in one transaction (its key, pool and user stay).
    func updateDevice(poolId: String, key: String, _ change: @escaping @Sendable (inout Device) throws -> Void) async throws -> Device
    /// The user's confirmed devices (nil: every user's in the pool, for an export), by key, `limit` at most, starting after the cursor.
    func devices(poolId: String, userSub: UUID?, limit: Int, after cursor: String?) async throws -> ListPage<Device>
    /// `StoreError.notFound` for a device not there.
    func deleteDevice(poolId: String, key: String) async throws
}
