"""Token checks at the gateway: Debian's nginx with `auth_request` guards an API and an admin
area on loopback by asking Cognate's `{base}/gateway/check`, as API Gateway's Cognito authorizer
and the ALB do for Cognito. No token 401, a token lacking the scope or the group 403, a good token
passes with the identity in headers (and ALB's signed `X-Amzn-Oidc-Data`, verified with jwcrypto
against the pool's JWKS); a revoked token is refused within the cache time."""
import http.client
import http.server
import json
import os
import shutil
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urljoin, urlparse

import pytest
import requests
from jwcrypto import jwk, jwt

from conftest import ADMIN, Form, Server, cognito, free_port, wait_until_serving

POOL = "local_Gateway12"
MACHINE, MACHINE_SECRET = "gatewaym2m000000000000000a", "gateway-machine-secret-0123456789abcdef"
WRITER, WRITER_SECRET = "gatewaywriter0000000000000", "gateway-writer-secret-0123456789abcdefg"
APP = "gatewayapp0000000000000000"
SITE = "gatewaysite000000000000000"
CONFIG = """
pools:
  - name: gated
    id: %(pool)s
    resourceServers:
      - identifier: orders
        scopes: [{name: read}, {name: write}]
    groups:
      - {name: admins}
      - {name: ops}
    clients:
      - name: app
        id: %(app)s
        explicitAuthFlows: [ALLOW_USER_PASSWORD_AUTH, ALLOW_REFRESH_TOKEN_AUTH]
      - name: site
        id: %(site)s
        callbackURLs: [%(callback)s]
        allowedOAuthFlows: [code]
        allowedOAuthScopes: [openid, email]
      - name: machine
        id: %(machine)s
        secret: %(machine_secret)s
        allowedOAuthFlows: [client_credentials]
        allowedOAuthScopes: [orders/read]
      - name: writer
        id: %(writer)s
        secret: %(writer_secret)s
        allowedOAuthFlows: [client_credentials]
        allowedOAuthScopes: [orders/write]
    users:
      - {username: alice, password: Gateway-Passw0rd!, groups: [admins]}
      - {username: bob, password: Gateway-Passw0rd!}
      - {username: carol, password: Gateway-Passw0rd!, groups: [ops]}
"""

NGINX = """
%(user)s
worker_processes 1;
daemon off;
pid %(dir)s/nginx.pid;
error_log %(dir)s/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path %(dir)s/body; proxy_temp_path %(dir)s/proxy; fastcgi_temp_path %(dir)s/fastcgi;
  uwsgi_temp_path %(dir)s/uwsgi; scgi_temp_path %(dir)s/scgi;
  server {
    listen 127.0.0.1:%(port)d;

    # the checks: the original request's Authorization goes along; the requirements are the
    # query (auth_request passes a 401's WWW-Authenticate on by itself)
    location = /_check/orders-read {
      internal;
      proxy_pass %(cognate)s/%(pool)s/gateway/check?scope=orders/read;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
    }
    location = /_check/staff {
      internal;
      proxy_pass %(cognate)s/%(pool)s/gateway/check?group=admins&group=ops;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
    }
    location /api/ {
      auth_request /_check/orders-read;
      auth_request_set $cognate_sub $upstream_http_x_cognate_sub;
      auth_request_set $cognate_scopes $upstream_http_x_cognate_scopes;
      auth_request_set $cognate_client $upstream_http_x_cognate_client_id;
      auth_request_set $oidc_data $upstream_http_x_amzn_oidc_data;
      proxy_set_header X-Cognate-Sub $cognate_sub;
      proxy_set_header X-Cognate-Scopes $cognate_scopes;
      proxy_set_header X-Cognate-Client-Id $cognate_client;
      proxy_set_header X-Amzn-Oidc-Data $oidc_data;
      proxy_pass http://127.0.0.1:%(backend)d/;
    }
    # the browser mode: a turned-away browser signs in through the hosted pages and comes back
    # with a session cookie on this host (Cognate answers /_cognate/ through it)
    location = /_check/site {
      internal;
      proxy_pass %(cognate)s/%(pool)s/gateway/check;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
    }
    location /site/ {
      auth_request /_check/site;
      auth_request_set $cognate_user $upstream_http_x_cognate_username;
      add_header X-Seen-As $cognate_user always;
      error_page 401 = @signin;
      alias %(dir)s/site/;
    }
    location @signin {
      return 302 /_cognate/signin?rd=$request_uri;
    }
    location /_cognate/ {
      proxy_pass %(cognate)s/%(pool)s/gateway/;
      proxy_set_header X-Cognate-Gateway-Client %(site)s;
      proxy_set_header X-Cognate-Gateway-Callback %(callback)s;
    }
    location /staff/ {
      auth_request /_check/staff;
      auth_request_set $cognate_user $upstream_http_x_cognate_username;
      auth_request_set $cognate_groups $upstream_http_x_cognate_groups;
      add_header X-Seen-As "$cognate_user in $cognate_groups" always;
      # a static site (a `return` would answer before auth_request is asked)
      alias %(dir)s/site/;
    }
  }
}
"""


class Backend:
    """The API behind nginx: answers with the headers it was given."""

    def __init__(self):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = json.dumps({k.lower(): v for k, v in self.headers.items()}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    if not shutil.which("nginx") and not os.path.exists("/usr/sbin/nginx"):
        pytest.fail("nginx is not installed (make deps installs it)")
    data_dir = str(tmp_path_factory.mktemp("gateway"))
    config = os.path.join(data_dir, "cognate.yaml")
    port = free_port()
    callback = f"http://127.0.0.1:{port}/_cognate/callback"
    with open(config, "w") as f:
        f.write(CONFIG % {"pool": POOL, "app": APP, "machine": MACHINE, "machine_secret": MACHINE_SECRET,
                          "writer": WRITER, "writer_secret": WRITER_SECRET, "site": SITE, "callback": callback})
    server = Server(data_dir, args=["--config", config], COGNATE_GATEWAY_CACHE_SECONDS="2", **ADMIN)
    backend = Backend()
    nginx_dir = os.path.join(data_dir, "nginx")
    os.makedirs(os.path.join(nginx_dir, "site"))
    with open(os.path.join(nginx_dir, "site", "index.html"), "w") as f:
        f.write("the staff area\n")
    with open(os.path.join(nginx_dir, "nginx.conf"), "w") as f:
        # run as root (CI), nginx's workers would be `nobody`, who cannot read the test's private folders
        user = "user root;" if os.geteuid() == 0 else ""
        f.write(NGINX % {"user": user, "dir": nginx_dir, "port": port, "cognate": server.url, "pool": POOL, "backend": backend.port,
                         "site": SITE, "callback": callback})
    nginx = subprocess.Popen([shutil.which("nginx") or "/usr/sbin/nginx", "-p", nginx_dir, "-c", os.path.join(nginx_dir, "nginx.conf")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    wait_until_serving(url + "/staff/", nginx, timeout=15)
    yield server, url, cognito(server.url)
    nginx.terminate()
    nginx.wait()
    backend.server.shutdown()
    server.stop()


def machine_token(server, client=MACHINE, secret=MACHINE_SECRET, scope="orders/read"):
    answer = requests.post(f"{server.url}/{POOL}/oauth2/token", auth=(client, secret), data={"grant_type": "client_credentials", "scope": scope},
                           timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def user_tokens(idp, name):
    return idp.initiate_auth(ClientId=APP, AuthFlow="USER_PASSWORD_AUTH",
                             AuthParameters={"USERNAME": name, "PASSWORD": "Gateway-Passw0rd!"})["AuthenticationResult"]


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_no_token_or_a_bad_one_is_401_with_the_challenge(world):
    server, url, idp = world
    answer = requests.get(url + "/api/orders", timeout=10)
    assert answer.status_code == 401 and answer.headers["WWW-Authenticate"] == 'Bearer realm="cognate"'
    token = machine_token(server)
    for bad in [token[:-4] + "AAAA", "not.a.token"]:
        answer = requests.get(url + "/api/orders", headers=bearer(bad), timeout=10)
        assert answer.status_code == 401 and 'error="invalid_token"' in answer.headers["WWW-Authenticate"], answer.headers
    # longer than any token of ours (nginx itself refuses a header that long; Cognate is asked directly)
    answer = requests.get(f"{server.url}/{POOL}/gateway/check", headers=bearer("x" * 9000), timeout=10)
    assert answer.status_code == 401 and 'error="invalid_token"' in answer.headers["WWW-Authenticate"]
    answer = requests.get(url + "/api/orders", headers={"Authorization": f"Basic {token}"}, timeout=10)
    assert answer.status_code == 401


def test_a_good_token_passes_with_the_identity_in_headers(world):
    server, url, idp = world
    answer = requests.get(url + "/api/orders", headers=bearer(machine_token(server)), timeout=10)
    assert answer.status_code == 200, answer.text
    seen = answer.json()
    assert seen["x-cognate-sub"] == MACHINE and seen["x-cognate-client-id"] == MACHINE and seen["x-cognate-scopes"] == "orders/read"
    # ALB's form: the identity as a JWT the pool's JWKS verifies
    keys = jwk.JWKSet.from_json(requests.get(f"{server.url}/{POOL}/.well-known/jwks.json", timeout=10).text)
    data = json.loads(jwt.JWT(jwt=seen["x-amzn-oidc-data"], key=keys).claims)
    assert data["sub"] == MACHINE and data["iss"] == f"{server.url}/{POOL}" and data["scope"] == "orders/read"
    # the proxy's client never forwards a forged identity: nginx sets the headers from the check
    answer = requests.get(url + "/api/orders", headers=dict(bearer(machine_token(server)), **{"X-Cognate-Sub": "forged"}), timeout=10)
    assert answer.json()["x-cognate-sub"] == MACHINE


def test_a_missing_scope_or_group_is_403(world):
    server, url, idp = world
    answer = requests.get(url + "/api/orders", headers=bearer(machine_token(server, WRITER, WRITER_SECRET, "orders/write")), timeout=10)
    assert answer.status_code == 403
    # any one of the groups suffices
    for name, status in [("alice", 200), ("carol", 200), ("bob", 403)]:
        answer = requests.get(url + "/staff/", headers=bearer(user_tokens(idp, name)["AccessToken"]), timeout=10)
        assert answer.status_code == status, (name, answer.status_code)
    answer = requests.get(url + "/staff/", headers=bearer(user_tokens(idp, "alice")["AccessToken"]), timeout=10)
    assert answer.headers["X-Seen-As"] == "alice in admins" and answer.text == "the staff area\n"


def test_every_scope_named_is_needed_and_the_answer_says_which(world):
    server, url, idp = world
    check = f"{server.url}/{POOL}/gateway/check"
    token = machine_token(server)
    assert requests.get(check, params=[("scope", "orders/read")], headers=bearer(token), timeout=10).status_code == 200
    both = requests.get(check, params=[("scope", "orders/read"), ("scope", "orders/write")], headers=bearer(token), timeout=10)
    assert both.status_code == 403 and both.headers["WWW-Authenticate"] == 'Bearer realm="cognate", error="insufficient_scope", scope="orders/read orders/write"'
    # Envoy's ext_authz asks with the original method and path after the prefix
    assert requests.post(check + "/orders/42", headers=bearer(token), timeout=10).status_code == 200
    # two Authorization headers, or another pool's check: refused
    host, port = server.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.putrequest("GET", f"/{POOL}/gateway/check")
    for _ in range(2):
        connection.putheader("Authorization", f"Bearer {token}")
    connection.endheaders()
    assert connection.getresponse().status == 401
    connection.close()
    other = requests.get(f"{server.url}/local_NoSuchPool1/gateway/check", headers=bearer(token), timeout=10)
    assert other.status_code in (401, 404)
    assert other.status_code != 200


def test_many_checks_at_once(world):
    server, url, idp = world
    tokens = [machine_token(server) for _ in range(4)] + [user_tokens(idp, "bob")["AccessToken"]]

    def one(index):
        token = tokens[index % len(tokens)]
        return requests.get(url + "/api/orders", headers=bearer(token), timeout=30).status_code

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(one, range(80)))
    # bob's token lacks orders/read: 403; the machines' pass
    assert statuses.count(200) == 64 and statuses.count(403) == 16, statuses


def test_a_revoked_token_or_a_disabled_user_is_refused_within_the_cache_time(world):
    server, url, idp = world
    tokens = user_tokens(idp, "carol")
    assert requests.get(url + "/staff/", headers=bearer(tokens["AccessToken"]), timeout=10).status_code == 200
    idp.revoke_token(Token=tokens["RefreshToken"], ClientId=APP)
    revoked_at = time.time()
    while requests.get(url + "/staff/", headers=bearer(tokens["AccessToken"]), timeout=10).status_code == 200:
        assert time.time() - revoked_at < 3.5, "still let through after the cache time"
        time.sleep(0.2)
    assert requests.get(url + "/staff/", headers=bearer(tokens["AccessToken"]), timeout=10).status_code == 401
    fresh = user_tokens(idp, "alice")["AccessToken"]
    assert requests.get(url + "/staff/", headers=bearer(fresh), timeout=10).status_code == 200
    idp.admin_disable_user(UserPoolId=POOL, Username="alice")
    disabled_at = time.time()
    while requests.get(url + "/staff/", headers=bearer(fresh), timeout=10).status_code == 200:
        assert time.time() - disabled_at < 3.5
        time.sleep(0.2)
    idp.admin_enable_user(UserPoolId=POOL, Username="alice")


def test_the_browser_mode_signs_in_through_the_hosted_page_and_keeps_a_session_on_the_apps_host(world):
    server, url, idp = world
    browser = requests.Session()
    # turned away, with where it was going kept
    first = browser.get(url + "/site/index.html?tab=2", allow_redirects=False, timeout=10)
    assert first.status_code == 302 and first.headers["Location"].endswith("/_cognate/signin?rd=/site/index.html?tab=2")
    to_hosted = browser.get(urljoin(url, first.headers["Location"]), allow_redirects=False, timeout=10)
    assert to_hosted.status_code == 302, to_hosted.text
    authorize = urlparse(to_hosted.headers["Location"])
    sent = parse_qs(authorize.query)
    assert to_hosted.headers["Location"].startswith(f"{server.url}/{POOL}/oauth2/authorize?")
    assert sent["client_id"] == [SITE] and sent["code_challenge_method"] == ["S256"] and sent["redirect_uri"] == [url + "/_cognate/callback"]
    assert "cognate_gateway_state" in to_hosted.headers["Set-Cookie"] and "HttpOnly" in to_hosted.headers["Set-Cookie"]
    # the hosted page, as a person fills it
    page = browser.get(to_hosted.headers["Location"], timeout=10)
    form = Form()
    form.feed(page.text)
    form.fields.update(username="bob", password="Gateway-Passw0rd!")
    back = browser.post(urljoin(page.url, form.action), data=form.fields, allow_redirects=False, timeout=10)
    assert back.status_code == 302 and back.headers["Location"].startswith(url + "/_cognate/callback?"), back.headers
    home = browser.get(back.headers["Location"], allow_redirects=False, timeout=10)
    assert home.status_code == 302 and home.headers["Location"] == "/site/index.html?tab=2", home.headers
    assert f"cognate_gateway_{POOL}=" in home.headers["Set-Cookie"] and "HttpOnly" in home.headers["Set-Cookie"]
    # signed in: the site answers, and the proxy knows who
    answer = browser.get(url + "/site/index.html?tab=2", allow_redirects=False, timeout=10)
    assert answer.status_code == 200 and answer.text == "the staff area\n" and answer.headers["X-Seen-As"] == "bob"
    # the callback once more (a replayed code), a forged state, a foreign return path: a page, never a redirect elsewhere
    replay = requests.get(back.headers["Location"], allow_redirects=False, timeout=10)
    assert replay.status_code == 400 and "Location" not in replay.headers
    evil = requests.get(url + "/_cognate/signin?rd=//evil.example/x", allow_redirects=False, timeout=10)
    state_cookie = evil.cookies.get("cognate_gateway_state")
    assert evil.status_code == 302 and state_cookie
    forged = requests.get(url + "/_cognate/callback?code=x&state=forged", cookies={"cognate_gateway_state": state_cookie},
                          allow_redirects=False, timeout=10)
    assert forged.status_code == 400
    # a callback the client does not have is refused before any sign-in
    direct = requests.get(f"{server.url}/{POOL}/gateway/signin?client_id={SITE}&callback=https://evil.example/cb&rd=/", allow_redirects=False,
                          timeout=10)
    assert direct.status_code == 400 and "Location" not in direct.headers
    # signing out of the app's host ends its session
    out = browser.get(url + "/_cognate/signout?rd=/site/", allow_redirects=False, timeout=10)
    assert out.status_code == 302 and out.headers["Location"] == "/site/"
    assert browser.get(url + "/site/index.html", allow_redirects=False, timeout=10).status_code == 302
