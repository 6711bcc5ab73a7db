"""Signing keys: rotation by the command line, restarts, and what the JWKS publishes."""
import json
import time

import requests
from jwcrypto import jwk

from conftest import Server, run_command


def kids(url, pool_id):
    """The kids in document order (newest first); jwcrypto must accept the set too."""
    text = requests.get(f"{url}/{pool_id}/.well-known/jwks.json").text
    assert len(jwk.JWKSet.from_json(text)["keys"]) >= 1
    return [k["kid"] for k in json.loads(text)["keys"]]


def test_rotate_publishes_new_key_beside_old_and_restart_keeps_both(data_dir):
    server = Server(data_dir)
    try:
        [pool_id] = server.pool_ids()
        [old_kid] = kids(server.url, pool_id)
        # when an operator rotates while the server runs
        result = run_command(["keys", "rotate", "--pool", pool_id], data_dir)
        assert result.returncode == 0, result.stderr
        new_kid = result.stdout.split("New active key ")[1].split()[0]
        # then the running server publishes both, newest first: at once it still serves what it
        # read less than COGNATE_CACHE_SECONDS (2 s) ago, within that time the new key
        seen, deadline = kids(server.url, pool_id), time.time() + 3
        while seen != [new_kid, old_kid] and time.time() < deadline:
            assert seen == [old_kid], seen
            time.sleep(0.2)
            seen = kids(server.url, pool_id)
        assert seen == [new_kid, old_kid]
    finally:
        server.stop()
    # and a restart keeps the keys and their kids
    again = Server(data_dir)
    try:
        assert kids(again.url, pool_id) == [new_kid, old_kid]
        assert "Created user pool" not in again.output()
    finally:
        again.stop()


def test_rotate_unknown_pool_fails_clearly(data_dir):
    Server(data_dir).stop()
    result = run_command(["keys", "rotate", "--pool", "local_Nope12345"], data_dir)
    assert result.returncode == 1
    assert "user pool local_Nope12345 does not exist" in result.stderr


def test_es256_pool_from_config_publishes_p256_key(data_dir):
    config = f"{data_dir}/cognate.yaml"
    with open(config, "w") as f:
        f.write("pools:\n  - name: ec\n    id: local_EcPool123\n    signingAlgorithm: ES256\n")
    server = Server(data_dir, args=["--config", config])
    try:
        [key] = list(jwk.JWKSet.from_json(requests.get(f"{server.url}/local_EcPool123/.well-known/jwks.json").text))
        assert key["kty"] == "EC" and key.get("crv") == "P-256" and key.get("alg") == "ES256"
        assert key["kid"] == key.thumbprint()
    finally:
        server.stop()
