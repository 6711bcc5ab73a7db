"""The custom sender triggers: a pool with CustomEmailSender or CustomSMSSender hands its codes and
invitations to the app's function instead of sending them, asynchronously through the outbox, the
code encrypted with the pool's KMS key in the AWS Encryption SDK's format. The functions here are
Cognito's own example, unchanged: they decrypt with the `aws-encryption-sdk` package and a KMS key
on moto's server (PyPI `moto[server]`, reached through botocore's AWS_ENDPOINT_URL_KMS)."""
import base64
import os
import re
import time

import aws_encryption_sdk
import boto3
import pytest
from aws_encryption_sdk.identifiers import CommitmentPolicy

from conftest import ADMIN, Server, cognito, refused, run_command
from lambda_endpoint import LambdaEndpoint
from test_migration import start_moto
from webhook_receiver import Receiver

KEY, SECRET = "AKIDCUSTOMSENDERS000", "custom-senders-secret-key-0123456789abcd"
EMAIL_SENDER = "arn:aws:lambda:eu-west-1:123456789012:function:email-sender"

SENT = []   # what the functions "delivered": (channel, destination, code, triggerSource)


def decrypt(code):
    """As Cognito's documentation has the function do it."""
    client = aws_encryption_sdk.EncryptionSDKClient(commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT)
    provider = aws_encryption_sdk.StrictAwsKmsMasterKeyProvider(key_ids=[os.environ["KEY_ARN"]])
    plaintext, header = client.decrypt(source=base64.b64decode(code), key_provider=provider)
    return plaintext.decode(), header.encryption_context


def email_sender(event, context):
    code, encryption_context = decrypt(event["request"]["code"])
    assert event["request"]["type"] == "customEmailSenderRequestV1"
    SENT.append(("email", event["request"]["userAttributes"]["email"], code, event["triggerSource"], encryption_context))
    return None


def sms_sender(event, context):
    code, encryption_context = decrypt(event["request"]["code"])
    assert event["request"]["type"] == "customSMSSenderRequestV1"
    SENT.append(("sms", event["request"]["userAttributes"]["phone_number"], code, event["triggerSource"], encryption_context))
    return event


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    data_dir = str(tmp_path_factory.mktemp("custom-senders"))
    moto, moto_url = start_moto()
    saved = {name: os.environ.get(name) for name in ["AWS_ENDPOINT_URL_KMS", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "KEY_ARN"]}
    os.environ.update(AWS_ENDPOINT_URL_KMS=moto_url, AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET, AWS_DEFAULT_REGION="eu-west-1")
    kms = boto3.client("kms", region_name="eu-west-1", endpoint_url=moto_url)
    key_arn = kms.create_key(Description="cognito custom senders")["KeyMetadata"]["Arn"]
    os.environ["KEY_ARN"] = key_arn
    lambdas = LambdaEndpoint(KEY, SECRET)
    lambdas.functions = {EMAIL_SENDER: email_sender}
    receiver = Receiver("whsec_" + base64.b64encode(b"replaced by the pool's own secret").decode())
    receiver.handlers = {"/sms-sender": sms_sender}
    server = Server(data_dir, COGNATE_LAMBDA_ENDPOINT=lambdas.url, COGNATE_KMS_ENDPOINT=moto_url, AWS_ACCESS_KEY_ID=KEY,
                    AWS_SECRET_ACCESS_KEY=SECRET, **ADMIN)
    idp = cognito(server.url)
    pool = idp.create_user_pool(PoolName="own-senders", AutoVerifiedAttributes=["email"], LambdaConfig={
        "CustomEmailSender": {"LambdaVersion": "V1_0", "LambdaArn": EMAIL_SENDER},
        "CustomSMSSender": {"LambdaVersion": "V1_0", "LambdaArn": f"{receiver.url}/sms-sender"}, "KMSKeyID": key_arn})["UserPool"]["Id"]
    # the pool's webhook secret, made on first use, is what the SMS sender's receiver verifies with
    shown = run_command(["triggers", "secret", "--pool", pool], data_dir)
    assert shown.returncode == 0, shown.stderr
    receiver.secrets = [shown.stdout.strip().splitlines()[-1]]
    client = idp.create_user_pool_client(UserPoolId=pool, ClientName="app", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"])["UserPoolClient"]["ClientId"]
    yield server, idp, pool, client, key_arn, lambdas, receiver
    server.stop()
    lambdas.stop()
    receiver.stop()
    moto.terminate()
    moto.wait()
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def wait_for(count, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if len(SENT) >= count:
            return SENT
        time.sleep(0.1)
    raise AssertionError(f"{len(SENT)} messages sent, {count} expected")


def test_a_sign_up_code_reaches_the_email_sender_encrypted_and_confirms(world):
    server, idp, pool, client, key_arn, lambdas, receiver = world
    before = len(SENT)
    answer = idp.sign_up(ClientId=client, Username="edith", Password="Sender-Passw0rd!", UserAttributes=[{"Name": "email", "Value": "edith@example.com"}])
    assert answer["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    channel, destination, code, source, context = wait_for(before + 1)[before]
    assert (channel, destination, source) == ("email", "edith@example.com", "CustomEmailSender_SignUp")
    assert re.fullmatch(r"\d{6}", code) and context == {"userpool-id": pool}
    # the function was invoked asynchronously, signed, and the code never travelled in clear
    arn, event, verified = next(call for call in lambdas.calls if call[1] and call[1]["userName"] == "edith")
    assert verified and code not in str(event) and event["request"]["userAttributes"]["email"] == "edith@example.com"
    idp.confirm_sign_up(ClientId=client, Username="edith", ConfirmationCode=code)
    assert idp.admin_get_user(UserPoolId=pool, Username="edith")["UserStatus"] == "CONFIRMED"
    # a reset code too, worded by nobody here
    idp.forgot_password(ClientId=client, Username="edith")
    channel, destination, reset, source, _ = wait_for(before + 2)[before + 1]
    assert source == "CustomEmailSender_ForgotPassword"
    idp.confirm_forgot_password(ClientId=client, Username="edith", ConfirmationCode=reset, Password="Sender-Passw0rd!2")


def test_an_invitation_by_sms_reaches_the_sms_sender_with_the_temporary_password(world):
    server, idp, pool, client, key_arn, lambdas, receiver = world
    before = len(SENT)
    idp.admin_create_user(UserPoolId=pool, Username="sam", TemporaryPassword="Temp-Passw0rd!9", DesiredDeliveryMediums=["SMS"],
                          UserAttributes=[{"Name": "phone_number", "Value": "+15550100"}])
    channel, destination, code, source, _ = wait_for(before + 1)[before]
    assert (channel, destination, code, source) == ("sms", "+15550100", "Temp-Passw0rd!9", "CustomSMSSender_AdminCreateUser")
    path, event, verified = next(call for call in receiver.calls if call[1] and call[1]["userName"] == "sam")
    assert verified and event["request"]["type"] == "customSMSSenderRequestV1" and "Temp-Passw0rd!9" not in str(event)


def test_the_senders_need_a_kms_key(world):
    server, idp, pool, client, key_arn, lambdas, receiver = world
    for config in [{"CustomEmailSender": {"LambdaVersion": "V1_0", "LambdaArn": EMAIL_SENDER}},
                   {"CustomEmailSender": {"LambdaVersion": "V1_0", "LambdaArn": EMAIL_SENDER}, "KMSKeyID": "arn:aws:kms:eu.evil:123456789012:key/x"},
                   {"CustomEmailSender": {"LambdaVersion": "V1_0", "LambdaArn": EMAIL_SENDER},
                    "KMSKeyID": "arn:aws:lambda:eu-west-1:123456789012:function:x"}]:
        refused(lambda: idp.create_user_pool(PoolName="keyless", LambdaConfig=config), "InvalidParameterException")


def test_an_unreachable_sender_keeps_the_message_to_try_again(world):
    server, idp, pool, client, key_arn, lambdas, receiver = world
    lambdas.status[EMAIL_SENDER] = (503, {"message": "Service unavailable"})
    before = len(SENT)
    try:
        idp.sign_up(ClientId=client, Username="rita", Password="Sender-Passw0rd!", UserAttributes=[{"Name": "email", "Value": "rita@example.com"}])
        deadline = time.time() + 20
        while time.time() < deadline and sum(1 for call in lambdas.calls if call[1] and call[1]["userName"] == "rita") < 3:
            time.sleep(0.1)
        assert len(SENT) == before, "not delivered while the function cannot be reached"
    finally:
        del lambdas.status[EMAIL_SENDER]
    # the outbox tries again (after 2 s, then 10 s): the code arrives once the function answers
    channel, destination, code, source, _ = wait_for(before + 1, timeout=30)[before]
    assert destination == "rita@example.com" and source == "CustomEmailSender_SignUp"
    idp.confirm_sign_up(ClientId=client, Username="rita", ConfirmationCode=code)
