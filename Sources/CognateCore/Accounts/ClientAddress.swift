import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address as bytes (4 or 16); an IPv4-mapped IPv6 address is its IPv4 form.
public enum IPAddress {
    public static func bytes(_ text: String) -> [UInt8]? {
        var trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("["), let end = trimmed.firstIndex(of: "]") { trimmed = String(trimmed[trimmed.index(after: trimmed.startIndex)..<end]) }
        if let zone = trimmed.firstIndex(of: "%") { trimmed = String(trimmed[..<zone]) }
        var v4 = in_addr()
        if inet_pton(AF_INET, trimmed, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, trimmed, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes.prefix(10).allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF { return Array(bytes.suffix(4)) }
        return bytes
    }

    /// What rate limits count an address as: an IPv4 address itself, an IPv6 address's /64
    /// (one subscriber's allocation, which it can walk through at will).
    public static func limitKey(_ text: String) -> String? {
        guard let bytes = bytes(text) else { return nil }
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        let groups = stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
        return groups.joined(separator: ":") + "::/64"
    }
}

/// An address block (`10.0.0.0/8`, `fd00::/8`, or one address).
public struct IPNetwork: Sendable, Equatable {
    let bytes: [UInt8]
    let prefix: Int

    public init?(_ text: String) {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let bytes = IPAddress.bytes(String(parts[0])) else { return nil }
        let bits = bytes.count * 8
        // An IPv4-mapped block's prefix counts from the mapped part.
        let mapped = bytes.count == 4 && parts[0].contains(":")
        var prefix = bits
        if parts.count == 2 {
            guard let given = Int(parts[1]), given >= 0 else { return nil }
            prefix = mapped ? given - 96 : given
            guard (0...bits).contains(prefix) else { return nil }
        }
        self.bytes = bytes
        self.prefix = prefix
    }

    public func contains(_ address: [UInt8]) -> Bool {
        guard address.count == bytes.count else { return false }
        var remaining = prefix
        for index in bytes.indices where remaining > 0 {
            let take = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - take))
            if address[index] & mask != bytes[index] & mask { return false }
            remaining -= take
        }
        return true
    }
}

/// The proxies whose X-Forwarded-For Cognate believes (COGNATE_TRUSTED_PROXIES). The client is
/// the connection's peer, unless that peer is a trusted proxy: then it is the rightmost hop of
/// X-Forwarded-For that is not itself a trusted proxy, so a client cannot choose its address by
/// sending the header itself.
public struct TrustedProxies: Sendable, Equatable {
    public let networks: [IPNetwork]

    public init(_ networks: [IPNetwork]) {
        self.networks = networks
    }

    /// A comma-separated list of addresses and CIDR blocks; nil if any entry is not one.
    public init?(parsing text: String) {
        var networks: [IPNetwork] = []
        for entry in text.split(separator: ",") where !entry.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let network = IPNetwork(String(entry)) else { return nil }
            networks.append(network)
        }
        self.networks = networks
    }

    public func trusts(_ address: String) -> Bool {
        guard let bytes = IPAddress.bytes(address) else { return false }
        return networks.contains { $0.contains(bytes) }
    }

    /// The client's address, given the peer and the X-Forwarded-For header values in order.
    public func client(peer: String?, forwardedFor: [String]) -> String? {
        guard let peer, trusts(peer) else { return peer }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        // A hop that is not an address ("unknown", garbage) is not trusted: it ends the chain.
        return hops.last { !trusts($0) } ?? hops.first ?? peer
    }
}
