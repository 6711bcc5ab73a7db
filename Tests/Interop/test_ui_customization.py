"""Cognito's classic customization of the hosted pages, as an operator sets it with boto3
(SetUICustomization / GetUICustomization): CSS for the pages' -customizable classes and a
logo, for ALL clients or one; refusals with Cognito's errors; and the pages wearing it, with the
CSS in a style element the Content-Security-Policy names by its hash."""
import base64
import concurrent.futures
import hashlib
import re
import struct
import zlib
from urllib.parse import urlencode

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import ADMIN, Server, cognito

CALLBACK = "http://localhost:3000/cb"
GREEN = ".submitButton-customizable { background-color: #0a7d3b; color: white; }\n.label-customizable { font-weight: 700; }"


def png(width=2, height=2, extra=b""):
    """A real PNG (what a designer uploads), with `extra` bytes in an ancillary chunk to make it large."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + b"\x00\x80\xff" * width for _ in range(height))
    body = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw))
    return b"\x89PNG\r\n\x1a\n" + body + (chunk(b"zTXt", extra) if extra else b"") + chunk(b"IEND", b"")


@pytest.fixture
def world(data_dir):
    server = Server(data_dir, **ADMIN)
    idp = cognito(server.url)
    pool_id = idp.create_user_pool(PoolName="branded")["UserPool"]["Id"]

    def client(name):
        return idp.create_user_pool_client(UserPoolId=pool_id, ClientName=name, AllowedOAuthFlows=["code"], AllowedOAuthFlowsUserPoolClient=True,
                                           AllowedOAuthScopes=["openid"], CallbackURLs=[CALLBACK], GenerateSecret=True)["UserPoolClient"]["ClientId"]
    yield server, idp, pool_id, client("web"), client("admin")
    server.stop()


def login_page(server, pool_id, client_id):
    return requests.get(f"{server.url}/{pool_id}/login?" + urlencode({"response_type": "code", "client_id": client_id, "redirect_uri": CALLBACK}),
                        timeout=30)


def test_all_clients_get_the_pools_customization_until_one_has_its_own(world):
    server, idp, pool_id, web, admin = world
    logo = png()
    made = idp.set_ui_customization(UserPoolId=pool_id, CSS=GREEN, ImageFile=logo)["UICustomization"]
    assert made["ClientId"] == "ALL" and made["CSS"] == GREEN and made["CSSVersion"] and made["CreationDate"]
    assert made["ImageUrl"].startswith(f"{server.url}/{pool_id}/ui/logo?client_id=ALL&v=")
    # every client's pages wear it, and Get answers it for a client without its own
    assert idp.get_ui_customization(UserPoolId=pool_id, ClientId=web)["UICustomization"]["CSS"] == GREEN
    page = login_page(server, pool_id, web)
    style = re.search(r"<style>(.*?)</style>", page.text, re.S).group(1)
    assert ".submitButton-customizable { background-color: #0a7d3b; color: white; }" in style
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"style-src 'self' 'sha256-{digest}'" in page.headers["Content-Security-Policy"]
    src = re.search(r'<img class="logo-customizable" src="([^"]+)"', page.text).group(1).replace("&amp;", "&")
    image = requests.get(src if src.startswith("http") else server.url + src, timeout=30)
    assert image.status_code == 200 and image.content == logo and image.headers["Content-Type"] == "image/png"
    assert "max-age" in image.headers["Cache-Control"] and image.headers["X-Content-Type-Options"] == "nosniff"
    again = requests.get(server.url + src if not src.startswith("http") else src, headers={"If-None-Match": image.headers["ETag"]}, timeout=30)
    assert again.status_code == 304

    # one client's own settings win for that client only (no logo: none shown)
    red = ".submitButton-customizable { background-color: #b3261e; }"
    own = idp.set_ui_customization(UserPoolId=pool_id, ClientId=admin, CSS=red)["UICustomization"]
    assert own["ClientId"] == admin and "ImageUrl" not in own
    assert "#b3261e" in login_page(server, pool_id, admin).text and "logo-customizable" not in login_page(server, pool_id, admin).text
    assert "#0a7d3b" in login_page(server, pool_id, web).text
    # a deleted client's settings go with it
    idp.delete_user_pool_client(UserPoolId=pool_id, ClientId=admin)
    with pytest.raises(ClientError) as gone:
        idp.get_ui_customization(UserPoolId=pool_id, ClientId=admin)
    assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert requests.get(f"{server.url}/{pool_id}/ui/logo?client_id={admin}", timeout=30).status_code == 404


@pytest.mark.parametrize("why,arguments", [
    ("a class outside the list", {"CSS": ".card { background-color: red; }"}),
    ("@import", {"CSS": "@import url(https://evil.example/x.css);"}),
    ("a script after the style", {"CSS": ".label-customizable { font-weight: 700; } </style><script>alert(1)</script>"}),
    ("url()", {"CSS": ".background-customizable { background-color: url(https://evil.example/t.png); }"}),
    ("a logo over 100 KB", {"ImageFile": png(extra=bytes(101 * 1024))}),
    ("an SVG with a script", {"ImageFile": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'}),
])
def test_what_cognito_refuses_is_refused_and_nothing_changes(world, why, arguments):
    server, idp, pool_id, web, admin = world
    idp.set_ui_customization(UserPoolId=pool_id, CSS=GREEN)
    with pytest.raises(ClientError) as refused:
        idp.set_ui_customization(UserPoolId=pool_id, **arguments)
    assert refused.value.response["Error"]["Code"] == "InvalidParameterException", why
    assert idp.get_ui_customization(UserPoolId=pool_id)["UICustomization"]["CSS"] == GREEN


def test_unknown_pools_and_clients_and_unsigned_calls_are_refused(world):
    server, idp, pool_id, web, admin = world
    for call in (lambda: idp.set_ui_customization(UserPoolId=pool_id, ClientId="nosuchclient", CSS=GREEN),
                 lambda: idp.get_ui_customization(UserPoolId=pool_id + "x")):
        with pytest.raises(ClientError) as missing:
            call()
        assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    unsigned = requests.post(server.url + "/", timeout=30, data='{"UserPoolId": "%s", "CSS": ""}' % pool_id, headers={
        "X-Amz-Target": "AWSCognitoIdentityProviderService.SetUICustomization", "Content-Type": "application/x-amz-json-1.1"})
    assert unsigned.status_code in (400, 403) and "__type" in unsigned.json()
    # a pool without customization: plain pages, no style element, no style-src
    page = login_page(server, pool_id, web)
    assert "<style>" not in page.text and "style-src" not in page.headers["Content-Security-Policy"]
    assert requests.get(f"{server.url}/{pool_id}/ui/logo?client_id=ALL", timeout=30).status_code == 404


def test_sets_at_once_leave_one_whole_customization(world):
    server, idp, pool_id, web, admin = world
    sheets = [f".label-customizable {{ font-weight: {100 * (index + 1)}; }}" for index in range(8)]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda css: idp.set_ui_customization(UserPoolId=pool_id, ClientId=web, CSS=css), sheets))
    assert idp.get_ui_customization(UserPoolId=pool_id, ClientId=web)["UICustomization"]["CSS"] in sheets
