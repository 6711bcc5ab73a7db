"""Passkeys on the hosted pages in Debian's Chromium, with its virtual authenticator (the
DevTools WebAuthn domain, through Selenium): a person signs in with a password, adds a passkey
on `{base}/passkeys`, and later signs in with the passkey and nothing else; where the pool
requires user verification, a person who fails the authenticator's check is not signed in; the
page without a session, without CSRF, and a forged answer are refused."""
import base64
import hashlib
import http.server
import json
import secrets
import shutil
import threading
import urllib.parse

import pytest
import requests
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.virtual_authenticator import VirtualAuthenticatorOptions
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from conftest import ADMIN, Server, claims, cognito, free_port

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
PASSWORD = "Corr3ct-Horse!"


class App(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(b"<!doctype html><title>App</title><h1>Back at the app</h1>")

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    assert CHROMIUM and CHROMEDRIVER, "needs Debian's chromium and chromium-driver: make deps"
    app_port = free_port()
    app = http.server.ThreadingHTTPServer(("127.0.0.1", app_port), App)
    threading.Thread(target=app.serve_forever, daemon=True).start()
    server = Server(str(tmp_path_factory.mktemp("browser-passkeys")), **ADMIN)
    idp = cognito(server.url)
    pool = idp.create_user_pool(PoolName="passkey-pages", Policies={"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "WEB_AUTHN"]}})["UserPool"]["Id"]
    idp.set_user_pool_mfa_config(UserPoolId=pool, WebAuthnConfiguration={"RelyingPartyId": "localhost", "UserVerification": "preferred"})
    app_url = f"http://localhost:{app_port}"
    client = idp.create_user_pool_client(UserPoolId=pool, ClientName="web", AllowedOAuthFlows=["code"], AllowedOAuthFlowsUserPoolClient=True,
                                         AllowedOAuthScopes=["openid", "aws.cognito.signin.user.admin"], CallbackURLs=[f"{app_url}/cb"],
                                         SupportedIdentityProviders=["COGNITO"])["UserPoolClient"]["ClientId"]
    for name in ("ada", "bo", "cy"):
        idp.admin_create_user(UserPoolId=pool, Username=name, MessageAction="SUPPRESS")
        idp.admin_set_user_password(UserPoolId=pool, Username=name, Password=PASSWORD, Permanent=True)
    # the pages are opened as http://localhost: a secure context whose host is the RP id
    yield {"server": server, "idp": idp, "pool": pool, "client": client, "app": app_url, "base": f"http://localhost:{server.port}/{pool}"}
    server.stop()
    app.shutdown()


def chromium(user_verification):
    options = Options()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1000,900", "--disable-gpu"):
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    authenticator = VirtualAuthenticatorOptions()
    authenticator.protocol = VirtualAuthenticatorOptions.Protocol.CTAP2
    authenticator.transport = VirtualAuthenticatorOptions.Transport.INTERNAL
    authenticator.has_resident_key = True
    authenticator.has_user_verification = user_verification
    authenticator.is_user_verified = user_verification
    browser.add_virtual_authenticator(authenticator)
    return browser


def authorize(stack):
    verifier, state = secrets.token_urlsafe(48), secrets.token_urlsafe(12)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    query = urllib.parse.urlencode({"response_type": "code", "client_id": stack["client"], "redirect_uri": f"{stack['app']}/cb",
                                    "scope": "openid aws.cognito.signin.user.admin", "state": state, "code_challenge": challenge, "code_challenge_method": "S256"})
    return f"{stack['base']}/oauth2/authorize?{query}", verifier


def wait_for(browser, condition, timeout=15):
    return WebDriverWait(browser, timeout).until(condition)


def tokens_at_app(stack, browser, verifier):
    wait_for(browser, expected_conditions.url_contains(stack["app"] + "/cb"))
    code = urllib.parse.parse_qs(urllib.parse.urlparse(browser.current_url).query)["code"][0]
    answer = requests.post(f"{stack['server'].url}/{stack['pool']}/oauth2/token", data={
        "grant_type": "authorization_code", "client_id": stack["client"], "code": code, "redirect_uri": f"{stack['app']}/cb",
        "code_verifier": verifier})
    assert answer.status_code == 200, answer.text
    return answer.json()


def password_sign_in(stack, browser, name, offer="not now"):
    """The password form; where the passkey offer follows, "Not now" (or "add", or "expect none")."""
    url, verifier = authorize(stack)
    browser.get(url)
    browser.find_element(By.NAME, "username").send_keys(name)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form:not(.passkey) button[type=submit]:not([name])").click()
    if offer == "not now":
        wait_for(browser, expected_conditions.element_to_be_clickable((By.ID, "passkey-skip"))).click()
    elif offer == "add":
        wait_for(browser, expected_conditions.element_to_be_clickable((By.CSS_SELECTOR, "#passkey-add button"))).click()
    return tokens_at_app(stack, browser, verifier)


def add_passkey(stack, browser):
    browser.get(f"{stack['base']}/passkeys")
    button = wait_for(browser, expected_conditions.element_to_be_clickable((By.CSS_SELECTOR, "#passkey-add button")))
    button.click()
    wait_for(browser, expected_conditions.text_to_be_present_in_element((By.CSS_SELECTOR, "p.notice"), "Passkey added."))
    return [element.text for element in browser.find_elements(By.CSS_SELECTOR, ".passkey-name")]


def passkey_sign_in(stack, browser):
    url, verifier = authorize(stack)
    browser.get(url)
    wait_for(browser, expected_conditions.element_to_be_clickable((By.CSS_SELECTOR, "form.passkey button"))).click()
    return tokens_at_app(stack, browser, verifier)


def test_a_person_adds_a_passkey_and_later_signs_in_with_it_alone(stack):
    browser = chromium(user_verification=True)
    try:
        # without a session the page says to sign in first
        browser.get(f"{stack['base']}/passkeys")
        assert "Sign in first" in browser.page_source
        first = password_sign_in(stack, browser, "ada")  # offered a passkey: "Not now"
        assert add_passkey(stack, browser)[0].startswith("Passkey added ")
        listed = stack["idp"].list_web_authn_credentials(AccessToken=first["access_token"])["Credentials"]
        assert len(listed) == 1 and listed[0]["RelyingPartyId"] == "localhost" and listed[0]["AuthenticatorAttachment"] == "platform"
        # signed out (a new browser session), then back with the passkey and nothing else
        browser.delete_all_cookies()
        tokens = passkey_sign_in(stack, browser)
        assert claims(tokens["id_token"])["sub"] == claims(first["id_token"])["sub"]
        # the passkeys page removes it; the next passkey sign-in is refused on the page
        browser.get(f"{stack['base']}/passkeys")
        browser.find_element(By.CSS_SELECTOR, "ul.passkeys form button").click()
        wait_for(browser, expected_conditions.text_to_be_present_in_element((By.CSS_SELECTOR, "p.notice"), "Passkey removed."))
        browser.delete_all_cookies()
        url, _ = authorize(stack)
        browser.get(url)
        wait_for(browser, expected_conditions.element_to_be_clickable((By.CSS_SELECTOR, "form.passkey button"))).click()
        wait_for(browser, expected_conditions.text_to_be_present_in_element((By.CSS_SELECTOR, "p.error"), "That passkey was not accepted."))
    finally:
        browser.quit()


def test_a_password_sign_in_offers_a_passkey_once_there_is_none(stack):
    browser = chromium(user_verification=True)
    try:
        tokens = password_sign_in(stack, browser, "cy", offer="add")  # added, then on to the app with the code
        listed = stack["idp"].list_web_authn_credentials(AccessToken=tokens["access_token"])["Credentials"]
        assert len(listed) == 1, listed
        browser.delete_all_cookies()
        password_sign_in(stack, browser, "cy", offer="expect none")  # a person with a passkey is not asked again
        browser.delete_all_cookies()
        assert claims(passkey_sign_in(stack, browser)["id_token"])["cognito:username"] == "cy"
    finally:
        browser.quit()


def test_user_verification_required_by_the_pool(stack):
    browser = chromium(user_verification=True)
    idp, pool = stack["idp"], stack["pool"]
    try:
        password_sign_in(stack, browser, "bo")
        idp.set_user_pool_mfa_config(UserPoolId=pool, WebAuthnConfiguration={"RelyingPartyId": "localhost", "UserVerification": "required"})
        try:
            add_passkey(stack, browser)
            browser.delete_all_cookies()
            tokens = passkey_sign_in(stack, browser)  # the authenticator verified the person: signed in
            assert tokens["id_token"]
            # the person fails the authenticator's check (fingerprint, PIN): the browser gives no answer, the page says so and stays
            browser.set_user_verified(False)
            browser.delete_all_cookies()
            url, _ = authorize(stack)
            browser.get(url)
            wait_for(browser, expected_conditions.element_to_be_clickable((By.CSS_SELECTOR, "form.passkey button"))).click()
            wait_for(browser, expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, "form.passkey .passkey-error")))
            assert "/login" in browser.current_url
        finally:
            idp.set_user_pool_mfa_config(UserPoolId=pool, WebAuthnConfiguration={"RelyingPartyId": "localhost", "UserVerification": "preferred"})
    finally:
        browser.quit()


def test_forged_answers_and_forms_without_csrf_are_refused(stack):
    session = requests.Session()
    url, _ = authorize(stack)
    page = session.get(url.replace("http://localhost", "http://127.0.0.1"))
    assert page.status_code == 200 and 'data-passkey="get"' in page.text

    def field(name):
        import re
        return re.search(f'name="{name}" value="([^"]*)"', page.text).group(1)
    form = {"_csrf": field("_csrf"), "request": field("request"), "passkey_ticket": field("passkey_ticket"),
            "credential": json.dumps({"id": "AAAA", "type": "public-key", "response": {}})}
    refused = session.post(f"{stack['server'].url}/{stack['pool']}/login", data=form)
    assert refused.status_code == 400 and "That passkey was not accepted." in refused.text
    forged = session.post(f"{stack['server'].url}/{stack['pool']}/login", data=form | {"passkey_ticket": "forged"})
    assert forged.status_code == 400 and "That passkey was not accepted." in forged.text
    assert session.post(f"{stack['server'].url}/{stack['pool']}/passkeys", data={"remove": "x"}).status_code == 403
    assert session.get(f"{stack['server'].url}/{stack['pool']}/passkeys").status_code == 401
