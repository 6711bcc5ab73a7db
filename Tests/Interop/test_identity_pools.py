"""Identity pools through boto3's cognito-identity client: a signed-in user's ID token (or an
outside OpenID provider's, Authlib's) becomes working S3 credentials, with moto's server (PyPI
`moto[server]`, IAM checks on) as the STS and the S3 the credentials are tried against. Cognate's OpenID tokens are checked with jwcrypto
against its own discovery and JWKS."""
import base64
import hashlib
import json
import re
import secrets
import threading
import time
import urllib.parse

import boto3
import botocore
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from jwcrypto import jwk, jwt

from conftest import ADMIN, ADMIN_ACCESS_KEY, ADMIN_SECRET_KEY, Server, claims, cognito, refused
from oidc_provider import OIDCProvider
from test_migration import start_moto

PASSWORD = "Identity-Passw0rd!"
BUCKET = "cognate-identity"
ACCOUNT = "123456789012"
APP_CALLBACK = "http://127.0.0.1/app/callback"


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": list(actions), "Resource": "*"} for actions in statements]})


class Cloud:
    """moto's server with IAM checks on: an admin user, the roles identities may get, a bucket."""

    ROLES = {
        "Uploader": ["s3:GetObject", "s3:PutObject"],
        "Reader": ["s3:GetObject"],
        "Editor": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
        "Reviewer": ["s3:GetObject"],
        "Ruled": ["s3:GetObject"],
    }

    def __init__(self):
        # the first three calls (the admin user, its key, its policy) are the only unchecked ones
        self.process, self.url = start_moto(INITIAL_NO_AUTH_ACTION_COUNT="3")
        iam = boto3.client("iam", endpoint_url=self.url, region_name="us-east-1", aws_access_key_id="bootstrap",
                           aws_secret_access_key="bootstrap")
        iam.create_user(UserName="admin")
        key = iam.create_access_key(UserName="admin")["AccessKey"]
        iam.put_user_policy(UserName="admin", PolicyName="all", PolicyDocument=policy(["*"]))
        self.key = (key["AccessKeyId"], key["SecretAccessKey"])
        iam = self.client("iam")
        trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": "cognate"},
                                                                     "Action": "sts:AssumeRoleWithWebIdentity"}]})
        self.arns = {}
        for name, actions in self.ROLES.items():
            self.arns[name] = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
            iam.put_role_policy(RoleName=name, PolicyName="access", PolicyDocument=policy(actions, ["sts:GetCallerIdentity"]))
        s3 = self.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key="hello.txt", Body=b"hello from moto")

    def client(self, service, credentials=None):
        if credentials is None:
            keys = dict(aws_access_key_id=self.key[0], aws_secret_access_key=self.key[1])
        else:
            keys = dict(aws_access_key_id=credentials["AccessKeyId"], aws_secret_access_key=credentials["SecretKey"],
                        aws_session_token=credentials["SessionToken"])
        return boto3.client(service, endpoint_url=self.url, region_name="us-east-1",
                            config=botocore.config.Config(retries={"max_attempts": 1}), **keys)

    def role_of(self, credentials):
        """The role the credentials are for, as STS says (`…:assumed-role/<role>/<session>`)."""
        arn = self.client("sts", credentials).get_caller_identity()["Arn"]
        return arn.split(":assumed-role/")[1].split("/")[0]

    def assume(self, role, token):
        """The basic flow's STS call, as an app makes it (signed: moto's checks want every caller known)."""
        body = urllib.parse.urlencode({"Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15", "RoleArn": self.arns[role],
                                       "RoleSessionName": "app", "WebIdentityToken": token})
        request = AWSRequest(method="POST", url=self.url + "/", data=body,
                             headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        SigV4Auth(Credentials(*self.key), "sts", "us-east-1").add_auth(request)
        answer = requests.post(self.url + "/", data=body, headers=dict(request.headers), timeout=10)
        assert answer.status_code == 200, answer.text
        found = {name: re.search(f"<{name}>(.*?)</{name}>", answer.text).group(1)
                 for name in ["AccessKeyId", "SecretAccessKey", "SessionToken"]}
        return {"AccessKeyId": found["AccessKeyId"], "SecretKey": found["SecretAccessKey"], "SessionToken": found["SessionToken"]}

    def stop(self):
        self.process.terminate()
        self.process.wait()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    cloud = Cloud()
    server = Server(str(tmp_path_factory.mktemp("identity")), COGNATE_STS_ENDPOINT=cloud.url, AWS_ACCESS_KEY_ID=cloud.key[0],
                    AWS_SECRET_ACCESS_KEY=cloud.key[1], **ADMIN)
    try:
        idp = cognito(server.url)
        pool = idp.create_user_pool(PoolName="people", AliasAttributes=["email"])["UserPool"]["Id"]
        client = idp.create_user_pool_client(UserPoolId=pool, ClientName="app",
                                             ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"])["UserPoolClient"]["ClientId"]
        other = idp.create_user_pool_client(UserPoolId=pool, ClientName="other",
                                            ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"])["UserPoolClient"]["ClientId"]
        idp.create_group(UserPoolId=pool, GroupName="editors", Precedence=1, RoleArn=cloud.arns["Editor"])
        idp.create_group(UserPoolId=pool, GroupName="reviewers", Precedence=1, RoleArn=cloud.arns["Reviewer"])
        people = {"alice": ["editors"], "bob": [], "carol": ["editors", "reviewers"], "dave": [], "erin": [], "fred": []}
        for name, groups in people.items():
            idp.admin_create_user(UserPoolId=pool, Username=name, MessageAction="SUPPRESS", TemporaryPassword="Temp-Passw0rd!1",
                                  UserAttributes=[{"Name": "email", "Value": f"{name}@example.com"}, {"Name": "email_verified", "Value": "true"}])
            idp.admin_set_user_password(UserPoolId=pool, Username=name, Password=PASSWORD, Permanent=True)
            for group in groups:
                idp.admin_add_user_to_group(UserPoolId=pool, Username=name, GroupName=group)
        provider = re.sub(r"^https?://", "", server.url) + "/" + pool
        identity = boto3.client("cognito-identity", endpoint_url=server.url, region_name="local", aws_access_key_id=ADMIN_ACCESS_KEY,
                                aws_secret_access_key=ADMIN_SECRET_KEY, config=botocore.config.Config(retries={"max_attempts": 1}))

        def id_token(name, client_id=client):
            return idp.admin_initiate_auth(UserPoolId=pool, ClientId=client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                                           AuthParameters={"USERNAME": name, "PASSWORD": PASSWORD})["AuthenticationResult"]

        yield type("World", (), dict(cloud=cloud, server=server, idp=idp, pool=pool, client=client, other=other, provider=provider,
                                     identity=identity, id_token=lambda self, name, client_id=client: id_token(name, client_id)["IdToken"],
                                     tokens=lambda self, name: id_token(name)))()
    finally:
        server.stop()
        cloud.stop()


def new_pool(world, name="guests", **extra):
    settings = dict(IdentityPoolName=name, AllowUnauthenticatedIdentities=True,
                    CognitoIdentityProviders=[{"ProviderName": world.provider, "ClientId": world.client, "ServerSideTokenCheck": True}])
    settings.update(extra)
    pool_id = world.identity.create_identity_pool(**settings)["IdentityPoolId"]
    world.identity.set_identity_pool_roles(IdentityPoolId=pool_id, Roles={"authenticated": world.cloud.arns["Uploader"],
                                                                          "unauthenticated": world.cloud.arns["Reader"]})
    return pool_id


def credentials(world, identity_id, logins=None, **extra):
    return world.identity.get_credentials_for_identity(IdentityId=identity_id, Logins=logins or {}, **extra)["Credentials"]


def test_a_signed_in_users_id_token_becomes_working_s3_credentials(world):
    pool_id = new_pool(world, "uploads")
    logins = {world.provider: world.id_token("bob")}
    identity_id = world.identity.get_id(IdentityPoolId=pool_id, Logins=logins)["IdentityId"]
    assert re.fullmatch(r"local:[0-9a-f-]{36}", identity_id)
    # the same person, a new token: the same identity
    assert world.identity.get_id(IdentityPoolId=pool_id, Logins={world.provider: world.id_token("bob")})["IdentityId"] == identity_id
    answer = world.identity.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)
    assert answer["IdentityId"] == identity_id
    creds = answer["Credentials"]
    assert creds["AccessKeyId"] and creds["SecretKey"] and creds["SessionToken"]
    assert 3000 < creds["Expiration"].timestamp() - time.time() <= 3700
    s3 = world.cloud.client("s3", creds)
    s3.put_object(Bucket=BUCKET, Key="bob.txt", Body=b"written with Cognate's credentials")
    assert s3.get_object(Bucket=BUCKET, Key="bob.txt")["Body"].read() == b"written with Cognate's credentials"
    assert world.cloud.role_of(creds) == "Uploader"
    # attributes for access control: the map kept, and the credentials still come (the tags ride in the token to STS)
    world.identity.set_principal_tag_attribute_map(IdentityPoolId=pool_id, IdentityProviderName=world.provider, UseDefaults=True,
                                                   PrincipalTags={"mail": "email"})
    tag_map = world.identity.get_principal_tag_attribute_map(IdentityPoolId=pool_id, IdentityProviderName=world.provider)
    assert tag_map["UseDefaults"] is True and tag_map["PrincipalTags"] == {"mail": "email"}
    assert world.cloud.role_of(credentials(world, identity_id, logins)) == "Uploader"
    refused(lambda: world.identity.set_principal_tag_attribute_map(IdentityPoolId=pool_id, IdentityProviderName="accounts.example.com",
                                                                   PrincipalTags={"mail": "email"}), "InvalidParameterException")
    # moto checks keys: made-up credentials are refused, so the ones above were real
    forged = dict(creds, AccessKeyId="ASIAFORGEDFORGED0000")
    with pytest.raises(botocore.exceptions.ClientError):
        world.cloud.client("s3", forged).get_object(Bucket=BUCKET, Key="hello.txt")
    # an authenticated identity's credentials need its login
    refused(lambda: credentials(world, identity_id), "NotAuthorizedException",
            "Logins don't match. Please include at least one valid login for this identity or identity pool.")
    refused(lambda: credentials(world, identity_id, {world.provider: world.id_token("dave")}), "NotAuthorizedException")


def test_a_guest_gets_the_unauthenticated_roles_scoped_credentials(world):
    pool_id = new_pool(world, "visitors")
    guest = world.identity.get_id(IdentityPoolId=pool_id)["IdentityId"]
    assert world.identity.get_id(IdentityPoolId=pool_id)["IdentityId"] != guest  # each guest is new
    creds = credentials(world, guest)
    s3 = world.cloud.client("s3", creds)
    assert s3.get_object(Bucket=BUCKET, Key="hello.txt")["Body"].read() == b"hello from moto"
    with pytest.raises(botocore.exceptions.ClientError) as denied:
        s3.put_object(Bucket=BUCKET, Key="guest.txt", Body=b"no")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    assert world.identity.describe_identity(IdentityId=guest)["Logins"] == []
    # signing in later links the guest identity: the same id, now authenticated
    logins = {world.provider: world.id_token("erin")}
    assert world.identity.get_credentials_for_identity(IdentityId=guest, Logins=logins)["IdentityId"] == guest
    assert world.identity.describe_identity(IdentityId=guest)["Logins"] == [world.provider]
    assert world.identity.get_id(IdentityPoolId=pool_id, Logins=logins)["IdentityId"] == guest
    # a pool without guests refuses them
    closed = new_pool(world, "members", AllowUnauthenticatedIdentities=False)
    refused(lambda: world.identity.get_id(IdentityPoolId=closed), "NotAuthorizedException",
            "Unauthenticated access is not supported for this identity pool.")
    refused(lambda: credentials(world, guest + "0"), "ResourceNotFoundException")
    # a pool without an unauthenticated role cannot hand guests credentials
    world.identity.set_identity_pool_roles(IdentityPoolId=pool_id, Roles={"authenticated": world.cloud.arns["Uploader"]})
    other_guest = world.identity.get_id(IdentityPoolId=pool_id)["IdentityId"]
    refused(lambda: credentials(world, other_guest), "InvalidIdentityPoolConfigurationException")


def test_the_open_id_token_verifies_against_cognates_jwks_and_works_with_sts(world):
    pool_id = new_pool(world, "classic", AllowClassicFlow=True)
    logins = {world.provider: world.id_token("bob")}
    identity_id = world.identity.get_id(IdentityPoolId=pool_id, Logins=logins)["IdentityId"]
    answer = world.identity.get_open_id_token(IdentityId=identity_id, Logins=logins)
    assert answer["IdentityId"] == identity_id
    discovery = requests.get(f"{world.server.url}/identity/.well-known/openid-configuration").json()
    assert discovery["issuer"] == f"{world.server.url}/identity"
    keys = jwk.JWKSet.from_json(requests.get(discovery["jwks_uri"]).text)
    verified = json.loads(jwt.JWT(jwt=answer["Token"], key=keys, check_claims={"iss": discovery["issuer"], "aud": pool_id,
                                                                              "sub": identity_id, "exp": None}).claims)
    assert verified["amr"][0] == "authenticated" and world.provider in verified["amr"]
    assert verified["exp"] - verified["iat"] == 600
    # the basic flow: the app takes the token to STS itself
    creds = world.cloud.assume("Reader", answer["Token"])
    assert world.cloud.client("s3", creds).get_object(Bucket=BUCKET, Key="hello.txt")["Body"].read() == b"hello from moto"
    # a guest's token says so
    guest = world.identity.get_id(IdentityPoolId=pool_id)["IdentityId"]
    guest_token = world.identity.get_open_id_token(IdentityId=guest)["Token"]
    assert json.loads(jwt.JWT(jwt=guest_token, key=keys).claims)["amr"] == ["unauthenticated"]
    # a tampered token does not verify; the basic flow is refused where the pool has not allowed it
    with pytest.raises(Exception):
        jwt.JWT(jwt=guest_token[:-4] + ("AAAA" if not guest_token.endswith("AAAA") else "BBBB"), key=keys)
    enhanced_only = new_pool(world, "enhanced")
    other = world.identity.get_id(IdentityPoolId=enhanced_only, Logins=logins)["IdentityId"]
    refused(lambda: world.identity.get_open_id_token(IdentityId=other, Logins=logins), "InvalidParameterException",
            "Basic (classic) flow is not enabled, please use enhanced flow.")


def test_roles_are_chosen_by_token_and_by_rules_mappings(world):
    pool_id = new_pool(world, "mapped")
    key = f"{world.provider}:{world.client}"

    def role(name, **extra):
        logins = {world.provider: world.id_token(name)}
        identity_id = world.identity.get_id(IdentityPoolId=pool_id, Logins=logins)["IdentityId"]
        return world.cloud.role_of(credentials(world, identity_id, logins, **extra))

    def mapping(**entry):
        world.identity.set_identity_pool_roles(IdentityPoolId=pool_id, Roles={"authenticated": world.cloud.arns["Uploader"]},
                                               RoleMappings={key: entry})

    mapping(Type="Token", AmbiguousRoleResolution="AuthenticatedRole")
    assert world.identity.get_identity_pool_roles(IdentityPoolId=pool_id)["RoleMappings"][key]["Type"] == "Token"
    assert role("alice") == "Editor"  # cognito:preferred_role from her group
    assert role("bob") == "Uploader"  # no role in the token: ambiguous, the authenticated role
    assert role("carol") == "Uploader"  # two roles, none preferred: ambiguous
    assert role("carol", CustomRoleArn=world.cloud.arns["Reviewer"]) == "Reviewer"  # one of her token's roles, by name
    refused(lambda: role("carol", CustomRoleArn=world.cloud.arns["Ruled"]), "InvalidParameterException")
    mapping(Type="Token", AmbiguousRoleResolution="Deny")
    refused(lambda: role("bob"), "NotAuthorizedException")
    assert role("alice") == "Editor"

    mapping(Type="Rules", AmbiguousRoleResolution="Deny", RulesConfiguration={"Rules": [
        {"Claim": "email", "MatchType": "StartsWith", "Value": "bob@", "RoleARN": world.cloud.arns["Ruled"]},
        {"Claim": "cognito:groups", "MatchType": "Contains", "Value": "reviewers", "RoleARN": world.cloud.arns["Reviewer"]},
        {"Claim": "email", "MatchType": "Equals", "Value": "alice@example.com", "RoleARN": world.cloud.arns["Editor"]},
    ]})
    assert role("bob") == "Ruled"
    assert role("carol") == "Reviewer"
    assert role("alice") == "Editor"
    refused(lambda: role("dave"), "NotAuthorizedException")  # no rule matches: denied
    mapping(Type="Rules", AmbiguousRoleResolution="AuthenticatedRole", RulesConfiguration={"Rules": [
        {"Claim": "email", "MatchType": "NotEqual", "Value": "dave@example.com", "RoleARN": world.cloud.arns["Ruled"]},
    ]})
    assert role("dave") == "Uploader"
    assert role("erin") == "Ruled"
    # a mapping for a provider the pool does not have, or without its resolution, is refused
    refused(lambda: world.identity.set_identity_pool_roles(IdentityPoolId=pool_id, Roles={}, RoleMappings={
        "accounts.example.com": {"Type": "Token", "AmbiguousRoleResolution": "Deny"}}), "InvalidParameterException")
    refused(lambda: mapping(Type="Token"), "InvalidParameterException")
    refused(lambda: mapping(Type="Rules", AmbiguousRoleResolution="Deny"), "InvalidParameterException")
    refused(lambda: world.identity.set_identity_pool_roles(IdentityPoolId=pool_id, Roles={"admin": world.cloud.arns["Editor"]}),
            "ValidationException")


def test_bad_or_foreign_logins_are_refused(world):
    pool_id = new_pool(world, "strict")
    get_id = lambda logins: world.identity.get_id(IdentityPoolId=pool_id, Logins=logins)  # noqa: E731
    token = world.id_token("fred")
    # a token of a client the identity pool does not name, an access token, a tampered one, an unknown provider
    refused(lambda: get_id({world.provider: world.id_token("fred", world.other)}), "NotAuthorizedException")
    refused(lambda: get_id({world.provider: world.tokens("fred")["AccessToken"]}), "NotAuthorizedException")
    refused(lambda: get_id({world.provider: token[:-6] + "AAAAAA"}), "NotAuthorizedException")
    refused(lambda: get_id({world.provider: "not-a-token"}), "NotAuthorizedException")
    refused(lambda: get_id({"accounts.example.com": token}), "NotAuthorizedException")
    refused(lambda: get_id({world.provider + "9": token}), "NotAuthorizedException")
    refused(lambda: world.identity.get_id(IdentityPoolId="local:00000000-0000-0000-0000-000000000000", Logins={world.provider: token}),
            "ResourceNotFoundException")
    refused(lambda: world.identity.get_id(IdentityPoolId="no-colon"), "ValidationException")
    identity_id = get_id({world.provider: token})["IdentityId"]
    # ServerSideTokenCheck: a signed-out user's token no longer counts, nor a disabled user's
    world.idp.admin_user_global_sign_out(UserPoolId=world.pool, Username="fred")
    refused(lambda: credentials(world, identity_id, {world.provider: token}), "NotAuthorizedException")
    fresh = world.id_token("fred")
    assert credentials(world, identity_id, {world.provider: fresh})["AccessKeyId"]
    world.idp.admin_disable_user(UserPoolId=world.pool, Username="fred")
    try:
        refused(lambda: credentials(world, identity_id, {world.provider: fresh}), "NotAuthorizedException")
    finally:
        world.idp.admin_enable_user(UserPoolId=world.pool, Username="fred")


def test_developer_authenticated_identities(world):
    pool_id = new_pool(world, "devs", DeveloperProviderName="login.myapp")
    first = world.identity.get_open_id_token_for_developer_identity(IdentityPoolId=pool_id, Logins={"login.myapp": "user-1"})
    identity_id = first["IdentityId"]
    assert claims(first["Token"])["sub"] == identity_id and claims(first["Token"])["exp"] - claims(first["Token"])["iat"] == 900
    again = world.identity.get_open_id_token_for_developer_identity(IdentityPoolId=pool_id, Logins={"login.myapp": "user-1"},
                                                                    TokenDuration=60)
    assert again["IdentityId"] == identity_id and claims(again["Token"])["exp"] - claims(again["Token"])["iat"] == 60
    # a second developer user linked to the same identity; a third gets its own
    world.identity.get_open_id_token_for_developer_identity(IdentityPoolId=pool_id, IdentityId=identity_id, Logins={"login.myapp": "user-2"})
    third = world.identity.get_open_id_token_for_developer_identity(IdentityPoolId=pool_id, Logins={"login.myapp": "user-3"})["IdentityId"]
    assert third != identity_id
    refused(lambda: world.identity.get_open_id_token_for_developer_identity(IdentityPoolId=pool_id, IdentityId=third,
                                                                            Logins={"login.myapp": "user-1"}),
            "DeveloperUserAlreadyRegisteredException")
    found = world.identity.lookup_developer_identity(IdentityPoolId=pool_id, DeveloperUserIdentifier="user-2")
    assert found["IdentityId"] == identity_id and sorted(found["DeveloperUserIdentifierList"]) == ["user-1", "user-2"]
    assert world.identity.lookup_developer_identity(IdentityPoolId=pool_id, IdentityId=third)["DeveloperUserIdentifierList"] == ["user-3"]
    # merged: user-3's identity goes into user-1's
    merged = world.identity.merge_developer_identities(IdentityPoolId=pool_id, DeveloperProviderName="login.myapp",
                                                       SourceUserIdentifier="user-3", DestinationUserIdentifier="user-1")
    assert merged["IdentityId"] == identity_id
    assert world.identity.lookup_developer_identity(IdentityPoolId=pool_id, DeveloperUserIdentifier="user-3")["IdentityId"] == identity_id
    refused(lambda: world.identity.describe_identity(IdentityId=third), "ResourceNotFoundException")
    world.identity.unlink_developer_identity(IdentityPoolId=pool_id, IdentityId=identity_id, DeveloperProviderName="login.myapp",
                                             DeveloperUserIdentifier="user-2")
    refused(lambda: world.identity.lookup_developer_identity(IdentityPoolId=pool_id, DeveloperUserIdentifier="user-2"),
            "ResourceNotFoundException")
    # the developer's token is a login for the identity: credentials through it
    token = world.identity.get_open_id_token_for_developer_identity(IdentityPoolId=pool_id, Logins={"login.myapp": "user-1"})["Token"]
    creds = credentials(world, identity_id, {"cognito-identity.amazonaws.com": token})
    assert world.cloud.role_of(creds) == "Uploader"
    refused(lambda: credentials(world, identity_id, {"cognito-identity.amazonaws.com": token[:-6] + "AAAAAA"}), "NotAuthorizedException")
    # refusals: a lookup naming nothing, the wrong provider name, no developer login, no signature, a duration out of range
    refused(lambda: world.identity.lookup_developer_identity(IdentityPoolId=pool_id), "InvalidParameterException")
    refused(lambda: world.identity.merge_developer_identities(IdentityPoolId=pool_id, DeveloperProviderName="login.other",
                                                              SourceUserIdentifier="user-1", DestinationUserIdentifier="user-3"),
            "InvalidParameterException")
    refused(lambda: world.identity.get_open_id_token_for_developer_identity(IdentityPoolId=pool_id, Logins={"login.other": "x"}),
            "InvalidParameterException")
    refused(lambda: world.identity.get_open_id_token_for_developer_identity(IdentityPoolId=pool_id, Logins={"login.myapp": "x"},
                                                                            TokenDuration=86401), "ValidationException")
    unsigned = boto3.client("cognito-identity", endpoint_url=world.server.url, region_name="local",
                            config=botocore.config.Config(signature_version=botocore.UNSIGNED, retries={"max_attempts": 1}))
    refused(lambda: unsigned.get_open_id_token_for_developer_identity(IdentityPoolId=pool_id, Logins={"login.myapp": "x"}),
            "MissingAuthenticationTokenException")
    refused(lambda: world.identity.update_identity_pool(IdentityPoolId=pool_id, IdentityPoolName="devs",
                                                       AllowUnauthenticatedIdentities=True, DeveloperProviderName="login.renamed"),
            "InvalidParameterException")


def test_identity_pools_are_managed_through_the_api(world):
    api = world.identity
    created = api.create_identity_pool(
        IdentityPoolName="Managed pool", AllowUnauthenticatedIdentities=False, AllowClassicFlow=True,
        SupportedLoginProviders={"graph.facebook.com": "123456789012345"}, DeveloperProviderName="devname",
        OpenIdConnectProviderARNs=[f"arn:aws:iam::{ACCOUNT}:oidc-provider/issuer.example.com"],
        CognitoIdentityProviders=[{"ProviderName": world.provider, "ClientId": world.client, "ServerSideTokenCheck": True}],
        SamlProviderARNs=[f"arn:aws:iam::{ACCOUNT}:saml-provider/corp"], IdentityPoolTags={"team": "web"})
    pool_id = created["IdentityPoolId"]
    described = api.describe_identity_pool(IdentityPoolId=pool_id)
    for key in ["IdentityPoolName", "AllowUnauthenticatedIdentities", "AllowClassicFlow", "SupportedLoginProviders", "DeveloperProviderName",
                "OpenIdConnectProviderARNs", "CognitoIdentityProviders", "SamlProviderARNs", "IdentityPoolTags"]:
        assert described[key] == created[key], key
    updated = api.update_identity_pool(IdentityPoolId=pool_id, IdentityPoolName="Renamed", AllowUnauthenticatedIdentities=True)
    assert updated["IdentityPoolName"] == "Renamed" and updated["AllowUnauthenticatedIdentities"] is True
    assert updated["DeveloperProviderName"] == "devname"  # set once, kept when an update leaves it out
    assert updated["SupportedLoginProviders"] == {} and updated["IdentityPoolTags"] == {"team": "web"}
    assert api.describe_identity_pool(IdentityPoolId=pool_id)["IdentityPoolName"] == "Renamed"
    arn = f"arn:aws:cognito-identity:local:000000000000:identitypool/{pool_id}"
    api.tag_resource(ResourceArn=arn, Tags={"stage": "test"})
    assert api.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"team": "web", "stage": "test"}
    api.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert api.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"stage": "test"}
    refused(lambda: api.list_tags_for_resource(ResourceArn="arn:aws:cognito-identity:local:000000000000:identitypool/local:0000"),
            "ResourceNotFoundException")
    api.set_identity_pool_roles(IdentityPoolId=pool_id, Roles={"authenticated": world.cloud.arns["Uploader"]})
    assert api.get_identity_pool_roles(IdentityPoolId=pool_id)["Roles"] == {"authenticated": world.cloud.arns["Uploader"]}
    # listed in pages
    seen, token = [], None
    while True:
        page = api.list_identity_pools(MaxResults=1, **({"NextToken": token} if token else {}))
        seen += [p["IdentityPoolId"] for p in page["IdentityPools"]]
        token = page.get("NextToken")
        if not token:
            break
    assert pool_id in seen and len(seen) == len(set(seen))
    # names as Cognito's pattern allows; a missing pool is named in the error, as AWS does
    for name in ["pool#name", "with!excl", "with?quest"]:
        refused(lambda: api.create_identity_pool(IdentityPoolName=name, AllowUnauthenticatedIdentities=False), "ValidationException",
                f"1 validation error detected: Value '{name}' at 'identityPoolName' failed to satisfy constraint: "
                "Member must satisfy regular expression pattern: [\\w\\s+=,.@-]+")
    refused(lambda: api.describe_identity_pool(IdentityPoolId="local:00000000-0000-0000-0000-000000000000"), "ResourceNotFoundException",
            "local:00000000-0000-0000-0000-000000000000")
    wrong = boto3.client("cognito-identity", endpoint_url=world.server.url, region_name="local", aws_access_key_id=ADMIN_ACCESS_KEY,
                         aws_secret_access_key="not-the-secret", config=botocore.config.Config(retries={"max_attempts": 1}))
    refused(lambda: wrong.list_identity_pools(MaxResults=10), "InvalidSignatureException")
    # a cognito-idp signature is no cognito-identity one
    signed = AWSRequest(method="POST", url=world.server.url + "/", data=json.dumps({"MaxResults": 5}), headers={
        "X-Amz-Target": "AWSCognitoIdentityService.ListIdentityPools", "Content-Type": "application/x-amz-json-1.1"})
    SigV4Auth(Credentials(ADMIN_ACCESS_KEY, ADMIN_SECRET_KEY), "cognito-idp", "local").add_auth(signed)
    answer = requests.post(world.server.url + "/", data=signed.body, headers=dict(signed.headers))
    assert answer.status_code == 400 and answer.json()["__type"] == "InvalidSignatureException"
    api.delete_identity_pool(IdentityPoolId=pool_id)
    refused(lambda: api.describe_identity_pool(IdentityPoolId=pool_id), "ResourceNotFoundException")
    refused(lambda: api.delete_identity_pool(IdentityPoolId=pool_id), "ResourceNotFoundException")


def test_identities_are_listed_described_unlinked_and_deleted(world):
    pool_id = new_pool(world, "census")
    logins = {world.provider: world.id_token("dave")}
    person = world.identity.get_id(IdentityPoolId=pool_id, Logins=logins)["IdentityId"]
    guest = world.identity.get_id(IdentityPoolId=pool_id)["IdentityId"]
    listed = world.identity.list_identities(IdentityPoolId=pool_id, MaxResults=60)
    by_id = {entry["IdentityId"]: entry for entry in listed["Identities"]}
    assert set(by_id) == {person, guest} and by_id[person]["Logins"] == [world.provider] and by_id[guest]["Logins"] == []
    page = world.identity.list_identities(IdentityPoolId=pool_id, MaxResults=1)
    assert len(page["Identities"]) == 1 and page["NextToken"]
    described = world.identity.describe_identity(IdentityId=person)
    assert described["Logins"] == [world.provider] and described["CreationDate"] <= described["LastModifiedDate"]
    # unlinking needs the login itself
    refused(lambda: world.identity.unlink_identity(IdentityId=person, Logins={world.provider: world.id_token("erin")},
                                                   LoginsToRemove=[world.provider]), "NotAuthorizedException")
    world.identity.unlink_identity(IdentityId=person, Logins=logins, LoginsToRemove=[world.provider])
    assert world.identity.describe_identity(IdentityId=person)["Logins"] == []
    deleted = world.identity.delete_identities(IdentityIdsToDelete=[person, guest])
    assert deleted["UnprocessedIdentityIds"] == []
    # gone either way: deleting them again is no error
    assert world.identity.delete_identities(IdentityIdsToDelete=[person])["UnprocessedIdentityIds"] == []
    refused(lambda: world.identity.describe_identity(IdentityId=guest), "ResourceNotFoundException")
    assert world.identity.list_identities(IdentityPoolId=pool_id, MaxResults=60)["Identities"] == []
    refused(lambda: world.identity.list_identities(IdentityPoolId="local:00000000-0000-0000-0000-000000000000", MaxResults=5),
            "ResourceNotFoundException")


def test_first_sign_ins_at_once_make_one_identity(world):
    pool_id = new_pool(world, "crowd")
    logins = {world.provider: world.id_token("erin")}
    results, errors = [], []

    def ask():
        try:
            results.append(world.identity.get_id(IdentityPoolId=pool_id, Logins=logins)["IdentityId"])
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(results) == 8 and len(set(results)) == 1, (errors, results)
    assert len(world.identity.list_identities(IdentityPoolId=pool_id, MaxResults=60)["Identities"]) == 1


def provider_id_token(provider, nonce="n-1"):
    """An ID token of the Authlib provider, by its authorization code flow (as an app gets one)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    answer = requests.get(f"{provider.issuer}/connect/authorize", params={
        "response_type": "code", "client_id": provider.client.client_id, "redirect_uri": APP_CALLBACK, "scope": "openid email",
        "state": "s", "nonce": nonce, "code_challenge": challenge, "code_challenge_method": "S256"}, allow_redirects=False)
    code = urllib.parse.parse_qs(urllib.parse.urlparse(answer.headers["Location"]).query)["code"][0]
    tokens = requests.post(f"{provider.issuer}/connect/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": APP_CALLBACK, "client_id": provider.client.client_id,
        "client_secret": provider.client.secret, "code_verifier": verifier}).json()
    return tokens["id_token"]


def test_an_outside_openid_providers_login_gets_credentials(world):
    provider = OIDCProvider(redirect_uris=[APP_CALLBACK])
    try:
        key = provider.issuer.removeprefix("http://")
        pool_id = new_pool(world, "corp", SupportedLoginProviders={key: f"another-app;{provider.client.client_id}"})
        token = provider_id_token(provider)
        identity_id = world.identity.get_id(IdentityPoolId=pool_id, Logins={key: token})["IdentityId"]
        assert world.identity.get_id(IdentityPoolId=pool_id, Logins={key: provider_id_token(provider)})["IdentityId"] == identity_id
        creds = credentials(world, identity_id, {key: token})
        assert world.cloud.role_of(creds) == "Uploader"
        # rules read the provider's claims
        world.identity.set_identity_pool_roles(IdentityPoolId=pool_id, Roles={"authenticated": world.cloud.arns["Uploader"]}, RoleMappings={
            key: {"Type": "Rules", "AmbiguousRoleResolution": "Deny", "RulesConfiguration": {"Rules": [
                {"Claim": "email", "MatchType": "Equals", "Value": provider.user["email"], "RoleARN": world.cloud.arns["Ruled"]}]}}})
        assert world.cloud.role_of(credentials(world, identity_id, {key: token})) == "Ruled"
        # the provider's login beside a user pool's links both to one identity
        both = {key: token, world.provider: world.id_token("fred")}
        assert world.identity.get_id(IdentityPoolId=pool_id, Logins=both)["IdentityId"] == identity_id
        assert sorted(world.identity.describe_identity(IdentityId=identity_id)["Logins"]) == sorted([key, world.provider])
        # the provider's token for another app, expired or signed with another key is refused
        for misbehaving in ["audience", "expired", "foreign key", "issuer"]:
            provider.misbehave = misbehaving
            bad = provider_id_token(provider)
            provider.misbehave = None
            refused(lambda: world.identity.get_id(IdentityPoolId=pool_id, Logins={key: bad}), "NotAuthorizedException")
        # a pool that names another app id takes none of its tokens; Facebook's opaque tokens are not taken at all
        strict = new_pool(world, "corp-other", SupportedLoginProviders={key: "another-app"})
        refused(lambda: world.identity.get_id(IdentityPoolId=strict, Logins={key: token}), "NotAuthorizedException")
        facebook = new_pool(world, "social", SupportedLoginProviders={"graph.facebook.com": "123456789012345"})
        refused(lambda: world.identity.get_id(IdentityPoolId=facebook, Logins={"graph.facebook.com": "EAAB-opaque"}), "NotAuthorizedException")
    finally:
        provider.close()


def test_a_guests_credentials_and_tokens_are_limited_per_address(world, tmp_path):
    """GetCredentialsForIdentity and GetOpenIdToken without logins (anyone holding a guest's
    identity id can send them, and each makes the server sign a token and ask STS) count per
    address: twenty times COGNATE_ADDRESS_LIMIT_PER_HOUR an hour, then Cognito's
    TooManyRequestsException. Many sent at once do not outrun the count; calls that name a login
    do not count."""
    server = Server(str(tmp_path), COGNATE_STS_ENDPOINT=world.cloud.url, AWS_ACCESS_KEY_ID=world.cloud.key[0],
                    AWS_SECRET_ACCESS_KEY=world.cloud.key[1], COGNATE_ADDRESS_LIMIT_PER_HOUR="1", **ADMIN)
    try:
        idp = cognito(server.url)
        pool = idp.create_user_pool(PoolName="limited")["UserPool"]["Id"]
        client = idp.create_user_pool_client(UserPoolId=pool, ClientName="app",
                                             ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"])["UserPoolClient"]["ClientId"]
        idp.admin_create_user(UserPoolId=pool, Username="gus", MessageAction="SUPPRESS")
        idp.admin_set_user_password(UserPoolId=pool, Username="gus", Password=PASSWORD, Permanent=True)
        provider = re.sub(r"^https?://", "", server.url) + "/" + pool
        # no retries: botocore retries a TooManyRequestsException, and each retry would count
        identity = boto3.client("cognito-identity", endpoint_url=server.url, region_name="local", aws_access_key_id=ADMIN_ACCESS_KEY,
                                aws_secret_access_key=ADMIN_SECRET_KEY, config=botocore.config.Config(retries={"total_max_attempts": 1}))
        pool_id = identity.create_identity_pool(
            IdentityPoolName="limited", AllowUnauthenticatedIdentities=True, AllowClassicFlow=True,
            CognitoIdentityProviders=[{"ProviderName": provider, "ClientId": client}])["IdentityPoolId"]
        identity.set_identity_pool_roles(IdentityPoolId=pool_id, Roles={"authenticated": world.cloud.arns["Uploader"],
                                                                        "unauthenticated": world.cloud.arns["Reader"]})
        guest = identity.get_id(IdentityPoolId=pool_id)["IdentityId"]

        def ask(n):
            try:
                if n % 2:
                    identity.get_open_id_token(IdentityId=guest)
                else:
                    identity.get_credentials_for_identity(IdentityId=guest)
                return "ok"
            except botocore.exceptions.ClientError as error:
                return error.response["Error"]["Code"]

        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(15) as runner:
            answers = list(runner.map(ask, range(30)))
        assert answers.count("ok") == 20 and answers.count("TooManyRequestsException") == 10, answers
        refused(lambda: identity.get_credentials_for_identity(IdentityId=guest), "TooManyRequestsException",
                "Too many requests from this address. Try again later.")
        refused(lambda: identity.get_open_id_token(IdentityId=guest, Logins={}), "TooManyRequestsException")
        # a made-up identity id is counted (and refused) before it is looked up
        refused(lambda: identity.get_credentials_for_identity(IdentityId=guest[:-1] + "0"), "TooManyRequestsException")
        # a signed-in user's calls name their login: not counted, and they link the guest identity
        token = idp.admin_initiate_auth(UserPoolId=pool, ClientId=client, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                                        AuthParameters={"USERNAME": "gus", "PASSWORD": PASSWORD})["AuthenticationResult"]["IdToken"]
        for _ in range(3):
            answer = identity.get_credentials_for_identity(IdentityId=guest, Logins={provider: token})
            assert answer["IdentityId"] == guest and answer["Credentials"]["AccessKeyId"]
            assert identity.get_open_id_token(IdentityId=guest, Logins={provider: token})["Token"]
    finally:
        server.stop()
