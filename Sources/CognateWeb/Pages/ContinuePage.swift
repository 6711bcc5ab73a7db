import Foundation

extension HostedPagesController {
    /// Templates/continue.leaf: a provider that answers by form_post (Sign in with Apple) posts
    /// from its own site, so the browser leaves out the cookie that binds the sign-in to it
    /// (SameSite=Lax); this page posts the same answer again from here, where it is sent
    /// (at once where scripts run, with the button otherwise).
    struct ContinueContext: Encodable {
        static let template = "continue"
        /// The page's title, "Signing in".
        var title: PageText = "continue.title"
        /// Where the form posts: this same /oauth2/idpresponse.
        var action: String
        /// The provider's answer, sent back as it came.
        var fields: [Hidden]
    }
}
