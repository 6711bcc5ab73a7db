/// Pool ids are `<region>_<9 letters or digits>`, as Cognito's.
public enum PoolID {
    public static func isValid(_ id: String) -> Bool {
        // `{region}_{9 letters or digits}`, the region of lowercase letters, digits and dashes;
        // read as bytes, since every request to a pool's endpoints checks it
        var utf8 = Array(id.utf8)[...]
        guard let underscore = utf8.firstIndex(of: UInt8(ascii: "_")) else { return false }
        let region = utf8[..<underscore]
        utf8 = utf8[(underscore + 1)...]
        return (1...32).contains(region.count)
            && region.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == UInt8(ascii: "-") }
            && utf8.count == 9
            && utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x41...0x5A).contains($0) || (0x30...0x39).contains($0) }
    }
}
