import CognateCore
import Testing

/// The gateway's browser mode goes back only to a path on the app's own host.
@Suite struct GatewayTests {
    @Test func returnPathsStayOnTheAppsHost() {
        #expect(GatewayCheck.returnPath("/site/index.html?tab=2") == "/site/index.html?tab=2")
        for foreign in ["//evil.example/x", "/\\evil.example", "https://evil.example/", "evil", "", nil, "/a\r\nSet-Cookie: x=1",
                        "/" + String(repeating: "a", count: 3000)] as [String?] {
            #expect(GatewayCheck.returnPath(foreign) == "/", "\(String(describing: foreign))")
        }
    }
}
