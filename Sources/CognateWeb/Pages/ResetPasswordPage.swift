import Foundation

extension AccountPagesController {
    /// Templates/reset-password.leaf: the reset code and a new password.
    struct ResetContext: Encodable {
        static let template = "reset-password"
        /// The page's title.
        var title: PageText = "reset.title"
        /// Where the form posts: `{base}/confirmForgotPassword`.
        var action: String
        /// The CSRF token, sent back as `_csrf`.
        var csrf: String
        /// Hidden fields to send back (the request's id).
        var hidden: [Hidden]
        /// The account's sign-in name, sent back as `username`.
        var username: String
        /// The pool's password rules, one line each.
        var rules: [PageText]
        /// Where the code went, or nil.
        var notice: PageText?
        /// Why the last try was refused, or nil.
        var error: PageText?
        /// Back to the sign-in page of this request.
        var loginLink: String
    }
}
