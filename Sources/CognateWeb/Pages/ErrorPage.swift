import Foundation

extension HostedPagesController {
    /// Templates/error.leaf: a friendly page for a link that is not valid, an expired or
    /// finished sign-in, a refused form, or a fault on our side. Never a stack trace.
    struct ErrorContext: Encodable {
        static let template = "error"
        /// The page's title.
        var title = "Something went wrong"
        /// What happened, as a heading ("This sign-in has expired").
        var heading: String
        /// What to do next ("Start again from the application.").
        var message: String
    }
}
