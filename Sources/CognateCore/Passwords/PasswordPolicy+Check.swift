import CognateModel

extension PasswordPolicy {
    /// Why `password` breaks the policy, in Cognito's words; `nil` when it complies.
    public func problem(with password: String) -> String? {
        if password.count < minimumLength { return "Password not long enough: at least \(minimumLength) characters" }
        if password.count > 256 { return "Password too long: at most 256 characters" }
        if requireUppercase && !password.contains(where: \.isUppercase) { return "Password must have uppercase characters" }
        if requireLowercase && !password.contains(where: \.isLowercase) { return "Password must have lowercase characters" }
        if requireNumbers && !password.contains(where: { $0.isASCII && $0.isNumber }) { return "Password must have numeric characters" }
        if requireSymbols && !password.contains(where: { Self.symbols.contains($0) }) { return "Password must have symbol characters" }
        return nil
    }

    /// Cognito's accepted symbols: ^ $ * . [ ] { } ( ) ? " ! @ # % & / \ , > < ' : ; | _ ~ ` = + - and space.
    static let symbols = Set("^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ")
}
