"""The hosted pages and messages in the person's language: the locale chosen from the app's
ui_locales (or Cognito's lang), the language the person picked on the page (kept in a cookie),
Accept-Language, the pool's default, then English; right-to-left for Arabic; codes sent in the
language the person signed up in; the pool's own message templates still win."""
import concurrent.futures
import json
import os
import re
from urllib.parse import urlencode, urljoin

import pytest
import requests

import smtp_server
from conftest import ADMIN, Form, Server, cognito, free_port

CALLBACK = "http://localhost:3000/callback"
MESSAGES = os.path.join(os.path.dirname(__file__), "..", "..", "Messages")
SHIPPED = ["ar", "de", "en", "es", "fr", "ja", "pt-BR"]


def catalog(locale):
    """A shipped catalog, flattened to key paths: what the page should say, read from the catalog itself."""
    with open(os.path.join(MESSAGES, f"{locale}.json"), encoding="utf-8") as f:
        tree = json.load(f)
    flat = {}

    def walk(node, prefix):
        for key, value in node.items():
            path = f"{prefix}.{key}" if prefix else key
            walk(value, path) if isinstance(value, dict) else flat.__setitem__(path, value)
    walk(tree, "")
    return flat


CONFIG = """
pools:
  - name: worldwide
    id: local_World1234
    autoVerifiedAttributes: [email]
    schema:
      - {name: email, required: true}
    clients:
      - name: web
        id: worldweb000000000000000000
        secret: world-client-secret-0123456789abcdefgh
        callbackURLs: [http://localhost:3000/callback]
        allowedOAuthFlows: [code]
        allowedOAuthScopes: [openid, email]
  - name: spanish
    id: local_Spain1234
    locale: es
    clients:
      - name: web
        id: spainweb000000000000000000
        secret: spain-client-secret-0123456789abcdefgh
        callbackURLs: [http://localhost:3000/callback]
        allowedOAuthFlows: [code]
        allowedOAuthScopes: [openid]
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    data_dir = str(tmp_path_factory.mktemp("locales"))
    port = free_port()
    controller, inbox = smtp_server.start(port)
    config = os.path.join(data_dir, "cognate.yaml")
    with open(config, "w") as f:
        f.write(CONFIG)
    server = Server(data_dir, args=["--config", config], COGNATE_SMTP_URL=f"smtp://127.0.0.1:{port}",
                    COGNATE_MAIL_FROM="no-reply@cognate.test", **ADMIN)
    yield server, inbox
    server.stop()
    controller.stop()


def authorize(server, pool="local_World1234", client="worldweb000000000000000000", **extra):
    return f"{server.url}/{pool}/oauth2/authorize?" + urlencode(
        {"response_type": "code", "client_id": client, "redirect_uri": CALLBACK, "scope": "openid", **extra})


def open_login(server, browser=None, headers=None, **extra):
    """The sign-in page a fresh authorization request leads to."""
    browser = browser or requests.Session()
    first = browser.get(authorize(server, **extra), headers=headers, allow_redirects=False, timeout=30)
    assert first.status_code == 302, first.text
    page = browser.get(urljoin(server.url, first.headers["Location"]), headers=headers, timeout=30)
    assert page.status_code == 200
    return browser, page


def language(page):
    """(lang, dir) of the page's html element, and its first heading."""
    html = re.search(r'<html lang="([^"]+)" dir="(ltr|rtl)">', page.text)
    heading = re.search(r"<h1>(.*?)</h1>", page.text, re.S).group(1)
    return html.group(1), html.group(2), heading


def test_every_shipped_catalog_speaks_on_the_sign_in_page(world):
    server, _ = world
    for locale in SHIPPED:
        _, page = open_login(server, ui_locales=locale)
        texts = catalog(locale)
        assert language(page) == (locale, "rtl" if locale == "ar" else "ltr", texts["login.title"]), locale
        for key in ["login.username", "login.password", "login.forgot", "login.signUp", "language.label"]:
            assert texts[key].replace("'", "&#39;") in page.text, (locale, key)
        if locale != "en":
            assert "Forgot your password?" not in page.text, locale


def test_the_order_of_choice(world):
    server, _ = world
    # ui_locales (most wanted first, unknown tags skipped) beats Accept-Language
    _, page = open_login(server, headers={"Accept-Language": "de"}, ui_locales="xx-YY ja de")
    assert language(page)[0] == "ja"
    # Cognito's lang parameter, where there is no ui_locales
    _, page = open_login(server, headers={"Accept-Language": "de"}, lang="ar")
    assert language(page)[:2] == ("ar", "rtl")
    # Accept-Language with q-values; a region falls back to its language; a language to its region
    _, page = open_login(server, headers={"Accept-Language": "fr;q=0.1, ja;q=0.9, *;q=0.5"})
    assert language(page)[0] == "ja"
    _, page = open_login(server, headers={"Accept-Language": "de-AT,en;q=0.5"})
    assert language(page)[0] == "de"
    _, page = open_login(server, headers={"Accept-Language": "pt"})
    assert language(page)[0] == "pt-BR"
    # nothing known: English; the pool's default where it has one, below Accept-Language
    _, page = open_login(server, headers={"Accept-Language": "tlh"})
    assert language(page)[0] == "en"
    _, page = open_login(server, pool="local_Spain1234", client="spainweb000000000000000000", headers={"Accept-Language": "tlh"})
    assert language(page) == ("es", "ltr", catalog("es")["login.title"])
    _, page = open_login(server, pool="local_Spain1234", client="spainweb000000000000000000", headers={"Accept-Language": "fr"})
    assert language(page)[0] == "fr"


def test_the_language_picked_on_the_page_is_kept(world):
    server, _ = world
    browser, page = open_login(server, headers={"Accept-Language": "en"})
    form = re.search(r'<footer class="languages">.*?</footer>', page.text, re.S).group(0)
    options = re.findall(r'<option value="([^"]+)" lang="[^"]+"( selected)?>([^<]+)</option>', form)
    assert sorted(tag for tag, _, _ in options) == SHIPPED
    assert {tag: name for tag, _, name in options}["ja"] == "日本語" and [tag for tag, chosen, _ in options if chosen] == ["en"]
    # the selector is a GET form back to this page carrying only the request's id
    selector = Form()
    selector.feed(form)
    assert set(selector.fields) == {"request"} and '<select id="lang" name="lang">' in form
    picked = browser.get(urljoin(page.url, selector.action), params={**selector.fields, "lang": "fr"}, headers={"Accept-Language": "en"})
    assert language(picked)[0] == "fr"
    cookie = [c for c in picked.headers.get("Set-Cookie", "").split(", ") if c.startswith("cognate-lang=")]
    assert cookie and "HttpOnly" in cookie[0] and "SameSite=Lax" in cookie[0]
    # the same request goes on (its form still signs in), and the next sign-in remembers the choice over Accept-Language
    assert re.search(r'name="request" value="[^"]+"', picked.text)
    _, later = open_login(server, browser=browser, headers={"Accept-Language": "de"})
    assert language(later)[0] == "fr"
    # but the app's ui_locales still wins over the remembered choice
    _, asked = open_login(server, browser=browser, ui_locales="es")
    assert language(asked)[0] == "es"


def test_unknown_or_hostile_language_values_are_ignored(world):
    server, _ = world
    for value in ["../../etc/passwd", "<script>alert(1)</script>", "x" * 5000, "en-", "", "de\r\nSet-Cookie: a=b"]:
        browser, page = open_login(server, headers={"Accept-Language": "tlh"})
        request_id = re.search(r'name="request" value="([^"]+)"', page.text).group(1)
        again = browser.get(f"{server.url}/local_World1234/login", params={"request": request_id, "lang": value})
        assert again.status_code == 200 and language(again)[0] == "en", value
        assert "cognate-lang" not in again.headers.get("Set-Cookie", "")
        assert "<script>alert" not in again.text and "etc/passwd" not in again.text
        # as a cookie or a ui_locales tag, too
        browser.cookies.set("cognate-lang", value[:100].replace("\r\n", ""))
        _, page = open_login(server, browser=browser, ui_locales=value[:200])
        assert language(page)[0] == "en"


def test_error_pages_speak_the_language_too(world):
    server, _ = world
    page = requests.get(f"{server.url}/local_World1234/login", params={"request": "forged"}, headers={"Accept-Language": "ja"})
    assert page.status_code == 400
    assert language(page)[:2] == ("ja", "ltr") and catalog("ja")["error.invalidSignInLink"] in page.text
    page = requests.get(f"{server.url}/local_World1234/oauth2/authorize", params={"client_id": "nope"}, headers={"Accept-Language": "ar"})
    assert page.status_code == 400 and language(page)[:2] == ("ar", "rtl")
    # no language selector where the page is an answer rather than one a link opens (its query is not carried)
    assert '<footer class="languages">' not in page.text


def test_many_people_in_different_languages_at_once(world):
    """Each page is said in its own person's language, whatever the others ask at the same moment."""
    server, _ = world
    wanted = [SHIPPED[i % len(SHIPPED)] for i in range(42)]

    def one(locale):
        _, page = open_login(server, headers={"Accept-Language": locale})
        return locale, language(page), page.text
    with concurrent.futures.ThreadPoolExecutor(max_workers=14) as pool:
        for locale, (lang, _, heading), text in pool.map(one, wanted):
            assert lang == locale and heading == catalog(locale)["login.title"]
            assert catalog(locale)["login.password"] in text


def sign_up(server, browser, page, username, email, password="Corr3ct-Horse!"):
    signup = browser.get(urljoin(page.url, re.search(r'<a href="([^"]*signup[^"]*)"', page.text).group(1).replace("&amp;", "&")))
    form = Form()
    form.feed(signup.text)
    form.fields.update(username=username, email=email, password=password, confirm_password=password)
    return browser.post(urljoin(signup.url, form.action), data=form.fields, allow_redirects=False)


def test_sign_up_in_german_gets_the_code_in_german_and_keeps_the_locale(world):
    server, inbox = world
    idp = cognito(server.url)
    before = len(inbox.messages)
    browser = requests.Session()
    browser.headers["Accept-Language"] = "de-DE,de;q=0.9"
    browser, page = open_login(server, browser=browser)
    confirm = sign_up(server, browser, page, "greta", "greta@example.com")
    assert confirm.status_code == 200 and language(confirm)[0] == "de"
    assert catalog("de")["confirm.title"] in confirm.text
    mail = inbox.wait(before + 1)[before]["message"]
    german = catalog("de")
    assert mail["Subject"] == german["message.verificationSubject"]
    body = mail.get_body(("plain",)).get_content()
    code = re.search(r"\d{6}", body).group(0)
    assert body.strip() == german["message.verificationBody"].replace("{####}", code)
    # and an HTML part beside the text, designed as the pages are, in the same language
    assert mail.get_content_type() == "multipart/alternative"
    html = mail.get_body(("html",)).get_content()
    assert '<html lang="de" dir="ltr">' in html and code in html and german["message.footer"].replace("{pool}", "worldwide") in html
    assert "<img" not in html
    # the language is kept as the standard locale attribute: later messages speak it too
    user = idp.admin_get_user(UserPoolId="local_World1234", Username="greta")
    assert {a["Name"]: a["Value"] for a in user["UserAttributes"]}["locale"] == "de"
    idp.admin_confirm_sign_up(UserPoolId="local_World1234", Username="greta")
    idp.admin_update_user_attributes(UserPoolId="local_World1234", Username="greta",
                                     UserAttributes=[{"Name": "locale", "Value": "ja"}, {"Name": "email_verified", "Value": "true"}])
    before = len(inbox.messages)
    idp.admin_reset_user_password(UserPoolId="local_World1234", Username="greta")
    mail = inbox.wait(before + 1)[before]["message"]
    assert mail["Subject"] == catalog("ja")["message.verificationSubject"]


def test_the_html_part_carries_the_pools_logo(world):
    """The pool's logo (its classic customization for ALL) travels in the email itself, by cid:."""
    from test_ui_customization import png
    server, inbox = world
    idp = cognito(server.url)
    logo = png(24, 12)
    idp.set_ui_customization(UserPoolId="local_World1234", ImageFile=logo)
    try:
        before = len(inbox.messages)
        browser = requests.Session()
        browser.headers["Accept-Language"] = "ar"
        browser, page = open_login(server, browser=browser)
        assert sign_up(server, browser, page, "layla", "layla@example.com").status_code == 200
        mail = inbox.wait(before + 1)[before]["message"]
        assert mail.get_content_type() == "multipart/related"
        html = mail.get_body(("html",)).get_content()
        assert '<html lang="ar" dir="rtl">' in html and '<img src="cid:logo@cognate"' in html
        images = [part for part in mail.walk() if part.get_content_type() == "image/png"]
        assert len(images) == 1 and images[0]["Content-ID"] == "<logo@cognate>" and images[0].get_payload(decode=True) == logo
        assert mail.get_body(("plain",)).get_content().strip().startswith(catalog("ar")["message.verificationBody"].split("{")[0].strip())
    finally:
        idp.set_ui_customization(UserPoolId="local_World1234")


def test_the_pools_own_message_template_still_wins(world):
    server, inbox = world
    idp = cognito(server.url)
    pool = idp.describe_user_pool(UserPoolId="local_World1234")["UserPool"]
    idp.update_user_pool(UserPoolId="local_World1234", AutoVerifiedAttributes=["email"],
                         VerificationMessageTemplate={"DefaultEmailOption": "CONFIRM_WITH_CODE", "EmailSubject": "Bitte bestätigen",
                                                      "EmailMessage": "Ihr eigener Code: {####}"})
    try:
        before = len(inbox.messages)
        browser = requests.Session()
        browser.headers["Accept-Language"] = "fr"
        browser, page = open_login(server, browser=browser)
        confirm = sign_up(server, browser, page, "pierre", "pierre@example.com")
        assert confirm.status_code == 200 and language(confirm)[0] == "fr"
        mail = inbox.wait(before + 1)[before]["message"]
        assert mail["Subject"] == "Bitte bestätigen" and "Ihr eigener Code: " in mail.get_body(("plain",)).get_content()
    finally:
        idp.update_user_pool(UserPoolId="local_World1234", AutoVerifiedAttributes=pool.get("AutoVerifiedAttributes", []))
