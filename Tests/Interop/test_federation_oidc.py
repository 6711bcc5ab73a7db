"""Signing in through an outside OpenID provider, as a person and an app would: the app sends
the person to Cognate's /oauth2/authorize naming the provider (or an identifier of it), Cognate
sends them on to a real OpenID provider (Authlib's server, at paths that are not Cognito's), and
back at /oauth2/idpresponse it verifies the provider's answer and hands the app its own code.
Every refusal reaches the app as an error, with nobody signed in."""
import base64
import concurrent.futures
import hashlib
import html
import json
import re
import secrets
from urllib.parse import parse_qs, urlencode, urljoin, urlparse

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import ADMIN, Form, Server, b64url_decode, cognito, run_command
from oidc_provider import OIDCProvider
from webhook_receiver import Receiver

CALLBACK = "http://localhost:3000/cb"


@pytest.fixture
def world(data_dir):
    server = Server(data_dir, **ADMIN)
    idp = cognito(server.url)
    pool_id = idp.create_user_pool(PoolName="federated", AliasAttributes=["email"])["UserPool"]["Id"]
    provider = OIDCProvider(redirect_uris=[f"{server.url}/{pool_id}/oauth2/idpresponse"])
    idp.create_identity_provider(
        UserPoolId=pool_id, ProviderName="Corp", ProviderType="OIDC", IdpIdentifiers=["corp.example"],
        ProviderDetails={"client_id": provider.client.client_id, "client_secret": provider.client.secret,
                         "authorize_scopes": "openid email profile", "attributes_request_method": "GET", "oidc_issuer": provider.issuer},
        AttributeMapping={"email": "email", "email_verified": "email_verified", "name": "name"})
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="app", SupportedIdentityProviders=["COGNITO", "Corp"], CallbackURLs=[CALLBACK],
        AllowedOAuthFlows=["code"], AllowedOAuthScopes=["openid", "email", "profile"], AllowedOAuthFlowsUserPoolClient=True)["UserPoolClient"]["ClientId"]
    yield server, idp, pool_id, client_id, provider
    provider.close()
    server.stop()


def pkce():
    verifier = secrets.token_urlsafe(48)
    return verifier, base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def claims(token):
    return json.loads(b64url_decode(token.split(".")[1]))


def sign_in(world, browser=None, **choice):
    """The browser's trip: the app's authorize link, the provider, back to Cognate, to the app.
    Returns the app callback's query and the PKCE verifier."""
    server, idp, pool_id, client_id, provider = world
    browser = browser or requests.Session()
    verifier, challenge = pkce()
    query = {"response_type": "code", "client_id": client_id, "redirect_uri": CALLBACK, "scope": "openid email profile",
             "state": "app-state-7", "code_challenge": challenge, "code_challenge_method": "S256", **choice}
    to_provider = browser.get(f"{server.url}/{pool_id}/oauth2/authorize?{urlencode(query)}", allow_redirects=False, timeout=30)
    assert to_provider.status_code == 302, to_provider.text
    location = to_provider.headers["Location"]
    assert location.startswith(provider.issuer + "/connect/authorize?")
    sent = parse_qs(urlparse(location).query)
    assert sent["redirect_uri"] == [f"{server.url}/{pool_id}/oauth2/idpresponse"] and sent["code_challenge_method"] == ["S256"]
    assert sent["nonce"][0] and sent["state"][0] and sent["scope"] == ["openid email profile"]
    back = browser.get(location, allow_redirects=False, timeout=30)
    assert back.status_code == 302, back.text
    answered = browser.get(back.headers["Location"], allow_redirects=False, timeout=30)
    assert answered.status_code == 302, answered.text
    assert answered.headers["Location"].startswith(CALLBACK + "?"), answered.headers["Location"]
    return query_of(answered.headers["Location"]), verifier, back.headers["Location"]


def query_of(url):
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}


def through_provider(browser, page_url, location):
    """From a redirect toward the provider (relative to `page_url`, as the pages write it):
    the provider, Cognate's /oauth2/idpresponse, and the app's callback query."""
    to_provider = browser.get(urljoin(page_url, location), allow_redirects=False, timeout=30)
    back = browser.get(to_provider.headers["Location"], allow_redirects=False, timeout=30).headers["Location"]
    return query_of(browser.get(back, allow_redirects=False, timeout=30).headers["Location"])


def redeem(world, code, verifier):
    server, idp, pool_id, client_id, provider = world
    answer = requests.post(f"{server.url}/{pool_id}/oauth2/token", timeout=30, data={
        "grant_type": "authorization_code", "client_id": client_id, "code": code, "redirect_uri": CALLBACK, "code_verifier": verifier})
    assert answer.status_code == 200, answer.text
    return answer.json()


def users(idp, pool_id):
    return idp.list_users(UserPoolId=pool_id)["Users"]


def test_a_person_signs_in_through_the_provider_and_the_app_gets_cognates_tokens(world):
    server, idp, pool_id, client_id, provider = world
    query, verifier, _ = sign_in(world, identity_provider="Corp")
    assert query["state"] == "app-state-7" and "error" not in query
    tokens = redeem(world, query["code"], verifier)
    id_token = claims(tokens["id_token"])
    assert id_token["iss"] == f"{server.url}/{pool_id}" and id_token["aud"] == client_id
    assert id_token["cognito:username"] == "Corp_u-1001" and id_token["email"] == "ana@corp.example" and id_token["name"] == "Ana Lima"
    assert id_token["email_verified"] is True
    assert id_token["cognito:groups"] == [f"{pool_id}_Corp"]
    [identity] = id_token["identities"]
    assert identity["userId"] == "u-1001" and identity["providerName"] == "Corp" and identity["providerType"] == "OIDC"
    assert identity["primary"] == "true" and identity["issuer"] is None

    # Cognate redeemed the provider's code as Cognito does: client_secret_post, with its PKCE verifier
    sent = provider.token_requests[-1]
    assert sent["client_secret"] == provider.client.secret and len(sent["code_verifier"]) >= 43

    user = idp.admin_get_user(UserPoolId=pool_id, Username="Corp_u-1001")
    assert user["UserStatus"] == "EXTERNAL_PROVIDER"
    assert {a["Name"]: a["Value"] for a in user["UserAttributes"]}["email"] == "ana@corp.example"
    assert [g["GroupName"] for g in idp.admin_list_groups_for_user(UserPoolId=pool_id, Username="Corp_u-1001")["Groups"]] == [f"{pool_id}_Corp"]

    # the second sign-in is the same user; the provider's new name is written
    provider.user = provider.user | {"name": "Ana Lima Souza"}
    query, verifier, _ = sign_in(world, idp_identifier="CORP.example")
    assert claims(redeem(world, query["code"], verifier)["id_token"])["name"] == "Ana Lima Souza"
    assert [u["Username"] for u in users(idp, pool_id)] == ["Corp_u-1001"]

    # a federated user is no password user, and holds no alias: the provider's address stays free
    with pytest.raises(ClientError):
        idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": "Corp_u-1001", "PASSWORD": "x"})
    idp.admin_create_user(UserPoolId=pool_id, Username="ana", MessageAction="SUPPRESS",
                          UserAttributes=[{"Name": "email", "Value": "ana@corp.example"}, {"Name": "email_verified", "Value": "true"}])


@pytest.mark.parametrize("misbehaviour", ["audience", "expired", "foreign key", "nonce", "issuer"])
def test_a_provider_answer_that_does_not_hold_reaches_the_app_as_an_error(world, misbehaviour):
    server, idp, pool_id, client_id, provider = world
    provider.misbehave = misbehaviour
    query, _, _ = sign_in(world, identity_provider="Corp")
    assert query["error"] == "access_denied" and query["state"] == "app-state-7" and "code" not in query, query
    assert users(idp, pool_id) == []


def test_a_refusal_at_the_provider_reaches_the_app_and_unknown_providers_are_refused(world):
    server, idp, pool_id, client_id, provider = world
    provider.user = None  # the person says no there
    query, _, _ = sign_in(world, identity_provider="Corp")
    assert query["error"] == "access_denied" and query["state"] == "app-state-7"
    assert users(idp, pool_id) == []
    # a provider the client does not allow, or no one's identifier: the app is told at once
    for choice in ({"identity_provider": "Other"}, {"idp_identifier": "nobody.example"}):
        answer = requests.get(f"{server.url}/{pool_id}/oauth2/authorize", allow_redirects=False, timeout=30, params={
            "response_type": "code", "client_id": client_id, "redirect_uri": CALLBACK, "scope": "openid", "state": "s",
            "code_challenge": pkce()[1], "code_challenge_method": "S256", **choice})
        assert answer.status_code == 302 and "error=invalid_request" in answer.headers["Location"]


def test_forged_replayed_or_foreign_answers_are_pages_never_sign_ins(world):
    server, idp, pool_id, client_id, provider = world
    response = f"{server.url}/{pool_id}/oauth2/idpresponse"
    forged = requests.get(response, params={"code": "x", "state": secrets.token_urlsafe(32)}, allow_redirects=False, timeout=30)
    assert forged.status_code in (400, 404) and "Location" not in forged.headers
    assert requests.get(response, params={"code": "x"}, allow_redirects=False, timeout=30).status_code in (400, 404)

    # the provider's answer carried to another browser: refused there, and the starter can still finish
    starter = requests.Session()
    verifier, challenge = pkce()
    to_provider = starter.get(f"{server.url}/{pool_id}/oauth2/authorize", allow_redirects=False, timeout=30, params={
        "response_type": "code", "client_id": client_id, "redirect_uri": CALLBACK, "scope": "openid", "identity_provider": "Corp",
        "code_challenge": challenge, "code_challenge_method": "S256"})
    back = starter.get(to_provider.headers["Location"], allow_redirects=False, timeout=30).headers["Location"]
    stolen = requests.get(back, allow_redirects=False, timeout=30)
    assert stolen.status_code == 400 and "Location" not in stolen.headers
    assert users(idp, pool_id) == []
    finished = starter.get(back, allow_redirects=False, timeout=30)
    assert finished.status_code == 302 and "code=" in finished.headers["Location"]
    # the same answer again (the back button): a page, no second sign-in
    again = starter.get(back, allow_redirects=False, timeout=30)
    assert again.status_code in (400, 410) and "Location" not in again.headers


def test_first_sign_ins_of_one_person_at_once_make_one_user(world):
    server, idp, pool_id, client_id, provider = world
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda _: sign_in(world, identity_provider="Corp")[0], range(6)))
    assert all("code" in query for query in results), results
    assert [u["Username"] for u in users(idp, pool_id)] == ["Corp_u-1001"]
    members = idp.list_users_in_group(UserPoolId=pool_id, GroupName=f"{pool_id}_Corp")["Users"]
    assert [u["Username"] for u in members] == ["Corp_u-1001"]


def sign_in_page(world, browser, scope, state):
    """The app's authorize link without a provider: the hosted sign-in page, and the PKCE verifier."""
    server, idp, pool_id, client_id, provider = world
    verifier, challenge = pkce()
    page = browser.get(f"{server.url}/{pool_id}/oauth2/authorize", timeout=30, params={
        "response_type": "code", "client_id": client_id, "redirect_uri": CALLBACK, "scope": scope, "state": state,
        "code_challenge": challenge, "code_challenge_method": "S256"})
    return page, verifier


def test_the_sign_in_page_offers_a_button_per_allowed_provider(world):
    """Without identity_provider the hosted page shows the password form and a button per
    provider the client allows; the button goes to the provider with the same request."""
    server, idp, pool_id, client_id, provider = world
    browser = requests.Session()
    page, verifier = sign_in_page(world, browser, scope="openid email", state="st+1 2")
    assert page.status_code == 200 and 'name="password"' in page.text
    [link] = [html.unescape(href) for href in re.findall(r'class="button provider idpButton-customizable" href="([^"]+)"', page.text)]
    assert "Sign in with Corp" in page.text and "identity_provider=Corp" in link
    query = through_provider(browser, page.url, link)
    assert query["state"] == "st+1 2" and redeem(world, query["code"], verifier)["id_token"]

    # a client of the provider only: no password form, the button alone
    idp.update_user_pool_client(UserPoolId=pool_id, ClientId=client_id, SupportedIdentityProviders=["Corp"], CallbackURLs=[CALLBACK],
                                AllowedOAuthFlows=["code"], AllowedOAuthScopes=["openid", "email"], AllowedOAuthFlowsUserPoolClient=True)
    page, _ = sign_in_page(world, requests.Session(), scope="openid", state="st-3")
    assert 'name="password"' not in page.text and "Sign in with Corp" in page.text


def test_a_linked_provider_user_signs_in_as_the_native_user_until_the_link_is_disabled(world):
    """AdminLinkProviderForUser: signing in at the provider lands on the pool's own user, with
    its groups; at most five links; a provider user who signed in already cannot be linked;
    AdminDisableProviderForUser ends it."""
    server, idp, pool_id, client_id, provider = world
    idp.admin_create_user(UserPoolId=pool_id, Username="ana", MessageAction="SUPPRESS",
                          UserAttributes=[{"Name": "email", "Value": "ana@shop.example"}, {"Name": "email_verified", "Value": "true"}])
    idp.create_group(UserPoolId=pool_id, GroupName="staff")
    idp.admin_add_user_to_group(UserPoolId=pool_id, Username="ana", GroupName="staff")

    def link(subject, destination="ana", provider_name="Corp"):
        return idp.admin_link_provider_for_user(
            UserPoolId=pool_id, DestinationUser={"ProviderName": "Cognito", "ProviderAttributeValue": destination},
            SourceUser={"ProviderName": provider_name, "ProviderAttributeName": "Cognito_Subject", "ProviderAttributeValue": subject})

    link("u-1001")
    query, verifier, _ = sign_in(world, identity_provider="Corp")
    id_token = claims(redeem(world, query["code"], verifier)["id_token"])
    assert id_token["cognito:username"] == "ana" and id_token["cognito:groups"] == ["staff"] and id_token["email"] == "ana@shop.example"
    assert [u["Username"] for u in users(idp, pool_id)] == ["ana"], "a linked sign-in made a second user"
    identities = json.loads({a["Name"]: a["Value"] for a in idp.admin_get_user(UserPoolId=pool_id, Username="ana")["UserAttributes"]}["identities"])
    assert [(i["providerName"], i["userId"]) for i in identities] == [("Corp", "u-1001")]

    def code(call, **kwargs):
        with pytest.raises(ClientError) as raised:
            call(**kwargs)
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] < 500
        return raised.value.response["Error"]["Code"]

    idp.admin_create_user(UserPoolId=pool_id, Username="bea", MessageAction="SUPPRESS")
    assert code(link, subject="u-1001", destination="bea") == "InvalidParameterException"  # linked to ana already
    # a link is made only by AdminLinkProviderForUser: `identities` is no attribute anyone writes
    stolen = json.dumps([{"userId": "u-7", "providerName": "Corp", "providerType": "OIDC", "issuer": None, "primary": "false",
                          "dateCreated": "1"}])
    assert code(idp.admin_update_user_attributes, UserPoolId=pool_id, Username="bea",
                UserAttributes=[{"Name": "identities", "Value": stolen}]) == "InvalidParameterException"
    assert code(idp.sign_up, ClientId=client_id, Username="mallory", Password="Corr3ct-Horse!",
                UserAttributes=[{"Name": "identities", "Value": stolen}]) == "InvalidParameterException"
    assert code(link, subject="u-9", destination="nobody") == "UserNotFoundException"
    assert code(link, subject="u-9", provider_name="Nowhere") == "InvalidParameterException"
    for index in range(2, 6):
        link(f"u-{index}")
    assert code(link, subject="u-6") == "LimitExceededException"

    # a provider user who has signed in already is its own user: not linked (Cognito: no merging)
    provider.user = {"sub": "u-2002", "email": "cy@corp.example", "email_verified": False, "name": "Cy"}
    sign_in(world, identity_provider="Corp")
    assert code(link, subject="u-2002", destination="bea") == "InvalidParameterException"

    # disabled: the link is gone, and the next sign-in at the provider is a user of its own
    idp.admin_disable_provider_for_user(UserPoolId=pool_id, User={
        "ProviderName": "Corp", "ProviderAttributeName": "Cognito_Subject", "ProviderAttributeValue": "u-1001"})
    provider.user = {"sub": "u-1001", "email": "ana@corp.example", "email_verified": True, "name": "Ana Lima"}
    query, verifier, _ = sign_in(world, identity_provider="Corp")
    assert claims(redeem(world, query["code"], verifier)["id_token"])["cognito:username"] == "Corp_u-1001"
    # disabling a provider user who signed in: it cannot sign in again
    idp.admin_disable_provider_for_user(UserPoolId=pool_id, User={
        "ProviderName": "Corp", "ProviderAttributeName": "Cognito_Subject", "ProviderAttributeValue": "u-1001"})
    query, _, _ = sign_in(world, identity_provider="Corp")
    assert query["error"] == "access_denied"


def test_an_answer_posted_from_the_providers_site_is_posted_again_from_here(world):
    """form_post (Sign in with Apple answers so): the browser leaves the SameSite=Lax binding
    cookie out of a cross-site POST, so Cognate answers a page that posts the same fields again
    from its own site, where the cookie is sent; without the cookie even then, it is refused."""
    server, idp, pool_id, client_id, provider = world
    browser = requests.Session()
    verifier, challenge = pkce()
    to_provider = browser.get(f"{server.url}/{pool_id}/oauth2/authorize", allow_redirects=False, timeout=30, params={
        "response_type": "code", "client_id": client_id, "redirect_uri": CALLBACK, "scope": "openid email", "state": "s-9",
        "identity_provider": "Corp", "code_challenge": challenge, "code_challenge_method": "S256"})
    back = browser.get(to_provider.headers["Location"], allow_redirects=False, timeout=30).headers["Location"]
    answer = query_of(back)
    response_url = back.split("?")[0]

    cross_site = requests.post(response_url, data=answer, allow_redirects=False, timeout=30)  # no cookies, as from appleid.apple.com
    assert cross_site.status_code == 200 and cross_site.headers["Cache-Control"] == "no-store"
    assert "/js/continue.js" in cross_site.text and "script-src" not in cross_site.headers["Content-Security-Policy"]
    fields = {name: html.unescape(value) for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', cross_site.text)}
    assert fields["code"] == answer["code"] and fields["state"] == answer["state"] and fields["continued"] == "1"
    assert requests.get(f"{server.url}/js/continue.js", timeout=30).status_code == 200

    # posted again without the cookie (another browser): refused, no loop
    stranger = requests.post(response_url, data=fields, allow_redirects=False, timeout=30)
    assert stranger.status_code == 400 and "Location" not in stranger.headers
    # posted again from the browser that started it: signed in
    done = browser.post(response_url, data=fields, allow_redirects=False, timeout=30)
    assert done.status_code == 302 and done.headers["Location"].startswith(CALLBACK)
    query = query_of(done.headers["Location"])
    assert query["state"] == "s-9" and redeem(world, query["code"], verifier)["id_token"]


def test_a_work_address_routes_to_the_provider_of_its_domain(world):
    """The provider has an identifier (corp.example): the sign-in page asks for a work address,
    and its domain picks the provider; an address no provider holds is told so, on the page."""
    server, idp, pool_id, client_id, provider = world
    browser = requests.Session()
    page, verifier = sign_in_page(world, browser, scope="openid", state="w-1")
    assert 'name="corporate_email"' in page.text

    def submit(address, with_csrf=True):
        form = Form()
        form.feed(re.search(r'<form[^>]*class="domain".*?</form>', page.text, re.S).group(0))
        fields = dict(form.fields) | {"corporate_email": address}
        if not with_csrf:
            fields.pop("_csrf")
        return browser.post(urljoin(page.url, form.action), data=fields, allow_redirects=False, timeout=30)

    for address in ("ana@nowhere.example", "no-at-sign", "ana@"):
        refused = submit(address)
        assert refused.status_code == 400 and "No sign-in is set up for that address" in refused.text and "Location" not in refused.headers
    assert submit("ana@corp.example", with_csrf=False).status_code in (400, 403)
    routed = submit("Ana@CORP.example")
    assert routed.status_code == 302 and "identity_provider=Corp" in routed.headers["Location"]
    query = through_provider(browser, page.url, routed.headers["Location"])
    assert query["state"] == "w-1" and redeem(world, query["code"], verifier)["id_token"]


def test_a_client_of_the_provider_only_takes_no_password_or_sign_up(world):
    """SupportedIdentityProviders without COGNITO: the pool's own users cannot sign in or sign up
    through that client's pages, whatever a forged form posts; identity_provider=COGNITO is refused."""
    server, idp, pool_id, client_id, provider = world
    idp.admin_create_user(UserPoolId=pool_id, Username="native", MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=pool_id, Username="native", Password="Corr3ct-Horse!", Permanent=True)
    idp.update_user_pool_client(UserPoolId=pool_id, ClientId=client_id, SupportedIdentityProviders=["Corp"], CallbackURLs=[CALLBACK],
                                AllowedOAuthFlows=["code"], AllowedOAuthScopes=["openid"], AllowedOAuthFlowsUserPoolClient=True)
    browser = requests.Session()
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": CALLBACK, "scope": "openid", "code_challenge": pkce()[1],
              "code_challenge_method": "S256"}
    page = browser.get(f"{server.url}/{pool_id}/oauth2/authorize", params=params, timeout=30)
    assert 'name="password"' not in page.text and "/signup" not in page.text
    csrf = browser.cookies.get("cognate_csrf")
    request_id = re.search(r'name="request" value="([^"]+)"', page.text).group(1)
    forged = browser.post(urljoin(page.url, "login"), data={"_csrf": csrf, "request": request_id, "username": "native",
                                                            "password": "Corr3ct-Horse!"}, allow_redirects=False, timeout=30)
    assert forged.status_code == 400 and "Location" not in forged.headers and "another provider" in forged.text
    signup = browser.post(f"{server.url}/{pool_id}/signup", data={"_csrf": csrf, "request": request_id, "username": "new",
                                                                   "password": "Corr3ct-Horse!", "confirm_password": "Corr3ct-Horse!"},
                          allow_redirects=False, timeout=30)
    assert signup.status_code == 403 and "Location" not in signup.headers
    assert [u["Username"] for u in users(idp, pool_id)] == ["native"]
    explicit = requests.get(f"{server.url}/{pool_id}/oauth2/authorize", params=params | {"identity_provider": "COGNITO"},
                            allow_redirects=False, timeout=30)
    assert explicit.status_code == 302 and "error=invalid_request" in explicit.headers["Location"]


def test_links_made_at_once_stop_at_five(world):
    """Eight AdminLinkProviderForUser calls at once for one user: five links, the rest
    LimitExceededException, none lost or doubled."""
    server, idp, pool_id, client_id, provider = world
    idp.admin_create_user(UserPoolId=pool_id, Username="dee", MessageAction="SUPPRESS")

    def link(index):
        try:
            idp.admin_link_provider_for_user(
                UserPoolId=pool_id, DestinationUser={"ProviderName": "Cognito", "ProviderAttributeValue": "dee"},
                SourceUser={"ProviderName": "Corp", "ProviderAttributeName": "Cognito_Subject", "ProviderAttributeValue": f"race-{index}"})
            return "linked"
        except ClientError as refused:
            return refused.response["Error"]["Code"]

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(link, range(8)))
    assert results.count("linked") == 5 and results.count("LimitExceededException") == 3, results
    attributes = {a["Name"]: a["Value"] for a in idp.admin_get_user(UserPoolId=pool_id, Username="dee")["UserAttributes"]}
    assert len(json.loads(attributes["identities"])) == 5


def authlib_app_sign_in(world, provider_name, through):
    """The app as Authlib's OAuth 2.0 client (PKCE, nonce) talking only to Cognate, naming the
    provider; `through(browser, location)` takes the browser from Cognate's redirect to the
    provider back to Cognate's answer (the app's callback URL). Authlib redeems the code and
    checks Cognate's ID token; returns its claims."""
    from authlib.common.security import generate_token
    from authlib.integrations.requests_client import OAuth2Session
    from authlib.jose import JsonWebKey, jwt

    server, idp, pool_id, client_id, _ = world
    issuer = f"{server.url}/{pool_id}"
    discovery = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=30).json()
    verifier, nonce = generate_token(64), generate_token(16)
    app = OAuth2Session(client_id, redirect_uri=CALLBACK, scope="openid email profile", code_challenge_method="S256")
    url, _ = app.create_authorization_url(discovery["authorization_endpoint"], code_verifier=verifier, nonce=nonce,
                                          identity_provider=provider_name)
    browser = requests.Session()
    callback = through(browser, browser.get(url, allow_redirects=False, timeout=30).headers["Location"])
    token = app.fetch_token(discovery["token_endpoint"], authorization_response=callback, code_verifier=verifier)
    keys = JsonWebKey.import_key_set(requests.get(discovery["jwks_uri"], timeout=30).json())
    id_token = jwt.decode(token["id_token"], keys, claims_options={
        "iss": {"essential": True, "value": issuer}, "aud": {"essential": True, "value": client_id}, "nonce": {"essential": True, "value": nonce}})
    id_token.validate()
    return id_token


def test_an_authlib_app_signs_a_person_in_through_the_openid_provider(world):
    def through(browser, location):
        back = browser.get(location, allow_redirects=False, timeout=30).headers["Location"]
        return browser.get(back, allow_redirects=False, timeout=30).headers["Location"]

    id_token = authlib_app_sign_in(world, "Corp", through)
    assert id_token["cognito:username"] == "Corp_u-1001" and id_token["email"] == "ana@corp.example"


def test_pre_sign_up_external_provider_decides_on_a_new_federated_user(world):
    server, idp, pool_id, client_id, provider = world

    def pre_sign_up(event, context):
        if event["request"]["userAttributes"].get("name") == "Mallory":
            raise Exception("Mallory may not come in")
        return event

    # the pool's secret, made and shown by the command, is what the receiver verifies with
    shown = run_command(["triggers", "secret", "--pool", pool_id], server.data_dir)
    assert shown.returncode == 0, shown.stderr
    receiver = Receiver(shown.stdout.strip().splitlines()[-1])
    receiver.handlers = {"/pre-sign-up": pre_sign_up}
    try:
        idp.update_user_pool(UserPoolId=pool_id, LambdaConfig={"PreSignUp": f"{receiver.url}/pre-sign-up"})
        provider.user = provider.user | {"name": "Mallory"}
        query, _, _ = sign_in(world, identity_provider="Corp")
        assert query["error"] == "invalid_request" and query["state"] == "app-state-7" and "code" not in query, query
        assert query["error_description"] == "PreSignUp failed with error Mallory may not come in."
        assert users(idp, pool_id) == []
        (path, event, verified), = receiver.calls
        assert verified and event["triggerSource"] == "PreSignUp_ExternalProvider" and event["userName"] == "Corp_u-1001"
        assert event["callerContext"]["clientId"] == client_id and event["request"]["userAttributes"]["email"] == "ana@corp.example"
        # someone it lets in is made, and the trigger is not asked again at the next sign-in
        provider.user = provider.user | {"name": "Ana Lima"}
        query, verifier, _ = sign_in(world, identity_provider="Corp")
        assert claims(redeem(world, query["code"], verifier)["id_token"])["cognito:username"] == "Corp_u-1001"
        query, verifier, _ = sign_in(world, identity_provider="Corp")
        assert "code" in query and len(receiver.calls) == 2
    finally:
        receiver.stop()


def test_inbound_federation_reshapes_the_attributes_at_every_sign_in(world):
    server, idp, pool_id, client_id, provider = world

    def inbound_federation(event, context):
        given = event["request"]["attributes"]
        if given["idToken"].get("name") == "Mallory":
            raise Exception("Mallory's attributes are not taken")
        if given["idToken"].get("name") == "Garbled":
            event["response"]["userAttributesToMap"] = {"email": ["not", "text"]}
            return event
        event["response"]["userAttributesToMap"] = {
            "email": given["idToken"]["email"], "name": given["idToken"]["name"].upper(), "nickname": "via-" + event["request"]["providerType"]}
        return event

    shown = run_command(["triggers", "secret", "--pool", pool_id], server.data_dir)
    receiver = Receiver(shown.stdout.strip().splitlines()[-1])
    receiver.handlers = {"/inbound": inbound_federation}
    try:
        idp.update_user_pool(UserPoolId=pool_id, LambdaConfig={"InboundFederation": {"LambdaVersion": "V1_0", "LambdaArn": f"{receiver.url}/inbound"}})
        query, verifier, _ = sign_in(world, identity_provider="Corp")
        id_token = claims(redeem(world, query["code"], verifier)["id_token"])
        assert id_token["name"] == "ANA LIMA" and id_token["nickname"] == "via-OIDC" and id_token["email"] == "ana@corp.example"
        (path, event, verified), = receiver.calls
        assert verified and event["triggerSource"] == "InboundFederation_ExternalProvider" and event["userName"] == "Corp_u-1001"
        request = event["request"]
        assert request["providerName"] == "Corp" and request["providerType"] == "OIDC"
        assert request["attributes"]["idToken"]["sub"] == "u-1001" and request["attributes"]["tokenResponse"]["token_type"].lower() == "bearer"
        assert "refresh_token" not in request["attributes"]["tokenResponse"]
        # at the next sign-in too: what it answers is written again
        provider.user = provider.user | {"name": "Ana Souza"}
        query, verifier, _ = sign_in(world, identity_provider="Corp")
        assert claims(redeem(world, query["code"], verifier)["id_token"])["name"] == "ANA SOUZA" and len(receiver.calls) == 2
        # its refusal, and an answer that is not text, reach the app as errors; nothing changes
        provider.user = provider.user | {"name": "Mallory"}
        query, _, _ = sign_in(world, identity_provider="Corp")
        assert query["error"] == "invalid_request" and query["error_description"] == "InboundFederation failed with error Mallory's attributes are not taken."
        provider.user = provider.user | {"name": "Garbled"}
        query, _, _ = sign_in(world, identity_provider="Corp")
        assert query["error"] == "invalid_request" and query["error_description"] == "Unrecognizable lambda output"
        attributes = {a["Name"]: a["Value"] for a in idp.admin_get_user(UserPoolId=pool_id, Username="Corp_u-1001")["UserAttributes"]}
        assert attributes["name"] == "ANA SOUZA"
    finally:
        receiver.stop()
