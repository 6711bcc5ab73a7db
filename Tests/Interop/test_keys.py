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


def test_admin_keys_are_created_listed_and_revoked_without_a_restart(data_dir):
    import boto3
    import botocore
    import re as regex
    from botocore.exceptions import ClientError
    server = Server(data_dir)
    try:
        first_id, first_secret = regex.search(r"COGNATE_ADMIN_ACCESS_KEY_ID=(\S+)\s+COGNATE_ADMIN_SECRET_ACCESS_KEY=(\S+)", server.output()).groups()

        def admin(key_id, secret):
            return boto3.client("cognito-idp", endpoint_url=server.url, region_name="local", aws_access_key_id=key_id,
                                aws_secret_access_key=secret, config=botocore.config.Config(retries={"max_attempts": 1}))

        created = run_command(["admin-keys", "create"], data_dir)
        assert created.returncode == 0, created.stderr
        new_id, new_secret = regex.search(r"COGNATE_ADMIN_ACCESS_KEY_ID=(\S+)\s+COGNATE_ADMIN_SECRET_ACCESS_KEY=(\S+)", created.stdout).groups()
        listed = run_command(["admin-keys", "list"], data_dir).stdout
        assert first_id in listed and new_id in listed and new_secret not in listed and first_secret not in listed
        # both work while callers move over; the running server sees the new key at once
        admin(new_id, new_secret).list_user_pools(MaxResults=10)
        admin(first_id, first_secret).list_user_pools(MaxResults=10)
        assert run_command(["admin-keys", "revoke", "--id", first_id], data_dir).returncode == 0
        try:
            admin(first_id, first_secret).list_user_pools(MaxResults=10)
            raise AssertionError("a revoked key still signs")
        except ClientError as error:
            assert error.response["Error"]["Code"] in ("UnrecognizedClientException", "InvalidSignatureException")
        admin(new_id, new_secret).list_user_pools(MaxResults=10)
        # the last key is never revoked, and an unknown one is a clear error
        last = run_command(["admin-keys", "revoke", "--id", new_id], data_dir)
        assert last.returncode == 1 and "only admin key" in last.stderr
        unknown = run_command(["admin-keys", "revoke", "--id", "AKNOPE"], data_dir)
        assert unknown.returncode == 1 and "no admin key AKNOPE" in unknown.stderr
    finally:
        server.stop()
