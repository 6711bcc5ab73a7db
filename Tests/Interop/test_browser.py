"""The hosted pages in a real browser: Debian's Chromium, headless, driven by Selenium.

From an app's authorize link a person signs up, reads the code from a real SMTP server
(aiosmtpd), confirms, and lands at the app's callback with a code the app exchanges; signs out;
sets up an authenticator app from the QR page and signs in with its codes (pyotp plays the app);
forgets the password and resets it. Every page the browser sees is saved as a screenshot in
Tests/Interop/screenshots/ (the suite names the folder at the end)."""
import base64
import hashlib
import json
import http.server
import os
import re
import secrets
import shutil
import subprocess
import threading
import urllib.parse

import pytest
import requests
from selenium.common.exceptions import WebDriverException
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

import smtp_server
from conftest import ADMIN, SCREENSHOTS, Server, cognito, free_port

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")


def latest_screenshot():
    return max((os.path.join(SCREENSHOTS, name) for name in os.listdir(SCREENSHOTS)), key=os.path.getmtime)


class App(http.server.BaseHTTPRequestHandler):
    """The relying party's callback and signed-out pages."""

    def do_GET(self):
        path = urllib.parse.urlparse(self.path).path
        body = {"/cb": "<h1>Back at the app</h1>", "/signed-out": "<h1>Signed out</h1>"}.get(path, "<h1>Not found</h1>")
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(f"<!doctype html><title>App</title>{body}".encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def stack(data_dir):
    """Cognate with mail to aiosmtpd, an app on loopback, a pool and a public client, and a browser."""
    assert CHROMIUM and CHROMEDRIVER and shutil.which("zbarimg"), "needs Debian's chromium, chromium-driver and zbar-tools: make deps"
    smtp_port, app_port = free_port(), free_port()
    controller, inbox = smtp_server.start(smtp_port)
    app = http.server.ThreadingHTTPServer(("127.0.0.1", app_port), App)
    threading.Thread(target=app.serve_forever, daemon=True).start()
    server = Server(data_dir, COGNATE_SMTP_URL=f"smtp://127.0.0.1:{smtp_port}", COGNATE_MAIL_FROM="no-reply@cognate.test", **ADMIN)
    options = Options()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1000,900", "--disable-gpu"):
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        idp = cognito(server.url)
        pool_id = idp.create_user_pool(PoolName="browser", AutoVerifiedAttributes=["email"],
                                       Schema=[{"Name": "email", "AttributeDataType": "String", "Required": True}])["UserPool"]["Id"]
        app_url = f"http://localhost:{app_port}"
        client_id = idp.create_user_pool_client(
            UserPoolId=pool_id, ClientName="web", AllowedOAuthFlows=["code"], AllowedOAuthFlowsUserPoolClient=True,
            AllowedOAuthScopes=["openid", "email"], CallbackURLs=[f"{app_url}/cb"], LogoutURLs=[f"{app_url}/signed-out"],
        )["UserPoolClient"]["ClientId"]
        yield {"server": server, "inbox": inbox, "browser": browser, "pool": pool_id, "client": client_id, "app": app_url}
    finally:
        browser.quit()
        server.stop()
        app.shutdown()
        controller.stop()


def axe_violations(browser):
    """axe-core 4.x (the copy PyPI's axe-playwright-python carries) run in the page through
    Selenium: the WCAG 2.0–2.2 A and AA rules that fail, each with its first offending element."""
    import pathlib
    import axe_playwright_python
    script = (pathlib.Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()
    browser.execute_script(script)
    return browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})"
        ".then(r => done(r.violations.map(v => [v.id, v.impact, v.nodes[0].html.slice(0, 160)])), e => done([['axe failed', String(e)]]));")


class Person:
    """A person at the browser, saving a screenshot of every page they see."""

    def __init__(self, stack, name):
        self.stack, self.browser, self.name, self.shots = stack, stack["browser"], name, 0
        os.makedirs(SCREENSHOTS, exist_ok=True)

    def see(self, heading):
        # a lookup that meets the page mid-navigation ("Node … does not belong to the document")
        # is asked again, as a stale element is
        WebDriverWait(self.browser, 15, ignored_exceptions=(WebDriverException,)).until(
            expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "h1"), heading))
        if self.browser.current_url.startswith(self.stack["server"].url):
            # every Cognate page a journey meets is checked by axe-core against WCAG 2.2 A and AA
            violations = axe_violations(self.browser)
            assert violations == [], f"{self.browser.current_url}: {violations}"
        self.shots += 1
        label = re.sub(r"[^\w]+", "-", heading.lower()).strip("-")
        self.browser.save_screenshot(os.path.join(SCREENSHOTS, f"{self.name}-{self.shots:02d}-{label}.png"))
        return self.browser.page_source

    def fill(self, **fields):
        for name, value in fields.items():
            element = self.browser.find_element(By.NAME, name)
            element.clear()
            element.send_keys(value)

    def press(self, text):
        self.browser.find_element(By.XPATH, f"//button[normalize-space()='{text}']").click()

    def follow(self, text):
        self.browser.find_element(By.LINK_TEXT, text).click()


def authorize(stack):
    """The app's authorize link with PKCE; returns (url, verifier, state)."""
    verifier, state = secrets.token_urlsafe(48), secrets.token_urlsafe(12)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    query = urllib.parse.urlencode({"response_type": "code", "client_id": stack["client"], "redirect_uri": f"{stack['app']}/cb",
                                    "scope": "openid email", "state": state, "code_challenge": challenge, "code_challenge_method": "S256"})
    return f"{stack['server'].url}/{stack['pool']}/oauth2/authorize?{query}", verifier, state


def landed_with_tokens(stack, person, verifier, state):
    """At the app's callback with a code and the state; the app exchanges the code for tokens."""
    person.see("Back at the app")
    query = urllib.parse.parse_qs(urllib.parse.urlparse(person.browser.current_url).query)
    assert query["state"] == [state]
    tokens = requests.post(f"{stack['server'].url}/{stack['pool']}/oauth2/token", data={
        "grant_type": "authorization_code", "client_id": stack["client"], "code": query["code"][0],
        "redirect_uri": f"{stack['app']}/cb", "code_verifier": verifier})
    assert tokens.status_code == 200, tokens.text
    return tokens.json()


def sign_out_and_start_again(stack, person):
    """/logout back to the app, then the app's authorize link again: the form, not a session."""
    person.browser.get(f"{stack['server'].url}/{stack['pool']}/logout?" + urllib.parse.urlencode(
        {"client_id": stack["client"], "logout_uri": f"{stack['app']}/signed-out"}))
    person.see("Signed out")
    url, verifier, state = authorize(stack)
    person.browser.get(url)
    person.see("Sign in")
    return verifier, state


def verified_user(stack, name, password):
    """A confirmed user with a verified address {name}@example.com and a permanent password."""
    idp = cognito(stack["server"].url)
    idp.admin_create_user(UserPoolId=stack["pool"], Username=name, MessageAction="SUPPRESS", UserAttributes=[
        {"Name": "email", "Value": f"{name}@example.com"}, {"Name": "email_verified", "Value": "true"}])
    idp.admin_set_user_password(UserPoolId=stack["pool"], Username=name, Password=password, Permanent=True)


def code_in(inbox, count, to):
    received = inbox.wait(count)[count - 1]
    assert received["to"] == [to]
    body = received["message"].get_body(preferencelist=("plain",)).get_content()
    return re.search(r"\b(\d{6})\b", body).group(1)


def test_sign_up_confirm_land_at_the_app_and_sign_out(stack):
    person = Person(stack, "signup")
    url, verifier, state = authorize(stack)
    person.browser.get(url)
    person.see("Sign in")
    person.follow("Create an account")
    person.see("Create an account")
    person.fill(username="rosa", email="rosa@example.com", password="Corr3ct-Horse!", confirm_password="Corr3ct-Horse")
    person.press("Create account")
    page = person.see("Create an account")
    assert "The two passwords do not match." in page
    person.fill(password="Corr3ct-Horse!", confirm_password="Corr3ct-Horse!")
    person.press("Create account")
    page = person.see("Confirm your account")
    assert "We sent a code by email to r***@e***" in page
    person.fill(code=code_in(stack["inbox"], 1, "rosa@example.com"))
    person.press("Confirm account")
    tokens = landed_with_tokens(stack, person, verifier, state)
    claims = requests.get(f"{stack['server'].url}/{stack['pool']}/oauth2/userInfo",
                          headers={"Authorization": f"Bearer {tokens['access_token']}"}).json()
    assert claims["email"] == "rosa@example.com" and claims["email_verified"] is True

    # signing out ends the session: the next authorize shows the form again
    sign_out_and_start_again(stack, person)


def test_set_up_an_authenticator_on_the_hosted_page_and_sign_in_with_it(stack):
    import time

    import pyotp
    cognito(stack["server"].url).update_user_pool(UserPoolId=stack["pool"], MfaConfiguration="ON", AutoVerifiedAttributes=["email"])
    verified_user(stack, "tara", "Corr3ct-Horse!")

    person = Person(stack, "totp")
    url, verifier, state = authorize(stack)
    person.browser.get(url)
    person.see("Sign in")
    person.fill(username="tara", password="Corr3ct-Horse!")
    person.press("Sign in")
    person.see("Set up your authenticator app")
    assert person.browser.find_element(By.CSS_SELECTOR, "figure.qr svg").is_displayed()
    key = person.browser.find_element(By.ID, "secret").text.replace(" ", "")
    # the QR code as a phone's camera reads it (zbarimg from Debian's zbar-tools, on the screenshot)
    scanned = subprocess.run(["zbarimg", "-q", "--raw", latest_screenshot()], capture_output=True, text=True).stdout.strip()
    assert scanned == f"otpauth://totp/browser:tara?secret={key}&issuer=browser", scanned
    # on the phone itself, the same key as a link the authenticator app opens
    assert person.browser.find_element(By.ID, "setup-link").get_attribute("href") == scanned
    totp = pyotp.TOTP(key)
    person.fill(code=totp.now())
    person.press("Verify and sign in")
    landed_with_tokens(stack, person, verifier, state)

    # signed out, the next sign-in asks for the code from the app
    verifier, state = sign_out_and_start_again(stack, person)
    person.fill(username="tara", password="Corr3ct-Horse!")
    person.press("Sign in")
    assert "Enter the 6-digit code from your authenticator app." in person.see("Confirm it is you")
    person.fill(code=totp.at(time.time() + 30))  # the current step's code was used at setup
    person.press("Sign in")
    landed_with_tokens(stack, person, verifier, state)


def test_forget_and_reset_the_password(stack):
    verified_user(stack, "sven", "Old-Passw0rd!")

    person = Person(stack, "reset")
    url, verifier, state = authorize(stack)
    person.browser.get(url)
    person.see("Sign in")
    person.fill(username="sven", password="Wrong-Passw0rd!")
    person.press("Sign in")
    assert "Incorrect username or password." in person.see("Sign in")
    person.follow("Forgot your password?")
    person.see("Forgot your password?")
    person.fill(username="sven")
    person.press("Send code")
    assert "We sent a code by email to s***@e***" in person.see("Reset your password")
    code = code_in(stack["inbox"], 1, "sven@example.com")
    person.fill(code="000000" if code != "000000" else "111111", new_password="N3w-Passw0rd!", confirm_password="N3w-Passw0rd!")
    person.press("Reset password")
    assert "That code is not right" in person.see("Reset your password")
    person.fill(code=code, new_password="N3w-Passw0rd!", confirm_password="N3w-Passw0rd!")
    person.press("Reset password")
    assert "Your password has been reset" in person.see("Sign in")
    person.fill(username="sven", password="N3w-Passw0rd!")
    person.press("Sign in")
    landed_with_tokens(stack, person, verifier, state)


def allow_provider(stack, name):
    """The stack's web client lets its users sign in through `name` as well as with a password."""
    cognito(stack["server"].url).update_user_pool_client(
        UserPoolId=stack["pool"], ClientId=stack["client"], SupportedIdentityProviders=["COGNITO", name], AllowedOAuthFlows=["code"],
        AllowedOAuthFlowsUserPoolClient=True, AllowedOAuthScopes=["openid", "email"], CallbackURLs=[f"{stack['app']}/cb"],
        LogoutURLs=[f"{stack['app']}/signed-out"])


def test_sign_in_through_an_outside_openid_provider_by_its_button(stack):
    """The sign-in page's "Sign in with Corp" button: to a real OpenID provider (Authlib's, on
    loopback), which signs the person in, back through /oauth2/idpresponse to the app."""
    from oidc_provider import OIDCProvider
    server, pool_id = stack["server"], stack["pool"]
    idp = cognito(server.url)
    provider = OIDCProvider(redirect_uris=[f"{server.url}/{pool_id}/oauth2/idpresponse"])
    try:
        idp.create_identity_provider(
            UserPoolId=pool_id, ProviderName="Corp", ProviderType="OIDC",
            ProviderDetails={"client_id": provider.client.client_id, "client_secret": provider.client.secret, "authorize_scopes": "openid email",
                             "attributes_request_method": "GET", "oidc_issuer": provider.issuer},
            AttributeMapping={"email": "email"})
        allow_provider(stack, "Corp")
        person = Person(stack, "federated")
        url, verifier, state = authorize(stack)
        person.browser.get(url)
        person.see("Sign in")
        person.follow("Sign in with Corp")
        tokens = landed_with_tokens(stack, person, verifier, state)
        id_token = json.loads(base64.urlsafe_b64decode(tokens["id_token"].split(".")[1] + "=="))
        assert id_token["cognito:username"] == "Corp_u-1001" and id_token["email"] == "ana@corp.example"
    finally:
        provider.close()


def test_sign_in_through_a_saml_idp_by_work_address_and_sign_out_there(stack):
    """The work-address field routes to the company's SAML IdP (a real one, pysaml2 with
    xmlsec1): its page posts the signed Response to /saml2/idpresponse, Cognate's continue page
    posts it again with the sign-in's cookie, and the person lands at the app; signing out
    signs out at the IdP too (IDPSignout) and ends at the app's signed-out page."""
    from saml_idp import SAMLIdP
    server, pool_id = stack["server"], stack["pool"]
    idp = cognito(server.url)
    saml = SAMLIdP()
    try:
        idp.create_identity_provider(
            UserPoolId=pool_id, ProviderName="Okta", ProviderType="SAML", IdpIdentifiers=["corp.example"],
            ProviderDetails={"MetadataFile": saml.metadata(), "IDPSignout": "true"},
            AttributeMapping={"email": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"})
        saml.trust(requests.get(f"{server.url}/{pool_id}/saml2/metadata", timeout=30).text)
        allow_provider(stack, "Okta")
        person = Person(stack, "saml")
        url, verifier, state = authorize(stack)
        person.browser.get(url)
        page = person.see("Sign in")
        assert "Sign in with Okta" in page
        person.fill(corporate_email="ana@Corp.Example")
        person.press("Continue with your organisation")
        tokens = landed_with_tokens(stack, person, verifier, state)
        id_token = json.loads(base64.urlsafe_b64decode(tokens["id_token"].split(".")[1] + "=="))
        assert id_token["cognito:username"] == "Okta_ana.lima" and id_token["email"] == "ana@corp.example"
        assert [request["issuer"] for request in saml.requests] == [f"urn:amazon:cognito:sp:{pool_id}"]
        sign_out_and_start_again(stack, person)
        assert [logout["name_id"] for logout in saml.logouts] == ["ana.lima"]
    finally:
        saml.close()


def test_the_pools_classic_customization_shows_in_the_browser(stack):
    """SetUICustomization's CSS and logo as a person sees them: Chromium applies the style the
    Content-Security-Policy allows by its hash, and shows the logo above the form."""
    from test_ui_customization import png
    cognito(stack["server"].url).set_ui_customization(
        UserPoolId=stack["pool"], CSS=".submitButton-customizable { background-color: #0a7d3b; }\n.background-customizable { background-color: #f4f1ea; }",
        ImageFile=png(40, 20))
    person = Person(stack, "branded")
    url, _, _ = authorize(stack)
    person.browser.get(url)
    person.see("Sign in")
    button = person.browser.find_element(By.CSS_SELECTOR, "button.submitButton-customizable")
    assert button.value_of_css_property("background-color") in ("rgba(10, 125, 59, 1)", "rgb(10, 125, 59)")
    body = person.browser.find_element(By.TAG_NAME, "body")
    assert body.value_of_css_property("background-color") in ("rgba(244, 241, 234, 1)", "rgb(244, 241, 234)")
    logo = person.browser.find_element(By.CSS_SELECTOR, "img.logo-customizable")
    assert person.browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", logo) == 40


def test_sign_in_with_the_keyboard_alone(stack):
    """Tab and Enter only, from the top of the page: each field is reached in order, shows where
    the focus is, and the form is sent with Enter."""
    from selenium.webdriver.common.keys import Keys
    verified_user(stack, "kai", "Corr3ct-Horse!")
    person = Person(stack, "keyboard")
    url, verifier, state = authorize(stack)
    person.browser.get(url)
    person.see("Sign in")

    def tab():
        person.browser.switch_to.active_element.send_keys(Keys.TAB)
        focused = person.browser.switch_to.active_element
        # a visible focus indicator (the browser's ring or the page's own outline)
        assert focused.value_of_css_property("outline-style") != "none" or focused.value_of_css_property("box-shadow") != "none"
        return focused

    assert tab().get_attribute("name") == "username"
    person.browser.switch_to.active_element.send_keys("kai")
    assert tab().get_attribute("name") == "password"
    person.browser.switch_to.active_element.send_keys("Corr3ct-Horse!", Keys.ENTER)
    landed_with_tokens(stack, person, verifier, state)


def test_the_pages_follow_a_dark_system_setting_with_contrast_kept(stack):
    """With the system set to dark, the pages turn dark; axe (run by `see` on every page) finds
    no contrast failure there either, error message included."""
    browser = stack["browser"]
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    person = Person(stack, "dark")
    url, _, _ = authorize(stack)
    browser.get(url)
    person.see("Sign in")
    assert browser.find_element(By.TAG_NAME, "body").value_of_css_property("background-color") in ("rgba(31, 31, 31, 1)", "rgb(31, 31, 31)")
    person.fill(username="nobody", password="Wrong-Passw0rd!")
    person.press("Sign in")
    person.see("Sign in")
    assert browser.find_element(By.CSS_SELECTOR, "p.error").is_displayed()
    person.follow("Create an account")
    person.see("Create an account")


SHIPPED = ["ar", "de", "en", "es", "fr", "ja", "pt-BR"]


def texts(locale):
    """A shipped catalog, flattened to key paths: the words the page should show."""
    from test_locales import catalog
    return catalog(locale)


def test_every_page_in_every_language_and_both_modes_passes_axe(stack):
    """Sign-in (and its refusal), sign-up (and a refusal tied to a field), forgot password and an
    error page, in each shipped language, light and dark: axe-core finds no WCAG 2.2 A/AA
    violation on any of them (`see` runs it), the html element carries the language and its
    direction, and the words are the catalog's."""
    browser = stack["browser"]
    for mode in ("light", "dark"):
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": mode}]})
        for locale in SHIPPED:
            t = texts(locale)
            person = Person(stack, f"{mode}-{locale}")
            url, _, _ = authorize(stack)
            browser.get(url + "&ui_locales=" + locale)
            person.see(t["login.title"])
            html = browser.find_element(By.TAG_NAME, "html")
            assert (html.get_attribute("lang"), html.get_attribute("dir")) == (locale, "rtl" if locale == "ar" else "ltr")
            person.fill(username=f"nobody-{mode}-{locale}", password="Wrong-Passw0rd!")
            browser.find_element(By.CSS_SELECTOR, "button.submitButton-customizable").click()
            person.see(t["login.title"])
            assert browser.find_element(By.CSS_SELECTOR, "p.error").text == t["login.incorrect"]
            browser.find_element(By.CSS_SELECTOR, "a[href*='/signup?']").click()
            person.see(t["signUp.title"])
            person.fill(username="someone", email="someone@example.com", password="Corr3ct-Horse!", confirm_password="other")
            browser.find_element(By.CSS_SELECTOR, "button.submitButton-customizable").click()
            person.see(t["signUp.title"])
            assert browser.find_element(By.CSS_SELECTOR, "p.error").text == t["common.passwordsDiffer"]
            assert browser.find_element(By.ID, "confirm_password").get_attribute("aria-invalid") == "true"
            browser.find_element(By.CSS_SELECTOR, "a[href*='/login?']").click()
            person.see(t["login.title"])
            browser.find_element(By.CSS_SELECTOR, "a[href*='/forgotPassword?']").click()
            person.see(t["forgot.title"])
            browser.get(f"{stack['server'].url}/{stack['pool']}/login?request=forged&lang={locale}")
            person.see(t["error.invalidSignInLink"])


def keyboard(person):
    """Tab and Enter, as a person without a mouse: each Tab lands on something that shows it has the focus."""
    from selenium.webdriver.common.keys import Keys

    def tab(times=1):
        for _ in range(times):
            person.browser.switch_to.active_element.send_keys(Keys.TAB)
            focused = person.browser.switch_to.active_element
            assert focused.value_of_css_property("outline-style") != "none" or focused.value_of_css_property("box-shadow") != "none"
        return person.browser.switch_to.active_element

    def tab_to(match, limit=15):
        for _ in range(limit):
            focused = tab()
            if match(focused):
                return focused
        raise AssertionError("never reached by Tab")
    return Keys, tab, tab_to


@pytest.mark.parametrize("locale", ["ar", "ja"])
def test_sign_up_by_keyboard_alone_in_arabic_and_japanese(stack, locale):
    """A person who reads Arabic (right to left) or Japanese signs up with Tab, arrow keys and
    Enter only: the language picked on the page with the keyboard, then the sign-up link, the
    form, the emailed code (which comes in that language), and back at the app."""
    Keys, tab, tab_to = keyboard(person := Person(stack, f"keyboard-{locale}"))
    t = texts(locale)
    url, verifier, state = authorize(stack)
    person.browser.get(url)
    person.see("Sign in")
    # the language selector, by keyboard: focus it, move to the language with the arrow keys, Tab to its button, Enter
    select = tab_to(lambda e: e.get_attribute("id") == "lang")
    names = person.browser.execute_script("return [...arguments[0].options].map(o => o.value)", select)
    current = person.browser.execute_script("return arguments[0].selectedIndex", select)
    wanted = names.index(locale)
    select.send_keys(*([Keys.ARROW_DOWN] * (wanted - current) if wanted > current else [Keys.ARROW_UP] * (current - wanted)))
    tab().send_keys(Keys.ENTER)
    person.see(t["login.title"])
    assert person.browser.find_element(By.TAG_NAME, "html").get_attribute("dir") == ("rtl" if locale == "ar" else "ltr")
    tab_to(lambda e: "/signup?" in (e.get_attribute("href") or "")).send_keys(Keys.ENTER)
    person.see(t["signUp.title"])
    name = f"kb{locale}"
    assert tab().get_attribute("name") == "username"
    person.browser.switch_to.active_element.send_keys(name)
    assert tab().get_attribute("name") == "email"
    person.browser.switch_to.active_element.send_keys(f"{name}@example.com")
    assert tab().get_attribute("name") == "password"
    person.browser.switch_to.active_element.send_keys("Corr3ct-Horse!")
    assert tab().get_attribute("name") == "confirm_password"
    person.browser.switch_to.active_element.send_keys("Corr3ct-Horse!", Keys.ENTER)
    person.see(t["confirm.title"])
    received = stack["inbox"].wait(1)[-1]["message"]
    assert received["Subject"] == t["message.verificationSubject"]
    code = re.search(r"\d{6}", received.get_body(preferencelist=("plain",)).get_content()).group(0)
    assert tab().get_attribute("name") == "code"
    person.browser.switch_to.active_element.send_keys(code, Keys.ENTER)
    landed_with_tokens(stack, person, verifier, state)


def test_a_managed_login_style_shows_in_both_modes(stack):
    """A managed login style as a person sees it: its colours in light and in dark mode (the
    system setting), its radius, its header bar and form logo; axe still finds nothing."""
    from test_managed_login import GREEN_BUTTON, SVG
    from test_ui_customization import png
    cognito(stack["server"].url).create_managed_login_branding(UserPoolId=stack["pool"], ClientId=stack["client"], Settings=GREEN_BUTTON, Assets=[
        {"Category": "FORM_LOGO", "ColorMode": "LIGHT", "Extension": "PNG", "Bytes": png(40, 20)},
        {"Category": "FORM_LOGO", "ColorMode": "DARK", "Extension": "SVG", "Bytes": SVG}])
    browser = stack["browser"]
    for mode, button in (("light", "rgb(10, 125, 59)"), ("dark", "rgb(126, 226, 168)")):
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": mode}]})
        person = Person(stack, f"managed-{mode}")
        url, _, _ = authorize(stack)
        browser.get(url)
        person.see("Sign in")
        submit = browser.find_element(By.CSS_SELECTOR, "button.submitButton-customizable")
        assert submit.value_of_css_property("background-color") in (button, button.replace("rgb", "rgba").replace(")", ", 1)"))
        assert submit.value_of_css_property("border-top-left-radius") == "12px"
        assert browser.find_element(By.CSS_SELECTOR, "header.page-header").is_displayed()
        logo = browser.find_element(By.CSS_SELECTOR, "img.logo-customizable")
        width = browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", logo)
        assert width == 40, (mode, width)
