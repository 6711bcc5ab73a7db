import Foundation

extension HostedPagesController {
    /// Templates/login.leaf: the sign-in form of a stored authorization request.
    struct LoginContext: Encodable {
        static let template = "login"
        /// The page's title, "Sign in".
        var title: PageText = "login.title"
        /// Where the form posts: `{base}/login`.
        var action: String
        /// The CSRF token, sent back as the hidden field `_csrf`.
        var csrf: String
        /// Hidden fields to send back (the request's id).
        var hidden: [Hidden]
        /// The name typed before, shown again after a refusal; "" at first.
        var username: String
        /// Why the last attempt was refused ("Incorrect username or password."), or nil.
        var error: PageText?
        /// A note above the form ("Your password has been reset. Sign in with the new one."), or nil.
        var notice: PageText?
        /// The forgot-password page of this request.
        var forgotLink: String
        /// The sign-up page of this request; nil where only administrators create accounts.
        var signUpLink: String?
        /// Whether the user name and password form is shown: the client allows the pool's own
        /// users (COGNITO in its SupportedIdentityProviders).
        var passwordForm: Bool
        /// Whether the work-address field is shown: a provider the client allows has identifiers
        /// (email domains); the address typed there (`corporate_email`) picks the provider.
        var domainField: Bool
        /// A button per outside provider the client allows ("Corp", "Google"), each a link that
        /// starts this sign-in again at that provider; empty when there are none.
        var providers: [ProviderButton]
        /// The "Sign in with a passkey" form, where the pool offers passkeys (WEB_AUTHN) and the
        /// client takes the pool's users: `options` (JSON for `navigator.credentials.get`) and
        /// `ticket` (its challenge, sealed, sent back as `passkey_ticket`); nil otherwise.
        var passkey: PasskeyForm?
        /// Whether the password form has "Email me a code" (the pool allows EMAIL_OTP first): it
        /// sends the name typed with `email_code`, and the code page follows.
        var emailCode = false
    }

    struct PasskeyForm: Encodable {
        var options: String
        var ticket: String
    }

    struct ProviderButton: Encodable {
        /// The provider's name, as configured.
        var name: String
        /// The button's text: "Sign in with <name>" (`login.provider`).
        var label: PageText
        /// `{base}/oauth2/authorize?…&identity_provider=<name>`: the same request, at that provider.
        var link: String
    }
}
