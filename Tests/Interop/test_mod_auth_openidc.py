"""Apache with mod_auth_openidc (Debian's libapache2-mod-auth-openidc) guards a page on loopback;
a person signs in through Cognate's hosted form and reaches it. The relying party here is a
real one no one on this project wrote: it reads discovery, redirects, exchanges the code
server-to-server, and validates the ID token itself."""
import os
import shutil
import subprocess
import tempfile
import time
from urllib.parse import urljoin

import pytest
import requests

from conftest import Form, Server, free_port

APACHE = "/usr/sbin/apache2"
MODULE = "/usr/lib/apache2/modules/mod_auth_openidc.so"
pytestmark = pytest.mark.skipif(not (os.path.exists(APACHE) and os.path.exists(MODULE)),
                                reason="apache2 and libapache2-mod-auth-openidc are not installed (make test installs them)")


@pytest.fixture
def apache_and_cognate(data_dir):
    apache_port = free_port()
    redirect_uri = f"http://127.0.0.1:{apache_port}/protected/redirect_uri"
    config = os.path.join(data_dir, "cognate.yaml")
    with open(config, "w") as f:
        f.write(f"""
pools:
  - name: apache
    id: local_Apache123
    clients:
      - name: apache
        id: apacheclient00000000000000
        secret: apache-client-secret-0123456789abcdefgh
        callbackURLs: [{redirect_uri}]
        allowedOAuthFlows: [code]
        allowedOAuthScopes: [openid, email]
    users:
      - username: alice
        password: Corr3ct-Horse!
        attributes: {{email: alice@example.com, email_verified: "true"}}
""")
    cognate = Server(data_dir, args=["--config", config])
    # Apache's children run as www-data: give it a world-readable directory of its own.
    root = tempfile.mkdtemp(prefix="cognate-apache-")
    os.chmod(root, 0o755)
    os.makedirs(os.path.join(root, "www", "protected"))
    with open(os.path.join(root, "www", "protected", "index.html"), "w") as f:
        f.write("<h1>Members only</h1>\n")
    for path in [os.path.join(root, "www"), os.path.join(root, "www", "protected")]:
        os.chmod(path, 0o755)
    os.chmod(os.path.join(root, "www", "protected", "index.html"), 0o644)
    modules = "/usr/lib/apache2/modules"
    with open(os.path.join(root, "httpd.conf"), "w") as f:
        f.write(f"""
ServerRoot {root}
ServerName 127.0.0.1
Listen 127.0.0.1:{apache_port}
PidFile {root}/httpd.pid
ErrorLog {root}/error.log
User www-data
Group www-data
LoadModule mpm_event_module {modules}/mod_mpm_event.so
LoadModule authz_core_module {modules}/mod_authz_core.so
LoadModule authn_core_module {modules}/mod_authn_core.so
LoadModule authz_user_module {modules}/mod_authz_user.so
LoadModule mime_module {modules}/mod_mime.so
LoadModule auth_openidc_module {MODULE}
LogLevel warn auth_openidc:info
TypesConfig /etc/mime.types
DocumentRoot {root}/www
OIDCProviderMetadataURL {cognate.url}/local_Apache123/.well-known/openid-configuration
OIDCClientID apacheclient00000000000000
OIDCClientSecret apache-client-secret-0123456789abcdefgh
OIDCRedirectURI {redirect_uri}
OIDCCryptoPassphrase apache-test-passphrase-0123456789
OIDCScope "openid email"
OIDCRemoteUserClaim email
<Location /protected>
    AuthType openid-connect
    Require valid-user
</Location>
""")
    apache = subprocess.Popen([APACHE, "-f", os.path.join(root, "httpd.conf"), "-DFOREGROUND"],
                              stdout=open(os.path.join(root, "stdout.log"), "w"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{apache_port}"
    deadline = time.time() + 15
    while time.time() < deadline:
        try:
            requests.get(base + "/", timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    yield base, cognate, root
    apache.terminate()
    apache.wait(timeout=10)
    cognate.stop()
    shutil.rmtree(root, ignore_errors=True)


def test_sign_in_through_cognate_reaches_the_protected_page(apache_and_cognate):
    base, cognate, root = apache_and_cognate
    browser = requests.Session()
    # the protected page sends the browser to Cognate's authorize endpoint, then on to the form
    page = browser.get(base + "/protected/index.html")
    assert page.status_code == 200, open(os.path.join(root, "error.log")).read()
    assert "<form" in page.text and page.url.startswith(cognate.url + "/local_Apache123/login"), page.url
    form = Form()
    form.feed(page.text)
    form.fields.update(username="alice", password="Corr3ct-Horse!")
    # after the form, mod_auth_openidc exchanges the code itself and lets the person in
    done = browser.post(urljoin(page.url, form.action), data=form.fields)
    log = open(os.path.join(root, "error.log")).read()
    assert done.status_code == 200, log
    assert "Members only" in done.text, log
    assert done.url == base + "/protected/index.html"
    # the session holds: the page answers without going back to Cognate
    again = browser.get(base + "/protected/index.html", allow_redirects=False)
    assert again.status_code == 200 and "Members only" in again.text
