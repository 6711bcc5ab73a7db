"""A user's event history as an operator reads it with boto3 (AdminListUserAuthEvents): sign-ins
that pass, fail, wait on a second factor or are refused by the lockout; sign-ups, code requests and
password changes; from which address and user agent; paged, with feedback, and kept or not as set."""
import concurrent.futures
import time
from urllib.parse import urljoin

import botocore
import pyotp
import pytest
import requests
from botocore.exceptions import ClientError

from conftest import ADMIN, Form, Server, cognito

PASSWORD = "Corr3ct-Horse!"


def error_code(call, **kwargs):
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]["Code"]


def setup(idp):
    pool_id = idp.create_user_pool(PoolName="events", MfaConfiguration="OPTIONAL")["UserPool"]["Id"]
    idp.set_user_pool_mfa_config(UserPoolId=pool_id, MfaConfiguration="OPTIONAL", SoftwareTokenMfaConfiguration={"Enabled": True})
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="app", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        PreventUserExistenceErrors="ENABLED")["UserPoolClient"]["ClientId"]
    idp.admin_create_user(UserPoolId=pool_id, Username="ana", MessageAction="SUPPRESS",
                          UserAttributes=[{"Name": "email", "Value": "ana@example.com"}, {"Name": "email_verified", "Value": "true"}])
    idp.admin_set_user_password(UserPoolId=pool_id, Username="ana", Password=PASSWORD, Permanent=True)
    return pool_id, client_id


def sign_in(idp, client_id, password, username="ana"):
    try:
        return idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                 AuthParameters={"USERNAME": username, "PASSWORD": password})
    except ClientError as error:
        return error.response["Error"]["Message"]


def events(idp, pool_id, username="ana", **paging):
    return idp.admin_list_user_auth_events(UserPoolId=pool_id, Username=username, **paging)["AuthEvents"]


def summary(event):
    return (event["EventType"], event["EventResponse"],
            [(step["ChallengeName"], step["ChallengeResponse"]) for step in event["ChallengeResponses"]])


def test_sign_ins_lockout_and_second_factor_are_recorded(data_dir):
    server = Server(data_dir, **ADMIN)
    try:
        idp = cognito(server.url)
        pool_id, client_id = setup(idp)
        assert events(idp, pool_id) == []
        assert sign_in(idp, client_id, "Wrong-Horse1!") == "Incorrect username or password."
        access = sign_in(idp, client_id, PASSWORD)["AuthenticationResult"]["AccessToken"]
        history = events(idp, pool_id)
        assert [summary(e) for e in history] == [
            ("SignIn", "Pass", [("Password", "Success")]),
            ("SignIn", "Fail", [("Password", "Failure")]),
        ], "newest first"
        newest = history[0]
        assert newest["EventContextData"]["IpAddress"] == "127.0.0.1"
        assert "Boto3" in newest["EventContextData"]["DeviceName"] or "Botocore" in newest["EventContextData"]["DeviceName"]
        assert newest["EventRisk"] == {"RiskDecision": "NoRisk", "CompromisedCredentialsDetected": False}
        assert abs(newest["CreationDate"].timestamp() - time.time()) < 60

        # the lockout: five failures, then a refusal that never looked at the password, marked Block
        for _ in range(4):
            sign_in(idp, client_id, "Wrong-Horse1!")
        assert sign_in(idp, client_id, "Wrong-Horse1!") == "Incorrect username or password."
        assert sign_in(idp, client_id, PASSWORD) == "Password attempts exceeded"
        locked = events(idp, pool_id)[0]
        assert summary(locked) == ("SignIn", "Fail", [("Password", "Failure")])
        assert locked["EventRisk"]["RiskDecision"] == "Block"
        # a name no one holds leaves no history and reveals nothing: the answers are the same
        assert sign_in(idp, client_id, "Wrong-Horse1!", username="ghost") == "Incorrect username or password."
        assert error_code(idp.admin_list_user_auth_events, UserPoolId=pool_id, Username="ghost") == "UserNotFoundException"

        time.sleep(1.2)  # the first lock lasts a second
        # an authenticator: the sign-in waits on it, fails with a wrong code, passes with the right one
        secret = idp.associate_software_token(AccessToken=access)["SecretCode"]
        totp = pyotp.TOTP(secret)
        idp.verify_software_token(AccessToken=access, UserCode=totp.now())
        idp.set_user_mfa_preference(AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
        challenge = sign_in(idp, client_id, PASSWORD)
        assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
        assert summary(events(idp, pool_id)[0]) == ("SignIn", "InProgress", [("Password", "Success")])
        wrong = "000000" if totp.now() != "000000" else "111111"
        assert error_code(idp.respond_to_auth_challenge, ClientId=client_id, ChallengeName="SOFTWARE_TOKEN_MFA", Session=challenge["Session"],
                          ChallengeResponses={"USERNAME": "ana", "SOFTWARE_TOKEN_MFA_CODE": wrong}) == "CodeMismatchException"
        assert summary(events(idp, pool_id)[0]) == ("SignIn", "Fail", [("Password", "Success"), ("Mfa", "Failure")])
        idp.respond_to_auth_challenge(ClientId=client_id, ChallengeName="SOFTWARE_TOKEN_MFA", Session=challenge["Session"],
                                      ChallengeResponses={"USERNAME": "ana", "SOFTWARE_TOKEN_MFA_CODE": totp.at(time.time() + 30)})
        settled = events(idp, pool_id)[0]
        assert summary(settled) == ("SignIn", "Pass", [("Password", "Success"), ("Mfa", "Success")])

        # paging, newest first, every event once
        everything = events(idp, pool_id)
        seen, token = [], None
        while True:
            page = idp.admin_list_user_auth_events(UserPoolId=pool_id, Username="ana", MaxResults=3, **({"NextToken": token} if token else {}))
            assert len(page["AuthEvents"]) <= 3
            seen += page["AuthEvents"]
            token = page.get("NextToken")
            if not token:
                break
        assert [e["EventId"] for e in seen] == [e["EventId"] for e in everything] and len(everything) == 9

        # an operator's feedback
        idp.admin_update_auth_event_feedback(UserPoolId=pool_id, Username="ana", EventId=locked["EventId"], FeedbackValue="Invalid")
        marked = next(e for e in events(idp, pool_id) if e["EventId"] == locked["EventId"])
        assert marked["EventFeedback"]["FeedbackValue"] == "Invalid" and marked["EventFeedback"]["Provider"] == "Admin"
        assert error_code(idp.admin_update_auth_event_feedback, UserPoolId=pool_id, Username="ana",
                          EventId="00000000-0000-0000-0000-000000000000", FeedbackValue="Valid") == "ResourceNotFoundException"
        assert error_code(idp.admin_update_auth_event_feedback, UserPoolId=pool_id, Username="ana",
                          EventId=locked["EventId"], FeedbackValue="Maybe") == "InvalidParameterException"
        assert error_code(idp.admin_list_user_auth_events, UserPoolId=pool_id, Username="ana", MaxResults=61) == "InvalidParameterException"
        # it is an admin operation: a wrong key is refused
        import boto3
        stranger = boto3.client("cognito-idp", endpoint_url=server.url, region_name="local", aws_access_key_id=ADMIN["COGNATE_ADMIN_ACCESS_KEY_ID"],
                                aws_secret_access_key="not-the-secret-key-0000000000", config=botocore.config.Config(retries={"max_attempts": 1}))
        assert error_code(stranger.admin_list_user_auth_events, UserPoolId=pool_id, Username="ana") == "InvalidSignatureException"
    finally:
        server.stop()


def test_sign_up_codes_and_password_changes_are_recorded(data_dir):
    server = Server(data_dir, **ADMIN)
    try:
        idp = cognito(server.url)
        pool_id, client_id = setup(idp)
        idp.update_user_pool(UserPoolId=pool_id, AutoVerifiedAttributes=["email"], MfaConfiguration="OPTIONAL")
        idp.sign_up(ClientId=client_id, Username="bo", Password=PASSWORD, UserAttributes=[{"Name": "email", "Value": "bo@example.com"}])
        idp.resend_confirmation_code(ClientId=client_id, Username="bo")
        assert [summary(e)[:2] for e in events(idp, pool_id, "bo")] == [("ResendCode", "Pass"), ("SignUp", "Pass")]

        access = sign_in(idp, client_id, PASSWORD)["AuthenticationResult"]["AccessToken"]
        assert error_code(idp.change_password, AccessToken=access, PreviousPassword="Wrong-Horse1!", ProposedPassword="N3w-Passw0rd!") \
            == "NotAuthorizedException"
        idp.change_password(AccessToken=access, PreviousPassword=PASSWORD, ProposedPassword="N3w-Passw0rd!")
        idp.forgot_password(ClientId=client_id, Username="ana")
        assert error_code(idp.confirm_forgot_password, ClientId=client_id, Username="ana", ConfirmationCode="000000",
                          Password="An0ther-Passw0rd!") == "CodeMismatchException"
        assert [summary(e) for e in events(idp, pool_id)][:4] == [
            ("PasswordChange", "Fail", []),
            ("ForgotPassword", "Pass", []),
            ("PasswordChange", "Pass", [("Password", "Success")]),
            ("PasswordChange", "Fail", [("Password", "Failure")]),
        ]
    finally:
        server.stop()


def test_the_hosted_form_records_the_forwarded_address_and_many_sign_ins_at_once(data_dir):
    server = Server(data_dir, COGNATE_TRUSTED_PROXIES="127.0.0.1", **ADMIN)
    try:
        idp = cognito(server.url)
        pool_id, client_id = setup(idp)
        idp.update_user_pool_client(UserPoolId=pool_id, ClientId=client_id, CallbackURLs=["http://localhost:3000/cb"],
                                    AllowedOAuthFlows=["code"], AllowedOAuthScopes=["openid"], AllowedOAuthFlowsUserPoolClient=True,
                                    SupportedIdentityProviders=["COGNITO"],
                                    ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
        browser = requests.Session()
        browser.headers.update({"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) TestBrowser/1.0", "X-Forwarded-For": "203.0.113.9"})
        first = browser.get(f"{server.url}/{pool_id}/oauth2/authorize", params={
            "response_type": "code", "client_id": client_id, "redirect_uri": "http://localhost:3000/cb", "scope": "openid",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "code_challenge_method": "S256"}, allow_redirects=False)
        page = browser.get(urljoin(server.url, first.headers["Location"]))
        form = Form()
        form.feed(page.text)
        form.fields.update(username="ana", password=PASSWORD)
        answer = browser.post(urljoin(page.url, form.action), data=form.fields, allow_redirects=False)
        assert answer.status_code == 302 and "code=" in answer.headers["Location"]
        hosted = events(idp, pool_id)[0]
        assert summary(hosted) == ("SignIn", "Pass", [("Password", "Success")])
        assert hosted["EventContextData"] == {"IpAddress": "203.0.113.9", "DeviceName": "Mozilla/5.0 (X11; Linux x86_64) TestBrowser/1.0"}

        # sixteen sign-ins at once: sixteen events, none lost or merged
        with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
            results = list(pool.map(lambda _: sign_in(cognito(server.url), client_id, PASSWORD), range(16)))
        assert all("AuthenticationResult" in r for r in results)
        recorded = events(idp, pool_id)
        assert len(recorded) == 17 and len({e["EventId"] for e in recorded}) == 17
    finally:
        server.stop()


def test_no_history_is_kept_when_switched_off(data_dir):
    server = Server(data_dir, COGNATE_AUTH_EVENTS_DAYS="0", **ADMIN)
    try:
        idp = cognito(server.url)
        pool_id, client_id = setup(idp)
        sign_in(idp, client_id, "Wrong-Horse1!")
        assert "AuthenticationResult" in sign_in(idp, client_id, PASSWORD)
        assert events(idp, pool_id) == []
    finally:
        server.stop()
