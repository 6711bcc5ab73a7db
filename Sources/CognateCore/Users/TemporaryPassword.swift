import CognateModel

extension PasswordPolicy {
    /// A temporary password that satisfies this policy: at least 12 characters (or the minimum
    /// length when longer), one of every required class, drawn from the random source.
    public func temporaryPassword(random: any RandomSource = SystemRandomSource()) -> String {
        let lower = "abcdefghijkmnopqrstuvwxyz", upper = "ABCDEFGHJKLMNPQRSTUVWXYZ", digits = "23456789", symbols = "^$*.[]{}()?!@#%&/,><:;|_~=+-"
        var characters: [Character] = []
        if requireLowercase { characters += random.string(count: 1, alphabet: lower) }
        if requireUppercase { characters += random.string(count: 1, alphabet: upper) }
        if requireNumbers { characters += random.string(count: 1, alphabet: digits) }
        if requireSymbols { characters += random.string(count: 1, alphabet: symbols) }
        let length = max(minimumLength, 12)
        characters += random.string(count: length - characters.count, alphabet: lower + upper + digits)
        // Shuffle with the same source, so the required characters are not always first.
        for index in stride(from: characters.count - 1, to: 0, by: -1) {
            let bytes = random.bytes(2)
            let other = (Int(bytes[0]) << 8 | Int(bytes[1])) % (index + 1)
            characters.swapAt(index, other)
        }
        return String(characters)
    }
}
