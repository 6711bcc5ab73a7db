"""Accounts through boto3, with codes read from a real SMTP server (aiosmtpd): sign-up,
confirmation, sign-in, forgotten password, and Cognito's errors on the way."""
import re

import pytest
from botocore.exceptions import ClientError

import smtp_server
from conftest import ADMIN, Server, cognito, free_port


@pytest.fixture
def mailed(data_dir):
    """A running Cognate that sends mail to a test SMTP server; a pool verifying email at
    sign-up and a public client allowing password sign-in."""
    port = free_port()
    controller, inbox = smtp_server.start(port)
    server = Server(data_dir, COGNATE_SMTP_URL=f"smtp://127.0.0.1:{port}", COGNATE_MAIL_FROM="no-reply@cognate.test", **ADMIN)
    try:
        idp = cognito(server.url)
        pool_id = idp.create_user_pool(
            PoolName="accounts", AutoVerifiedAttributes=["email"], UsernameAttributes=["email"],
            VerificationMessageTemplate={"EmailSubject": "Your Cognate code", "EmailMessage": "Your code is {####}."},
        )["UserPool"]["Id"]
        client_id = idp.create_user_pool_client(
            UserPoolId=pool_id, ClientName="app", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )["UserPoolClient"]["ClientId"]
        yield idp, pool_id, client_id, inbox
    finally:
        server.stop()
        controller.stop()


def code_from(inbox, count, to):
    """The six-digit code in message number `count` (1-based), which must go to `to`."""
    received = inbox.wait(count)[count - 1]
    assert received["to"] == [to]
    assert received["message"]["Subject"] == "Your Cognate code"
    body = received["message"].get_body(preferencelist=("plain",)).get_content()
    return re.search(r"Your code is (\d{6})\.", body).group(1)


def error_code(call, **kwargs):
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]["Code"]


def test_sign_up_confirm_sign_in_forget_and_reset(mailed):
    idp, pool_id, client_id, inbox = mailed
    email = "pat@example.com"
    signed_up = idp.sign_up(ClientId=client_id, Username=email, Password="Corr3ct-Horse!")
    assert signed_up["UserConfirmed"] is False
    assert signed_up["CodeDeliveryDetails"] == {"Destination": "p***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}
    code = code_from(inbox, 1, email)

    # not confirmed yet, and a wrong code is refused
    assert error_code(idp.initiate_auth, ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                      AuthParameters={"USERNAME": email, "PASSWORD": "Corr3ct-Horse!"}) == "UserNotConfirmedException"
    wrong = "000000" if code != "000000" else "111111"
    assert error_code(idp.confirm_sign_up, ClientId=client_id, Username=email, ConfirmationCode=wrong) == "CodeMismatchException"
    idp.confirm_sign_up(ClientId=client_id, Username=email, ConfirmationCode=code)
    user = idp.admin_get_user(UserPoolId=pool_id, Username=email)
    assert user["UserStatus"] == "CONFIRMED"
    assert {"Name": "email_verified", "Value": "true"} in user["UserAttributes"]

    tokens = idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                               AuthParameters={"USERNAME": email, "PASSWORD": "Corr3ct-Horse!"})["AuthenticationResult"]
    assert idp.get_user(AccessToken=tokens["AccessToken"])["Username"] == signed_up["UserSub"]

    # the same address again is taken
    assert error_code(idp.sign_up, ClientId=client_id, Username=email, Password="Corr3ct-Horse!") == "UsernameExistsException"

    # forgotten password: a code by the verified email, the policy on the new password, old tokens ended
    forgot = idp.forgot_password(ClientId=client_id, Username=email)
    assert forgot["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    reset_code = code_from(inbox, 2, email)
    assert error_code(idp.confirm_forgot_password, ClientId=client_id, Username=email, ConfirmationCode=reset_code,
                      Password="short") == "InvalidPasswordException"
    idp.confirm_forgot_password(ClientId=client_id, Username=email, ConfirmationCode=reset_code, Password="N3w-Passw0rd!")
    assert error_code(idp.confirm_forgot_password, ClientId=client_id, Username=email, ConfirmationCode=reset_code,
                      Password="Oth3r-Passw0rd!") == "CodeMismatchException", "a code works once"
    assert error_code(idp.initiate_auth, ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                      AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]}) == "NotAuthorizedException"
    assert error_code(idp.initiate_auth, ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                      AuthParameters={"USERNAME": email, "PASSWORD": "Corr3ct-Horse!"}) == "NotAuthorizedException"
    fresh = idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                              AuthParameters={"USERNAME": email, "PASSWORD": "N3w-Passw0rd!"})["AuthenticationResult"]

    # and a signed-in user changes the password with the previous one
    assert error_code(idp.change_password, PreviousPassword="Wrong-Passw0rd!", ProposedPassword="Thr33-Passw0rd!",
                      AccessToken=fresh["AccessToken"]) == "NotAuthorizedException"
    idp.change_password(PreviousPassword="N3w-Passw0rd!", ProposedPassword="Thr33-Passw0rd!", AccessToken=fresh["AccessToken"])
    idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                      AuthParameters={"USERNAME": email, "PASSWORD": "Thr33-Passw0rd!"})


def test_resends_are_limited_and_unknown_users_are_not_revealed(mailed):
    idp, _, client_id, inbox = mailed
    email = "quinn@example.com"
    idp.sign_up(ClientId=client_id, Username=email, Password="Corr3ct-Horse!")
    for _ in range(4):
        idp.resend_confirmation_code(ClientId=client_id, Username=email)
    assert error_code(idp.resend_confirmation_code, ClientId=client_id, Username=email) == "LimitExceededException"
    # the last code sent still confirms (mails may arrive out of the order they were sent in: the
    # newest code is among the last arrivals, and the first that confirms must be the only one)
    codes = [code_from(inbox, count, email) for count in range(5, 0, -1)]
    confirmed = []
    for code in codes[:2]:
        if not confirmed:
            try:
                idp.confirm_sign_up(ClientId=client_id, Username=email, ConfirmationCode=code)
                confirmed.append(code)
            except idp.exceptions.CodeMismatchException:
                pass
    assert confirmed, codes

    # the client hides which users exist (PreventUserExistenceErrors, on by default)
    ghost = idp.forgot_password(ClientId=client_id, Username="ghost@example.com")
    assert ghost["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    assert error_code(idp.confirm_sign_up, ClientId=client_id, Username="ghost@example.com",
                      ConfirmationCode="123456") == "CodeMismatchException"
    assert len(inbox.messages) == 5, "nothing is sent for an unknown user"
    assert error_code(idp.sign_up, ClientId=client_id, Username="not-an-email", Password="Corr3ct-Horse!") == "InvalidParameterException"


def test_authenticator_app_with_pyotp(data_dir):
    """SignUp → ConfirmSignUp → InitiateAuth → AssociateSoftwareToken / VerifySoftwareToken with
    codes from pyotp → SetUserMFAPreference → a SOFTWARE_TOKEN_MFA sign-in → reset."""
    import time

    import pyotp
    port = free_port()
    controller, inbox = smtp_server.start(port)
    server = Server(data_dir, COGNATE_SMTP_URL=f"smtp://127.0.0.1:{port}", COGNATE_MAIL_FROM="no-reply@cognate.test", **ADMIN)
    try:
        idp = cognito(server.url)
        pool_id = idp.create_user_pool(PoolName="totp", AutoVerifiedAttributes=["email"], MfaConfiguration="OPTIONAL",
                                       VerificationMessageTemplate={"EmailSubject": "Your Cognate code", "EmailMessage": "Your code is {####}."},
                                       )["UserPool"]["Id"]
        client_id = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="app",
                                                ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])["UserPoolClient"]["ClientId"]
        # as a Cognito app's set-up does: offer the authenticator only
        configured = idp.set_user_pool_mfa_config(UserPoolId=pool_id, MfaConfiguration="OPTIONAL",
                                                  SoftwareTokenMfaConfiguration={"Enabled": True})
        assert configured["MfaConfiguration"] == "OPTIONAL" and configured["SoftwareTokenMfaConfiguration"] == {"Enabled": True}
        assert "EmailMfaConfiguration" not in idp.get_user_pool_mfa_config(UserPoolId=pool_id)
        idp.sign_up(ClientId=client_id, Username="tess", Password="Corr3ct-Horse!",
                    UserAttributes=[{"Name": "email", "Value": "tess@example.com"}])
        idp.confirm_sign_up(ClientId=client_id, Username="tess", ConfirmationCode=code_from(inbox, 1, "tess@example.com"))

        def password_sign_in(password="Corr3ct-Horse!"):
            return idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                     AuthParameters={"USERNAME": "tess", "PASSWORD": password})

        access = password_sign_in()["AuthenticationResult"]["AccessToken"]
        secret = idp.associate_software_token(AccessToken=access)["SecretCode"]
        totp = pyotp.TOTP(secret)
        assert error_code(idp.verify_software_token, AccessToken=access, UserCode="000000" if totp.now() != "000000" else "111111") \
            == "EnableSoftwareTokenMFAException"
        assert idp.verify_software_token(AccessToken=access, UserCode=totp.now(), FriendlyDeviceName="phone")["Status"] == "SUCCESS"
        idp.set_user_mfa_preference(AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
        user = idp.get_user(AccessToken=access)
        assert user["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"] and user["PreferredMfaSetting"] == "SOFTWARE_TOKEN_MFA"

        challenge = password_sign_in()
        assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA" and "AuthenticationResult" not in challenge
        assert error_code(idp.respond_to_auth_challenge, ClientId=client_id, ChallengeName="SOFTWARE_TOKEN_MFA", Session=challenge["Session"],
                          ChallengeResponses={"USERNAME": "tess", "SOFTWARE_TOKEN_MFA_CODE": "000000"}) == "CodeMismatchException"
        # the code of the next step (one step of drift is allowed; the current one was just used)
        next_code = totp.at(time.time() + 30)
        tokens = idp.respond_to_auth_challenge(ClientId=client_id, ChallengeName="SOFTWARE_TOKEN_MFA", Session=challenge["Session"],
                                               ChallengeResponses={"USERNAME": "tess", "SOFTWARE_TOKEN_MFA_CODE": next_code})
        assert idp.get_user(AccessToken=tokens["AuthenticationResult"]["AccessToken"])["Username"] == "tess"
        again = password_sign_in()
        assert error_code(idp.respond_to_auth_challenge, ClientId=client_id, ChallengeName="SOFTWARE_TOKEN_MFA", Session=again["Session"],
                          ChallengeResponses={"USERNAME": "tess", "SOFTWARE_TOKEN_MFA_CODE": next_code}) == "ExpiredCodeException", \
            "a used code is refused as Cognito refuses it"

        # a forgotten password is reset by email; the authenticator is still asked for afterwards
        idp.forgot_password(ClientId=client_id, Username="tess")
        idp.confirm_forgot_password(ClientId=client_id, Username="tess", ConfirmationCode=code_from(inbox, 2, "tess@example.com"),
                                    Password="N3w-Passw0rd!")
        assert password_sign_in("N3w-Passw0rd!")["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    finally:
        server.stop()
        controller.stop()


def test_changing_the_email_waits_for_its_code(mailed):
    """UpdateUserAttributes keeps the verified address in use until the new one's code comes
    back (VerifyUserAttribute); then the new address signs in and the old one does not."""
    idp, _, client_id, inbox = mailed
    idp.sign_up(ClientId=client_id, Username="una@example.com", Password="Corr3ct-Horse!")
    idp.confirm_sign_up(ClientId=client_id, Username="una@example.com", ConfirmationCode=code_from(inbox, 1, "una@example.com"))

    def sign_in(email):
        return idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                 AuthParameters={"USERNAME": email, "PASSWORD": "Corr3ct-Horse!"})["AuthenticationResult"]

    access = sign_in("una@example.com")["AccessToken"]
    changed = idp.update_user_attributes(AccessToken=access, UserAttributes=[{"Name": "email", "Value": "una.new@example.com"}])
    assert changed["CodeDeliveryDetailsList"] == [{"Destination": "u***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}]
    attributes = {a["Name"]: a["Value"] for a in idp.get_user(AccessToken=access)["UserAttributes"]}
    assert attributes["email"] == "una@example.com" and attributes["email_verified"] == "true"
    sign_in("una@example.com")

    assert error_code(idp.verify_user_attribute, AccessToken=access, AttributeName="email", Code="000000") == "CodeMismatchException"
    idp.verify_user_attribute(AccessToken=access, AttributeName="email", Code=code_from(inbox, 2, "una.new@example.com"))
    attributes = {a["Name"]: a["Value"] for a in idp.get_user(AccessToken=access)["UserAttributes"]}
    assert attributes["email"] == "una.new@example.com" and attributes["email_verified"] == "true"
    sign_in("una.new@example.com")
    assert error_code(idp.initiate_auth, ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                      AuthParameters={"USERNAME": "una@example.com", "PASSWORD": "Corr3ct-Horse!"}) == "NotAuthorizedException"


def test_a_flood_from_one_address_is_slowed(data_dir):
    """Sign-ups and code requests are counted per client address (COGNATE_ADDRESS_LIMIT_PER_HOUR),
    in the API and on the hosted pages alike."""
    server = Server(data_dir, COGNATE_ADDRESS_LIMIT_PER_HOUR="3", **ADMIN)
    try:
        idp = cognito(server.url)
        pool_id = idp.create_user_pool(PoolName="flood")["UserPool"]["Id"]
        client_id = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="app", AllowedOAuthFlows=["code"],
                                                AllowedOAuthFlowsUserPoolClient=True, AllowedOAuthScopes=["openid"],
                                                CallbackURLs=["http://localhost:3000/cb"])["UserPoolClient"]["ClientId"]
        for name in ("f1", "f2", "f3"):
            idp.sign_up(ClientId=client_id, Username=name, Password="Corr3ct-Horse!")
        assert error_code(idp.sign_up, ClientId=client_id, Username="f4", Password="Corr3ct-Horse!") == "TooManyRequestsException"
        assert error_code(idp.admin_get_user, UserPoolId=pool_id, Username="f4") == "UserNotFoundException", "nothing was made"
        # the hosted sign-up page counts against the same allowance
        import requests
        from conftest import Form
        query = (f"response_type=code&client_id={client_id}&redirect_uri=http://localhost:3000/cb&scope=openid"
                 "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256")
        session = requests.Session()
        page = session.get(f"{server.url}/{pool_id}/signup?{query}")
        assert page.status_code == 200, page.text
        form = Form()
        form.feed(page.text)
        form.fields.update(username="f5", password="Corr3ct-Horse!", confirm_password="Corr3ct-Horse!")
        refused = session.post(f"{server.url}{form.action}", data=form.fields)
        assert refused.status_code == 429 and "Too many attempts" in refused.text
        # password resets have their own allowance
        for _ in range(3):
            idp.forgot_password(ClientId=client_id, Username="nobody")
        assert error_code(idp.forgot_password, ClientId=client_id, Username="nobody") == "TooManyRequestsException"
    finally:
        server.stop()


def test_thirty_wrong_reset_codes_at_once_cannot_outrun_the_limit(mailed):
    """Guesses sent together are each counted before they are judged: at most five are judged,
    and after them even the right code is refused until a new one is asked for."""
    import concurrent.futures
    idp, pool_id, client_id, inbox = mailed
    email = "race@example.com"
    idp.admin_create_user(UserPoolId=pool_id, Username=email, MessageAction="SUPPRESS",
                          UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}])
    idp.admin_set_user_password(UserPoolId=pool_id, Username=email, Password="Corr3ct-Horse!", Permanent=True)
    idp.forgot_password(ClientId=client_id, Username=email)
    code = code_from(inbox, 1, email)
    wrong = [f"{(int(code) + offset) % 1_000_000:06d}" for offset in range(1, 31)]

    def guess(candidate):
        try:
            cognito(idp.meta.endpoint_url).confirm_forgot_password(ClientId=client_id, Username=email, ConfirmationCode=candidate,
                                                                  Password="N3w-Passw0rd!!")
            return "accepted"
        except ClientError as error:
            return error.response["Error"]["Code"]

    with concurrent.futures.ThreadPoolExecutor(max_workers=30) as pool:
        answers = list(pool.map(guess, wrong))
    assert "accepted" not in answers
    assert answers.count("CodeMismatchException") <= 5, answers
    assert answers.count("CodeMismatchException") + answers.count("TooManyFailedAttemptsException") == 30, answers
    assert guess(code) == "TooManyFailedAttemptsException", "the right code after the limit"
    assert error_code(idp.initiate_auth, ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                      AuthParameters={"USERNAME": email, "PASSWORD": "N3w-Passw0rd!!"}) == "NotAuthorizedException"


def test_answers_do_not_wait_on_the_mail_server(data_dir):
    """A mail server that accepts and never speaks: ForgotPassword for a real account still
    answers at once (the message waits in the outbox), as it does for a name no one holds."""
    import socket
    import threading
    import botocore
    import boto3
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held = []
    threading.Thread(target=lambda: [held.append(listener.accept()) for _ in range(8)], daemon=True).start()
    server = Server(data_dir, COGNATE_SMTP_URL=f"smtp://127.0.0.1:{listener.getsockname()[1]}", COGNATE_MAIL_FROM="no-reply@cognate.test", **ADMIN)
    try:
        idp = cognito(server.url)
        pool_id = idp.create_user_pool(PoolName="slowmail", AutoVerifiedAttributes=["email"])["UserPool"]["Id"]
        client_id = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="app")["UserPoolClient"]["ClientId"]
        idp.admin_create_user(UserPoolId=pool_id, Username="sam", MessageAction="SUPPRESS",
                              UserAttributes=[{"Name": "email", "Value": "sam@example.com"}, {"Name": "email_verified", "Value": "true"}])
        impatient = boto3.client("cognito-idp", endpoint_url=server.url, region_name="local",
                                 config=botocore.config.Config(signature_version=botocore.UNSIGNED, read_timeout=5,
                                                               retries={"max_attempts": 1}))
        real = impatient.forgot_password(ClientId=client_id, Username="sam")["CodeDeliveryDetails"]
        ghost = impatient.forgot_password(ClientId=client_id, Username="nobody")["CodeDeliveryDetails"]
        assert real["DeliveryMedium"] == ghost["DeliveryMedium"] == "EMAIL"
    finally:
        server.stop()
        listener.close()
