"""`cognate backup` while the server signs people in: a consistent copy of the SQLite database,
readable by its owner only, from which a new server (with the same master key) serves the same
people with the same passwords and the same signing keys."""
import os
import stat
import threading

import requests
from jwcrypto import jwk, jwt

import pytest

from conftest import ADMIN, Server, cognito, on_postgres, run_command

PASSWORD = "Backup-Passw0rd!"


@pytest.mark.skipif(on_postgres(), reason="cognate backup copies SQLite databases")
def test_a_backup_taken_while_serving_restores_the_same_people(data_dir, tmp_path):
    server = Server(data_dir, **ADMIN)
    try:
        idp = cognito(server.url)
        pool = idp.create_user_pool(PoolName="kept")["UserPool"]["Id"]
        client = idp.create_user_pool_client(UserPoolId=pool, ClientName="app",
                                             ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"])["UserPoolClient"]["ClientId"]
        for name in ["ada", "bea", "cy"]:
            idp.admin_create_user(UserPoolId=pool, Username=name, MessageAction="SUPPRESS", TemporaryPassword="Temp-Passw0rd!1")
            idp.admin_set_user_password(UserPoolId=pool, Username=name, Password=PASSWORD, Permanent=True)

        def sign_in(url, name):
            return cognito(url).initiate_auth(ClientId=client, AuthFlow="USER_PASSWORD_AUTH",
                                              AuthParameters={"USERNAME": name, "PASSWORD": PASSWORD})["AuthenticationResult"]

        # sign-ins go on while the copy is taken
        stop, errors = threading.Event(), []

        def keep_signing_in():
            while not stop.is_set():
                try:
                    sign_in(server.url, "ada")
                except Exception as error:  # noqa: BLE001 (reported below)
                    errors.append(error)

        worker = threading.Thread(target=keep_signing_in)
        worker.start()
        backup = str(tmp_path / "cognate-backup.sqlite")
        try:
            done = run_command(["backup", "--output", backup], data_dir, **ADMIN)
        finally:
            stop.set()
            worker.join()
        assert done.returncode == 0 and "Backed up to" in done.stdout, done.stderr
        assert not errors, errors
        assert stat.S_IMODE(os.stat(backup).st_mode) == 0o600
        # a second backup to the same file is refused; nothing is overwritten
        again = run_command(["backup", "--output", backup], data_dir, **ADMIN)
        assert again.returncode == 1 and "exists" in again.stderr
        old_keys = requests.get(f"{server.url}/{pool}/.well-known/jwks.json").json()
    finally:
        server.stop()

    # a new server on the copy, with the same master key, serves the same people
    restored_dir = str(tmp_path / "restored")
    os.makedirs(restored_dir)
    with open(os.path.join(data_dir, "master.key")) as f:
        master = f.read().strip()
    restored = Server(restored_dir, COGNATE_DATABASE_URL=f"sqlite://{backup}", COGNATE_MASTER_KEY=master, **ADMIN)
    try:
        assert requests.get(f"{restored.url}/{pool}/.well-known/jwks.json").json() == old_keys
        for name in ["ada", "bea", "cy"]:
            tokens = sign_in(restored.url, name)
            keys = jwk.JWKSet.from_json(requests.get(f"{restored.url}/{pool}/.well-known/jwks.json").text)
            jwt.JWT(jwt=tokens["IdToken"], key=keys)  # signed with the pool's old key
    finally:
        restored.stop()


def test_postgres_is_backed_up_with_its_own_tools(data_dir):
    done = run_command(["backup"], data_dir, COGNATE_DATABASE_URL="postgres://cognate@127.0.0.1:1/cognate")
    assert done.returncode == 1 and "pg_dump" in done.stderr and "pg_restore" in done.stderr
