"""Cognito's managed login branding, as an operator sets it with boto3: a style per app client
(Settings: colours for light and dark mode, radii, spacing, colour scheme; Assets: logos,
backgrounds, favicons), refusals with Cognito's errors (a colour that is not one, contrast that
fails WCAG AA, an image of the wrong type or over 1 MB, a script in an SVG, a second style for a
client), and the pages wearing it: CSS custom properties in a style element the policy names by
its hash, images served with their type, a long cache and an ETag."""
import base64
import concurrent.futures
import hashlib
import re
import uuid
from urllib.parse import urlencode, urljoin

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import ADMIN, Server, cognito
from test_ui_customization import png

CALLBACK = "http://localhost:3000/cb"
GREEN_BUTTON = {"components": {
    "primaryButton": {"lightMode": {"defaults": {"backgroundColor": "0a7d3bff", "textColor": "ffffffff"}},
                      "darkMode": {"defaults": {"backgroundColor": "7ee2a8ff", "textColor": "0b1f14ff"}}},
    "form": {"borderRadius": 16.0, "lightMode": {"backgroundColor": "fffdf7ff", "borderColor": "c8b98aff"}},
},
    "componentClasses": {"buttons": {"borderRadius": 12.0}},
    "categories": {"global": {"colorSchemeMode": "DYNAMIC", "spacingDensity": "SPACIOUS", "pageHeader": {"enabled": True}}},
}
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" fill="#0a7d3b"/></svg>'


@pytest.fixture
def world(data_dir):
    server = Server(data_dir, **ADMIN)
    idp = cognito(server.url)
    pool_id = idp.create_user_pool(PoolName="styled")["UserPool"]["Id"]

    def client(name):
        return idp.create_user_pool_client(UserPoolId=pool_id, ClientName=name, AllowedOAuthFlows=["code"], AllowedOAuthFlowsUserPoolClient=True,
                                           AllowedOAuthScopes=["openid"], CallbackURLs=[CALLBACK], GenerateSecret=True)["UserPoolClient"]["ClientId"]
    yield server, idp, pool_id, client("web"), client("other")
    server.stop()


def login_page(server, pool_id, client_id, **headers):
    return requests.get(f"{server.url}/{pool_id}/login?" + urlencode({"response_type": "code", "client_id": client_id, "redirect_uri": CALLBACK}),
                        headers=headers, timeout=30)


def refused(call, code, message_part=""):
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response["Error"]
    assert error["Code"] == code, error
    assert message_part in error["Message"], error
    return error["Message"]


def test_a_style_is_created_described_worn_updated_and_deleted(world):
    server, idp, pool_id, web, other = world
    logo = png(40, 20)
    made = idp.create_managed_login_branding(UserPoolId=pool_id, ClientId=web, Settings=GREEN_BUTTON, Assets=[
        {"Category": "FORM_LOGO", "ColorMode": "LIGHT", "Extension": "PNG", "Bytes": logo},
        {"Category": "FORM_LOGO", "ColorMode": "DARK", "Extension": "SVG", "Bytes": SVG},
        {"Category": "FAVICON_ICO", "ColorMode": "DYNAMIC", "Extension": "ICO", "Bytes": b"\x00\x00\x01\x00" + b"\x00" * 60},
    ])["ManagedLoginBranding"]
    style_id = made["ManagedLoginBrandingId"]
    assert uuid.UUID(style_id).version == 4 and made["UserPoolId"] == pool_id and made["UseCognitoProvidedValues"] is False
    assert made["Settings"] == GREEN_BUTTON and made["CreationDate"] and made["LastModifiedDate"]
    assert {(a["Category"], a["ColorMode"]) for a in made["Assets"]} == {("FORM_LOGO", "LIGHT"), ("FORM_LOGO", "DARK"), ("FAVICON_ICO", "DYNAMIC")}
    # described by id and by client, assets with their bytes
    described = idp.describe_managed_login_branding(UserPoolId=pool_id, ManagedLoginBrandingId=style_id)["ManagedLoginBranding"]
    assert described["Settings"] == GREEN_BUTTON
    assert next(a for a in described["Assets"] if a["ColorMode"] == "LIGHT")["Bytes"] == logo
    by_client = idp.describe_managed_login_branding_by_client(UserPoolId=pool_id, ClientId=web)["ManagedLoginBranding"]
    assert by_client["ManagedLoginBrandingId"] == style_id
    # merged: the built-in settings with the style's over them
    merged = idp.describe_managed_login_branding(UserPoolId=pool_id, ManagedLoginBrandingId=style_id, ReturnMergedResources=True)["ManagedLoginBranding"]
    assert merged["Settings"]["components"]["primaryButton"]["lightMode"]["defaults"]["backgroundColor"] == "0a7d3bff"
    assert merged["Settings"]["components"]["pageBackground"]["lightMode"]["color"] == "ffffffff"

    # the client's pages wear it: custom properties in a style element allowed by its hash
    page = login_page(server, pool_id, web)
    style = re.search(r"<style>(.*?)</style>", page.text, re.S).group(1)
    assert "--cognate-accent: #0a7d3bff;" in style and "--cognate-radius-button: 12.0px;" in style and "--cognate-spacing: 1.25;" in style
    assert "@media (prefers-color-scheme: dark) { :root {" in style and "--cognate-accent: #7ee2a8ff;" in style
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in page.headers["Content-Security-Policy"]
    assert '<header class="page-header">' in page.text
    # the form logo for each mode, and the favicon
    light = re.search(r'<img class="logo-customizable" src="([^"]+)"', page.text).group(1)
    dark = re.search(r'<source media="\(prefers-color-scheme: dark\)" srcset="([^"]+)"', page.text).group(1)
    icon = re.search(r'<link rel="icon" href="([^"]+)" type="image/x-icon">', page.text).group(1)
    served = requests.get(urljoin(server.url, light))
    assert served.status_code == 200 and served.content == logo and served.headers["Content-Type"] == "image/png"
    assert "max-age=31536000" in served.headers["Cache-Control"] and served.headers["X-Content-Type-Options"] == "nosniff"
    again = requests.get(urljoin(server.url, light), headers={"If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304 and not again.content
    svg = requests.get(urljoin(server.url, dark))
    assert svg.headers["Content-Type"] == "image/svg+xml" and "sandbox" in svg.headers["Content-Security-Policy"]
    assert "script-src" not in svg.headers["Content-Security-Policy"] and "default-src 'none'" in svg.headers["Content-Security-Policy"]
    assert requests.get(urljoin(server.url, icon)).headers["Content-Type"] == "image/x-icon"
    # another client's pages do not
    assert "--cognate-accent: #0a7d3bff" not in login_page(server, pool_id, other).text

    # an update lays new settings over the old and replaces one asset; the rest is kept
    updated = idp.update_managed_login_branding(UserPoolId=pool_id, ManagedLoginBrandingId=style_id, Settings={
        "components": {"pageBackground": {"lightMode": {"color": "f4f1eaff"}}}},
        Assets=[{"Category": "FORM_LOGO", "ColorMode": "LIGHT", "Extension": "PNG", "Bytes": png(60, 30)}])["ManagedLoginBranding"]
    assert updated["Settings"]["components"]["primaryButton"] == GREEN_BUTTON["components"]["primaryButton"]
    assert updated["Settings"]["components"]["pageBackground"]["lightMode"]["color"] == "f4f1eaff"
    assert len(updated["Assets"]) == 3 and updated["LastModifiedDate"] >= made["LastModifiedDate"]
    page = login_page(server, pool_id, web)
    assert "--cognate-background: #f4f1eaff;" in page.text
    new_light = re.search(r'<img class="logo-customizable" src="([^"]+)"', page.text).group(1)
    assert new_light != light and requests.get(urljoin(server.url, new_light)).content == png(60, 30)
    # back to the built-in look
    plain = idp.update_managed_login_branding(UserPoolId=pool_id, ManagedLoginBrandingId=style_id, UseCognitoProvidedValues=True)["ManagedLoginBranding"]
    assert plain["UseCognitoProvidedValues"] is True and plain["Assets"] == [] and "Settings" not in plain
    assert requests.get(urljoin(server.url, new_light)).status_code == 404
    # deleted: gone for the pages and the API
    idp.delete_managed_login_branding(UserPoolId=pool_id, ManagedLoginBrandingId=style_id)
    refused(lambda: idp.describe_managed_login_branding(UserPoolId=pool_id, ManagedLoginBrandingId=style_id), "ResourceNotFoundException")
    refused(lambda: idp.describe_managed_login_branding_by_client(UserPoolId=pool_id, ClientId=web), "ResourceNotFoundException")
    refused(lambda: idp.delete_managed_login_branding(UserPoolId=pool_id, ManagedLoginBrandingId=style_id), "ResourceNotFoundException")
    assert "<style>" not in login_page(server, pool_id, web).text


def test_refusals(world):
    server, idp, pool_id, web, other = world
    create = idp.create_managed_login_branding

    def settings(value):
        return lambda: create(UserPoolId=pool_id, ClientId=web, Settings=value)
    refused(settings({"components": {"primaryButton": {"lightMode": {"defaults": {"backgroundColor": "red; } body { display: none"}}}}}),
            "InvalidParameterException", "hexadecimal")
    refused(settings({"components": {"pageText": {"lightMode": {"bodyColor": "url(javascript:alert(1))"}}}}), "InvalidParameterException")
    # pale grey text on white fails WCAG AA, and the message says by how much
    message = refused(settings({"components": {"pageText": {"lightMode": {"bodyColor": "c0c0c0ff"}}}}), "InvalidParameterException", "contrast")
    assert "4.5:1" in message and "light mode" in message
    refused(settings({"components": {"primaryButton": {"darkMode": {"defaults": {"backgroundColor": "ffffffff", "textColor": "eeeeeeff"}}}}}),
            "InvalidParameterException", "dark mode")
    refused(settings({"categories": {"global": {"colorSchemeMode": "SEPIA"}}}), "InvalidParameterException", "LIGHT, DARK, DYNAMIC")
    refused(settings({"componentClasses": {"buttons": {"borderRadius": 1000}}}), "InvalidParameterException", "0 to 48")
    refused(settings({"a" * 70: 1}), "InvalidParameterException")
    refused(lambda: create(UserPoolId=pool_id, ClientId=web, UseCognitoProvidedValues=True, Settings={}), "InvalidParameterException",
            "UseCognitoProvidedValues")

    def asset(**fields):
        return lambda: create(UserPoolId=pool_id, ClientId=web, Assets=[{"Category": "FORM_LOGO", "ColorMode": "LIGHT", "Extension": "PNG", **fields}])
    refused(asset(Bytes=b"GIF89a" + b"\x00" * 20), "InvalidParameterException", "not a PNG")
    refused(asset(Extension="SVG", Bytes=b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), "InvalidParameterException", "script")
    refused(asset(Extension="SVG", Bytes=b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'), "InvalidParameterException", "event attribute")
    refused(asset(Extension="SVG", Bytes=b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink"><a x:href="javascript:alert(1)"><rect/></a></svg>'),
            "InvalidParameterException")
    refused(asset(Extension="SVG", Bytes=b'<!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg">&x;</svg>'),
            "InvalidParameterException", "DOCTYPE")
    refused(asset(Extension="SVG", Bytes=b'<html><script>alert(1)</script></html>'), "InvalidParameterException", "root")
    refused(asset(Bytes=png(extra=b"x" * 1_000_001)), "InvalidParameterException")
    refused(asset(Category="SOMETHING"), "InvalidParameterException")
    refused(lambda: create(UserPoolId=pool_id, ClientId=web, Assets=[
        {"Category": "FORM_LOGO", "ColorMode": "LIGHT", "Extension": "PNG", "Bytes": png()},
        {"Category": "FORM_LOGO", "ColorMode": "LIGHT", "Extension": "PNG", "Bytes": png()}]), "InvalidParameterException", "more than one")
    refused(lambda: create(UserPoolId=pool_id, ClientId="nosuchclient00000000000000"), "ResourceNotFoundException")
    refused(lambda: create(UserPoolId="local_Nope12345", ClientId=web), "ResourceNotFoundException")
    # nothing refused was kept
    refused(lambda: idp.describe_managed_login_branding_by_client(UserPoolId=pool_id, ClientId=web), "ResourceNotFoundException")
    # one style per client: a second is ManagedLoginBrandingExistsException, also when many try at once
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(lambda _: _try(lambda: cognito(server.url).create_managed_login_branding(
            UserPoolId=pool_id, ClientId=other, Settings=GREEN_BUTTON)), range(8)))
    assert outcomes.count("ok") == 1 and outcomes.count("ManagedLoginBrandingExistsException") == 7, outcomes
    # an update that would fail contrast changes nothing
    style_id = idp.describe_managed_login_branding_by_client(UserPoolId=pool_id, ClientId=other)["ManagedLoginBranding"]["ManagedLoginBrandingId"]
    refused(lambda: idp.update_managed_login_branding(UserPoolId=pool_id, ManagedLoginBrandingId=style_id, Settings={
        "components": {"primaryButton": {"lightMode": {"defaults": {"textColor": "0b3d1fff"}}}}}), "InvalidParameterException", "contrast")
    kept = idp.describe_managed_login_branding(UserPoolId=pool_id, ManagedLoginBrandingId=style_id)["ManagedLoginBranding"]
    assert kept["Settings"] == GREEN_BUTTON
    refused(lambda: idp.update_managed_login_branding(UserPoolId=pool_id, ManagedLoginBrandingId=str(uuid.uuid4())), "ResourceNotFoundException")
    # the API reads up to 2 MiB (a 1 MB image in base64 fits), and refuses more before reading it
    too_big = requests.post(server.url + "/", data=b"x" * (2 * 1024 * 1024 + 1), headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AWSCognitoIdentityProviderService.CreateManagedLoginBranding"})
    assert too_big.status_code == 413
    # an asset of another pool's style, or a made-up one, is not served
    assert requests.get(f"{server.url}/{pool_id}/managed-login/assets/{style_id}/FORM_LOGO/LIGHT").status_code == 404


def _try(call):
    try:
        call()
        return "ok"
    except ClientError as error:
        return error.response["Error"]["Code"]


def test_an_image_of_nearly_a_megabyte_is_taken(world):
    server, idp, pool_id, web, _ = world
    big = png(extra=b"x" * 990_000)
    made = idp.create_managed_login_branding(UserPoolId=pool_id, ClientId=web, Assets=[
        {"Category": "PAGE_BACKGROUND", "ColorMode": "DYNAMIC", "Extension": "PNG", "Bytes": big}])["ManagedLoginBranding"]
    page = login_page(server, pool_id, web)
    url = re.search(r'--cognate-page-image: url\("([^"]+)"\)', page.text).group(1)
    assert requests.get(urljoin(server.url, url)).content == big
    assert made["Assets"][0]["Bytes"] == big


def test_deleting_the_client_deletes_its_style(world):
    server, idp, pool_id, web, _ = world
    idp.create_managed_login_branding(UserPoolId=pool_id, ClientId=web, Settings=GREEN_BUTTON)
    idp.delete_user_pool_client(UserPoolId=pool_id, ClientId=web)
    refused(lambda: idp.describe_managed_login_branding_by_client(UserPoolId=pool_id, ClientId=web), "ResourceNotFoundException")


STYLED_CONFIG = """
pools:
  - name: declared
    id: local_Styled123
    clients:
      - name: web
        id: styledweb00000000000000000
        secret: styled-client-secret-0123456789abcdef
        callbackURLs: [http://localhost:3000/cb]
        allowedOAuthFlows: [code]
        allowedOAuthScopes: [openid]
        managedLogin:
          settings:
            components:
              primaryButton:
                lightMode: {defaults: {backgroundColor: 0a7d3bff, textColor: "%s"}}
              pageBackground:
                lightMode: {color: f4f1eaff}
            categories:
              global: {colorSchemeMode: LIGHT}
          assets:
            - {category: FORM_LOGO, colorMode: LIGHT, file: logo.png}
"""


def test_a_style_declared_in_the_config_file(data_dir):
    import os
    from conftest import run_command
    with open(os.path.join(data_dir, "logo.png"), "wb") as f:
        f.write(png(30, 10))
    config = os.path.join(data_dir, "cognate.yaml")
    # a button's text too close to its colour: the file is refused with where and why
    with open(config, "w") as f:
        f.write(STYLED_CONFIG % "2e8b57ff")
    result = run_command(["serve", "--port", "1", "--config", config], data_dir)
    assert result.returncode != 0 and "cognate.yaml:" in result.stderr + result.stdout and "contrast" in result.stderr + result.stdout
    with open(config, "w") as f:
        f.write(STYLED_CONFIG % "ffffffff")
    server = Server(data_dir, args=["--config", config], **ADMIN)
    try:
        page = login_page(server, "local_Styled123", "styledweb00000000000000000")
        assert "--cognate-accent: #0a7d3bff;" in page.text and "--cognate-background: #f4f1eaff;" in page.text
        logo = re.search(r'<img class="logo-customizable" src="([^"]+)"', page.text).group(1)
        assert requests.get(urljoin(server.url, logo)).content == png(30, 10)
        style = cognito(server.url).describe_managed_login_branding_by_client(UserPoolId="local_Styled123", ClientId="styledweb00000000000000000")
        assert style["ManagedLoginBranding"]["Settings"]["categories"]["global"]["colorSchemeMode"] == "LIGHT"
        assert "managed login style of styledweb00000000000000000" in server.output()
    finally:
        server.stop()
    # started again with the same file: nothing changes
    server = Server(data_dir, args=["--config", config], **ADMIN)
    try:
        assert "managed login style" not in server.output()
    finally:
        server.stop()
