import Foundation

/// Cognate as a SAML 2.0 service provider of a pool: its entity id, as Cognito names it, and
/// the metadata an IdP administrator loads to trust it (SAML 2.0 Metadata §2.4.4).
public enum SAMLServiceProvider {
    /// `urn:amazon:cognito:sp:<poolId>`: the Audience every assertion for the pool must name.
    public static func entityId(poolId: String) -> String { "urn:amazon:cognito:sp:\(poolId)" }

    /// The SP metadata of a pool whose hosted endpoints are at `base` (its issuer): responses
    /// are posted to `{base}/saml2/idpresponse` (HTTP-POST), logout at `{base}/saml2/logout`.
    public static func metadata(poolId: String, base: String) -> String {
        let entity = escape(entityId(poolId: poolId))
        let base = escape(base)
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="\(entity)">
              <md:SPSSODescriptor AuthnRequestsSigned="false" WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
                <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="\(base)/saml2/logout"/>
                <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified</md:NameIDFormat>
                <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
                <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
                <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="\(base)/saml2/idpresponse" index="1" isDefault="true"/>
              </md:SPSSODescriptor>
            </md:EntityDescriptor>

            """
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
