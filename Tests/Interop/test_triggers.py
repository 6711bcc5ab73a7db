"""Cognito's Lambda triggers as signed webhooks: the events exactly as Cognito sends them, the
receiver verifying every request with the `standardwebhooks` package, Cognito Lambda handlers
unchanged behind a few lines (webhook_receiver.serve); each trigger's effect through boto3 and the
hosted pages, and Cognito's errors when a trigger refuses, cannot be reached in time, or answers
nonsense."""
import base64
import os
import re
import time
from urllib.parse import urlencode, urljoin

import pytest
import requests
from botocore.exceptions import ClientError

import smtp_server
from conftest import ADMIN, Form, Server, claims, cognito, free_port, refused, run_command
from webhook_receiver import Receiver

SECRET = "whsec_" + base64.b64encode(b"a trigger secret of 32 bytes!!!!").decode()
CLIENT = "triggerweb0000000000000000"
CONFIG = """
pools:
  - name: triggered
    id: local_Trigger12
    autoVerifiedAttributes: [email]
    triggerSecret: %(secret)s
    lambdaConfig:
      PreSignUp: %(url)s/pre-sign-up
      CustomMessage: %(url)s/custom-message
      PostConfirmation: %(url)s/post-confirmation
      PreAuthentication: %(url)s/pre-authentication
      PostAuthentication: %(url)s/post-authentication
      UserMigration: %(url)s/user-migration
    clients:
      - name: web
        id: triggerweb0000000000000000
        secret: trigger-client-secret-0123456789abcdef
        explicitAuthFlows: [ALLOW_USER_PASSWORD_AUTH, ALLOW_ADMIN_USER_PASSWORD_AUTH, ALLOW_REFRESH_TOKEN_AUTH]
        callbackURLs: [http://localhost:3000/cb]
        allowedOAuthFlows: [code]
        allowedOAuthScopes: [openid, email]
      - name: api
        id: triggerapi0000000000000000
        explicitAuthFlows: [ALLOW_USER_PASSWORD_AUTH, ALLOW_REFRESH_TOKEN_AUTH]
  - name: tokens-v2
    id: local_TokensV2x
    triggerSecret: %(secret)s
    lambdaConfig:
      PreTokenGeneration: %(url)s/pre-token-v2
      preTokenGenerationVersion: V2_0
    clients:
      - name: api
        id: tokensv2api000000000000000
        explicitAuthFlows: [ALLOW_USER_PASSWORD_AUTH, ALLOW_REFRESH_TOKEN_AUTH]
    users:
      - {username: tess, password: Corr3ct-Horse!, attributes: {email: tess@example.com, email_verified: "true"}}
      - {username: denied, password: Corr3ct-Horse!}
      - {username: newbie, temporaryPassword: Temp-Passw0rd!1}
  - name: tokens-v3
    id: local_TokensV3x
    triggerSecret: %(secret)s
    lambdaConfig:
      PreTokenGeneration: %(url)s/pre-token-v3
      preTokenGenerationVersion: V3_0
    resourceServers:
      - identifier: orders
        scopes: [{name: read}, {name: write}]
    clients:
      - name: machine
        id: tokensv3m2m000000000000000
        secret: machine-client-secret-0123456789abcdef
        allowedOAuthFlows: [client_credentials]
        allowedOAuthScopes: [orders/read, orders/write]
  - name: tokens-v1
    id: local_TokensV1x
    triggerSecret: %(secret)s
    lambdaConfig:
      PreTokenGeneration: %(url)s/pre-token-v1
    clients:
      - name: api
        id: tokensv1api000000000000000
        explicitAuthFlows: [ALLOW_USER_PASSWORD_AUTH, ALLOW_REFRESH_TOKEN_AUTH]
    users:
      - {username: vic, password: Corr3ct-Horse!, attributes: {email: vic@example.com}}
"""


# The app's trigger functions, written for Cognito's events.
def pre_sign_up(event, context):
    if not event["request"]["userAttributes"].get("email", "").endswith("@example.com"):
        raise Exception("Only example.com addresses may sign up")
    if event["request"]["validationData"].get("invite") == "yes":
        event["response"]["autoConfirmUser"] = True
        event["response"]["autoVerifyEmail"] = True
    return event


def custom_message(event, context):
    if event["userName"] == "unworded":
        raise Exception("No words for this one")
    if event["triggerSource"] == "CustomMessage_AdminCreateUser":
        event["response"]["emailSubject"] = "You are invited"
        event["response"]["emailMessage"] = f"Sign in as {event['request']['usernameParameter']} with {event['request']['codeParameter']}."
    if event["triggerSource"] == "CustomMessage_SignUp":
        event["response"]["emailSubject"] = "Welcome to Triggered"
        event["response"]["emailMessage"] = f"Hello {event['userName']}, your code is {event['request']['codeParameter']}."
    if event["triggerSource"] == "CustomMessage_ResendCode":
        event["response"]["emailSubject"] = "Your code, again"
        event["response"]["emailMessage"] = f"Here it is again: {event['request']['codeParameter']}."
    return event


def pre_authentication(event, context):
    if event["request"]["userAttributes"].get("custom:blocked") == "yes" or event["userName"] == "blocked":
        raise Exception("This account is on hold")
    return event


def post_authentication(event, context):
    if event["userName"] == "nomad":
        raise Exception("Sign-ins from this account are paused")
    return event


def pre_token_v2(event, context):
    if event["userName"] == "denied":
        raise Exception("No tokens today")
    event["response"]["claimsAndScopeOverrideDetails"] = {
        "idTokenGeneration": {"claimsToAddOrOverride": {"tenant": "acme", "sub": "someone-else"}, "claimsToSuppress": ["email"]},
        "accessTokenGeneration": {"claimsToAddOrOverride": {"roles": ["admin", "ops"], "tier": 3, "beta": True, "limits": {"orders": 10}},
                                  "scopesToAdd": ["orders.read"], "scopesToSuppress": ["aws.cognito.signin.user.admin"]},
        "groupOverrideDetails": {"groupsToOverride": ["vip"], "iamRolesToOverride": ["arn:aws:iam::123456789012:role/Vip"],
                                 "preferredRole": "arn:aws:iam::123456789012:role/Vip"},
    }
    return event


def pre_token_v3(event, context):
    if event["triggerSource"] == "TokenGeneration_ClientCredentials":
        if event["request"]["scopes"] == ["orders/write"]:
            raise Exception("Writers must ask a person")
        event["response"]["claimsAndScopeOverrideDetails"] = {"accessTokenGeneration": {
            "claimsToAddOrOverride": {"tenant": "acme", "client_id": "someone-else", "limits": {"orders": 10}},
            "scopesToAdd": ["orders/audit"], "scopesToSuppress": []}}
    return event


def pre_token_v1(event, context):
    event["response"]["claimsOverrideDetails"] = {"claimsToAddOrOverride": {"tenant": "acme"}, "claimsToSuppress": ["email"]}
    return event


LEGACY = {"olduser": ("Old-Passw0rd!", {"email": "olduser@example.com", "email_verified": "true", "given_name": "Olga"}),
          "olduser2": ("Old-Passw0rd!", {"email": "olduser2@example.com", "email_verified": "true"}),
          "olduser3": ("Old-Passw0rd!", {"email": "olduser3@example.com", "email_verified": "true"}),
          "oddone": ("Old-Passw0rd!", {"email": "not an address"}),
          "absentminded": ("Old-Passw0rd!", {"email": "absentminded@example.com", "email_verified": "true"})}


def user_migration(event, context):
    """The old system's check, as a Cognito UserMigration function does it."""
    if event["triggerSource"] == "UserMigration_Authentication":
        known = LEGACY.get(event["userName"])
        if not known or known[0] != event["request"]["password"]:
            raise Exception("Bad password")
        event["response"]["userAttributes"] = known[1]
        event["response"]["finalUserStatus"] = "CONFIRMED"
        event["response"]["messageAction"] = "SUPPRESS"
    if event["triggerSource"] == "UserMigration_ForgotPassword":
        known = LEGACY.get(event["userName"])
        if not known:
            raise Exception("Unknown user")
        event["response"]["userAttributes"] = known[1]
        event["response"]["messageAction"] = "SUPPRESS"
    return event


def post_confirmation(event, context):
    if event["userName"] == "unlucky":
        raise Exception("The welcome gift could not be sent")
    return event


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    data_dir = str(tmp_path_factory.mktemp("triggers"))
    receiver = Receiver(SECRET)
    receiver.handlers = {"/pre-sign-up": pre_sign_up, "/custom-message": custom_message, "/pre-authentication": pre_authentication,
                         "/post-confirmation": post_confirmation, "/post-authentication": post_authentication,
                         "/pre-token-v2": pre_token_v2, "/pre-token-v1": pre_token_v1,
                         "/pre-token-v3": pre_token_v3, "/user-migration": user_migration}
    smtp_port = free_port()
    controller, inbox = smtp_server.start(smtp_port)
    config = os.path.join(data_dir, "cognate.yaml")
    with open(config, "w") as f:
        f.write(CONFIG % {"secret": SECRET, "url": receiver.url})
    server = Server(data_dir, args=["--config", config], COGNATE_SMTP_URL=f"smtp://127.0.0.1:{smtp_port}",
                    COGNATE_MAIL_FROM="no-reply@cognate.test", **ADMIN)
    yield server, receiver, inbox, cognito(server.url), data_dir, config
    server.stop()
    controller.stop()
    receiver.stop()


def hosted_sign_in(server, username, password="Corr3ct-Horse!"):
    """The hosted form, as a browser sends it; returns the answer and the browser."""
    browser = requests.Session()
    first = browser.get(f"{server.url}/local_Trigger12/oauth2/authorize?" + urlencode(
        {"response_type": "code", "client_id": CLIENT, "redirect_uri": "http://localhost:3000/cb", "scope": "openid"}), allow_redirects=False)
    page = browser.get(urljoin(server.url, first.headers["Location"]))
    form = Form()
    form.feed(page.text)
    form.fields.update(username=username, password=password)
    return browser.post(urljoin(page.url, form.action), data=form.fields, allow_redirects=False), browser


def sign_up(idp, name, email, **extra):
    return idp.sign_up(ClientId="triggerapi0000000000000000", Username=name, Password="Corr3ct-Horse!",
                       UserAttributes=[{"Name": "email", "Value": email}], **extra)


def test_pre_sign_up_refuses_with_its_message_and_nothing_is_kept(world):
    server, receiver, inbox, idp, _, _ = world
    refused(lambda: sign_up(idp, "mallory", "mallory@elsewhere.test"), "UserLambdaValidationException",
            "PreSignUp failed with error Only example.com addresses may sign up.")
    refused(lambda: idp.admin_get_user(UserPoolId="local_Trigger12", Username="mallory"), "UserNotFoundException")
    # the event, as Cognito sends it, verified by the receiver's library
    path, event, verified = next(call for call in reversed(receiver.calls) if call[0] == "/pre-sign-up")
    assert verified
    assert event["version"] == "1" and event["triggerSource"] == "PreSignUp_SignUp" and event["region"] == "local"
    assert event["userPoolId"] == "local_Trigger12" and event["userName"] == "mallory"
    assert event["callerContext"] == {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "triggerapi0000000000000000"}
    assert event["request"]["userAttributes"] == {"email": "mallory@elsewhere.test"} and event["response"] == {}
    assert event["request"]["validationData"] == {} and event["request"]["clientMetadata"] == {}


def test_pre_sign_up_may_confirm_and_verify(world):
    server, receiver, inbox, idp, _, _ = world
    before = len(inbox.messages)
    answer = sign_up(idp, "invited", "invited@example.com", ValidationData=[{"Name": "invite", "Value": "yes"}],
                     ClientMetadata={"source": "test"})
    assert answer["UserConfirmed"] is True and "CodeDeliveryDetails" not in answer
    user = idp.admin_get_user(UserPoolId="local_Trigger12", Username="invited")
    assert user["UserStatus"] == "CONFIRMED"
    assert {a["Name"]: a["Value"] for a in user["UserAttributes"]}["email_verified"] == "true"
    time.sleep(0.5)
    assert len(inbox.messages) == before, "no code for a confirmed account"
    event = next(call[1] for call in reversed(receiver.calls) if call[0] == "/pre-sign-up")
    assert event["request"]["validationData"] == {"invite": "yes"} and event["request"]["clientMetadata"] == {"source": "test"}
    # and signs in at once
    tokens = idp.initiate_auth(ClientId="triggerapi0000000000000000", AuthFlow="USER_PASSWORD_AUTH",
                               AuthParameters={"USERNAME": "invited", "PASSWORD": "Corr3ct-Horse!"})
    assert tokens["AuthenticationResult"]["IdToken"]


def test_custom_message_words_the_code_email(world):
    server, receiver, inbox, idp, _, _ = world
    before = len(inbox.messages)
    sign_up(idp, "carol", "carol@example.com")
    mail = inbox.wait(before + 1)[before]["message"]
    assert mail["Subject"] == "Welcome to Triggered"
    body = mail.get_body(("plain",)).get_content()
    assert re.fullmatch(r"Hello carol, your code is \d{6}\.\s*", body), body
    event = next(call[1] for call in reversed(receiver.calls) if call[0] == "/custom-message")
    assert event["triggerSource"] == "CustomMessage_SignUp" and event["request"]["codeParameter"] == "{####}"
    assert event["request"]["userAttributes"]["email"] == "carol@example.com" and event["request"]["userAttributes"]["sub"]


def test_a_resent_code_is_worded_as_resend_code(world):
    server, receiver, inbox, idp, _, _ = world
    before = len(inbox.messages)
    sign_up(idp, "repeat", "repeat@example.com")
    inbox.wait(before + 1)
    idp.resend_confirmation_code(ClientId="triggerapi0000000000000000", Username="repeat")
    mail = inbox.wait(before + 2)[before + 1]["message"]
    assert mail["Subject"] == "Your code, again"
    assert re.fullmatch(r"Here it is again: \d{6}\.\s*", mail.get_body(("plain",)).get_content())
    sources = [call[1]["triggerSource"] for call in receiver.calls if call[0] == "/custom-message" and call[1]["userName"] == "repeat"]
    assert sources == ["CustomMessage_SignUp", "CustomMessage_ResendCode"]


def test_post_confirmation_failing_keeps_the_confirmation(world):
    server, receiver, inbox, idp, _, _ = world
    before = len(inbox.messages)
    sign_up(idp, "unlucky", "unlucky@example.com")
    code = re.search(r"\d{6}", inbox.wait(before + 1)[before]["message"].get_body(("plain",)).get_content()).group(0)
    refused(lambda: idp.confirm_sign_up(ClientId="triggerapi0000000000000000", Username="unlucky", ConfirmationCode=code),
            "UserLambdaValidationException", "PostConfirmation failed with error The welcome gift could not be sent.")
    assert idp.admin_get_user(UserPoolId="local_Trigger12", Username="unlucky")["UserStatus"] == "CONFIRMED"
    event = next(call[1] for call in reversed(receiver.calls) if call[0] == "/post-confirmation")
    assert event["triggerSource"] == "PostConfirmation_ConfirmSignUp" and event["request"]["userAttributes"]["email_verified"] == "true"


def test_pre_authentication_refuses_a_sign_in_through_the_api_and_the_hosted_page(world):
    server, receiver, inbox, idp, _, _ = world
    idp.admin_create_user(UserPoolId="local_Trigger12", Username="blocked", MessageAction="SUPPRESS",
                          UserAttributes=[{"Name": "email", "Value": "blocked@example.com"}])
    idp.admin_set_user_password(UserPoolId="local_Trigger12", Username="blocked", Password="Corr3ct-Horse!", Permanent=True)
    refused(lambda: idp.initiate_auth(ClientId="triggerapi0000000000000000", AuthFlow="USER_PASSWORD_AUTH",
                                      AuthParameters={"USERNAME": "blocked", "PASSWORD": "Corr3ct-Horse!"}),
            "UserLambdaValidationException", "PreAuthentication failed with error This account is on hold.")
    answer, _ = hosted_sign_in(server, "blocked")
    assert answer.status_code == 400 and "This account is on hold" in answer.text and "Location" not in answer.headers


def test_a_trigger_that_does_not_answer_in_time_is_tried_three_times(world):
    server, receiver, inbox, idp, _, _ = world
    receiver.delays["/pre-sign-up"] = 6
    try:
        before = len([c for c in receiver.calls if c[0] == "/pre-sign-up"])
        started = time.time()
        message = refused(lambda: sign_up(idp, "slowpoke", "slowpoke@example.com"), "UnexpectedLambdaException")
        assert "PreSignUp invocation failed due to error" in message
        assert len([c for c in receiver.calls if c[0] == "/pre-sign-up"]) - before == 3
        assert 14 <= time.time() - started < 30
        refused(lambda: idp.admin_get_user(UserPoolId="local_Trigger12", Username="slowpoke"), "UserNotFoundException")
    finally:
        receiver.delays.pop("/pre-sign-up")


def test_an_unreadable_reply_is_invalid_lambda_response(world):
    server, receiver, inbox, idp, _, _ = world
    receiver.raw["/pre-sign-up"] = (200, b"this is not the event")
    try:
        refused(lambda: sign_up(idp, "garbled", "garbled@example.com"), "InvalidLambdaResponseException")
    finally:
        receiver.raw.pop("/pre-sign-up")
    # a custom message that drops the code is refused too, and no code is sent
    receiver.handlers["/custom-message"] = lambda event, context: {**event, "response": {"emailMessage": "Hi there"}}
    try:
        refused(lambda: sign_up(idp, "nocode", "nocode@example.com"), "InvalidLambdaResponseException")
    finally:
        receiver.handlers["/custom-message"] = custom_message


def test_the_hosted_sign_up_shows_the_triggers_refusal(world):
    server, receiver, inbox, idp, _, _ = world
    browser = requests.Session()
    page = browser.get(f"{server.url}/local_Trigger12/signup?" + urlencode(
        {"response_type": "code", "client_id": CLIENT, "redirect_uri": "http://localhost:3000/cb", "scope": "openid"}))
    form = Form()
    form.feed(page.text)
    form.fields.update(username="eve", email="eve@elsewhere.test", password="Corr3ct-Horse!", confirm_password="Corr3ct-Horse!")
    answer = browser.post(urljoin(page.url, form.action), data=form.fields)
    assert answer.status_code == 400 and "Only example.com addresses may sign up" in answer.text


def test_lambda_config_through_the_api(world):
    server, receiver, inbox, idp, _, _ = world
    config = {"PreSignUp": "https://hooks.example.com/pre-sign-up", "PostConfirmation": "arn:aws:lambda:eu-west-1:123456789012:function:welcome",
              "PreTokenGenerationConfig": {"LambdaVersion": "V2_0", "LambdaArn": "https://hooks.example.com/tokens"}}
    pool = idp.create_user_pool(PoolName="hooked", LambdaConfig=config)["UserPool"]
    described = idp.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]["LambdaConfig"]
    assert described["PreSignUp"] == config["PreSignUp"] and described["PostConfirmation"] == config["PostConfirmation"]
    assert described["PreTokenGeneration"] == "https://hooks.example.com/tokens"
    assert described["PreTokenGenerationConfig"] == {"LambdaVersion": "V2_0", "LambdaArn": "https://hooks.example.com/tokens"}
    for bad in ["http://hooks.example.com/x", "ftp://hooks.example.com/x", "https://user:pw@hooks.example.com/x", "arn:aws:s3:::my-bucket-name"]:
        refused(lambda: idp.update_user_pool(UserPoolId=pool["Id"], LambdaConfig={"PreSignUp": bad}), "InvalidParameterException")
    # UpdateUserPool without LambdaConfig clears it, as in Cognito
    idp.update_user_pool(UserPoolId=pool["Id"])
    assert idp.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]["LambdaConfig"] == {}


def test_the_secret_rotates_with_both_signatures_meanwhile(world):
    server, receiver, inbox, idp, data_dir, config = world
    shown = run_command(["triggers", "secret", "--pool", "local_Trigger12", "--config", config], data_dir)
    assert shown.returncode == 0 and shown.stdout.strip().splitlines()[-1] == SECRET
    rotated = run_command(["triggers", "secret", "--pool", "local_Trigger12", "--rotate", "--config", config], data_dir)
    lines = rotated.stdout.strip().splitlines()
    new = lines[-2]
    assert new.startswith("whsec_") and new != SECRET and lines[-1].startswith(SECRET)
    # a receiver that knows only the new secret, and one that knows only the old, both verify
    for index, secret in enumerate([new, SECRET]):
        receiver.secrets = [secret]
        calls_before = len(receiver.calls)
        sign_up(idp, f"rotated{index}", f"rotated{index}@example.com")
        assert len(receiver.calls) > calls_before and all(call[2] for call in receiver.calls[calls_before:])
    receiver.secrets = [SECRET]
    retired = run_command(["triggers", "secret", "--pool", "local_Trigger12", "--retire", "--config", config], data_dir)
    assert retired.stdout.strip().splitlines()[-1] == new
    receiver.secrets = [SECRET]
    refused(lambda: sign_up(idp, "afterretire", "after@example.com"), "UserLambdaValidationException", "PreSignUp failed with error bad signature.")
    # the other pools keep the config file's secret
    receiver.secrets = [new, SECRET]


def test_post_authentication_ends_a_sign_in_it_refuses(world):
    server, receiver, inbox, idp, _, _ = world
    for name in ["nomad", "settler"]:
        idp.admin_create_user(UserPoolId="local_Trigger12", Username=name, MessageAction="SUPPRESS",
                              UserAttributes=[{"Name": "email", "Value": f"{name}@example.com"}])
        idp.admin_set_user_password(UserPoolId="local_Trigger12", Username=name, Password="Corr3ct-Horse!", Permanent=True)
    refused(lambda: idp.initiate_auth(ClientId="triggerapi0000000000000000", AuthFlow="USER_PASSWORD_AUTH",
                                      AuthParameters={"USERNAME": "nomad", "PASSWORD": "Corr3ct-Horse!"}),
            "UserLambdaValidationException", "PostAuthentication failed with error Sign-ins from this account are paused.")
    tokens = idp.initiate_auth(ClientId="triggerapi0000000000000000", AuthFlow="USER_PASSWORD_AUTH",
                               AuthParameters={"USERNAME": "settler", "PASSWORD": "Corr3ct-Horse!"})
    assert tokens["AuthenticationResult"]["AccessToken"]
    event = next(call[1] for call in reversed(receiver.calls) if call[0] == "/post-authentication")
    assert event["triggerSource"] == "PostAuthentication_Authentication" and event["userName"] == "settler"
    assert event["request"]["newDeviceUsed"] is False and event["callerContext"]["clientId"] == "triggerapi0000000000000000"
    # the hosted form: no session, no code for the app
    answer, browser = hosted_sign_in(server, "nomad")
    assert answer.status_code == 400 and "Sign-ins from this account are paused" in answer.text
    assert not any(c.name.startswith("cognate_session") for c in browser.cookies)


def test_admin_create_user_meets_pre_sign_up_and_custom_message(world):
    server, receiver, inbox, idp, _, _ = world
    refused(lambda: idp.admin_create_user(UserPoolId="local_Trigger12", Username="outsider", DesiredDeliveryMediums=["EMAIL"],
                                          UserAttributes=[{"Name": "email", "Value": "outsider@elsewhere.test"}]),
            "UserLambdaValidationException", "PreSignUp failed with error Only example.com addresses may sign up.")
    refused(lambda: idp.admin_get_user(UserPoolId="local_Trigger12", Username="outsider"), "UserNotFoundException")
    event = next(call[1] for call in reversed(receiver.calls) if call[0] == "/pre-sign-up")
    assert event["triggerSource"] == "PreSignUp_AdminCreateUser" and event["callerContext"]["clientId"] == "CLIENT_ID_NOT_APPLICABLE"
    before = len(inbox.messages)
    idp.admin_create_user(UserPoolId="local_Trigger12", Username="newhire", DesiredDeliveryMediums=["EMAIL"],
                          UserAttributes=[{"Name": "email", "Value": "newhire@example.com"}])
    mail = inbox.wait(before + 1)[before]["message"]
    assert mail["Subject"] == "You are invited"
    assert re.fullmatch(r"Sign in as newhire with \S+\.\s*", mail.get_body(("plain",)).get_content())
    # the invitation is worded before the user is kept: CustomMessage's refusal leaves no user without one
    refused(lambda: idp.admin_create_user(UserPoolId="local_Trigger12", Username="unworded", DesiredDeliveryMediums=["EMAIL"],
                                          UserAttributes=[{"Name": "email", "Value": "unworded@example.com"}]),
            "UserLambdaValidationException", "CustomMessage failed with error No words for this one.")
    refused(lambda: idp.admin_get_user(UserPoolId="local_Trigger12", Username="unworded"), "UserNotFoundException")
    worded = next(call[1] for call in reversed(receiver.calls) if call[1].get("userName") == "unworded")
    assert re.fullmatch(r"[0-9a-f-]{36}", worded["request"]["userAttributes"]["sub"])
    assert worded["request"]["userAttributes"]["cognito:user_status"] == "FORCE_CHANGE_PASSWORD"


def test_a_reset_password_meets_post_confirmation(world):
    server, receiver, inbox, idp, _, _ = world
    idp.admin_create_user(UserPoolId="local_Trigger12", Username="forgetful", MessageAction="SUPPRESS",
                          UserAttributes=[{"Name": "email", "Value": "forgetful@example.com"}, {"Name": "email_verified", "Value": "true"}])
    idp.admin_set_user_password(UserPoolId="local_Trigger12", Username="forgetful", Password="Corr3ct-Horse!", Permanent=True)
    before = len(inbox.messages)
    idp.forgot_password(ClientId="triggerapi0000000000000000", Username="forgetful")
    code = re.search(r"\d{6}", inbox.wait(before + 1)[before]["message"].get_body(("plain",)).get_content()).group(0)
    idp.confirm_forgot_password(ClientId="triggerapi0000000000000000", Username="forgetful", ConfirmationCode=code, Password="N3w-Horse-Pass!")
    sources = [call[1]["triggerSource"] for call in receiver.calls if call[0] in ("/post-confirmation", "/custom-message") and call[1]]
    assert "CustomMessage_ForgotPassword" in sources and sources[-1] == "PostConfirmation_ConfirmForgotPassword"


def test_pre_token_generation_v2_shapes_both_tokens_and_their_scopes(world):
    server, receiver, inbox, idp, _, _ = world
    result = idp.initiate_auth(ClientId="tokensv2api000000000000000", AuthFlow="USER_PASSWORD_AUTH",
                               AuthParameters={"USERNAME": "tess", "PASSWORD": "Corr3ct-Horse!"})["AuthenticationResult"]
    id_claims, access = claims(result["IdToken"]), claims(result["AccessToken"])
    assert id_claims["tenant"] == "acme" and "email" not in id_claims and id_claims["cognito:groups"] == ["vip"]
    assert id_claims["cognito:roles"] == ["arn:aws:iam::123456789012:role/Vip"]
    assert id_claims["cognito:preferred_role"] == "arn:aws:iam::123456789012:role/Vip"
    assert id_claims["sub"] != "someone-else", "the claims that say who may not be changed"
    assert access["roles"] == ["admin", "ops"] and access["tier"] == 3 and access["beta"] is True and access["limits"] == {"orders": 10}
    assert access["scope"] == "orders.read" and access["cognito:groups"] == ["vip"]
    event = next(call[1] for call in reversed(receiver.calls) if call[0] == "/pre-token-v2")
    assert event["triggerSource"] == "TokenGeneration_Authentication" and event["request"]["scopes"] == ["aws.cognito.signin.user.admin"]
    assert event["version"] == "2"
    assert event["request"]["groupConfiguration"]["groupsToOverride"] == [] and event["request"]["userAttributes"]["email"] == "tess@example.com"
    # refreshed tokens go through it again
    refreshed = idp.initiate_auth(ClientId="tokensv2api000000000000000", AuthFlow="REFRESH_TOKEN_AUTH",
                                  AuthParameters={"REFRESH_TOKEN": result["RefreshToken"]})["AuthenticationResult"]
    assert claims(refreshed["IdToken"])["tenant"] == "acme" and claims(refreshed["AccessToken"])["tier"] == 3
    event = next(call[1] for call in reversed(receiver.calls) if call[0] == "/pre-token-v2")
    assert event["triggerSource"] == "TokenGeneration_RefreshTokens"
    # a refusal: no tokens
    refused(lambda: idp.initiate_auth(ClientId="tokensv2api000000000000000", AuthFlow="USER_PASSWORD_AUTH",
                                      AuthParameters={"USERNAME": "denied", "PASSWORD": "Corr3ct-Horse!"}),
            "UserLambdaValidationException", "PreTokenGeneration failed with error No tokens today.")


def test_pre_token_generation_v1_changes_the_id_token_only(world):
    server, receiver, inbox, idp, _, _ = world
    result = idp.initiate_auth(ClientId="tokensv1api000000000000000", AuthFlow="USER_PASSWORD_AUTH",
                               AuthParameters={"USERNAME": "vic", "PASSWORD": "Corr3ct-Horse!"})["AuthenticationResult"]
    id_claims, access = claims(result["IdToken"]), claims(result["AccessToken"])
    assert id_claims["tenant"] == "acme" and "email" not in id_claims
    assert "tenant" not in access and access["scope"] == "aws.cognito.signin.user.admin"
    event = next(call[1] for call in reversed(receiver.calls) if call[0] == "/pre-token-v1")
    assert "scopes" not in event["request"]


def test_user_migration_brings_a_user_over_at_the_first_sign_in(world):
    server, receiver, inbox, idp, _, _ = world

    def migrations():
        return len([call for call in receiver.calls if call[0] == "/user-migration"])
    # a wrong password: the old system says no; nobody is made, and the answer is the usual one
    refused(lambda: idp.initiate_auth(ClientId="triggerapi0000000000000000", AuthFlow="USER_PASSWORD_AUTH",
                                      AuthParameters={"USERNAME": "olduser", "PASSWORD": "Wrong-Passw0rd!"}),
            "NotAuthorizedException", "Incorrect username or password.")
    refused(lambda: idp.admin_get_user(UserPoolId="local_Trigger12", Username="olduser"), "UserNotFoundException")
    # the right one: the user is here with their attributes, and signed in
    before = migrations()
    tokens = idp.initiate_auth(ClientId="triggerapi0000000000000000", AuthFlow="USER_PASSWORD_AUTH",
                               AuthParameters={"USERNAME": "olduser", "PASSWORD": "Old-Passw0rd!"})["AuthenticationResult"]
    assert claims(tokens["IdToken"])["given_name"] == "Olga" and claims(tokens["IdToken"])["email_verified"] is True
    user = idp.admin_get_user(UserPoolId="local_Trigger12", Username="olduser")
    assert user["UserStatus"] == "CONFIRMED" and {a["Name"]: a["Value"] for a in user["UserAttributes"]}["email"] == "olduser@example.com"
    event = next(call[1] for call in reversed(receiver.calls) if call[0] == "/user-migration")
    assert event["triggerSource"] == "UserMigration_Authentication" and event["request"]["password"] == "Old-Passw0rd!"
    assert migrations() == before + 1
    # the second sign-in is Cognate's alone
    idp.initiate_auth(ClientId="triggerapi0000000000000000", AuthFlow="USER_PASSWORD_AUTH",
                      AuthParameters={"USERNAME": "olduser", "PASSWORD": "Old-Passw0rd!"})
    assert migrations() == before + 1
    # and on the hosted form, a client that hides users answers a wrong password as for anyone
    answer, _ = hosted_sign_in(server, "olduser2", "Wrong-Passw0rd!")
    assert answer.status_code == 400 and "Incorrect username or password." in answer.text
    answer, _ = hosted_sign_in(server, "olduser2", "Old-Passw0rd!")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("http://localhost:3000/cb?code=")
    # attributes this pool cannot hold: the function's answer is unusable, and nobody is made
    refused(lambda: idp.initiate_auth(ClientId="triggerapi0000000000000000", AuthFlow="USER_PASSWORD_AUTH",
                                      AuthParameters={"USERNAME": "oddone", "PASSWORD": "Old-Passw0rd!"}), "InvalidLambdaResponseException")
    refused(lambda: idp.admin_get_user(UserPoolId="local_Trigger12", Username="oddone"), "UserNotFoundException")


def test_user_migration_of_a_forgotten_password_sends_the_code(world):
    server, receiver, inbox, idp, _, _ = world
    before = len(inbox.messages)
    answer = idp.forgot_password(ClientId="triggerapi0000000000000000", Username="absentminded")
    assert answer["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    event = next(call[1] for call in reversed(receiver.calls) if call[0] == "/user-migration")
    assert event["triggerSource"] == "UserMigration_ForgotPassword" and event["userName"] == "absentminded"
    assert "password" not in event["request"] and event["request"]["validationData"] == {}
    assert event["callerContext"]["clientId"] == "triggerapi0000000000000000"
    # made as Cognito makes them: waiting for the reset
    assert idp.admin_get_user(UserPoolId="local_Trigger12", Username="absentminded")["UserStatus"] == "RESET_REQUIRED"
    mail = inbox.wait(before + 1)[before]
    assert mail["to"] == ["absentminded@example.com"]
    code = re.search(r"\d{6}", mail["message"].get_body(("plain",)).get_content()).group(0)
    idp.confirm_forgot_password(ClientId="triggerapi0000000000000000", Username="absentminded", ConfirmationCode=code, Password="New-Passw0rd!")
    assert idp.initiate_auth(ClientId="triggerapi0000000000000000", AuthFlow="USER_PASSWORD_AUTH",
                             AuthParameters={"USERNAME": "absentminded", "PASSWORD": "New-Passw0rd!"})["AuthenticationResult"]
    # a name the old system does not know either: the same answer a client that hides users always gives, nothing made
    hidden = idp.forgot_password(ClientId="triggerapi0000000000000000", Username="stranger")
    assert hidden["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    refused(lambda: idp.admin_get_user(UserPoolId="local_Trigger12", Username="stranger"), "UserNotFoundException")


def test_many_first_sign_ins_of_one_user_at_once_make_one_user(world):
    import concurrent.futures
    server, receiver, inbox, idp, _, _ = world

    def sign_in(_):
        try:
            cognito(server.url).initiate_auth(ClientId="triggerapi0000000000000000", AuthFlow="USER_PASSWORD_AUTH",
                                              AuthParameters={"USERNAME": "olduser3", "PASSWORD": "Old-Passw0rd!"})
            return "ok"
        except ClientError as error:
            return error.response["Error"]["Code"]
    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(sign_in, range(6)))
    assert outcomes == ["ok"] * 6, outcomes
    listed = idp.list_users(UserPoolId="local_Trigger12", Filter='username = "olduser3"')["Users"]
    assert len(listed) == 1


def test_pre_token_generation_v3_words_a_clients_own_token(world):
    server, receiver, inbox, idp, _, _ = world
    auth = ("tokensv3m2m000000000000000", "machine-client-secret-0123456789abcdef")
    answer = requests.post(f"{server.url}/local_TokensV3x/oauth2/token", auth=auth, timeout=30,
                           data={"grant_type": "client_credentials", "scope": "orders/read"})
    assert answer.status_code == 200, answer.text
    access = claims(answer.json()["access_token"])
    assert access["tenant"] == "acme" and access["limits"] == {"orders": 10}
    assert access["client_id"] == "tokensv3m2m000000000000000" and access["sub"] == "tokensv3m2m000000000000000"
    assert access["scope"] == "orders/read orders/audit"
    event = next(call[1] for call in reversed(receiver.calls) if call[0] == "/pre-token-v3")
    assert event["triggerSource"] == "TokenGeneration_ClientCredentials" and event["version"] == "3"
    assert event["callerContext"]["clientId"] == "tokensv3m2m000000000000000" and event["userName"] is None
    assert event["request"]["userAttributes"] == {} and event["request"]["scopes"] == ["orders/read"]
    # its refusal is the token endpoint's invalid_request, with Cognito's words; nothing is issued
    refused = requests.post(f"{server.url}/local_TokensV3x/oauth2/token", auth=auth, timeout=30,
                            data={"grant_type": "client_credentials", "scope": "orders/write"})
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_request"
    assert "PreTokenGeneration failed with error Writers must ask a person." in refused.json()["error_description"]


def test_a_new_password_answered_is_token_generation_new_password_challenge(world):
    server, receiver, inbox, idp, _, _ = world
    challenge = idp.initiate_auth(ClientId="tokensv2api000000000000000", AuthFlow="USER_PASSWORD_AUTH",
                                  AuthParameters={"USERNAME": "newbie", "PASSWORD": "Temp-Passw0rd!1"})
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    result = idp.respond_to_auth_challenge(ClientId="tokensv2api000000000000000", ChallengeName="NEW_PASSWORD_REQUIRED", Session=challenge["Session"],
                                           ChallengeResponses={"USERNAME": "newbie", "NEW_PASSWORD": "Br4nd-New-Passw0rd!"})
    assert claims(result["AuthenticationResult"]["IdToken"])["tenant"] == "acme"
    event = next(call[1] for call in reversed(receiver.calls) if call[0] == "/pre-token-v2")
    assert event["triggerSource"] == "TokenGeneration_NewPasswordChallenge" and event["userName"] == "newbie"


def test_a_name_no_one_holds_waits_on_custom_message_as_an_account_does(world):
    server, receiver, inbox, idp, _, _ = world
    before = len(inbox.messages)
    answer = idp.forgot_password(ClientId="triggerapi0000000000000000", Username="no-such-person")
    assert answer["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    # the trigger was asked as for an account (so the time taken tells nothing), and nothing was sent
    event = next(call[1] for call in reversed(receiver.calls) if call[0] == "/custom-message")
    assert event["userName"] == "no-such-person" and event["triggerSource"] == "CustomMessage_ForgotPassword"
    assert event["request"]["userAttributes"] == {}
    time.sleep(0.5)
    assert len(inbox.messages) == before
