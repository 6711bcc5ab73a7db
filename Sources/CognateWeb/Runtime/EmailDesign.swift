import CognateCore
import CognateMail
import CognateModel
import Foundation
import Leaf
import LeafKit
import Vapor

/// Emails as designed as the pages: the HTML part of every email Cognate sends, from the
/// `email.leaf` template of the pool's theme (or the built-in one), in the language the text is
/// in, with the pool's logo (its classic customization for ALL clients) carried in the message
/// itself (`cid:`), so no mail client has to fetch it. The text part stays as it was; a design
/// that fails is logged and the message goes as text alone.
struct EmailDesign: Sendable {
    let themes: ThemeLibrary
    let store: any CognateStore
    let configuration: LeafConfiguration
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger

    /// Templates/email.leaf's context.
    struct Context: Encodable {
        /// The message's subject ("Your verification code").
        var subject: String
        /// Its text, one paragraph per line.
        var paragraphs: [String]
        /// The pool's name.
        var pool: String
        /// `cid:logo@cognate` when the pool has a logo, else nil.
        var logo: String?
        /// The text's locale and direction.
        var lang: String
        var dir: String
        /// The catalog (`#(t.message.footer)`) and the footer said with the pool's name.
        var t: CatalogNode
        var footer: String
    }

    static let logoID = "logo@cognate"

    func html(for message: OutboundMessage) async -> MailMessage.HTMLPart? {
        guard message.channel == .email else { return nil }
        do {
            guard let pool = try await store.pool(id: message.poolId) else { return nil }
            let theme = themes.theme(pool.theme)
            let catalogs = theme.languages.catalogs
            let catalog = catalogs.catalog(catalogs.match([message.locale, pool.defaultLocale].compactMap { $0 }))
            var images: [MailMessage.HTMLPart.Image] = []
            if let custom = try await store.uiCustomization(poolId: pool.id, clientId: UICustomization.allClients),
                let image = custom.image, let type = custom.imageType
            {
                images.append(.init(contentID: Self.logoID, type: type, data: image))
            }
            let context = Context(
                subject: message.subject, paragraphs: message.body.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) },
                pool: pool.name, logo: images.isEmpty ? nil : "cid:\(Self.logoID)", lang: catalog.locale, dir: catalog.rightToLeft ? "rtl" : "ltr",
                t: theme.languages.trees[catalog.locale] ?? .group([:]), footer: catalog.text("message.footer", ["pool": pool.name]))
            let renderer = LeafRenderer(configuration: configuration, cache: theme.cache, sources: theme.sources, eventLoop: eventLoopGroup.next())
            let buffer = try await renderer.render(path: "email", context: context).get()
            return .init(html: String(buffer: buffer), images: images)
        } catch {
            logger.error("message \(message.id) goes as text alone: its HTML part could not be made: \(error)")
            return nil
        }
    }
}
