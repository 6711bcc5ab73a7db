"""Several nodes on one PostgreSQL database (Debian's PostgreSQL, throwaway clusters): started
together on an empty database, one migrates and makes the first pool and the admin key while
the others wait; a change made on one node reaches the other within COGNATE_CACHE_SECONDS; and
TLS to the database checks the server's certificate against COGNATE_DATABASE_CA_FILE."""
import base64
import os
import re
import threading
import time

import requests

from conftest import ADMIN, Server, cognito, free_port, run_command
from postgres import Postgres


def test_nodes_started_together_on_an_empty_database_make_everything_once(tmp_path):
    postgres = Postgres()
    servers, errors = [], []
    try:
        master = base64.b64encode(os.urandom(32)).decode()

        def start(index):
            folder = tmp_path / f"node{index}"
            folder.mkdir()
            try:
                servers.append(Server(str(folder), COGNATE_DATABASE_URL=postgres.url, COGNATE_MASTER_KEY=master))
            except Exception as error:  # noqa: BLE001 (reported below)
                errors.append(error)

        threads = [threading.Thread(target=start, args=(index,)) for index in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors, errors
        outputs = [server.output() for server in servers]
        generated = [re.search(r"COGNATE_ADMIN_ACCESS_KEY_ID=(\S+)\n\s+COGNATE_ADMIN_SECRET_ACCESS_KEY=(\S+)", text) for text in outputs]
        made = [found for found in generated if found]
        assert len(made) == 1, outputs  # one node made the key; the others found it stored
        key_id, secret = made[0].groups()
        assert sum("Created user pool" in text for text in outputs) == 1, outputs
        # every node answers with the one key, and sees the one pool
        for server in servers:
            client = cognito(server.url)
            client._request_signer._credentials.access_key = key_id  # noqa: SLF001 (the generated key, not conftest's)
            client._request_signer._credentials.secret_key = secret  # noqa: SLF001
            pools = client.list_user_pools(MaxResults=10)["UserPools"]
            assert [pool["Name"] for pool in pools] == ["default"]
    finally:
        for server in servers:
            server.stop()
        postgres.remove()


def test_tls_to_the_database_checks_its_certificate_against_the_ca_file(tmp_path):
    postgres = Postgres(tls=True)
    try:
        url = postgres.url.replace("sslmode=disable", "sslmode=verify-full")
        folder = tmp_path / "tls"
        folder.mkdir()
        server = Server(str(folder), COGNATE_DATABASE_URL=url, COGNATE_DATABASE_CA_FILE=postgres.tls["ca.pem"],
                        COGNATE_DATABASE_POOL_SIZE="2", COGNATE_DATABASE_STATEMENT_TIMEOUT="30", **ADMIN)
        try:
            assert cognito(server.url).create_user_pool(PoolName="over-tls")["UserPool"]["Id"]
            # the node's connections, named in pg_stat_activity, all came over TLS
            pools = postgres.query("SELECT a.application_name, s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) "
                                   "WHERE a.datname = 'cognate' AND a.pid <> pg_backend_pid() ORDER BY 1, 2").splitlines()
            assert pools and set(pools) == {"cognate|t"}, pools
        finally:
            server.stop()
        # a certificate no given root signed is refused at start, by name, and nothing is served
        for extra in [{}, {"COGNATE_DATABASE_CA_FILE": postgres.tls["other-ca.pem"]}]:
            done = run_command(["serve", "--port", str(free_port())], str(folder), timeout=60, COGNATE_DATABASE_URL=url, **extra)
            assert done.returncode == 1 and "cannot open the database" in done.stderr, done.stderr
        # settings that contradict each other, or are out of range, are named
        for variable, bad, extra in [("COGNATE_DATABASE_CA_FILE", postgres.tls["ca.pem"], {"COGNATE_DATABASE_URL": postgres.url}),
                                     ("COGNATE_DATABASE_CA_FILE", "/nonexistent/ca.pem", {"COGNATE_DATABASE_URL": url}),
                                     ("COGNATE_DATABASE_POOL_SIZE", "0", {}), ("COGNATE_DATABASE_STATEMENT_TIMEOUT", "-1", {})]:
            done = run_command(["serve", "--port", str(free_port())], str(folder), timeout=60, **{variable: bad, **extra})
            assert done.returncode == 1 and variable in done.stderr, (variable, done.stderr)
    finally:
        postgres.remove()


def test_a_change_on_one_node_reaches_the_other_within_the_cache_time(tmp_path):
    postgres = Postgres()
    servers = []
    try:
        master = base64.b64encode(os.urandom(32)).decode()
        for index in range(2):
            folder = tmp_path / f"node{index}"
            folder.mkdir()
            servers.append(Server(str(folder), COGNATE_DATABASE_URL=postgres.url, COGNATE_MASTER_KEY=master, COGNATE_CACHE_SECONDS="2",
                                  **ADMIN))
        first, second = servers
        idp = cognito(first.url)
        pool = idp.create_user_pool(PoolName="shared")["UserPool"]["Id"]
        client = idp.create_user_pool_client(UserPoolId=pool, ClientName="web", AllowedOAuthFlowsUserPoolClient=True,
                                             AllowedOAuthFlows=["code"], AllowedOAuthScopes=["openid"],
                                             CallbackURLs=["https://app.example/cb"])["UserPoolClient"]["ClientId"]

        def authorize(server):
            return requests.get(f"{server.url}/{pool}/oauth2/authorize", allow_redirects=False, params={
                "response_type": "code", "client_id": client, "redirect_uri": "https://app.example/cb", "scope": "openid",
                "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "code_challenge_method": "S256"}).status_code

        assert authorize(first) == 302 and authorize(second) == 302  # the second node has it cached now
        idp.update_user_pool_client(UserPoolId=pool, ClientId=client, AllowedOAuthFlowsUserPoolClient=True, AllowedOAuthFlows=["code"],
                                    AllowedOAuthScopes=["openid"], CallbackURLs=["https://app.example/other"])
        assert authorize(first) == 400  # the node that made the change sees it at once
        changed, deadline = time.monotonic(), time.monotonic() + 10
        while authorize(second) != 400 and time.monotonic() < deadline:
            time.sleep(0.1)
        seen = time.monotonic() - changed
        assert authorize(second) == 400 and seen <= 2 + 2, seen  # COGNATE_CACHE_SECONDS, and slack for a loaded machine
    finally:
        for server in servers:
            server.stop()
        postgres.remove()
