import Foundation

extension HostedPagesController {
    /// Templates/error.leaf: a friendly page for a link that is not valid, an expired or
    /// finished sign-in, a refused form, or a fault on our side. Never a stack trace.
    struct ErrorContext: Encodable {
        static let template = "error"
        /// The page's title.
        var title: PageText = "error.title"
        /// What happened, as a heading ("This sign-in has expired").
        var heading: PageText
        /// What to do next ("Start again from the application.").
        var message: PageText
    }
}
