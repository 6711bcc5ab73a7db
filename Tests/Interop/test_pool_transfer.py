"""`cognate export` and `cognate import`: a whole pool moves to another server with another
master key, and its people sign in there as before, with their old passwords (bcrypt hashes from
another system and Argon2id ones), SRP, their authenticator apps, remembered devices and
passkeys, and the client's secret; the old tokens verify against the new server's keys. A cut-off or foreign file is refused and leaves
nothing behind."""
import base64
import csv
import hashlib
import hmac
import io
import json
import os
import subprocess
import time

import bcrypt
import pyotp
import requests
from jwcrypto import jwk, jwt
from pycognito.aws_srp import AWSSRP, generate_hash_device, long_to_hex

from conftest import ADMIN, BINARY, Server, base_env, cognito, refused, run_command
from passkey_authenticator import Authenticator

ROLE = "arn:aws:iam::123456789012:role/CognitoImport"
USERS = 10_000


def sign_in(idp, client, name, password, secret=None):
    parameters = {"USERNAME": name, "PASSWORD": password}
    if secret:
        parameters["SECRET_HASH"] = base64.b64encode(hmac.new(secret.encode(), (name + client).encode(), hashlib.sha256).digest()).decode()
    return idp.initiate_auth(ClientId=client, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=parameters)


def build_source(server, tmp_path):
    """A pool with something of everything, and 10,000 people brought from another system with
    bcrypt hashes by a CSV import job."""
    idp = cognito(server.url)
    pool = idp.create_user_pool(PoolName="moving", AutoVerifiedAttributes=["email"], AliasAttributes=["email"], MfaConfiguration="OPTIONAL",
                                Schema=[{"Name": "team", "AttributeDataType": "String", "Mutable": True}],
                                DeviceConfiguration={"ChallengeRequiredOnNewDevice": True, "DeviceOnlyRememberedOnUserPrompt": False},
                                Policies={"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "WEB_AUTHN"]}})["UserPool"]["Id"]
    idp.set_user_pool_mfa_config(UserPoolId=pool, MfaConfiguration="OPTIONAL", SoftwareTokenMfaConfiguration={"Enabled": True},
                                 WebAuthnConfiguration={"RelyingPartyId": "localhost", "UserVerification": "preferred"})
    client = idp.create_user_pool_client(UserPoolId=pool, ClientName="app", GenerateSecret=True, AllowedOAuthFlows=["code"],
                                         AllowedOAuthFlowsUserPoolClient=True, AllowedOAuthScopes=["openid", "email"],
                                         CallbackURLs=["https://app.example/cb"],
                                         ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_USER_AUTH",
                                                            "ALLOW_REFRESH_TOKEN_AUTH"],
                                         )["UserPoolClient"]
    idp.create_group(UserPoolId=pool, GroupName="admins", Precedence=1, RoleArn="arn:aws:iam::123456789012:role/admins")
    idp.create_resource_server(UserPoolId=pool, Identifier="https://api.example", Name="api",
                               Scopes=[{"ScopeName": "read", "ScopeDescription": "read"}])
    idp.create_identity_provider(UserPoolId=pool, ProviderName="Google", ProviderType="Google", ProviderDetails={
        "client_id": "g-id", "client_secret": "g-secret-4711", "authorize_scopes": "profile email openid"})
    idp.set_ui_customization(UserPoolId=pool, CSS=".banner-customizable { background-color: #123456; }")
    idp.create_user_pool_domain(UserPoolId=pool, Domain="moving-pool")

    header = idp.get_csv_header(UserPoolId=pool)["CSVHeader"] + ["cognito:password_hash"]
    salt = bcrypt.gensalt(rounds=4)
    known = {n: f"Old-Passw0rd-{n}!" for n in (0, 4_321, USERS - 1)}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    shared = bcrypt.hashpw(b"Shared-Passw0rd!", salt).decode()
    for n in range(USERS):
        hashed = bcrypt.hashpw(known[n].encode(), salt).decode() if n in known else shared
        row = {"cognito:username": f"p{n:05d}", "email": f"p{n:05d}@example.com", "email_verified": "true", "cognito:mfa_enabled": "false",
               "custom:team": "blue", "cognito:password_hash": hashed}
        writer.writerow([row.get(column, "") for column in header])
    job = idp.create_user_import_job(JobName="from-elsewhere", UserPoolId=pool, CloudWatchLogsRoleArn=ROLE,
                                     PasswordHashingAlgorithm="BCRYPT")["UserImportJob"]
    assert requests.put(job["PreSignedUrl"], data=out.getvalue().encode()).status_code == 200
    idp.start_user_import_job(UserPoolId=pool, JobId=job["JobId"])
    deadline = time.time() + 240
    while (found := idp.describe_user_import_job(UserPoolId=pool, JobId=job["JobId"])["UserImportJob"])["Status"] != "Succeeded":
        assert found["Status"] in ("Pending", "InProgress") and time.time() < deadline, found
        time.sleep(0.5)
    assert found["ImportedUsers"] == USERS

    # a native user with a password, SRP, an authenticator app and a group
    idp.admin_create_user(UserPoolId=pool, Username="nat", MessageAction="SUPPRESS",
                          UserAttributes=[{"Name": "email", "Value": "nat@example.com"}, {"Name": "email_verified", "Value": "true"}])
    idp.admin_set_user_password(UserPoolId=pool, Username="nat", Password="Native-Passw0rd!", Permanent=True)
    idp.admin_add_user_to_group(UserPoolId=pool, Username="nat", GroupName="admins")
    idp.admin_add_user_to_group(UserPoolId=pool, Username="p00000", GroupName="admins")
    access = sign_in(idp, client["ClientId"], "nat", "Native-Passw0rd!", client["ClientSecret"])["AuthenticationResult"]["AccessToken"]
    totp = pyotp.TOTP(idp.associate_software_token(AccessToken=access)["SecretCode"])
    idp.verify_software_token(AccessToken=access, UserCode=totp.now())
    idp.set_user_mfa_preference(AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
    # dev's laptop is remembered: SRP, then ConfirmDevice with the device's own SRP verifier
    idp.admin_create_user(UserPoolId=pool, Username="dev", MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=pool, Username="dev", Password="Native-Passw0rd!", Permanent=True)
    srp = AWSSRP(username="dev", password="Native-Passw0rd!", pool_id=pool, client_id=client["ClientId"], client=idp,
                 client_secret=client["ClientSecret"])
    parameters = srp.get_auth_params()
    started = idp.initiate_auth(ClientId=client["ClientId"], AuthFlow="USER_SRP_AUTH", AuthParameters=parameters)
    result = idp.respond_to_auth_challenge(ClientId=client["ClientId"], ChallengeName="PASSWORD_VERIFIER",
                                           ChallengeResponses=srp.process_challenge(started["ChallengeParameters"], parameters))["AuthenticationResult"]
    metadata = result["NewDeviceMetadata"]
    device_password, config = generate_hash_device(metadata["DeviceGroupKey"], metadata["DeviceKey"])
    idp.confirm_device(AccessToken=result["AccessToken"], DeviceKey=metadata["DeviceKey"], DeviceSecretVerifierConfig=config, DeviceName="laptop")
    device = (metadata["DeviceKey"], metadata["DeviceGroupKey"], device_password)
    # kay signs in with a passkey and nothing else
    idp.admin_create_user(UserPoolId=pool, Username="kay", MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=pool, Username="kay", Password="Native-Passw0rd!", Permanent=True)
    kay = sign_in(idp, client["ClientId"], "kay", "Native-Passw0rd!", client["ClientSecret"])["AuthenticationResult"]["AccessToken"]
    options = idp.start_web_authn_registration(AccessToken=kay)["CredentialCreationOptions"]
    passkey, credential = Authenticator(f"http://localhost:{server.port}").create(options)
    idp.complete_web_authn_registration(AccessToken=kay, Credential=credential)
    # a known user's first sign-in here replaces its bcrypt hash with an Argon2id one
    old_tokens = sign_in(idp, client["ClientId"], "p04321", known[4_321], client["ClientSecret"])["AuthenticationResult"]
    return idp, pool, client, known, totp, old_tokens, device, passkey


def secret_hash(client, name):
    return base64.b64encode(hmac.new(client["ClientSecret"].encode(), (name + client["ClientId"]).encode(), hashlib.sha256).digest()).decode()


def test_a_pool_moves_to_another_server_and_its_people_sign_in_there(data_dir, tmp_path):
    source = Server(data_dir, **ADMIN)
    target_dir = str(tmp_path / "target")
    os.makedirs(target_dir, mode=0o700)
    target = None
    try:
        idp, pool, client, known, totp, old_tokens, device, passkey = build_source(source, tmp_path)
        old_keys = requests.get(f"{source.url}/{pool}/.well-known/jwks.json").json()
        export = str(tmp_path / "moving.jsonl")
        done = run_command(["export", "--pool", pool, "--output", export], data_dir, timeout=300, **ADMIN)
        assert done.returncode == 0, done.stderr
        assert f"Exported {pool}: {USERS + 3} users, 1 groups, 1 clients, 1 signing keys, 1 passkeys, 1 devices" in done.stderr
        assert oct(os.stat(export).st_mode & 0o777) == "0o600"
        with open(export) as f:
            lines = f.read().splitlines()
        assert lines[0].startswith('{"exportedAt"') and '"type":"header"' in lines[0] and '"type":"end"' in lines[-1]
        assert "Native-Passw0rd" not in "\n".join(lines) and "g-secret-4711" not in "\n".join(lines)  # hashes and sealed secrets only
        assert run_command(["export", "--pool", pool, "--output", export], data_dir, **ADMIN).returncode == 1  # never overwritten
        source_key = os.path.join(data_dir, "master.key")

        # another server with its own master key: the file's secrets are not sealed for it
        refused_import = run_command(["import", "--file", export], target_dir, timeout=300, **ADMIN)
        assert refused_import.returncode == 1 and "--from-master-key" in refused_import.stderr, refused_import.stderr
        wrong = tmp_path / "wrong.key"
        wrong.write_text(base64.b64encode(os.urandom(32)).decode())
        assert "not the one that sealed" in run_command(["import", "--file", export, "--from-master-key", str(wrong)], target_dir,
                                                       **ADMIN).stderr
        # a file cut off in the middle of the users: refused, nothing kept
        cut = tmp_path / "cut.jsonl"
        cut.write_text("\n".join(lines[: len(lines) // 2]) + "\n")
        cut_off = run_command(["import", "--file", str(cut), "--from-master-key", source_key], target_dir, timeout=300, **ADMIN)
        assert cut_off.returncode == 1 and "cut off" in cut_off.stderr, cut_off.stderr

        moved = run_command(["import", "--file", export, "--from-master-key", source_key], target_dir, timeout=300, **ADMIN)
        assert moved.returncode == 0, moved.stderr
        assert (f"Imported {pool}: {USERS + 3} users, 1 groups (2 memberships), 1 clients, 1 signing keys, 1 identity providers, "
                "1 passkeys, 1 devices") in moved.stdout
        again = run_command(["import", "--file", export, "--from-master-key", source_key], target_dir, **ADMIN)
        assert again.returncode == 1 and "here already" in again.stderr

        target = Server(target_dir, **ADMIN)
        new = cognito(target.url)
        # the same keys: tokens the old server issued verify against the new one's JWKS
        assert requests.get(f"{target.url}/{pool}/.well-known/jwks.json").json() == old_keys
        jwt.JWT(jwt=old_tokens["IdToken"], key=jwk.JWKSet.from_json(requests.get(f"{target.url}/{pool}/.well-known/jwks.json").text))
        moved_client = new.describe_user_pool_client(UserPoolId=pool, ClientId=client["ClientId"])["UserPoolClient"]
        assert moved_client["ClientSecret"] == client["ClientSecret"]  # re-sealed for the new master key
        assert new.describe_identity_provider(UserPoolId=pool, ProviderName="Google")["IdentityProvider"]["ProviderDetails"]["client_secret"] \
            == "g-secret-4711"
        assert new.describe_user_pool(UserPoolId=pool)["UserPool"]["Domain"] == "moving-pool"
        assert "#123456" in new.get_ui_customization(UserPoolId=pool)["UICustomization"]["CSS"]

        # people from the other system with their bcrypt hashes, and one whose hash was already upgraded
        for n, password in known.items():
            tokens = sign_in(new, client["ClientId"], f"p{n:05d}", password, client["ClientSecret"])["AuthenticationResult"]
            assert tokens["IdToken"]
        refused(lambda: sign_in(new, client["ClientId"], "p00000", "Wrong-Passw0rd!", client["ClientSecret"]), "NotAuthorizedException")
        first = sign_in(new, client["ClientId"], "p00000@example.com", known[0], client["ClientSecret"])["AuthenticationResult"]
        claims = jwt.JWT(jwt=first["IdToken"], key=jwk.JWKSet.from_json(requests.get(f"{target.url}/{pool}/.well-known/jwks.json").text))
        assert '"admins"' in claims.claims and '"custom:team": "blue"' in claims.claims.replace('":"', '": "')
        # the native user: password, then the authenticator app set up on the old server
        challenge = sign_in(new, client["ClientId"], "nat", "Native-Passw0rd!", client["ClientSecret"])
        assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
        answered = new.respond_to_auth_challenge(
            ClientId=client["ClientId"], ChallengeName="SOFTWARE_TOKEN_MFA", Session=challenge["Session"],
            ChallengeResponses={"USERNAME": "nat", "SOFTWARE_TOKEN_MFA_CODE": totp.at(time.time() + 30), "SECRET_HASH": secret_hash(client, "nat")})
        assert answered["AuthenticationResult"]["AccessToken"]
        # dev's laptop, remembered on the old server, proves itself here with its device secret (a wrong one is refused)
        def device_sign_in(device_password):
            srp = AWSSRP(username="dev", password="Native-Passw0rd!", pool_id=pool, client_id=client["ClientId"], client=new,
                         client_secret=client["ClientSecret"], device_key=device[0], device_group_key=device[1], device_password=device_password)
            parameters = srp.get_auth_params()
            started = new.initiate_auth(ClientId=client["ClientId"], AuthFlow="USER_SRP_AUTH", AuthParameters=parameters)
            after_password = new.respond_to_auth_challenge(ClientId=client["ClientId"], ChallengeName="PASSWORD_VERIFIER",
                                                           ChallengeResponses=srp.process_challenge(started["ChallengeParameters"], parameters))
            assert after_password["ChallengeName"] == "DEVICE_SRP_AUTH", after_password
            verifier = new.respond_to_auth_challenge(
                ClientId=client["ClientId"], ChallengeName="DEVICE_SRP_AUTH", Session=after_password["Session"],
                ChallengeResponses={"USERNAME": "dev", "DEVICE_KEY": device[0], "SRP_A": long_to_hex(srp.large_a_value),
                                    "SECRET_HASH": secret_hash(client, "dev")})
            return new.respond_to_auth_challenge(ClientId=client["ClientId"], ChallengeName="DEVICE_PASSWORD_VERIFIER",
                                                 ChallengeResponses=srp.process_device_challenge(verifier["ChallengeParameters"]))
        remembered = device_sign_in(device[2])["AuthenticationResult"]
        assert remembered["AccessToken"] and "NewDeviceMetadata" not in remembered
        refused(lambda: device_sign_in("not-the-device-password"), "NotAuthorizedException")
        # kay's passkey, made on the old server, signs her in here (the same RP id); its counter came along:
        # the value the old server last saw (1) again is refused, the next one passes
        browser = Authenticator(f"http://localhost:{target.port}")

        def passkey_sign_in(**bend):
            started = new.initiate_auth(ClientId=client["ClientId"], AuthFlow="USER_AUTH", AuthParameters={
                "USERNAME": "kay", "PREFERRED_CHALLENGE": "WEB_AUTHN", "SECRET_HASH": secret_hash(client, "kay")})
            assert started["ChallengeName"] == "WEB_AUTHN", started
            options = json.loads(started["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"])
            return new.respond_to_auth_challenge(
                ClientId=client["ClientId"], ChallengeName="WEB_AUTHN", Session=started["Session"],
                ChallengeResponses={"USERNAME": "kay", "CREDENTIAL": browser.get(options, passkey, **bend), "SECRET_HASH": secret_hash(client, "kay")})
        refused(lambda: passkey_sign_in(count=1), "NotAuthorizedException")
        assert passkey_sign_in(count=2)["AuthenticationResult"]["AccessToken"]
        # SRP with the verifier made on the old server
        srp = AWSSRP(username="p04321", password=known[4_321], pool_id=pool, client_id=client["ClientId"], client=new,
                     client_secret=client["ClientSecret"])
        assert srp.authenticate_user()["AuthenticationResult"]["AccessToken"]
        assert sum(len(page["Users"]) for page in new.get_paginator("list_users").paginate(UserPoolId=pool)) == USERS + 3
    finally:
        source.stop()
        if target:
            target.stop()


def test_an_export_sealed_for_the_target_moves_through_a_pipe(data_dir, tmp_path):
    source = Server(data_dir, **ADMIN)
    try:
        idp = cognito(source.url)
        pool = idp.create_user_pool(PoolName="piped")["UserPool"]["Id"]
        client = idp.create_user_pool_client(UserPoolId=pool, ClientName="app", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"])["UserPoolClient"]
        for name in ["ann", "ben"]:
            idp.admin_create_user(UserPoolId=pool, Username=name, MessageAction="SUPPRESS")
            idp.admin_set_user_password(UserPoolId=pool, Username=name, Password="Piped-Passw0rd!", Permanent=True)
    finally:
        source.stop()
    target_dir = str(tmp_path / "target")
    os.makedirs(target_dir, mode=0o700)
    target_key = tmp_path / "target.key"
    target_key.write_text(base64.b64encode(os.urandom(32)).decode())
    exporter = subprocess.Popen([BINARY, "export", "--pool", pool, "--for-master-key", str(target_key)], env=base_env(data_dir, **ADMIN),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    importer = subprocess.run([BINARY, "import"], stdin=exporter.stdout, capture_output=True, text=True, timeout=120,
                              env=base_env(target_dir, COGNATE_MASTER_KEY=target_key.read_text(), **ADMIN))
    exporter.stdout.close()
    assert exporter.wait(timeout=60) == 0, exporter.stderr.read()
    assert importer.returncode == 0 and f"Imported {pool}: 2 users" in importer.stdout, importer.stderr
    target = Server(target_dir, COGNATE_MASTER_KEY=target_key.read_text(), **ADMIN)
    try:
        for name in ["ann", "ben"]:
            assert sign_in(cognito(target.url), client["ClientId"], name, "Piped-Passw0rd!")["AuthenticationResult"]["IdToken"]
    finally:
        target.stop()
    # not an export at all
    junk = tmp_path / "junk.jsonl"
    junk.write_text('{"type":"user"}\n')
    assert "not a Cognate pool export" in run_command(["import", "--file", str(junk)], target_dir,
                                                      COGNATE_MASTER_KEY=target_key.read_text(), **ADMIN).stderr
