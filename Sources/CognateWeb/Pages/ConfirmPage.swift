import Foundation

extension AccountPagesController {
    /// Templates/confirm.leaf: the code sent at sign-up (and "send a new code").
    struct ConfirmContext: Encodable {
        static let template = "confirm"
        /// The page's title.
        var title: PageText = "confirm.title"
        /// Where the form posts: `{base}/confirmUser`.
        var action: String
        /// The CSRF token, sent back as `_csrf`.
        var csrf: String
        /// Hidden fields to send back (the request's id).
        var hidden: [Hidden]
        /// The account's sign-in name, sent back as `username`.
        var username: String
        /// Where the code went ("We sent a code by email to a***@e***."), or nil.
        var notice: PageText?
        /// Why the last code was refused, or nil.
        var error: PageText?
        /// Back to the sign-in page of this request.
        var loginLink: String
    }
}
