"""Nodes started together on one empty PostgreSQL database (PostgreSQL from Debian): one of them
migrates and makes the first pool and the admin key while the others wait for it, so every node
starts, and they share one schema, one default pool and one admin key."""
import base64
import os
import re
import threading

from conftest import Server, cognito
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
