import CognateModel
import Foundation

extension AccountPagesController {
    /// A field of the sign-up form: the sign-in name, then the attributes the pool needs.
    struct Field: Encodable {
        /// The form field's name: `username` or an attribute (`email`, `phone_number`, `custom:…`).
        var name: String
        /// Its label ("Email", "Phone number (+country code)").
        var label: PageText
        /// The input's type (`text`, `email`, `tel`).
        var type: String
        /// The input's autocomplete hint.
        var autocomplete: String
        /// What was typed, shown again after a refusal.
        var value: String
        /// Whether the last refusal was about this field (it is then marked invalid and
        /// described by the error message, for screen readers).
        var invalid = false
    }

    /// Templates/signup.leaf: create an account.
    struct SignUpContext: Encodable {
        static let template = "signup"
        /// The page's title.
        var title: PageText = "signUp.title"
        /// Where the form posts: `{base}/signup`.
        var action: String
        /// The CSRF token, sent back as `_csrf`.
        var csrf: String
        /// Hidden fields to send back (the request's id).
        var hidden: [Hidden]
        /// The form's fields, in order.
        var fields: [Field]
        /// The pool's password rules, one line each.
        var rules: [PageText]
        /// Why the last try was refused, or nil.
        var error: PageText?
        /// Back to the sign-in page of this request.
        var loginLink: String
        /// Whether the refusal was about the password, or about its confirmation.
        var passwordInvalid = false
        var confirmInvalid = false
        /// The app client's terms documents (CreateTerms), linked in the page's language where there is a link for it.
        var terms: [TermsLink] = []
    }

    struct TermsLink: Encodable {
        var label: PageText
        var url: String
    }

    /// Cognito's language ids for the page languages Cognate has.
    static let termsLanguages = ["en": "cognito:english", "de": "cognito:german", "fr": "cognito:french", "es": "cognito:spanish",
                                 "ja": "cognito:japanese", "pt-br": "cognito:portuguese-brazil"]

    /// The client's terms as links: the page language's link, else the default one, else any.
    static func termsLinks(_ client: AppClient?, locale: String) -> [TermsLink] {
        let wanted = termsLanguages[locale.lowercased()]
        return (client?.terms ?? []).sorted { $0.name > $1.name }.compactMap { terms in
            guard let url = wanted.flatMap({ terms.links[$0] }) ?? terms.links["cognito:default"] ?? terms.links.sorted(by: { $0.key < $1.key }).first?.value
            else { return nil }
            return TermsLink(label: terms.name == "privacy-policy" ? "signUp.privacyPolicy" : "signUp.termsOfUse", url: url)
        }
    }
}
