import Foundation

extension PasskeyPagesController {
    /// Templates/passkeys.leaf: a signed-in person's passkeys.
    struct PasskeysContext: Encodable {
        static let template = "passkeys"
        /// The page's title, "Passkeys".
        var title: PageText = "passkeys.title"
        /// Where the forms post: `{base}/passkeys`.
        var action: String
        /// The CSRF token, sent back as `_csrf`.
        var csrf: String
        /// The person's passkeys, each with its `id`, `name` ("Passkey added 2026-12-07") and the remove button's `removeLabel`.
        var passkeys: [PasskeyItem]
        /// The options for `navigator.credentials.create` (JSON), or nil where no passkey can be added (the pool offers none, or 20 are there).
        var options: String?
        /// What was just done ("Passkey added."), or nil.
        var notice: PageText?
        /// Why the last change was refused, or nil.
        var error: PageText?
    }

    /// Templates/passkey-offer.leaf: after a password sign-in, the offer to add a passkey.
    struct PasskeyOfferContext: Encodable {
        static let template = "passkey-offer"
        /// The page's title, "Sign in faster next time".
        var title: PageText = "passkeys.offerTitle"
        /// Where the add form posts: `{base}/passkeys`.
        var action: String
        /// The CSRF token, sent back as `_csrf`.
        var csrf: String
        /// The options for `navigator.credentials.create` (JSON).
        var options: String
        /// Where to go once the passkey is added (sealed), sent back as `continue`.
        var continuation: String
        /// "Not now": on to the app.
        var skipLink: String
        /// Why the passkey was not added, or nil.
        var error: PageText?
    }

    struct PasskeyItem: Encodable {
        var id: String
        var name: String
        var removeLabel: PageText
    }
}
