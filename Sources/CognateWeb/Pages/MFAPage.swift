import Foundation

extension MFAPagesController {
    /// One factor offered on the SELECT_MFA_TYPE page.
    struct Choice: Encodable {
        /// The challenge name sent back as `answer` (SOFTWARE_TOKEN_MFA, EMAIL_OTP, SMS_MFA).
        var value: String
        /// What the person reads ("A code from my authenticator app").
        var label: PageText
    }

    /// Templates/mfa.leaf: the second step: a code (authenticator, email, text message), the
    /// choice between factors, or setting up an authenticator.
    struct MFAContext: Encodable {
        static let template = "mfa"
        /// The page's title.
        var title: PageText
        /// Its heading ("Confirm it is you", "Set up your authenticator app").
        var heading: PageText
        /// What to do, or nil.
        var instructions: PageText?
        /// Why the last code was refused, or nil.
        var error: PageText?
        /// MFA_SETUP: the otpauth URI as an SVG QR code (markup drawn on the server), else nil.
        var qr: String?
        /// MFA_SETUP: the key in groups of four, to type into an app, else nil.
        var secret: String?
        /// MFA_SETUP: the same otpauth:// URI as a link, for a person on the device that holds
        /// the authenticator app (who cannot scan their own screen), else nil.
        var setupLink: String?
        /// Where the form posts: `{base}/mfa`.
        var action: String
        /// The CSRF token, sent back as `_csrf`.
        var csrf: String
        /// The challenge answered (SOFTWARE_TOKEN_MFA, EMAIL_OTP, SMS_MFA, SELECT_MFA_TYPE, MFA_SETUP), sent back as `challenge`.
        var challenge: String
        /// The challenge's session (sealed), sent back as `session`.
        var session: String
        /// Hidden fields to send back (the request's id).
        var hidden: [HostedPagesController.Hidden]
        /// The challenge's parameters the page needs again after a wrong code (where a code went).
        var challengeParameters: [HostedPagesController.Hidden]
        /// SELECT_MFA_TYPE: the factors to choose from; empty otherwise.
        var choices: [Choice]
        /// The code field's label ("Authenticator code").
        var codeLabel: PageText
        /// The button's text ("Sign in", "Verify and sign in").
        var button: PageText
    }
}
