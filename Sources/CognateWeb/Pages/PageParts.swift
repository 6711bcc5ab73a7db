import Foundation

/// The parts several hosted pages' contexts share. Every page is rendered by
/// `HostedPagesController.page`, which sets its CSRF cookie, `Cache-Control: no-store` and its
/// Content-Security-Policy. Each page's context is in its own file beside this one, every
/// variable described, for the templates in Templates/.

extension HostedPagesController {
    /// A hidden form field the page must send back (today only `request`, the stored
    /// authorization request's id). Templates write them all: `#for(field in hidden)`.
    struct Hidden: Encodable {
        /// The field's name, e.g. `request`.
        var name: String
        /// Its value, as it must come back.
        var value: String
    }
}
