"""Sign-in through Cognito's API with boto3; tokens checked with jwcrypto against the JWKS."""
import base64
import hashlib
import hmac
import json
import time

import boto3
import botocore
import pytest
import requests
from jwcrypto import jwk, jwt

from conftest import Server

ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY"


@pytest.fixture
def setup(data_dir):
    server = Server(data_dir, COGNATE_ADMIN_ACCESS_KEY_ID=ACCESS_KEY, COGNATE_ADMIN_SECRET_ACCESS_KEY=SECRET_KEY)
    admin = boto3.client("cognito-idp", endpoint_url=server.url, region_name="local", aws_access_key_id=ACCESS_KEY,
                         aws_secret_access_key=SECRET_KEY, config=botocore.config.Config(retries={"max_attempts": 1}))
    public = boto3.client("cognito-idp", endpoint_url=server.url, region_name="local",
                          config=botocore.config.Config(signature_version=botocore.UNSIGNED, retries={"max_attempts": 1}))
    pool_id = admin.create_user_pool(PoolName="api-sign-in", AliasAttributes=["email"])["UserPool"]["Id"]
    client = admin.create_user_pool_client(
        UserPoolId=pool_id, ClientName="app", GenerateSecret=True,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])["UserPoolClient"]
    admin.admin_create_user(UserPoolId=pool_id, Username="alice", TemporaryPassword="Temp-Passw0rd!", MessageAction="SUPPRESS",
                            UserAttributes=[{"Name": "email", "Value": "alice@example.com"}, {"Name": "email_verified", "Value": "true"}])
    yield server, admin, public, pool_id, client
    server.stop()


def secret_hash(client, username):
    digest = hmac.new(client["ClientSecret"].encode(), (username + client["ClientId"]).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def validated(server, pool_id, token, audience=None):
    keys = jwk.JWKSet.from_json(requests.get(f"{server.url}/{pool_id}/.well-known/jwks.json").text)
    check = {"iss": f"{server.url}/{pool_id}", "exp": None}
    if audience:
        check["aud"] = audience
    return json.loads(jwt.JWT(jwt=token, key=keys, check_claims=check).claims)


def test_new_password_challenge_then_tokens_then_refresh_and_sign_out(setup):
    server, admin, public, pool_id, client = setup
    # first sign-in with the temporary password meets the NEW_PASSWORD_REQUIRED challenge
    started = public.initiate_auth(ClientId=client["ClientId"], AuthFlow="USER_PASSWORD_AUTH", AuthParameters={
        "USERNAME": "alice", "PASSWORD": "Temp-Passw0rd!", "SECRET_HASH": secret_hash(client, "alice")})
    assert started["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    answered = public.respond_to_auth_challenge(
        ClientId=client["ClientId"], ChallengeName="NEW_PASSWORD_REQUIRED", Session=started["Session"],
        ChallengeResponses={"USERNAME": "alice", "NEW_PASSWORD": "N3w-Passw0rd!", "SECRET_HASH": secret_hash(client, "alice")})
    result = answered["AuthenticationResult"]
    # the tokens verify against the JWKS with the right issuer, audience and expiry
    id_claims = validated(server, pool_id, result["IdToken"], audience=client["ClientId"])
    access_claims = validated(server, pool_id, result["AccessToken"])
    assert id_claims["token_use"] == "id" and id_claims["cognito:username"] == "alice" and id_claims["email_verified"] is True
    assert access_claims["token_use"] == "access" and access_claims["client_id"] == client["ClientId"] and "aud" not in access_claims
    assert abs(id_claims["exp"] - time.time() - 3600) < 60
    assert admin.admin_get_user(UserPoolId=pool_id, Username="alice")["UserStatus"] == "CONFIRMED"
    # GetUser with the access token
    assert public.get_user(AccessToken=result["AccessToken"])["Username"] == "alice"
    # sign in by alias, then refresh
    by_email = public.initiate_auth(ClientId=client["ClientId"], AuthFlow="USER_PASSWORD_AUTH", AuthParameters={
        "USERNAME": "alice@example.com", "PASSWORD": "N3w-Passw0rd!", "SECRET_HASH": secret_hash(client, "alice@example.com")})
    assert by_email["AuthenticationResult"]["AccessToken"]
    refreshed = public.initiate_auth(ClientId=client["ClientId"], AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={
        "REFRESH_TOKEN": result["RefreshToken"], "SECRET_HASH": secret_hash(client, "alice")})["AuthenticationResult"]
    assert validated(server, pool_id, refreshed["IdToken"], audience=client["ClientId"])["cognito:username"] == "alice"
    # global sign-out ends every token
    public.global_sign_out(AccessToken=refreshed["AccessToken"])
    with pytest.raises(public.exceptions.NotAuthorizedException):
        public.get_user(AccessToken=by_email["AuthenticationResult"]["AccessToken"])
    with pytest.raises(public.exceptions.NotAuthorizedException):
        public.initiate_auth(ClientId=client["ClientId"], AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={
            "REFRESH_TOKEN": result["RefreshToken"], "SECRET_HASH": secret_hash(client, "alice")})


def test_admin_initiate_auth_and_revoke_token(setup):
    server, admin, public, pool_id, client = setup
    admin.admin_set_user_password(UserPoolId=pool_id, Username="alice", Password="Perm4nent-Pass!", Permanent=True)
    result = admin.admin_initiate_auth(UserPoolId=pool_id, ClientId=client["ClientId"], AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                                       AuthParameters={"USERNAME": "alice", "PASSWORD": "Perm4nent-Pass!",
                                                       "SECRET_HASH": secret_hash(client, "alice")})["AuthenticationResult"]
    public.revoke_token(Token=result["RefreshToken"], ClientId=client["ClientId"], ClientSecret=client["ClientSecret"])
    with pytest.raises(public.exceptions.NotAuthorizedException):
        public.get_user(AccessToken=result["AccessToken"])


def test_sign_in_errors_by_name(setup):
    server, admin, public, pool_id, client = setup
    def attempt(username, password, hashed=True):
        parameters = {"USERNAME": username, "PASSWORD": password}
        if hashed:
            parameters["SECRET_HASH"] = secret_hash(client, username)
        return lambda: public.initiate_auth(ClientId=client["ClientId"], AuthFlow="USER_PASSWORD_AUTH", AuthParameters=parameters)
    for call in [attempt("alice", "Wrong-Passw0rd!"), attempt("nobody", "Wrong-Passw0rd!"), attempt("alice", "Temp-Passw0rd!", hashed=False)]:
        with pytest.raises(public.exceptions.NotAuthorizedException):
            call()
    with pytest.raises(public.exceptions.InvalidParameterException):
        public.initiate_auth(ClientId=client["ClientId"], AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": "alice"})
    with pytest.raises(public.exceptions.NotAuthorizedException):
        public.get_user(AccessToken="eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")
    admin.admin_reset_user_password(UserPoolId=pool_id, Username="alice")
    with pytest.raises(public.exceptions.PasswordResetRequiredException):
        attempt("alice", "Temp-Passw0rd!")()
