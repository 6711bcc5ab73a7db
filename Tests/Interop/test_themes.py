"""Themes (COGNATE_THEMES_DIR): a theme overrides only the templates, files and catalog entries it
has, the rest coming from its parent and in the end from the built-in theme; a pool or client
picks one in the config file; its files are served without reaching outside it; a broken
template falls back to the built-in one (or, in development mode, says where and why); and in
development mode a change shows without a restart."""
import json
import os
import re
from urllib.parse import urlencode, urljoin

import pytest
import requests

from conftest import ADMIN, Server, run_command

CALLBACK = "http://localhost:3000/cb"
CONFIG = """
pools:
  - name: themed
    id: local_Themed123
    theme: %s
    clients:
      - name: web
        id: themedweb00000000000000000
        secret: themed-client-secret-0123456789abcdef
        callbackURLs: [http://localhost:3000/cb]
        allowedOAuthFlows: [code]
        allowedOAuthScopes: [openid]
      - name: plain
        id: plainweb000000000000000000
        secret: plain-client-secret-0123456789abcdefg
        theme: base-acme
        callbackURLs: [http://localhost:3000/cb]
        allowedOAuthFlows: [code]
        allowedOAuthScopes: [openid]
"""
FORGOT = """#extend("layout"):
  #export("content"):
    <h1>#(t.forgot.title)</h1>
    <p class="acme-help">Call the Acme help desk on 555-0100.</p>
    <form method="post" action="#(action)" novalidate>
      <input type="hidden" name="_csrf" value="#(csrf)">
      #for(field in hidden):<input type="hidden" name="#(field.name)" value="#(field.value)">
      #endfor
      <label for="username">#(usernameLabel)</label>
      <input id="username" name="username" type="text" autocomplete="username" required value="#(username)">
      <button type="submit">#(t.forgot.submit)</button>
    </form>
  #endexport
#endextend
"""


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w" if isinstance(text, str) else "wb") as f:
        f.write(text)


def make_themes(root):
    """base-acme (a style sheet, an English title) and acme, its child (one template, one German entry, an image)."""
    write(f"{root}/base-acme/css/theme.css", ".card { border-width: 3px; }\n")
    write(f"{root}/base-acme/messages/en.json", json.dumps({"login": {"title": "Welcome to Acme"}}))
    write(f"{root}/acme/theme.json", json.dumps({"parent": "base-acme"}))
    write(f"{root}/acme/templates/forgot-password.leaf", FORGOT)
    write(f"{root}/acme/messages/de.json", json.dumps({"login": {"submit": "Los geht's"}}))
    write(f"{root}/acme/images/mark.svg", '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>')
    return root


def start(data_dir, theme="acme", **extra):
    themes = make_themes(os.path.join(data_dir, "themes"))
    config = os.path.join(data_dir, "cognate.yaml")
    write(config, CONFIG % theme)
    return Server(data_dir, args=["--config", config], COGNATE_THEMES_DIR=themes, **ADMIN, **extra), themes


def page(server, path="login", client="themedweb00000000000000000", **headers):
    browser = requests.Session()
    first = browser.get(f"{server.url}/local_Themed123/{path}?" + urlencode(
        {"response_type": "code", "client_id": client, "redirect_uri": CALLBACK}), headers=headers, allow_redirects=False)
    if first.status_code == 302:
        return browser.get(urljoin(server.url, first.headers["Location"]), headers=headers)
    return first


def test_a_theme_overrides_only_what_it_has(data_dir):
    server, _ = start(data_dir)
    try:
        login = page(server)
        # the parent's catalog entry and style sheet; the built-in template and the rest of the catalog
        assert "<h1>Welcome to Acme</h1>" in login.text and "<title>Welcome to Acme</title>" in login.text
        assert '<link rel="stylesheet" href="/themes/base-acme/css/theme.css">' in login.text
        assert ">Forgot your password?</a>" in login.text and ">Password</label>" in login.text
        # the theme's own template replaces the built-in one, in the built-in layout
        forgot = page(server, "forgotPassword")
        assert "Call the Acme help desk" in forgot.text and '<footer class="languages">' in forgot.text
        signup = page(server, "signup")
        assert "acme-help" not in signup.text and "<h1>Create an account</h1>" in signup.text
        # the theme's German entry over the built-in German catalog
        german = page(server, **{"Accept-Language": "de"})
        assert "Los geht&#39;s" in german.text or "Los geht's" in german.text
        assert "<h1>Anmelden</h1>" in german.text
        # a client picks its own theme over the pool's: the parent alone, without the child's template
        assert "acme-help" not in page(server, "forgotPassword", client="plainweb000000000000000000").text
        assert "<h1>Welcome to Acme</h1>" in page(server, client="plainweb000000000000000000").text
    finally:
        server.stop()


def test_theme_files_are_served_from_the_theme_or_its_parents_only(data_dir):
    server, _ = start(data_dir)
    try:
        css = requests.get(f"{server.url}/themes/acme/css/theme.css")
        assert css.status_code == 200 and "border-width: 3px" in css.text and css.headers["Content-Type"].startswith("text/css")
        assert "max-age=3600" in css.headers["Cache-Control"]
        assert requests.get(f"{server.url}/themes/acme/css/theme.css", headers={"If-None-Match": css.headers["ETag"]}).status_code == 304
        svg = requests.get(f"{server.url}/themes/acme/images/mark.svg")
        assert svg.headers["Content-Type"] == "image/svg+xml" and "sandbox" in svg.headers["Content-Security-Policy"]
        for path in ["acme/templates/forgot-password.leaf", "acme/theme.json", "acme/messages/de.json", "acme/../../cognate.yaml",
                     "acme/css/../../acme/theme.json", "acme/css/%2e%2e/theme.json", "acme/css/.hidden", "nope/css/theme.css",
                     "acme/css", "acme/images/../../../etc/passwd"]:
            assert requests.get(f"{server.url}/themes/{path}").status_code == 404, path
    finally:
        server.stop()


def test_a_theme_that_is_not_there_or_goes_round_stops_start_up(data_dir):
    themes = make_themes(os.path.join(data_dir, "themes"))
    config = os.path.join(data_dir, "cognate.yaml")
    write(config, CONFIG % "missing")
    result = run_command(["serve", "--port", "1", "--config", config], data_dir, COGNATE_THEMES_DIR=themes)
    assert result.returncode == 1 and "names the theme missing" in result.stderr
    write(f"{themes}/base-acme/theme.json", json.dumps({"parent": "acme"}))
    write(config, CONFIG % "acme")
    result = run_command(["serve", "--port", "1", "--config", config], data_dir, COGNATE_THEMES_DIR=themes)
    assert result.returncode == 1 and "circle" in result.stderr
    result = run_command(["serve", "--port", "1"], data_dir, COGNATE_THEMES_DIR=os.path.join(data_dir, "nowhere"))
    assert result.returncode == 1 and "COGNATE_THEMES_DIR" in result.stderr


def test_a_broken_template_falls_back_in_production_and_is_shown_in_development(data_dir):
    server, themes = start(data_dir)
    try:
        write(f"{themes}/acme/templates/signup.leaf", '#extend("layout"):\n  #export("content"):\n    <h1>#(t.signUp.title</h1>\n')
        # read at start? no: read on first use, and broken; the person gets the built-in page
        signup = page(server, "signup")
        assert signup.status_code == 200 and "<h1>Create an account</h1>" in signup.text
        assert "theme acme, template signup.leaf" in server.output()
    finally:
        server.stop()
    server = Server(data_dir, args=["--config", os.path.join(data_dir, "cognate.yaml")], COGNATE_THEMES_DIR=themes,
                    COGNATE_DEVELOPMENT="true", **ADMIN)
    try:
        broken = page(server, "signup")
        assert broken.status_code == 500 and "Template error" in broken.text
        assert "theme acme, template signup.leaf: signup.leaf, line 3, column 0: a line break where a tag's parameters go on" in broken.text
        # development mode reads the theme again for every page: a fix shows on reload
        write(f"{themes}/acme/templates/signup.leaf", '#extend("layout"):\n  #export("content"):\n    <h1>Join Acme</h1>\n  #endexport\n#endextend\n')
        assert "<h1>Join Acme</h1>" in page(server, "signup").text
        write(f"{themes}/base-acme/messages/en.json", json.dumps({"login": {"title": "Hello again"}}))
        assert "<h1>Hello again</h1>" in page(server).text
    finally:
        server.stop()


PREVIEW_CONFIG = """
pools:
  - name: previewed
    id: local_Preview12
    autoVerifiedAttributes: [email]
    schema:
      - {name: email, required: true}
      - {name: given_name, required: true}
    clients:
      - name: plain
        id: previewplain00000000000000
        secret: preview-client-secret-0123456789abcd
        callbackURLs: [http://localhost:3000/cb]
        allowedOAuthFlows: [code]
        allowedOAuthScopes: [openid]
      - name: tweaked
        id: previewtweaked000000000000
        secret: preview-client-secret-0123456789abcd
        theme: tweak
        callbackURLs: [http://localhost:3000/cb]
        allowedOAuthFlows: [code]
        allowedOAuthScopes: [openid]
  - name: other
    id: local_Other1234
"""


def preview_server(data_dir, **extra):
    themes = os.path.join(data_dir, "themes")
    write(f"{themes}/tweak/templates/forgot-password.leaf", FORGOT)
    write(f"{themes}/tweak/messages/en.json", json.dumps({"confirm": {"resend": "Mail me another code"}}))
    config = os.path.join(data_dir, "cognate.yaml")
    write(config, PREVIEW_CONFIG)
    return Server(data_dir, args=["--config", config], COGNATE_THEMES_DIR=themes, **ADMIN, **extra), config, themes


def test_the_preview_opens_with_a_signed_link_or_in_development_only(data_dir):
    server, config, themes = preview_server(data_dir)
    base = f"{server.url}/local_Preview12/preview"
    try:
        assert requests.get(base).status_code == 404
        assert requests.get(f"{base}/login?client_id=previewplain00000000000000").status_code == 404
    finally:
        server.stop()
    made = run_command(["preview-link", "--pool", "local_Preview12", "--hours", "2", "--config", config], data_dir, COGNATE_THEMES_DIR=themes)
    assert made.returncode == 0, made.stderr
    link = made.stdout.strip().splitlines()[-1]
    query = link.split("?", 1)[1]
    assert run_command(["preview-link", "--pool", "local_Nope12345"], data_dir).returncode != 0
    assert run_command(["preview-link", "--pool", "local_Preview12", "--hours", "1000"], data_dir).returncode != 0
    server, _, _ = preview_server(data_dir)
    try:
        index = requests.get(f"{server.url}/local_Preview12/preview?{query}")
        assert index.status_code == 200 and "frame-ancestors 'none'" in index.headers["Content-Security-Policy"]
        frames = re.findall(r'<iframe src="([^"]+)"', index.text)
        # every page in each state, light and dark, carrying the link's signature
        assert len(frames) >= 40 and all("signature=" in f and ("mode=light" in f or "mode=dark" in f) for f in frames)
        one = requests.get(urljoin(server.url, frames[0].replace("&amp;", "&")))
        assert one.status_code == 200 and "form-action 'none'" in one.headers["Content-Security-Policy"]
        assert "frame-ancestors 'self'" in one.headers["Content-Security-Policy"] and "Set-Cookie" not in one.headers
        expires, signature = re.search(r"expires=(\d+)&signature=([0-9a-f]+)", query).groups()
        forged = "0" * len(signature)
        for bad in [f"expires={expires}&signature={forged}", f"expires={int(expires) + 60}&signature={signature}",
                    f"expires=1000&signature={signature}", f"signature={signature}", "expires=abc&signature=x"]:
            assert requests.get(f"{server.url}/local_Preview12/preview?{bad}").status_code == 404, bad
        # the link is for its pool only
        assert requests.get(f"{server.url}/local_Other1234/preview?{query}").status_code == 404
        # a page that is not one, or a client of another pool
        assert requests.get(f"{server.url}/local_Preview12/preview/nothing?client_id=previewplain00000000000000&{query}").status_code == 404
        assert requests.get(f"{server.url}/local_Preview12/preview/login?client_id=nope&{query}").status_code == 404
    finally:
        server.stop()


def test_the_preview_in_chromium_shows_a_themes_change_and_nothing_else(data_dir):
    """One template and one catalog entry overridden: of every page of the preview, only the
    forgot-password pages and the two pages that say "Send a new code" look different. The
    preview's screenshots, in two languages and both modes, are kept with the suite's."""
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scripts"))
    import screenshots
    from conftest import SCREENSHOTS
    from test_browser import axe_violations
    server, _, _ = preview_server(data_dir, COGNATE_DEVELOPMENT="true")
    driver = screenshots.browser()
    try:
        out = os.path.join(data_dir, "shots")
        plain = screenshots.capture(driver, server.url, "local_Preview12", "previewplain00000000000000", ["en"], ["light"], out, prefix="plain-")
        tweaked = screenshots.capture(driver, server.url, "local_Preview12", "previewtweaked000000000000", ["en"], ["light"], out, prefix="tweaked-")
        assert len(plain) >= 20

        def read(path):
            with open(path, "rb") as f:
                return f.read()
        changed = {name[len("plain-en-light-"):] for name in plain if read(plain[name]) != read(tweaked["tweaked-" + name[len("plain-"):]])}
        assert changed == {"forgot", "forgot-error", "confirm", "confirm-error"}, changed
        # the artefacts: every page in English and Arabic, light and dark; axe on each
        for locale in ["en", "ar"]:
            for mode in ["light", "dark"]:
                shots = screenshots.capture(driver, server.url, "local_Preview12", "previewplain00000000000000", [locale], [mode],
                                            SCREENSHOTS, prefix="preview-")
                assert len(shots) == len(plain)
        # every page in every state, in every shipped language, light and dark: axe-core finds nothing
        samples = screenshots.sample_ids(server.url, "local_Preview12", "previewplain00000000000000")
        for locale in ["ar", "de", "en", "es", "fr", "ja", "pt-BR"]:
            for mode in ["light", "dark"]:
                for sample in samples:
                    driver.get(f"{server.url}/local_Preview12/preview/{sample}?client_id=previewplain00000000000000&lang={locale}&mode={mode}")
                    assert driver.find_element("tag name", "html").get_attribute("lang") == locale
                    violations = axe_violations(driver)
                    assert violations == [], (locale, mode, sample, violations)
    finally:
        driver.quit()
        server.stop()


def test_a_themes_email_template_designs_its_pools_emails(data_dir):
    import smtp_server
    from conftest import cognito, free_port
    port = free_port()
    controller, inbox = smtp_server.start(port)
    themes = make_themes(os.path.join(data_dir, "themes"))
    write(f"{themes}/acme/templates/email.leaf",
          '<!doctype html><html lang="#(lang)"><body><h1>Acme</h1>#for(p in paragraphs):<p class="acme">#(p)</p>#endfor</body></html>')
    # the theme's catalog words the message itself too
    write(f"{themes}/acme/messages/de.json", json.dumps({"login": {"submit": "Los geht's"}, "message": {"inviteSubject": "Willkommen bei Acme"}}))
    config = os.path.join(data_dir, "cognate.yaml")
    write(config, CONFIG % "acme")
    server = Server(data_dir, args=["--config", config], COGNATE_THEMES_DIR=themes, COGNATE_SMTP_URL=f"smtp://127.0.0.1:{port}",
                    COGNATE_MAIL_FROM="no-reply@cognate.test", **ADMIN)
    try:
        idp = cognito(server.url)
        idp.admin_create_user(UserPoolId="local_Themed123", Username="rita", DesiredDeliveryMediums=["EMAIL"], UserAttributes=[
            {"Name": "email", "Value": "rita@example.com"}, {"Name": "email_verified", "Value": "true"}, {"Name": "locale", "Value": "de"}])
        mail = inbox.wait(1)[0]["message"]
        assert mail["Subject"] == "Willkommen bei Acme"
        html = mail.get_body(("html",)).get_content()
        assert '<html lang="de"><body><h1>Acme</h1><p class="acme">' in html and "rita" in html
        # the text part is the message as before
        assert "rita" in mail.get_body(("plain",)).get_content()
    finally:
        server.stop()
        controller.stop()
