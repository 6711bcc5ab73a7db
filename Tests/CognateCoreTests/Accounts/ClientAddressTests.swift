import CognateCore
import Foundation
import Testing

@Suite struct ClientAddressTests {
    let proxies = TrustedProxies(parsing: "10.0.0.0/8, 127.0.0.1, fd00::/8")!

    @Test func anUntrustedPeerIsTheClientWhateverItForwards() {
        #expect(proxies.client(peer: "203.0.113.9", forwardedFor: ["198.51.100.1"]) == "203.0.113.9")
        #expect(TrustedProxies([]).client(peer: "127.0.0.1", forwardedFor: ["198.51.100.1"]) == "127.0.0.1")
    }

    @Test func behindTrustedProxiesTheRightmostUntrustedHopIsTheClient() {
        // the client wrote the first hop itself; the proxy appended the address it saw
        #expect(proxies.client(peer: "127.0.0.1", forwardedFor: ["198.51.100.1, 203.0.113.9"]) == "203.0.113.9")
        // two proxies, the header split over two lines
        #expect(proxies.client(peer: "10.1.2.3", forwardedFor: ["198.51.100.1, 203.0.113.9", "10.9.9.9"]) == "203.0.113.9")
        // a hop that is not an address ends the chain rather than being skipped
        #expect(proxies.client(peer: "127.0.0.1", forwardedFor: ["203.0.113.9, unknown"]) == "unknown")
        // only proxies: the first hop; no header: the peer
        #expect(proxies.client(peer: "127.0.0.1", forwardedFor: ["10.0.0.1"]) == "10.0.0.1")
        #expect(proxies.client(peer: "127.0.0.1", forwardedFor: []) == "127.0.0.1")
        #expect(proxies.client(peer: "fd12::1", forwardedFor: ["2001:db8::7"]) == "2001:db8::7")
    }

    @Test func blocksMatchByPrefix() {
        #expect(proxies.trusts("10.255.0.1") && !proxies.trusts("11.0.0.1"))
        #expect(proxies.trusts("::ffff:10.1.1.1"), "an IPv4-mapped address is its IPv4 form")
        #expect(proxies.trusts("fdab::1") && !proxies.trusts("fe80::1"))
        #expect(TrustedProxies(parsing: "192.168.1.128/25")!.trusts("192.168.1.200"))
        #expect(!TrustedProxies(parsing: "192.168.1.128/25")!.trusts("192.168.1.100"))
        #expect(TrustedProxies(parsing: "0.0.0.0/0")!.trusts("8.8.8.8"))
    }

    @Test func badListsAreRefused() {
        for bad in ["10.0.0.0/33", "10.0.0/8", "example.com", "::1/129", "10.0.0.0/-1", "10.0.0.0/8/9"] {
            #expect(TrustedProxies(parsing: bad) == nil, "\(bad)")
        }
        #expect(TrustedProxies(parsing: "")?.networks.isEmpty == true)
    }

    @Test func ipv6AddressesAreCountedPerSlash64() {
        #expect(IPAddress.limitKey("2001:db8:1:2:aaaa::1") == IPAddress.limitKey("2001:db8:1:2:bbbb::9"))
        #expect(IPAddress.limitKey("2001:db8:1:2::1") != IPAddress.limitKey("2001:db8:1:3::1"))
        #expect(IPAddress.limitKey("2001:db8:1:2::1") == "2001:db8:1:2::/64")
        #expect(IPAddress.limitKey("203.0.113.9") == "203.0.113.9")
        #expect(IPAddress.limitKey("::ffff:203.0.113.9") == "203.0.113.9")
        #expect(IPAddress.limitKey("nonsense") == nil)
    }
}
