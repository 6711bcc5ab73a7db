"""The hosted authorization-code flow with PKCE, driven by Authlib over plain HTTP: the form is
submitted as a browser would, the code exchanged, the ID token checked with jwcrypto."""
import base64
import hashlib
import json
import os
from urllib.parse import parse_qs, urljoin, urlparse

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from jwcrypto import jwk, jwt

from conftest import Form, Server

CALLBACK = "http://localhost:3000/callback"
CONFIG = """
pools:
  - name: hosted
    id: local_Hosted123
    aliasAttributes: [email]
    clients:
      - name: spa
        id: hostedspa00000000000000000
        callbackURLs: [http://localhost:3000/callback]
        logoutURLs: [http://localhost:3000/signed-out]
        allowedOAuthFlows: [code]
        allowedOAuthScopes: [openid, email, profile]
        refreshTokenRotation: true
      - name: legacy-spa
        id: hostedimplicit000000000000
        callbackURLs: [http://localhost:3000/callback]
        allowedOAuthFlows: [implicit]
        allowedOAuthScopes: [openid, email]
      - name: web
        id: hostedweb00000000000000000
        secret: web-client-secret-0123456789abcdefghij
        callbackURLs: [http://localhost:3000/callback]
        allowedOAuthFlows: [code]
        allowedOAuthScopes: [openid, email]
    users:
      - username: alice
        password: Corr3ct-Horse!
        attributes: {email: alice@example.com, email_verified: "true", given_name: Alice}
      - username: newbie
        temporaryPassword: Temp-Passw0rd!
"""


@pytest.fixture
def server(data_dir):
    config = os.path.join(data_dir, "cognate.yaml")
    with open(config, "w") as f:
        f.write(CONFIG)
    s = Server(data_dir, args=["--config", config])
    yield s
    s.stop()


def sign_in_through_the_form(server, authorization_url, username="alice", password="Corr3ct-Horse!", browser=None):
    browser = browser or requests.Session()
    first = browser.get(authorization_url, allow_redirects=False)
    assert first.status_code == 302, first.text
    page = browser.get(urljoin(server.url, first.headers["Location"]))
    assert page.status_code == 200 and "<form" in page.text
    form = Form()
    form.feed(page.text)
    form.fields.update(username=username, password=password)
    answer = browser.post(urljoin(page.url, form.action), data=form.fields, allow_redirects=False)
    return browser, answer


def test_authlib_code_flow_with_pkce_refresh_userinfo_and_revoke(server):
    issuer = f"{server.url}/local_Hosted123"
    discovery = requests.get(f"{issuer}/.well-known/openid-configuration").json()
    verifier = generate_token(64)
    nonce = generate_token(16)
    oauth = OAuth2Session("hostedspa00000000000000000", redirect_uri=CALLBACK, scope="openid email profile",
                          code_challenge_method="S256")
    url, state = oauth.create_authorization_url(discovery["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
    browser, answer = sign_in_through_the_form(server, url)
    assert answer.status_code == 302
    callback = answer.headers["Location"]
    assert callback.startswith(CALLBACK) and parse_qs(urlparse(callback).query)["state"] == [state]
    assert "HttpOnly" in answer.headers["Set-Cookie"] and "SameSite=Lax" in answer.headers["Set-Cookie"]
    token = oauth.fetch_token(discovery["token_endpoint"], authorization_response=callback, code_verifier=verifier)
    # the ID token: signature, issuer, audience, expiry, nonce and at_hash
    keys = jwk.JWKSet.from_json(requests.get(discovery["jwks_uri"]).text)
    claims = json.loads(jwt.JWT(jwt=token["id_token"], key=keys, check_claims={
        "iss": issuer, "aud": "hostedspa00000000000000000", "exp": None, "nonce": nonce}).claims)
    digest = hashlib.sha256(token["access_token"].encode()).digest()
    assert claims["at_hash"] == base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")
    assert claims["email"] == "alice@example.com" and claims["given_name"] == "Alice" and claims["cognito:username"] == "alice"
    # userInfo with the access token
    info = requests.get(f"{issuer}/oauth2/userInfo", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert info.status_code == 200 and info.json()["email"] == "alice@example.com" and info.headers["Cache-Control"] == "no-store"
    # refresh (rotation is on: a new refresh token), then the old one is a replay
    refreshed = oauth.refresh_token(discovery["token_endpoint"], refresh_token=token["refresh_token"])
    assert refreshed["refresh_token"] != token["refresh_token"]
    replay = requests.post(discovery["token_endpoint"], data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"],
                                                               "client_id": "hostedspa00000000000000000"})
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    # a second authorize inside the session skips the form
    url2, _ = oauth.create_authorization_url(discovery["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
    again = browser.get(url2, allow_redirects=False)
    assert again.status_code == 302 and again.headers["Location"].startswith(CALLBACK + "?code=")


def test_confidential_client_and_revoke(server):
    issuer = f"{server.url}/local_Hosted123"
    oauth = OAuth2Session("hostedweb00000000000000000", "web-client-secret-0123456789abcdefghij", redirect_uri=CALLBACK, scope="openid email")
    url, _ = oauth.create_authorization_url(f"{issuer}/oauth2/authorize")
    _, answer = sign_in_through_the_form(server, url)
    token = oauth.fetch_token(f"{issuer}/oauth2/token", authorization_response=answer.headers["Location"])
    revoked = requests.post(f"{issuer}/oauth2/revoke", data={"token": token["refresh_token"]},
                            auth=("hostedweb00000000000000000", "web-client-secret-0123456789abcdefghij"))
    assert revoked.status_code == 200
    info = requests.get(f"{issuer}/oauth2/userInfo", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert info.status_code == 401 and "invalid_token" in info.headers["WWW-Authenticate"]
    wrong = requests.post(f"{issuer}/oauth2/token", data={"grant_type": "refresh_token", "refresh_token": "x"},
                          auth=("hostedweb00000000000000000", "wrong-secret"))
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client" and "WWW-Authenticate" in wrong.headers


def test_failures_are_shown_or_redirected_as_the_rfc_says(server):
    issuer = f"{server.url}/local_Hosted123"
    # unknown client or unregistered redirect_uri: a page, never a redirect
    for query in ["client_id=nope&response_type=code&redirect_uri=http://localhost:3000/callback",
                  "client_id=hostedspa00000000000000000&response_type=code&redirect_uri=https://evil.example/cb"]:
        page = requests.get(f"{issuer}/oauth2/authorize?{query}", allow_redirects=False)
        assert page.status_code == 400 and "Location" not in page.headers and "text/html" in page.headers["Content-Type"]
    # a public client without PKCE: redirected back with the error and the state
    missing = requests.get(f"{issuer}/oauth2/authorize?client_id=hostedspa00000000000000000&response_type=code"
                           f"&redirect_uri={CALLBACK}&scope=openid&state=s1", allow_redirects=False)
    query = parse_qs(urlparse(missing.headers["Location"]).query)
    assert query["error"] == ["invalid_request"] and query["state"] == ["s1"]
    # prompt=none without a session
    challenge = create_s256_code_challenge(generate_token(64))
    none = requests.get(f"{issuer}/oauth2/authorize?client_id=hostedspa00000000000000000&response_type=code&redirect_uri={CALLBACK}"
                        f"&scope=openid&prompt=none&code_challenge={challenge}&code_challenge_method=S256", allow_redirects=False)
    assert parse_qs(urlparse(none.headers["Location"]).query)["error"] == ["login_required"]
    # wrong password: the form again, with one message for every failure
    oauth = OAuth2Session("hostedspa00000000000000000", redirect_uri=CALLBACK, scope="openid", code_challenge_method="S256")
    url, _ = oauth.create_authorization_url(f"{issuer}/oauth2/authorize", code_verifier=generate_token(64))
    _, wrong = sign_in_through_the_form(server, url, password="Wrong-Passw0rd!")
    _, unknown = sign_in_through_the_form(server, url, username="mallory", password="Wrong-Passw0rd!")
    assert wrong.status_code == 400 and unknown.status_code == 400
    assert "Incorrect username or password." in wrong.text and "Incorrect username or password." in unknown.text
    # a form posted without its CSRF cookie is refused
    page = requests.get(url, allow_redirects=True)
    form = Form()
    form.feed(page.text)
    form.fields.update(username="alice", password="Corr3ct-Horse!")
    forged = requests.post(urljoin(page.url, form.action), data=form.fields, allow_redirects=False)
    assert forged.status_code == 403


def test_logout_ends_the_session_and_returns_only_to_registered_urls(server, data_dir):
    issuer = f"{server.url}/local_Hosted123"
    verifier = generate_token(64)
    oauth = OAuth2Session("hostedspa00000000000000000", redirect_uri=CALLBACK, scope="openid", code_challenge_method="S256")
    url, _ = oauth.create_authorization_url(f"{issuer}/oauth2/authorize", code_verifier=verifier)
    browser, answer = sign_in_through_the_form(server, url)
    assert answer.status_code == 302
    # an unregistered logout_uri is an error page, not a redirect, and the session survives
    bad = browser.get(f"{issuer}/logout?client_id=hostedspa00000000000000000&logout_uri=https://evil.example/", allow_redirects=False)
    assert bad.status_code == 400 and "Location" not in bad.headers
    # Cognito's second form: sign out and start a fresh sign-in
    fresh = browser.get(f"{issuer}/logout?client_id=hostedspa00000000000000000&redirect_uri={CALLBACK}&response_type=code", allow_redirects=False)
    assert fresh.status_code == 302 and "/login?" in fresh.headers["Location"]
    # the session is gone: prompt=none now answers login_required
    url2, _ = oauth.create_authorization_url(f"{issuer}/oauth2/authorize", code_verifier=verifier, prompt="none")
    none = browser.get(url2, allow_redirects=False)
    assert parse_qs(urlparse(none.headers["Location"]).query)["error"] == ["login_required"]
    # the plain form: back to a registered sign-out URL
    browser, _ = sign_in_through_the_form(server, url)
    out = browser.get(f"{issuer}/logout?client_id=hostedspa00000000000000000&logout_uri=http://localhost:3000/signed-out", allow_redirects=False)
    assert out.status_code == 302 and out.headers["Location"] == "http://localhost:3000/signed-out"
    assert parse_qs(urlparse(browser.get(url2, allow_redirects=False).headers["Location"]).query)["error"] == ["login_required"]


def test_temporary_password_leads_to_the_new_password_page(server):
    issuer = f"{server.url}/local_Hosted123"
    verifier = generate_token(64)
    oauth = OAuth2Session("hostedspa00000000000000000", redirect_uri=CALLBACK, scope="openid", code_challenge_method="S256")
    url, _ = oauth.create_authorization_url(f"{issuer}/oauth2/authorize", code_verifier=verifier)
    browser, page = sign_in_through_the_form(server, url, username="newbie", password="Temp-Passw0rd!")
    assert page.status_code == 200 and "Choose a new password" in page.text
    form = Form()
    form.feed(page.text)
    # a weak password is refused on the page, and the page can be used again
    form.fields.update(new_password="weak", confirm_password="weak")
    weak = browser.post(urljoin(page.url, form.action), data=form.fields, allow_redirects=False)
    assert weak.status_code == 400 and "Password" in weak.text
    form.fields.update(new_password="Chosen-Passw0rd!", confirm_password="Chosen-Passw0rd!")
    done = browser.post(urljoin(page.url, form.action), data=form.fields, allow_redirects=False)
    assert done.status_code == 302 and done.headers["Location"].startswith(CALLBACK + "?code=")
    token = oauth.fetch_token(f"{issuer}/oauth2/token", authorization_response=done.headers["Location"], code_verifier=verifier)
    assert token["id_token"]
    # the new password is the password now
    _, again = sign_in_through_the_form(server, url, username="newbie", password="Chosen-Passw0rd!")
    assert again.status_code == 302


def test_implicit_flow_answers_in_the_fragment(server):
    issuer = f"{server.url}/local_Hosted123"
    nonce = generate_token(16)
    url = (f"{issuer}/oauth2/authorize?response_type=token&client_id=hostedimplicit000000000000"
           f"&redirect_uri={CALLBACK}&scope=openid%20email&state=imp&nonce={nonce}")
    _, answer = sign_in_through_the_form(server, url)
    assert answer.status_code == 302
    location = urlparse(answer.headers["Location"])
    assert location.query == "" and location.fragment
    fragment = parse_qs(location.fragment)
    assert fragment["token_type"] == ["Bearer"] and fragment["state"] == ["imp"] and "refresh_token" not in fragment
    keys = jwk.JWKSet.from_json(requests.get(f"{issuer}/.well-known/jwks.json").text)
    claims = json.loads(jwt.JWT(jwt=fragment["id_token"][0], key=keys, check_claims={
        "iss": issuer, "aud": "hostedimplicit000000000000", "nonce": nonce, "exp": None}).claims)
    assert claims["email"] == "alice@example.com"
    # a client allowed only the code flow cannot ask for tokens: the error comes back in the fragment
    refused = requests.get(f"{issuer}/oauth2/authorize?response_type=token&client_id=hostedspa00000000000000000"
                           f"&redirect_uri={CALLBACK}&scope=openid&state=x", allow_redirects=False)
    assert parse_qs(urlparse(refused.headers["Location"]).fragment)["error"] == ["unauthorized_client"]
