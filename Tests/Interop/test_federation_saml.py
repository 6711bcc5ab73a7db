"""Signing in through a SAML 2.0 IdP, as a person and an app would: the app sends the person to
Cognate's /oauth2/authorize naming the IdP (or an identifier of it), Cognate sends them on with
an AuthnRequest over HTTP-Redirect to a real IdP (pysaml2, signing with Debian's xmlsec1), whose
HTTP-POST form brings the signed Response back to /saml2/idpresponse; Cognate checks it whole
and hands the app its own code. Every refusal reaches the app as an error, nobody signed in."""
import base64
import concurrent.futures
import re
import zlib
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import ADMIN, Form, Server, cognito
from saml_idp import SAMLIdP, verify_redirect_signature
from test_federation_oidc import CALLBACK, authlib_app_sign_in, claims, pkce, query_of, redeem

EMAIL = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
NAME = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"


def make_world(data_dir, confidential=False, **details):
    server = Server(data_dir, **ADMIN)
    idp = cognito(server.url)
    pool_id = idp.create_user_pool(PoolName="saml")["UserPool"]["Id"]
    saml = SAMLIdP()
    idp.create_identity_provider(
        UserPoolId=pool_id, ProviderName="Okta", ProviderType="SAML", IdpIdentifiers=["corp.example"],
        ProviderDetails={"MetadataFile": saml.metadata(), **details},
        AttributeMapping={"email": EMAIL, "name": NAME})
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="app", SupportedIdentityProviders=["COGNITO", "Okta"], CallbackURLs=[CALLBACK],
        AllowedOAuthFlows=["code"], AllowedOAuthScopes=["openid", "email", "profile"], AllowedOAuthFlowsUserPoolClient=True,
        GenerateSecret=confidential)["UserPoolClient"]["ClientId"]
    # the IdP's administrator loads Cognate's SP metadata
    sp_metadata = requests.get(f"{server.url}/{pool_id}/saml2/metadata", timeout=30)
    assert sp_metadata.status_code == 200 and sp_metadata.headers["Content-Type"].startswith("application/samlmetadata+xml")
    saml.trust(sp_metadata.text)
    return server, idp, pool_id, client_id, saml


@pytest.fixture
def world(data_dir):
    made = make_world(data_dir)
    yield made
    made[4].close()
    made[0].stop()


def to_idp(world, browser, **choice):
    """The app's authorize link, to the IdP's sign-in URL; returns it and the PKCE verifier."""
    server, idp, pool_id, client_id, saml = world
    verifier, challenge = pkce()
    query = {"response_type": "code", "client_id": client_id, "redirect_uri": CALLBACK, "scope": "openid email profile",
             "state": "app-state-9", "code_challenge": challenge, "code_challenge_method": "S256", **choice}
    answer = browser.get(f"{server.url}/{pool_id}/oauth2/authorize?{urlencode(query)}", allow_redirects=False, timeout=30)
    assert answer.status_code == 302, answer.text
    assert answer.headers["Location"].startswith(saml.base + "/sso?"), answer.headers["Location"]
    return answer.headers["Location"], verifier


def idp_form(browser, location):
    """The IdP's HTTP-POST page: where its form posts, and the fields."""
    page = browser.get(location, timeout=30)
    assert page.status_code == 200, page.text
    form = Form()
    form.feed(page.text)
    return form.action, form.fields


def post_back(browser, action, fields):
    """The browser posts the IdP's form to Cognate (cross-site: without Cognate's cookies, which
    its continue page then posts again with); returns Cognate's final answer."""
    first = requests.post(action, data=fields, allow_redirects=False, timeout=30)
    assert first.status_code == 200 and "continued" in first.text, first.text
    form = Form()
    form.feed(first.text)
    return browser.post(action, data=form.fields, allow_redirects=False, timeout=30)


def sign_in(world, browser=None, edit=None, **choice):
    """The whole trip; `edit` changes the IdP's SAMLResponse on its way (an attacker in the
    middle). Returns the app callback's query and the PKCE verifier."""
    browser = browser or requests.Session()
    location, verifier = to_idp(world, browser, **choice)
    action, fields = idp_form(browser, location)
    if edit:
        fields["SAMLResponse"] = base64.b64encode(edit(base64.b64decode(fields["SAMLResponse"]).decode()).encode()).decode()
    answer = post_back(browser, action, fields)
    assert answer.status_code == 302, answer.text
    assert answer.headers["Location"].startswith(CALLBACK + "?"), answer.headers["Location"]
    return query_of(answer.headers["Location"]), verifier


def usernames(world):
    server, idp, pool_id, client_id, saml = world
    return [u["Username"] for u in idp.list_users(UserPoolId=pool_id)["Users"]]


def test_a_person_signs_in_through_the_saml_idp_and_the_app_gets_cognates_tokens(world):
    server, idp, pool_id, client_id, saml = world
    query, verifier = sign_in(world, identity_provider="Okta")
    assert query["state"] == "app-state-9" and "error" not in query, query
    id_token = claims(redeem(world, query["code"], verifier)["id_token"])
    assert id_token["cognito:username"] == "Okta_ana.lima" and id_token["email"] == "ana@corp.example" and id_token["name"] == "Ana Lima"
    assert id_token["cognito:groups"] == [f"{pool_id}_Okta"]
    [identity] = id_token["identities"]
    assert identity["userId"] == "ana.lima" and identity["providerName"] == "Okta" and identity["providerType"] == "SAML"
    # the email came from the IdP without a word on verification: not verified
    assert id_token.get("email_verified") in (None, False)

    # the AuthnRequest Cognate sent: from its SP entity, to be answered at its ACS, unsigned by default
    [sent] = saml.requests
    assert sent["issuer"] == f"urn:amazon:cognito:sp:{pool_id}" and sent["acs"] == f"{server.url}/{pool_id}/saml2/idpresponse"
    assert "Signature" not in sent["args"] and sent["args"]["RelayState"]

    # the second sign-in (by the IdP's identifier) is the same user, with the IdP's new attributes
    saml.user["attributes"][NAME] = ["Ana Lima Souza"]
    query, verifier = sign_in(world, idp_identifier="CORP.example")
    assert claims(redeem(world, query["code"], verifier)["id_token"])["name"] == "Ana Lima Souza"
    assert usernames(world) == ["Okta_ana.lima"]
    assert idp.admin_get_user(UserPoolId=pool_id, Username="Okta_ana.lima")["UserStatus"] == "EXTERNAL_PROVIDER"


def test_the_sp_metadata_names_the_pool_its_keys_and_endpoints(world):
    server, idp, pool_id, client_id, saml = world
    text = requests.get(f"{server.url}/{pool_id}/saml2/metadata", timeout=30).text
    assert f'entityID="urn:amazon:cognito:sp:{pool_id}"' in text
    assert f'Location="{server.url}/{pool_id}/saml2/idpresponse"' in text
    certificates = re.findall(r'<md:KeyDescriptor use="(\w+)"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>([^<]+)<', text)
    assert [use for use, _ in certificates] == ["signing", "encryption"] and certificates[0][1] != certificates[1][1]
    # the same keys on every read (they are stored, not made per request)
    assert requests.get(f"{server.url}/{pool_id}/saml2/metadata", timeout=30).text == text


def test_signed_authn_requests_when_the_provider_asks_for_them(data_dir):
    world = make_world(data_dir, RequestSigningAlgorithm="rsa-sha256")
    server, idp, pool_id, client_id, saml = world
    try:
        browser = requests.Session()
        location, _ = to_idp(world, browser, identity_provider="Okta")
        query = urlparse(location).query
        text = requests.get(f"{server.url}/{pool_id}/saml2/metadata", timeout=30).text
        certificate = re.search(r'use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>([^<]+)<', text).group(1)
        pem = b"-----BEGIN CERTIFICATE-----\n" + certificate.encode() + b"\n-----END CERTIFICATE-----\n"
        assert verify_redirect_signature(query, pem)
        request_xml = zlib.decompress(base64.b64decode(parse_qs(query)["SAMLRequest"][0]), -15).decode()
        assert "<samlp:AuthnRequest" in request_xml and f"urn:amazon:cognito:sp:{pool_id}" in request_xml
        # and the IdP still signs the person in
        action, fields = idp_form(browser, location)
        assert post_back(browser, action, fields).headers["Location"].startswith(CALLBACK + "?code=")
    finally:
        saml.close()
        server.stop()


def refused(query, *words):
    """The app got an error, not a code; the description names why."""
    assert "code" not in query and query["error"] in ("access_denied", "invalid_request"), query
    assert query["state"] == "app-state-9"
    for word in words:
        assert word in query["error_description"], query["error_description"]


@pytest.mark.parametrize("misbehaviour,why", [
    ("audience", "another audience"), ("foreign key", "does not verify"), ("unsigned", "neither the response nor the assertion is signed"),
    ("expired", "expired"), ("destination", "addressed to"), ("sha1", "signature"),
])
def test_an_idp_answer_that_does_not_hold_reaches_the_app_as_an_error(world, misbehaviour, why):
    server, idp, pool_id, client_id, saml = world
    saml.misbehave = misbehaviour
    refused(sign_in(world, identity_provider="Okta")[0], why)
    assert usernames(world) == []


def test_the_idps_refusal_reaches_the_app(world):
    server, idp, pool_id, client_id, saml = world
    saml.user = None
    query, _ = sign_in(world, identity_provider="Okta")
    assert query["error"] == "access_denied" and "did not sign the user in" in query["error_description"]
    assert usernames(world) == []


def test_a_tampered_response_is_refused(world):
    # the signed NameID changed on the way: neither signature holds
    refused(sign_in(world, identity_provider="Okta", edit=lambda xml: xml.replace(">ana.lima<", ">admin<"))[0], "signature")
    assert usernames(world) == []


def assertion_of(xml):
    return re.search(r"<ns1:Assertion .*</ns1:Assertion>", xml, re.S).group(0)


def forged(assertion):
    """The signed assertion naming someone else (its signature, copied along, no longer holds)."""
    return assertion.replace(">ana.lima<", ">admin<")


def unsigned(assertion):
    return re.sub(r"<ns2:Signature .*?</ns2:Signature>", "", assertion, flags=re.S)


@pytest.mark.parametrize("variant,why", [
    # the signed assertion kept where an ID lookup finds it, an unsigned forgery where an SP reads
    ("signed assertion moved to an extension", "exactly one assertion"),
    # the forgery takes the original's place and ID; the original's ID is also on an element elsewhere
    ("an ID used twice", "used twice"),
])
def test_a_wrapped_signature_is_refused(world, variant, why):
    """XML signature wrapping attacks on a Response whose Assertion alone is signed."""
    server, idp, pool_id, client_id, saml = world
    saml.sign_response = False  # only the assertion is signed: the response around it may be changed
    query, _ = sign_in(world, identity_provider="Okta")
    assert "code" in query, query  # unwrapped, the answer is good
    assert usernames(world) == ["Okta_ana.lima"]

    def wrap(xml):
        original = assertion_of(xml)
        identifier = re.search(r' ID="([^"]+)"', original).group(1)
        if variant == "signed assertion moved to an extension":
            return xml.replace(original, f"<ns0:Extensions>{original}</ns0:Extensions>" + unsigned(forged(original)).replace(identifier, "_evil", 1))
        decoy = f'<ns0:Extensions><x:Copy xmlns:x="urn:example:x" ID="{identifier}"/></ns0:Extensions>'
        return xml.replace(original, decoy + forged(original))

    refused(sign_in(world, identity_provider="Okta", edit=wrap)[0], why)
    assert usernames(world) == ["Okta_ana.lima"]


def test_an_xxe_payload_is_refused_before_anything_is_read(world):
    def xxe(xml):
        body = xml.split("?>", 1)[1] if xml.startswith("<?xml") else xml
        return ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
                + body.replace(">ana.lima<", ">&xxe;<"))
    refused(sign_in(world, identity_provider="Okta", edit=xxe)[0], "DOCTYPE")
    assert usernames(world) == []


def test_encrypted_assertions_when_the_provider_is_set_to_encrypt(data_dir):
    world = make_world(data_dir, EncryptedResponses="true")
    server, idp, pool_id, client_id, saml = world
    try:
        # the IdP leaves the assertion in the clear: refused, the provider is set to encrypt
        refused(sign_in(world, identity_provider="Okta")[0], "unencrypted")
        # encrypted for the pool's encryption certificate (AES-256-CBC, RSA-OAEP): the person signs in
        saml.encrypt = True
        browser = requests.Session()
        location, verifier = to_idp(world, browser, identity_provider="Okta")
        action, fields = idp_form(browser, location)
        sent = base64.b64decode(fields["SAMLResponse"]).decode()
        assert "EncryptedAssertion" in sent and "ana@corp.example" not in sent
        answer = post_back(browser, action, fields)
        query = query_of(answer.headers["Location"])
        assert "code" in query, query
        assert claims(redeem(world, query["code"], verifier)["id_token"])["email"] == "ana@corp.example"
        # 3DES (pysaml2's own default) is not taken
        saml.misbehave = "3des"
        refused(sign_in(world, identity_provider="Okta")[0], "AES")
        # nor a key sent with RSA PKCS#1 v1.5
        saml.misbehave = "rsa15"
        refused(sign_in(world, identity_provider="Okta")[0], "key could not be decrypted")
        assert usernames(world) == ["Okta_ana.lima"]
    finally:
        saml.close()
        server.stop()


def idp_initiated(world, relay_state):
    """The IdP's own portal: a Response that answers no request, posted to Cognate with the
    app's authorization parameters in RelayState (as Cognito documents it)."""
    server, idp, pool_id, client_id, saml = world
    form = Form()
    form.feed(saml.unsolicited_form(f"urn:amazon:cognito:sp:{pool_id}", f"{server.url}/{pool_id}/saml2/idpresponse", relay_state))
    return form.action, form.fields


def test_idp_initiated_sign_in_only_where_the_provider_allows_it(data_dir):
    world = make_world(data_dir, confidential=True, IDPInit="true")
    server, idp, pool_id, client_id, saml = world
    secret = idp.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]["ClientSecret"]
    try:
        relay = urlencode({"client_id": client_id, "redirect_uri": CALLBACK, "response_type": "code", "scope": "openid email",
                           "identity_provider": "Okta"})
        action, fields = idp_initiated(world, relay)
        answer = requests.post(action, data=fields, allow_redirects=False, timeout=30)
        assert answer.status_code == 302 and answer.headers["Location"].startswith(CALLBACK + "?code="), answer.text
        code = query_of(answer.headers["Location"])["code"]
        tokens = requests.post(f"{server.url}/{pool_id}/oauth2/token", timeout=30, auth=(client_id, secret), data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}).json()
        assert claims(tokens["id_token"])["cognito:username"] == "Okta_ana.lima"

        # the same Response again (a replay, from anywhere): refused, nobody signed in
        again = requests.post(action, data=fields, allow_redirects=False, timeout=30)
        assert again.status_code == 302 and query_of(again.headers["Location"])["error"] == "access_denied", again.text
        assert "used before" in query_of(again.headers["Location"])["error_description"]

        # eight posts of one fresh Response at once: one sign-in
        action, fields = idp_initiated(world, relay)
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: requests.post(action, data=fields, allow_redirects=False, timeout=60), range(8)))
        codes = [a for a in answers if "code=" in a.headers.get("Location", "")]
        assert len(codes) == 1 and all(a.status_code in (302, 400) for a in answers), [a.status_code for a in answers]

        # a Response that answers a request (one captured from an SP-initiated sign-in) is not unsolicited
        browser = requests.Session()
        location, _ = to_idp(world, browser, identity_provider="Okta")
        _, solicited = idp_form(browser, location)
        refusal = requests.post(action, data={"SAMLResponse": solicited["SAMLResponse"], "RelayState": relay}, allow_redirects=False, timeout=30)
        assert "answers a request" in query_of(refusal.headers["Location"])["error_description"]

        # RelayState naming a redirect_uri the client does not have: a page, never a redirect there
        bad = urlencode({"client_id": client_id, "redirect_uri": "https://evil.example/cb", "response_type": "code", "identity_provider": "Okta"})
        action, fields = idp_initiated(world, bad)
        page = requests.post(action, data=fields, allow_redirects=False, timeout=30)
        assert page.status_code == 400 and "Location" not in page.headers
    finally:
        saml.close()
        server.stop()


def test_idp_initiated_sign_in_is_refused_where_the_provider_does_not_allow_it(data_dir):
    world = make_world(data_dir, confidential=True)
    try:
        refused_idp_initiated(world)
    finally:
        world[4].close()
        world[0].stop()


def refused_idp_initiated(world):
    server, idp, pool_id, client_id, saml = world
    relay = urlencode({"client_id": client_id, "redirect_uri": CALLBACK, "response_type": "code", "scope": "openid",
                       "identity_provider": "Okta"})
    action, fields = idp_initiated(world, relay)
    answer = requests.post(action, data=fields, allow_redirects=False, timeout=30)
    query = query_of(answer.headers["Location"])
    assert query["error"] == "invalid_request" and "IDPInit" in query["error_description"]
    assert usernames(world) == []
    # and without app parameters, or with none at all, a page
    for data in ({"SAMLResponse": fields["SAMLResponse"], "RelayState": "client_id=" + client_id}, {"RelayState": "x"}, {}):
        page = requests.post(action, data=data, allow_redirects=False, timeout=30)
        assert page.status_code == 400 and "Location" not in page.headers, page.text


def test_idp_initiated_sign_in_needs_a_client_with_a_secret(data_dir):
    """No PKCE verifier can be held for a sign-in the app did not start: a public client's
    code would be anyone's, so the portal's Response gets a page."""
    world = make_world(data_dir, IDPInit="true")
    server, idp, pool_id, client_id, saml = world
    try:
        relay = urlencode({"client_id": client_id, "redirect_uri": CALLBACK, "response_type": "code", "identity_provider": "Okta"})
        action, fields = idp_initiated(world, relay)
        page = requests.post(action, data=fields, allow_redirects=False, timeout=30)
        assert page.status_code == 400 and "client secret" in page.text and "Location" not in page.headers
        assert usernames(world) == []
    finally:
        saml.close()
        server.stop()


def test_a_response_posted_in_another_browser_signs_nobody_in(world):
    """An SP-initiated Response (RelayState = the stored request) replayed from another browser:
    the stored request is bound to the first browser, so the second gets a page."""
    server, idp, pool_id, client_id, saml = world
    browser = requests.Session()
    location, _ = to_idp(world, browser, identity_provider="Okta")
    action, fields = idp_form(browser, location)
    thief = requests.Session()
    answer = post_back(thief, action, fields)
    assert answer.status_code in (400, 403) and "Location" not in answer.headers, answer.text
    # the person's own post still signs them in once; the same post again is a page
    assert post_back(browser, action, fields).headers["Location"].startswith(CALLBACK + "?code=")
    again = post_back(browser, action, fields)
    assert again.status_code == 400 and "Location" not in again.headers


LOGOUT = "http://localhost:3000/bye"


def test_signing_out_signs_out_at_the_idp_where_the_provider_says_so(data_dir):
    world = make_world(data_dir, IDPSignout="true")
    server, idp, pool_id, client_id, saml = world
    try:
        idp.update_user_pool_client(UserPoolId=pool_id, ClientId=client_id, SupportedIdentityProviders=["COGNITO", "Okta"],
                                    CallbackURLs=[CALLBACK], LogoutURLs=[LOGOUT], AllowedOAuthFlows=["code"],
                                    AllowedOAuthScopes=["openid", "email", "profile"], AllowedOAuthFlowsUserPoolClient=True)
        browser = requests.Session()
        assert "code" in sign_in(world, browser, identity_provider="Okta")[0]
        out = browser.get(f"{server.url}/{pool_id}/logout", params={"client_id": client_id, "logout_uri": LOGOUT},
                          allow_redirects=False, timeout=30)
        assert out.status_code == 302 and out.headers["Location"].startswith(saml.base + "/slo?"), out.headers.get("Location")
        # a signed LogoutRequest for the person the IdP signed in, in the session it opened
        query = urlparse(out.headers["Location"]).query
        text = requests.get(f"{server.url}/{pool_id}/saml2/metadata", timeout=30).text
        certificate = re.search(r'use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>([^<]+)<', text).group(1)
        assert verify_redirect_signature(query, b"-----BEGIN CERTIFICATE-----\n" + certificate.encode() + b"\n-----END CERTIFICATE-----\n")
        # the IdP answers with its HTTP-POST form (as Cognito asks of IdPs), posted cross-site
        action, fields = idp_form(browser, out.headers["Location"])
        [logout] = saml.logouts
        assert logout["name_id"] == "ana.lima" and logout["session_index"]
        assert action == f"{server.url}/{pool_id}/saml2/logout" and "RelayState" in fields
        done = requests.post(action, data=fields, allow_redirects=False, timeout=30)
        assert done.status_code == 302 and done.headers["Location"] == LOGOUT
        # signed out here: the app's next silent sign-in is refused
        verifier, challenge = pkce()
        silent = browser.get(f"{server.url}/{pool_id}/oauth2/authorize", allow_redirects=False, timeout=30, params={
            "response_type": "code", "client_id": client_id, "redirect_uri": CALLBACK, "scope": "openid", "prompt": "none",
            "code_challenge": challenge, "code_challenge_method": "S256"})
        assert query_of(silent.headers["Location"])["error"] == "login_required"
        # the IdP's answer with another RelayState, or none, or without its response: a page, never a redirect
        for data in (fields | {"RelayState": "x" + fields["RelayState"]}, {"SAMLResponse": fields["SAMLResponse"]},
                     {"RelayState": fields["RelayState"]}):
            page = requests.post(action, data=data, allow_redirects=False, timeout=30)
            assert page.status_code == 400 and "Location" not in page.headers
        assert browser.get(action, allow_redirects=False, timeout=30).status_code == 400

        # an IdP answering by HTTP-Redirect is taken too
        assert "code" in sign_in(world, browser, identity_provider="Okta")[0]
        saml.logout_binding = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
        out = browser.get(f"{server.url}/{pool_id}/logout", params={"client_id": client_id, "logout_uri": LOGOUT},
                          allow_redirects=False, timeout=30)
        back = browser.get(out.headers["Location"], allow_redirects=False, timeout=30)
        assert back.headers["Location"].startswith(f"{action}?SAMLResponse=")
        assert browser.get(back.headers["Location"], allow_redirects=False, timeout=30).headers["Location"] == LOGOUT
    finally:
        saml.close()
        server.stop()


def test_without_idp_signout_signing_out_stays_here(world):
    server, idp, pool_id, client_id, saml = world
    idp.update_user_pool_client(UserPoolId=pool_id, ClientId=client_id, SupportedIdentityProviders=["COGNITO", "Okta"],
                                CallbackURLs=[CALLBACK], LogoutURLs=[LOGOUT], AllowedOAuthFlows=["code"],
                                AllowedOAuthScopes=["openid", "email", "profile"], AllowedOAuthFlowsUserPoolClient=True)
    browser = requests.Session()
    assert "code" in sign_in(world, browser, identity_provider="Okta")[0]
    out = browser.get(f"{server.url}/{pool_id}/logout", params={"client_id": client_id, "logout_uri": LOGOUT}, allow_redirects=False, timeout=30)
    assert out.headers["Location"] == LOGOUT and saml.logouts == []


def test_get_signing_certificate_is_the_one_idps_check_requests_with(world):
    server, idp, pool_id, client_id, saml = world
    certificate = idp.get_signing_certificate(UserPoolId=pool_id)["Certificate"]
    text = requests.get(f"{server.url}/{pool_id}/saml2/metadata", timeout=30).text
    assert re.search(r'use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>([^<]+)<', text).group(1) == certificate
    with pytest.raises(ClientError) as missing:
        idp.get_signing_certificate(UserPoolId=pool_id + "x")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_a_provider_by_metadata_url_signs_in_and_expired_metadata_is_refused(world):
    server, idp, pool_id, client_id, saml = world
    idp.create_identity_provider(UserPoolId=pool_id, ProviderName="Entra", ProviderType="SAML",
                                 ProviderDetails={"MetadataURL": saml.base + "/metadata"}, AttributeMapping={"email": EMAIL})
    described = idp.describe_identity_provider(UserPoolId=pool_id, ProviderName="Entra")["IdentityProvider"]["ProviderDetails"]
    assert described["SSORedirectBindingURI"] == saml.base + "/sso" and described["SLORedirectBindingURI"] == saml.base + "/slo"
    idp.update_user_pool_client(UserPoolId=pool_id, ClientId=client_id, SupportedIdentityProviders=["Entra"], CallbackURLs=[CALLBACK],
                                AllowedOAuthFlows=["code"], AllowedOAuthScopes=["openid", "email", "profile"], AllowedOAuthFlowsUserPoolClient=True)
    query, verifier = sign_in(world, identity_provider="Entra")
    assert claims(redeem(world, query["code"], verifier)["id_token"])["cognito:username"] == "Entra_ana.lima"
    # as Cognito: metadata whose signing certificate has expired is not set up
    with pytest.raises(ClientError) as expired:
        idp.create_identity_provider(UserPoolId=pool_id, ProviderName="Old", ProviderType="SAML",
                                     ProviderDetails={"MetadataFile": saml.expired_metadata()})
    assert expired.value.response["Error"]["Code"] == "InvalidParameterException"
    assert "expired" in expired.value.response["Error"]["Message"]


def test_the_idp_session_answers_the_apps_next_request_for_that_idp_only(world):
    """Signed in through the IdP, the browser's Cognate session answers the app's next request
    at once (no new trip to the IdP), but not one that names another way in."""
    server, idp, pool_id, client_id, saml = world
    browser = requests.Session()
    assert "code" in sign_in(world, browser, identity_provider="Okta")[0]
    verifier, challenge = pkce()
    base = {"response_type": "code", "client_id": client_id, "redirect_uri": CALLBACK, "scope": "openid",
            "code_challenge": challenge, "code_challenge_method": "S256"}
    for choice in ({}, {"identity_provider": "Okta"}):
        again = browser.get(f"{server.url}/{pool_id}/oauth2/authorize", params=base | choice, allow_redirects=False, timeout=30)
        assert again.headers["Location"].startswith(CALLBACK + "?code="), again.headers["Location"]
    assert len(saml.requests) == 1
    # the pool's own sign-in form is another way in: the IdP's session does not answer for it
    native = browser.get(f"{server.url}/{pool_id}/oauth2/authorize", params=base | {"identity_provider": "COGNITO"}, allow_redirects=False, timeout=30)
    assert "/login?request=" in native.headers["Location"]


def test_an_authlib_app_signs_a_person_in_through_the_saml_idp(world):
    def through(browser, location):
        action, fields = idp_form(browser, location)
        return post_back(browser, action, fields).headers["Location"]

    id_token = authlib_app_sign_in(world, "Okta", through)
    assert id_token["cognito:username"] == "Okta_ana.lima" and id_token["email"] == "ana@corp.example"
