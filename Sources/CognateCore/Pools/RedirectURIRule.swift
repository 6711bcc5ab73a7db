import Foundation

/// Which callback and sign-out URLs a client may register, as Cognito: https; http only on
/// loopback (localhost, 127.0.0.1, [::1]); custom schemes for native apps; never a fragment
/// (RFC 6749 §3.1.2).
public enum RedirectURIRule {
    public static func problem(with value: String) -> String? {
        guard value.count <= 1024, let components = URLComponents(string: value),
            let scheme = components.scheme?.lowercased(), !scheme.isEmpty
        else { return "must be an absolute URL" }
        if components.fragment != nil { return "must not contain a fragment" }
        switch scheme {
        case "https":
            return (components.host ?? "").isEmpty ? "must name a host" : nil
        case "http":
            let host = (components.host ?? "").lowercased()
            return ["localhost", "127.0.0.1", "[::1]", "::1"].contains(host)
                ? nil : "http is allowed only for localhost, 127.0.0.1 and [::1]; use https"
        case "javascript", "data", "file", "vbscript":
            return "scheme \(scheme) is not allowed"
        default:
            return nil
        }
    }
}
