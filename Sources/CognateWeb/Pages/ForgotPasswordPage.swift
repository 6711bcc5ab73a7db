import Foundation

extension AccountPagesController {
    /// Templates/forgot-password.leaf: ask for a reset code.
    struct ForgotContext: Encodable {
        static let template = "forgot-password"
        /// The page's title.
        var title: PageText = "forgot.title"
        /// Where the form posts: `{base}/forgotPassword`.
        var action: String
        /// The CSRF token, sent back as `_csrf`.
        var csrf: String
        /// Hidden fields to send back (the request's id).
        var hidden: [Hidden]
        /// The name typed before, or "".
        var username: String
        /// The name field's label ("Username", "Email").
        var usernameLabel: PageText
        /// Why the last try was refused, or nil.
        var error: PageText?
        /// Back to the sign-in page of this request.
        var loginLink: String
    }
}
