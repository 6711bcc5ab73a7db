"""Moving a Cognito pool's users to Cognate with no password reset: moto's server (PyPI
`moto[server]`) stands in for the old Cognito pool. A user made there signs in to Cognate with the
same password (API and hosted page) and keeps name, sub, attributes and groups; later sign-ins no
longer ask the old pool; a wrong password makes nobody; a forgotten password brings the profile
and sends the code; `cognate migrate` copies a thousand users ahead of time, with progress."""
import json
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlencode, urljoin, urlparse

import boto3
import botocore
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

import smtp_server
from conftest import ADMIN, ADMIN_ACCESS_KEY, ADMIN_SECRET_KEY, Form, Server, claims, cognito, free_port, refused, run_command, wait_until_serving

PASSWORD = "Old-Passw0rd!"
CONFIG = """
pools:
  - name: moved
    id: local_Moved1234
    schema:
      - {name: "custom:tier", type: String}
    migrateFrom:
      endpoint: %(endpoint)s
      region: us-east-1
      userPoolId: %(pool)s
      clientId: %(client)s
      clientSecret: %(secret)s
      credentials: {accessKeyId: testing, secretAccessKey: testing}
    clients:
      - name: app
        id: movedapp000000000000000000
        explicitAuthFlows: [ALLOW_USER_PASSWORD_AUTH, ALLOW_REFRESH_TOKEN_AUTH]
        callbackURLs: [http://localhost:3000/cb]
        allowedOAuthFlows: [code]
        allowedOAuthScopes: [openid, email]
  - name: bulk
    id: local_Bulk12345
    migrateFrom:
      endpoint: %(endpoint)s
      region: us-east-1
      userPoolId: %(bulk)s
      clientId: %(bulkclient)s
      credentials: {accessKeyId: testing, secretAccessKey: testing}
    clients:
      - name: app
        id: bulkapp0000000000000000000
        explicitAuthFlows: [ALLOW_USER_PASSWORD_AUTH]
"""
APP = "movedapp000000000000000000"
BULK_APP = "bulkapp0000000000000000000"


def start_moto(**env):
    """moto's server on a free loopback port (`env`: its settings, such as INITIAL_NO_AUTH_ACTION_COUNT)."""
    port = free_port()
    process = subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ, **env))
    url = f"http://127.0.0.1:{port}"
    wait_until_serving(url + "/moto-api/", process)
    return process, url


def old_user(old, pool, name, password=PASSWORD, **attributes):
    old.admin_create_user(UserPoolId=pool, Username=name, TemporaryPassword="Temp-Passw0rd!", MessageAction="SUPPRESS",
                          UserAttributes=[{"Name": k.replace("__", ":"), "Value": v} for k, v in attributes.items()])
    old.admin_set_user_password(UserPoolId=pool, Username=name, Password=password, Permanent=True)
    return {a["Name"]: a["Value"] for a in old.admin_get_user(UserPoolId=pool, Username=name)["UserAttributes"]}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    data_dir = str(tmp_path_factory.mktemp("migration"))
    moto, endpoint = start_moto()
    old = boto3.client("cognito-idp", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
                       aws_secret_access_key="testing", config=botocore.config.Config(retries={"max_attempts": 1}))
    pool = old.create_user_pool(PoolName="legacy", Schema=[{"Name": "tier", "AttributeDataType": "String", "Mutable": True}])["UserPool"]["Id"]
    client = old.create_user_pool_client(UserPoolId=pool, ClientName="legacy-app", GenerateSecret=True,
                                         ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])["UserPoolClient"]
    old.create_group(UserPoolId=pool, GroupName="admins", Description="The people who run it", Precedence=1)
    old.create_group(UserPoolId=pool, GroupName="staff", Precedence=5)
    bulk = old.create_user_pool(PoolName="crowd")["UserPool"]["Id"]
    bulk_client = old.create_user_pool_client(UserPoolId=bulk, ClientName="crowd-app")["UserPoolClient"]["ClientId"]
    smtp_port = free_port()
    controller, inbox = smtp_server.start(smtp_port)
    config = os.path.join(data_dir, "cognate.yaml")
    with open(config, "w") as f:
        f.write(CONFIG % {"endpoint": endpoint, "pool": pool, "client": client["ClientId"], "secret": client["ClientSecret"],
                          "bulk": bulk, "bulkclient": bulk_client})
    server = Server(data_dir, args=["--config", config], COGNATE_SMTP_URL=f"smtp://127.0.0.1:{smtp_port}",
                    COGNATE_MAIL_FROM="no-reply@cognate.test", **ADMIN)
    yield {"server": server, "idp": cognito(server.url), "old": old, "pool": pool, "bulk": bulk, "inbox": inbox, "config": config,
           "data_dir": data_dir, "endpoint": endpoint}
    server.stop()
    controller.stop()
    moto.terminate()
    moto.wait()


def sign_in(idp, name, password=PASSWORD, client=APP):
    return idp.initiate_auth(ClientId=client, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": name, "PASSWORD": password})


def attributes(user):
    return {a["Name"]: a["Value"] for a in user["UserAttributes"]}


def test_a_user_of_the_old_pool_signs_in_with_the_same_password_and_keeps_everything(world):
    idp, old, pool = world["idp"], world["old"], world["pool"]
    before = old_user(old, pool, "alice", email="alice@example.com", email_verified="true", given_name="Alice", custom__tier="gold")
    old.admin_add_user_to_group(UserPoolId=pool, Username="alice", GroupName="admins")
    refused(lambda: idp.admin_get_user(UserPoolId="local_Moved1234", Username="alice"), "UserNotFoundException")

    tokens = sign_in(idp, "alice")["AuthenticationResult"]
    id_claims = claims(tokens["IdToken"])
    assert id_claims["cognito:username"] == "alice" and id_claims["sub"] == before["sub"]
    assert id_claims["cognito:groups"] == ["admins"] and id_claims["email"] == "alice@example.com"
    moved = idp.admin_get_user(UserPoolId="local_Moved1234", Username="alice")
    assert moved["UserStatus"] == "CONFIRMED" and moved["Enabled"] is True
    assert attributes(moved) == {"sub": before["sub"], "email": "alice@example.com", "email_verified": "true", "given_name": "Alice",
                                 "custom:tier": "gold"}
    group = idp.get_group(UserPoolId="local_Moved1234", GroupName="admins")["Group"]
    assert group["Description"] == "The people who run it" and group["Precedence"] == 1

    # from now on the password is Cognate's: the old pool is no longer asked
    old.admin_set_user_password(UserPoolId=pool, Username="alice", Password="Changed-There1!", Permanent=True)
    assert sign_in(idp, "alice")["AuthenticationResult"]["AccessToken"]
    refused(lambda: sign_in(idp, "alice", "Changed-There1!"), "NotAuthorizedException", "Incorrect username or password.")
    old.admin_delete_user(UserPoolId=pool, Username="alice")
    assert sign_in(idp, "alice")["AuthenticationResult"]["RefreshToken"]


def test_a_wrong_password_signs_nobody_in_and_makes_nobody(world):
    idp, old, pool = world["idp"], world["old"], world["pool"]
    old_user(old, pool, "bob", email="bob@example.com")
    wrong = refused(lambda: sign_in(idp, "bob", "Not-His-Passw0rd!"), "NotAuthorizedException", "Incorrect username or password.")
    nobody = refused(lambda: sign_in(idp, "nobody-anywhere", PASSWORD), "NotAuthorizedException", "Incorrect username or password.")
    assert wrong == nobody, "the old pool's answers are never shown"
    refused(lambda: idp.admin_get_user(UserPoolId="local_Moved1234", Username="bob"), "UserNotFoundException")
    refused(lambda: idp.admin_get_user(UserPoolId="local_Moved1234", Username="nobody-anywhere"), "UserNotFoundException")
    # and the right one still brings bob over
    assert sign_in(idp, "bob")["AuthenticationResult"]["IdToken"]


def test_no_one_else_signs_up_with_a_name_the_old_pool_holds(world):
    idp, old, pool = world["idp"], world["old"], world["pool"]
    old_user(old, pool, "gina", email="gina@example.com")
    refused(lambda: idp.sign_up(ClientId=APP, Username="gina", Password="Squatter-Passw0rd!",
                                UserAttributes=[{"Name": "email", "Value": "squatter@example.com"}]), "UsernameExistsException")
    refused(lambda: idp.admin_get_user(UserPoolId="local_Moved1234", Username="gina"), "UserNotFoundException")
    assert sign_in(idp, "gina")["AuthenticationResult"]["IdToken"]
    # a name neither holds is free
    assert idp.sign_up(ClientId=APP, Username="newcomer", Password="Fresh-Passw0rd!",
                       UserAttributes=[{"Name": "email", "Value": "newcomer@example.com"}])["UserSub"]


def test_a_disabled_old_user_is_not_brought_over(world):
    idp, old, pool = world["idp"], world["old"], world["pool"]
    old_user(old, pool, "dora", email="dora@example.com")
    old.admin_disable_user(UserPoolId=pool, Username="dora")
    refused(lambda: sign_in(idp, "dora"), "NotAuthorizedException", "Incorrect username or password.")
    refused(lambda: idp.admin_get_user(UserPoolId="local_Moved1234", Username="dora"), "UserNotFoundException")


def test_first_sign_ins_at_once_make_one_user(world):
    idp, old, pool = world["idp"], world["old"], world["pool"]
    old_user(old, pool, "erin", email="erin@example.com")
    old.admin_add_user_to_group(UserPoolId=pool, Username="erin", GroupName="staff")

    def attempt(password):
        try:
            return "tokens" if sign_in(cognito(world["server"].url), "erin", password)["AuthenticationResult"] else "?"
        except ClientError as error:
            return error.response["Error"]["Code"]

    with ThreadPoolExecutor(8) as pool_:
        outcomes = list(pool_.map(attempt, [PASSWORD] * 6 + ["Wrong-Passw0rd!"] * 2))
    assert outcomes[:6] == ["tokens"] * 6 and outcomes[6:] == ["NotAuthorizedException"] * 2, outcomes
    found = idp.list_users(UserPoolId="local_Moved1234", Filter='username = "erin"')["Users"]
    assert len(found) == 1
    assert [g["GroupName"] for g in idp.admin_list_groups_for_user(UserPoolId="local_Moved1234", Username="erin")["Groups"]] == ["staff"]


def test_the_hosted_page_brings_the_user_over(world):
    server, old, pool = world["server"], world["old"], world["pool"]
    old_user(old, pool, "carol", email="carol@example.com", email_verified="true")
    browser = requests.Session()
    first = browser.get(f"{server.url}/local_Moved1234/oauth2/authorize?" + urlencode(
        {"response_type": "code", "client_id": APP, "redirect_uri": "http://localhost:3000/cb", "scope": "openid email",
         "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "code_challenge_method": "S256"}),
        allow_redirects=False)
    page = browser.get(urljoin(server.url, first.headers["Location"]))
    form = Form()
    form.feed(page.text)
    form.fields.update(username="carol", password="Wrong-Passw0rd!")
    wrong = browser.post(urljoin(page.url, form.action), data=form.fields, allow_redirects=False)
    assert wrong.status_code in (200, 400) and "Incorrect username or password" in wrong.text
    form = Form()
    form.feed(wrong.text)
    form.fields.update(username="carol", password=PASSWORD)
    answer = browser.post(urljoin(wrong.url, form.action), data=form.fields, allow_redirects=False)
    assert answer.status_code == 302, answer.text[:500]
    location = urlparse(answer.headers["Location"])
    assert location.netloc == "localhost:3000" and "code" in parse_qs(location.query)
    assert world["idp"].admin_get_user(UserPoolId="local_Moved1234", Username="carol")["UserStatus"] == "CONFIRMED"


def test_a_forgotten_password_brings_the_profile_and_sends_the_code(world):
    idp, old, pool, inbox = world["idp"], world["old"], world["pool"], world["inbox"]
    old_user(old, pool, "frank", email="frank@example.com", email_verified="true", given_name="Frank")
    before = len(inbox.messages)
    answer = idp.forgot_password(ClientId=APP, Username="frank")
    assert answer["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    mail = inbox.wait(before + 1)[before]
    assert mail["to"] == ["frank@example.com"]
    code = re.search(r"\d{6}", mail["message"].get_body(("plain",)).get_content()).group(0)
    assert attributes(idp.admin_get_user(UserPoolId="local_Moved1234", Username="frank"))["given_name"] == "Frank"
    idp.confirm_forgot_password(ClientId=APP, Username="frank", ConfirmationCode=code, Password="New-Passw0rd!")
    assert sign_in(idp, "frank", "New-Passw0rd!")["AuthenticationResult"]["IdToken"]
    refused(lambda: sign_in(idp, "frank"), "NotAuthorizedException")
    # a name neither pool holds: the same answer as ever, nothing made
    hidden = idp.forgot_password(ClientId=APP, Username="nobody-at-all")
    assert hidden["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    refused(lambda: idp.admin_get_user(UserPoolId="local_Moved1234", Username="nobody-at-all"), "UserNotFoundException")


def test_a_thousand_users_copied_ahead_with_progress(world):
    idp, old, bulk = world["idp"], world["old"], world["bulk"]
    old.create_group(UserPoolId=bulk, GroupName="early", Description="The first ten")
    for n in range(1000):
        old.admin_create_user(UserPoolId=bulk, Username=f"user{n:04d}", TemporaryPassword="Temp-Passw0rd!", MessageAction="SUPPRESS",
                              UserAttributes=[{"Name": "email", "Value": f"user{n:04d}@example.com"}])
    for n in range(10):
        old.admin_set_user_password(UserPoolId=bulk, Username=f"user{n:04d}", Password=PASSWORD, Permanent=True)
        old.admin_add_user_to_group(UserPoolId=bulk, Username=f"user{n:04d}", GroupName="early")
    started = time.time()
    result = run_command(["migrate", "--pool", "local_Bulk12345"], world["data_dir"], timeout=300, **ADMIN)
    assert result.returncode == 0, result.stderr + result.stdout
    lines = result.stdout.strip().splitlines()
    progress = [line for line in lines if re.fullmatch(r"\s+\d+ copied, \d+ already here, \d+ skipped", line)]
    assert len(progress) >= 17, lines[:5]
    assert progress[0].split()[0] == "60"
    assert lines[-1] == "Done: 1000 users copied, 0 already here, 0 skipped, 10 group memberships", lines[-3:]
    print(f"copied 1,000 users in {time.time() - started:.1f} s")

    users, token = [], None
    while True:
        page = idp.list_users(UserPoolId="local_Bulk12345", **({"PaginationToken": token} if token else {}))
        users += page["Users"]
        token = page.get("PaginationToken")
        if not token:
            break
    assert len(users) == 1000
    copied = idp.admin_get_user(UserPoolId="local_Bulk12345", Username="user0003")
    assert copied["UserStatus"] == "CONFIRMED" and attributes(copied)["email"] == "user0003@example.com"
    assert attributes(copied)["sub"] == attributes(old.admin_get_user(UserPoolId=bulk, Username="user0003"))["sub"]
    assert len(idp.list_users_in_group(UserPoolId="local_Bulk12345", GroupName="early")["Users"]) == 10
    # the first password sign-in is still the old pool's to check, then Cognate's
    refused(lambda: sign_in(idp, "user0003", "Wrong-Passw0rd!", client=BULK_APP), "NotAuthorizedException", "Incorrect username or password.")
    first = sign_in(idp, "user0003", client=BULK_APP)["AuthenticationResult"]
    assert claims(first["IdToken"])["cognito:groups"] == ["early"]
    old.admin_set_user_password(UserPoolId=bulk, Username="user0003", Password="Changed-There1!", Permanent=True)
    assert sign_in(idp, "user0003", client=BULK_APP)["AuthenticationResult"]["IdToken"]
    # a user still FORCE_CHANGE_PASSWORD there is so here: the temporary password leads to the new-password challenge
    challenge = sign_in(idp, "user0500", "Temp-Passw0rd!", client=BULK_APP)
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"

    # running it again copies nothing twice
    again = run_command(["migrate", "--pool", "local_Bulk12345"], world["data_dir"], timeout=300, **ADMIN)
    assert again.returncode == 0 and again.stdout.strip().splitlines()[-1].startswith("Done: 0 users copied, 1000 already here")


def test_migrate_needs_a_pool_with_a_source(world):
    result = run_command(["migrate"], world["data_dir"], **ADMIN)
    assert result.returncode != 0 and "--pool is required" in result.stderr + result.stdout
    result = run_command(["migrate", "--pool", "local_Nothing12"], world["data_dir"], **ADMIN)
    assert result.returncode != 0 and "no user pool local_Nothing12" in result.stderr + result.stdout


def test_a_bad_source_in_the_config_file_stops_start_up(data_dir):
    config = os.path.join(data_dir, "cognate.yaml")
    with open(config, "w") as f:
        f.write("pools:\n  - name: moved\n    migrateFrom:\n      endpoint: http://old.example.com/\n      region: us-east-1\n"
                "      userPoolId: us-east-1_abc\n      clientId: abc\n")
    result = run_command(["serve", "--port", "1", "--config", config], data_dir)
    assert result.returncode == 1
    assert f"{config}:4:" in result.stderr and "pools[0].migrateFrom.endpoint" in result.stderr
    assert "https://" in result.stderr


def raw_call(server, operation, body):
    """Cognate's own MigrateFrom member: AWS's SDKs cannot send or show it, so the request is
    made by hand, signed with the admin key by botocore's signer."""
    request = AWSRequest(method="POST", url=server.url + "/", data=json.dumps(body), headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"AWSCognitoIdentityProviderService.{operation}"})
    SigV4Auth(Credentials(ADMIN_ACCESS_KEY, ADMIN_SECRET_KEY), "cognito-idp", "local").add_auth(request)
    return requests.post(request.url, data=request.body, headers=dict(request.headers), timeout=30)


def test_the_api_sets_shows_and_removes_a_pools_source(world):
    server, idp, old = world["server"], world["idp"], world["old"]
    client = old.create_user_pool_client(UserPoolId=world["pool"], ClientName="api-app",
                                         ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"])["UserPoolClient"]["ClientId"]
    old_user(old, world["pool"], "viaapi", email="viaapi@example.com")
    source = {"Endpoint": world["endpoint"], "Region": "us-east-1", "UserPoolId": world["pool"], "ClientId": client,
              "Credentials": {"AccessKeyId": "testing", "SecretAccessKey": "testing"}}
    made = raw_call(server, "CreateUserPool", {"PoolName": "from-the-api", "MigrateFrom": source})
    assert made.status_code == 200, made.text
    pool = made.json()["UserPool"]["Id"]
    # shown without its secrets
    shown = raw_call(server, "DescribeUserPool", {"UserPoolId": pool}).json()["UserPool"]["MigrateFrom"]
    assert shown == {"Endpoint": world["endpoint"], "Region": "us-east-1", "UserPoolId": world["pool"], "ClientId": client,
                     "Credentials": {"AccessKeyId": "testing"}}
    app = idp.create_user_pool_client(UserPoolId=pool, ClientName="app", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"])["UserPoolClient"]["ClientId"]
    assert sign_in(idp, "viaapi", client=app)["AuthenticationResult"]["IdToken"]
    # an UpdateUserPool from an AWS SDK (which cannot send it) leaves it; bad sources are refused
    idp.update_user_pool(UserPoolId=pool, MfaConfiguration="OFF")
    assert "MigrateFrom" in raw_call(server, "DescribeUserPool", {"UserPoolId": pool}).json()["UserPool"]
    for bad, word in [({"Region": "us-east-1", "UserPoolId": world["pool"]}, "needs Region, UserPoolId and ClientId"),
                      (dict(source, Endpoint="http://203.0.113.9/"), "MigrateFrom.Endpoint"),
                      (dict(source, UserPoolId="not a pool"), "MigrateFrom.UserPoolId"),
                      (dict(source, Credentials={"AccessKeyId": "x"}), "SecretAccessKey")]:
        refusal = raw_call(server, "UpdateUserPool", {"UserPoolId": pool, "MigrateFrom": bad})
        assert refusal.status_code == 400 and refusal.json()["__type"] == "InvalidParameterException" and word in refusal.json()["message"], refusal.text
    assert raw_call(server, "DescribeUserPool", {"UserPoolId": pool}).json()["UserPool"]["MigrateFrom"]["ClientId"] == client
    # an empty object stops migrating: the next old user is a name no one holds
    assert raw_call(server, "UpdateUserPool", {"UserPoolId": pool, "MigrateFrom": {}}).status_code == 200
    assert "MigrateFrom" not in raw_call(server, "DescribeUserPool", {"UserPoolId": pool}).json()["UserPool"]
    old_user(old, world["pool"], "tooLate", email="toolate@example.com")
    with pytest.raises(ClientError):
        sign_in(idp, "tooLate", client=app)


def test_an_unconfirmed_old_user_comes_over_unconfirmed(world):
    idp, old, pool = world["idp"], world["old"], world["pool"]
    signup_client = old.create_user_pool_client(UserPoolId=pool, ClientName="signup-app")["UserPoolClient"]["ClientId"]
    old.sign_up(ClientId=signup_client, Username="ursula", Password=PASSWORD, UserAttributes=[{"Name": "email", "Value": "ursula@example.com"}])
    # a wrong password makes nobody, as ever
    refused(lambda: sign_in(idp, "ursula", "Not-Her-Passw0rd!"), "NotAuthorizedException", "Incorrect username or password.")
    refused(lambda: idp.admin_get_user(UserPoolId="local_Moved1234", Username="ursula"), "UserNotFoundException")
    # the right one: she is told, as she would have been there, and is here now, unconfirmed
    refused(lambda: sign_in(idp, "ursula"), "UserNotConfirmedException")
    assert idp.admin_get_user(UserPoolId="local_Moved1234", Username="ursula")["UserStatus"] == "UNCONFIRMED"
    idp.admin_confirm_sign_up(UserPoolId="local_Moved1234", Username="ursula")
    assert sign_in(idp, "ursula")["AuthenticationResult"]["IdToken"]
