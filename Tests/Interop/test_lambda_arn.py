"""Triggers named by a Lambda function's ARN: Cognate invokes them through the Lambda Invoke API
(SigV4 with the usual AWS variables, at COGNATE_LAMBDA_ENDPOINT), so functions already on AWS run
as they are. The endpoint here checks every signature with botocore's own signer and runs the
handlers as Lambda runs Python: a return is the answer, an exception Lambda's function error."""

import pytest

from conftest import ADMIN, Server, claims, cognito, refused
from lambda_endpoint import LambdaEndpoint

KEY, SECRET, TOKEN = "AKIDLAMBDAINVOKER000", "lambda-invoker-secret-key-0123456789abcd", "session-token-for-the-invoker"
PRE_SIGN_UP = "arn:aws:lambda:eu-west-1:123456789012:function:pre-sign-up"
PRE_TOKEN = "arn:aws:lambda:eu-west-1:123456789012:function:pre-token:live"
MISSING = "arn:aws:lambda:eu-west-1:123456789012:function:not-deployed"
THROTTLED = "arn:aws:lambda:eu-west-1:123456789012:function:throttled"


def pre_sign_up(event, context):
    if event["request"]["userAttributes"].get("email", "").endswith("@blocked.test"):
        raise Exception("Sign-ups from blocked.test are closed")
    event["response"]["autoConfirmUser"] = True
    return event


def pre_token(event, context):
    event["response"]["claimsOverrideDetails"] = {"claimsToAddOrOverride": {"invoked_by": "lambda"}}
    return event


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    data_dir = str(tmp_path_factory.mktemp("lambda-arn"))
    endpoint = LambdaEndpoint(KEY, SECRET, TOKEN)
    endpoint.functions = {PRE_SIGN_UP: pre_sign_up, PRE_TOKEN: pre_token}
    endpoint.status = {THROTTLED: (429, {"Type": "User", "message": "Rate exceeded"})}
    server = Server(data_dir, COGNATE_LAMBDA_ENDPOINT=endpoint.url, AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET,
                    AWS_SESSION_TOKEN=TOKEN, **ADMIN)
    idp = cognito(server.url)
    pool = idp.create_user_pool(PoolName="on-lambda", LambdaConfig={"PreSignUp": PRE_SIGN_UP, "PreTokenGeneration": PRE_TOKEN})["UserPool"]["Id"]
    client = idp.create_user_pool_client(UserPoolId=pool, ClientName="app", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"])["UserPoolClient"]["ClientId"]
    yield server, endpoint, idp, pool, client, data_dir
    server.stop()
    endpoint.stop()


def test_functions_on_lambda_run_as_they_are(world):
    server, endpoint, idp, pool, client, _ = world
    answer = idp.sign_up(ClientId=client, Username="lena", Password="Lambda-Passw0rd!", UserAttributes=[{"Name": "email", "Value": "lena@example.com"}])
    assert answer["UserConfirmed"] is True
    tokens = idp.initiate_auth(ClientId=client, AuthFlow="USER_PASSWORD_AUTH",
                               AuthParameters={"USERNAME": "lena", "PASSWORD": "Lambda-Passw0rd!"})["AuthenticationResult"]
    assert claims(tokens["IdToken"])["invoked_by"] == "lambda"
    invoked = [(arn, verified) for arn, _, verified in endpoint.calls]
    assert (PRE_SIGN_UP, True) in invoked and (PRE_TOKEN, True) in invoked, invoked
    event = next(event for arn, event, _ in endpoint.calls if arn == PRE_SIGN_UP)
    assert event["triggerSource"] == "PreSignUp_SignUp" and event["userPoolId"] == pool and event["userName"] == "lena"


def test_a_function_error_is_the_apps_refusal(world):
    server, endpoint, idp, pool, client, _ = world
    refused(lambda: idp.sign_up(ClientId=client, Username="mo", Password="Lambda-Passw0rd!",
                                UserAttributes=[{"Name": "email", "Value": "mo@blocked.test"}]),
            "UserLambdaValidationException", "PreSignUp failed with error Sign-ups from blocked.test are closed.")
    refused(lambda: idp.admin_get_user(UserPoolId=pool, Username="mo"), "UserNotFoundException")


def test_lambda_refusing_the_call_is_unexpected_and_not_retried_unless_throttled(world):
    server, endpoint, idp, pool, client, _ = world
    idp.update_user_pool(UserPoolId=pool, LambdaConfig={"PreSignUp": MISSING})
    before = len(endpoint.calls)
    message = refused(lambda: idp.sign_up(ClientId=client, Username="nina", Password="Lambda-Passw0rd!"), "UnexpectedLambdaException")
    assert "Function not found" in message
    assert len(endpoint.calls) - before == 1
    idp.update_user_pool(UserPoolId=pool, LambdaConfig={"PreSignUp": THROTTLED})
    before = len(endpoint.calls)
    refused(lambda: idp.sign_up(ClientId=client, Username="nina", Password="Lambda-Passw0rd!"), "UnexpectedLambdaException")
    assert len(endpoint.calls) - before == 3
    refused(lambda: idp.admin_get_user(UserPoolId=pool, Username="nina"), "UserNotFoundException")
    idp.update_user_pool(UserPoolId=pool, LambdaConfig={"PreSignUp": PRE_SIGN_UP, "PreTokenGeneration": PRE_TOKEN})


def test_arns_that_are_not_lambda_functions_are_refused(world):
    server, endpoint, idp, pool, client, _ = world
    for arn in ["arn:aws:lambda:eu-west-1.evil.test:123456789012:function:x", "arn:aws:s3:eu-west-1:123456789012:function:x",
                "arn:aws:lambda:eu-west-1:12345:function:x", "arn:aws:lambda:eu-west-1:123456789012:layer:x",
                "arn:aws:lambda:eu-west-1:123456789012:function:x/../y"]:
        refused(lambda: idp.update_user_pool(UserPoolId=pool, LambdaConfig={"PreSignUp": arn}), "InvalidParameterException")
    assert idp.describe_user_pool(UserPoolId=pool)["UserPool"]["LambdaConfig"]["PreSignUp"] == PRE_SIGN_UP


def test_without_credentials_the_function_cannot_be_invoked(world, tmp_path):
    _, endpoint, _, _, _, _ = world
    server = Server(str(tmp_path), COGNATE_LAMBDA_ENDPOINT=endpoint.url, AWS_ACCESS_KEY_ID="", AWS_SECRET_ACCESS_KEY="", **ADMIN)
    try:
        idp = cognito(server.url)
        pool = idp.create_user_pool(PoolName="no-keys", LambdaConfig={"PreSignUp": PRE_SIGN_UP})["UserPool"]["Id"]
        client = idp.create_user_pool_client(UserPoolId=pool, ClientName="app")["UserPoolClient"]["ClientId"]
        before = len(endpoint.calls)
        message = refused(lambda: idp.sign_up(ClientId=client, Username="olive", Password="Lambda-Passw0rd!"), "UnexpectedLambdaException")
        assert "no AWS credentials" in message and len(endpoint.calls) == before
    finally:
        server.stop()
