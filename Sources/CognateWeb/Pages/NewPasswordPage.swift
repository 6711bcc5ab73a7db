import Foundation

extension HostedPagesController {
    /// Templates/new-password.leaf: a user signed in with a temporary password chooses a new one.
    struct NewPasswordContext: Encodable {
        static let template = "new-password"
        /// The page's title.
        var title: PageText = "newPassword.title"
        /// Where the form posts: `{base}/forceChangePassword`.
        var action: String
        /// The CSRF token, sent back as `_csrf`.
        var csrf: String
        /// The NEW_PASSWORD_REQUIRED session (sealed), sent back as `challenge`.
        var challenge: String
        /// Hidden fields to send back (the request's id).
        var hidden: [Hidden]
        /// The pool's password rules, one line each ("At least 8 characters").
        var rules: [PageText]
        /// Why the last try was refused, or nil.
        var error: PageText?
    }
}
