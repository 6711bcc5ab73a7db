"""USER_SRP_AUTH checked against pycognito's SRP client (Cognito's SRP-6a variant), not our own math."""
import boto3
import botocore
import pytest
from pycognito.aws_srp import AWSSRP

from conftest import Server

ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY"


@pytest.fixture
def pool(data_dir):
    server = Server(data_dir, COGNATE_ADMIN_ACCESS_KEY_ID=ACCESS_KEY, COGNATE_ADMIN_SECRET_ACCESS_KEY=SECRET_KEY)
    admin = boto3.client("cognito-idp", endpoint_url=server.url, region_name="local", aws_access_key_id=ACCESS_KEY,
                         aws_secret_access_key=SECRET_KEY, config=botocore.config.Config(retries={"max_attempts": 1}))
    public = boto3.client("cognito-idp", endpoint_url=server.url, region_name="local",
                          config=botocore.config.Config(signature_version=botocore.UNSIGNED, retries={"max_attempts": 1}))
    pool_id = admin.create_user_pool(PoolName="srp", AliasAttributes=["email"])["UserPool"]["Id"]
    yield server, admin, public, pool_id
    server.stop()


def make_client(admin, pool_id, secret):
    return admin.create_user_pool_client(UserPoolId=pool_id, ClientName="srp-app", GenerateSecret=secret,
                                         ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])["UserPoolClient"]


@pytest.mark.parametrize("secret", [False, True])
def test_pycognito_signs_in_with_srp(pool, secret):
    server, admin, public, pool_id = pool
    client = make_client(admin, pool_id, secret)
    admin.admin_create_user(UserPoolId=pool_id, Username="sam", MessageAction="SUPPRESS",
                            UserAttributes=[{"Name": "email", "Value": "sam@example.com"}, {"Name": "email_verified", "Value": "true"}])
    admin.admin_set_user_password(UserPoolId=pool_id, Username="sam", Password="Srp-Passw0rd!", Permanent=True)
    srp = AWSSRP(username="sam", password="Srp-Passw0rd!", pool_id=pool_id, client_id=client["ClientId"], client=public,
                 client_secret=client.get("ClientSecret"))
    tokens = srp.authenticate_user()["AuthenticationResult"]
    assert public.get_user(AccessToken=tokens["AccessToken"])["Username"] == "sam"


def test_wrong_password_fails_srp(pool):
    server, admin, public, pool_id = pool
    client = make_client(admin, pool_id, False)
    admin.admin_create_user(UserPoolId=pool_id, Username="sam", MessageAction="SUPPRESS")
    admin.admin_set_user_password(UserPoolId=pool_id, Username="sam", Password="Srp-Passw0rd!", Permanent=True)
    for user, password in [("sam", "Wrong-Passw0rd!"), ("nobody", "Srp-Passw0rd!")]:
        srp = AWSSRP(username=user, password=password, pool_id=pool_id, client_id=client["ClientId"], client=public)
        with pytest.raises(public.exceptions.NotAuthorizedException):
            srp.authenticate_user()


def test_replayed_password_verifier_is_refused(pool):
    server, admin, public, pool_id = pool
    client = make_client(admin, pool_id, False)
    admin.admin_create_user(UserPoolId=pool_id, Username="sam", MessageAction="SUPPRESS")
    admin.admin_set_user_password(UserPoolId=pool_id, Username="sam", Password="Srp-Passw0rd!", Permanent=True)
    srp = AWSSRP(username="sam", password="Srp-Passw0rd!", pool_id=pool_id, client_id=client["ClientId"], client=public)
    challenge = public.initiate_auth(ClientId=client["ClientId"], AuthFlow="USER_SRP_AUTH", AuthParameters=srp.get_auth_params())
    assert challenge["ChallengeName"] == "PASSWORD_VERIFIER"
    responses = srp.process_challenge(challenge["ChallengeParameters"], srp.get_auth_params())
    first = public.respond_to_auth_challenge(ClientId=client["ClientId"], ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=responses)
    assert first["AuthenticationResult"]["AccessToken"]
    with pytest.raises(public.exceptions.NotAuthorizedException):
        public.respond_to_auth_challenge(ClientId=client["ClientId"], ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=responses)


def test_srp_with_temporary_password_meets_new_password_challenge(pool):
    server, admin, public, pool_id = pool
    client = make_client(admin, pool_id, False)
    admin.admin_create_user(UserPoolId=pool_id, Username="tia", TemporaryPassword="Temp-Passw0rd!", MessageAction="SUPPRESS")
    srp = AWSSRP(username="tia", password="Temp-Passw0rd!", pool_id=pool_id, client_id=client["ClientId"], client=public)
    challenge = public.initiate_auth(ClientId=client["ClientId"], AuthFlow="USER_SRP_AUTH", AuthParameters=srp.get_auth_params())
    answer = public.respond_to_auth_challenge(ClientId=client["ClientId"], ChallengeName="PASSWORD_VERIFIER",
                                              ChallengeResponses=srp.process_challenge(challenge["ChallengeParameters"], srp.get_auth_params()))
    assert answer["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    done = public.respond_to_auth_challenge(ClientId=client["ClientId"], ChallengeName="NEW_PASSWORD_REQUIRED", Session=answer["Session"],
                                            ChallengeResponses={"USERNAME": "tia", "NEW_PASSWORD": "N3w-Passw0rd!"})
    assert done["AuthenticationResult"]["AccessToken"]
    # the new password works over SRP too
    again = AWSSRP(username="tia", password="N3w-Passw0rd!", pool_id=pool_id, client_id=client["ClientId"], client=public)
    assert again.authenticate_user()["AuthenticationResult"]["IdToken"]


def test_wrong_srp_passwords_lock_the_user_out_like_any_other(pool):
    """PASSWORD_VERIFIER counts toward Cognito's lockout: after five wrong proofs even the right
    password is refused for a while, and pycognito sees Cognito's message."""
    server, admin, public, pool_id = pool
    client = make_client(admin, pool_id, False)
    admin.admin_create_user(UserPoolId=pool_id, Username="lena", MessageAction="SUPPRESS")
    admin.admin_set_user_password(UserPoolId=pool_id, Username="lena", Password="Srp-Passw0rd!", Permanent=True)

    def attempt(password):
        try:
            AWSSRP(username="lena", password=password, pool_id=pool_id, client_id=client["ClientId"], client=public).authenticate_user()
            return "ok"
        except botocore.exceptions.ClientError as error:
            return error.response["Error"]["Message"]

    assert [attempt("Wrong-Passw0rd!") for _ in range(5)] == ["Incorrect username or password."] * 5
    assert attempt("Srp-Passw0rd!") == "Password attempts exceeded"
    import time
    time.sleep(1.2)
    assert attempt("Srp-Passw0rd!") == "ok"
