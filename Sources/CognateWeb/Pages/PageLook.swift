import CognateCore
import CognateModel
import Crypto
import Foundation
import Vapor

/// How a client's pages look beyond the built-in theme: its managed login style (CSS custom
/// properties for light and dark mode, logos, backgrounds, favicon) and its classic
/// customization (SetUICustomization's CSS and logo), both written out by Cognate from checked
/// values into one style element the Content-Security-Policy names by its hash.
/// In templates: `brand` (layout.leaf), nil for the built-in look.
struct PageLook: Encodable, Sendable {
    /// A logo for the light palette and, where it differs, the dark one (a `<picture>`).
    struct Logo: Encodable, Sendable {
        var light: String
        var dark: String?
    }

    struct Icon: Encodable, Sendable {
        var href: String
        var type: String
    }

    /// The page header bar (categories.global.pageHeader.enabled), and its logo.
    var header: Bool = false
    var headerLogo: Logo?
    /// Above the form: the style's FORM_LOGO, else the classic customization's logo.
    var formLogo: Logo?
    var footer: Bool = false
    var footerLogo: Logo?
    var icons: [Icon] = []
    /// The CSS for the style element; never in the template's reach.
    var css: String = ""

    enum CodingKeys: String, CodingKey { case header, headerLogo, formLogo, footer, footerLogo, icons }

    /// The look of `clientId`'s pages, or nil for the built-in one. `forcedMode`: the preview's
    /// light or dark, whatever the style or the system says (so the look is never nil then).
    static func of(_ request: Request, pool: UserPool, clientId: String, forcedMode: ManagedLoginStyle.Mode? = nil) async throws -> PageLook? {
        let store = try request.services().store
        let base = HostedPool.base(request, pool)
        var look = PageLook()
        var found = false
        if let branding = try await store.managedLoginBranding(poolId: pool.id, clientId: clientId) {
            found = true
            // checked when set; a style that no longer reads (rules tightened since) is worn as the built-in one
            var style = (try? ManagedLoginStyle.read(branding.settings)) ?? .builtIn
            if let forcedMode { style.mode = forcedMode }
            func link(_ asset: ManagedLoginAsset) -> String {
                "\(base)/managed-login/assets/\(branding.id)/\(asset.category)/\(asset.colorMode)?v=\(asset.digest.prefix(16))"
            }
            func pick(_ category: String) -> Logo? {
                let all = branding.assets.filter { $0.category == category }
                let light = all.first { $0.colorMode == "LIGHT" } ?? all.first { $0.colorMode == "DYNAMIC" }
                let dark = all.first { $0.colorMode == "DARK" } ?? all.first { $0.colorMode == "DYNAMIC" }
                switch style.mode {
                case .light: return (light ?? dark).map { Logo(light: link($0)) }
                case .dark: return (dark ?? light).map { Logo(light: link($0)) }
                case .dynamic:
                    guard let first = light ?? dark else { return nil }
                    let second = dark.map(link)
                    return Logo(light: link(first), dark: second == link(first) ? nil : second)
                }
            }
            look.header = style.header
            look.footer = style.footer
            look.headerLogo = pick("PAGE_HEADER_LOGO")
            look.formLogo = pick("FORM_LOGO")
            look.footerLogo = pick("PAGE_FOOTER_LOGO")
            for (category, type) in [("FAVICON_SVG", "image/svg+xml"), ("FAVICON_ICO", "image/x-icon")] {
                if let icon = pick(category) { look.icons.append(Icon(href: icon.light, type: type)) }
            }
            for (category, variable) in [("PAGE_BACKGROUND", "page-image"), ("FORM_BACKGROUND", "form-image"),
                                         ("PAGE_HEADER_BACKGROUND", "header-image"), ("PAGE_FOOTER_BACKGROUND", "footer-image")] {
                guard let image = pick(category) else { continue }
                style.light[variable] = "url(\"\(image.light)\")"
                style.dark[variable] = "url(\"\(image.dark ?? image.light)\")"
            }
            look.css = style.css
        }
        if let forcedMode, !found {
            found = true
            var style = ManagedLoginStyle.builtIn
            style.mode = forcedMode
            look.css = style.css
        }
        if let custom = try await UICustomizationRules.effective(poolId: pool.id, clientId: clientId, store: store) {
            found = true
            if let css = custom.css, let rules = try? UICustomizationRules.rules(css), !rules.isEmpty {
                look.css += (look.css.isEmpty ? "" : "\n") + UICustomizationRules.written(rules)
            }
            if custom.image != nil, look.formLogo == nil {
                look.formLogo = Logo(light: "\(base)/ui/logo?client_id=\(custom.clientId)&v=\(custom.version)")
            }
        }
        return found ? look : nil
    }

    /// The style element's hash, as the Content-Security-Policy names it; nil without CSS.
    var styleHash: String? {
        css.isEmpty ? nil : Data(SHA256.hash(data: Data(css.utf8))).base64EncodedString()
    }
}

extension HostedPagesController {
    /// GET {base}/managed-login/assets/{id}/{category}/{mode}: an image of a managed login style,
    /// as set. Its links carry its digest, so it is cached for a year and revalidated by ETag; an
    /// SVG is sent with a policy that runs nothing in it, should it be opened on its own.
    func managedLoginAsset(_ request: Request) async throws -> Response {
        let services = try request.services()
        let pool = try await HostedPool.resolve(request, services)
        guard let id = request.parameters.get("id"), id.count <= 64, let category = request.parameters.get("category"),
            let mode = request.parameters.get("mode"),
            let branding = try await services.store.managedLoginBranding(poolId: pool.id, id: id),
            let asset = branding.assets.first(where: { $0.category == category && $0.colorMode == mode }),
            let bytes = try await services.store.managedLoginAssetFile(brandingId: id, key: asset.key)
        else { throw Abort(.notFound) }
        let tag = "\"\(asset.digest)\""
        let response: Response
        if request.headers.first(name: .ifNoneMatch) == tag {
            response = Response(status: .notModified)
        } else {
            response = Response(status: .ok, body: .init(data: bytes))
            response.headers.replaceOrAdd(name: .contentType, value: ManagedLoginAssets.mediaType(asset.fileExtension))
        }
        response.headers.replaceOrAdd(name: .eTag, value: tag)
        response.headers.replaceOrAdd(name: .cacheControl, value: "public, max-age=31536000, immutable")
        response.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        if asset.fileExtension == "SVG" {
            response.headers.replaceOrAdd(name: "Content-Security-Policy", value: "default-src 'none'; style-src 'unsafe-inline'; sandbox")
        }
        return response
    }
}
