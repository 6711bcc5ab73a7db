"""Choice-based sign-in (Cognito's USER_AUTH) through boto3: the pool's SignInPolicy offers
PASSWORD and EMAIL_OTP; a user picks from AvailableChallenges (SELECT_CHALLENGE) or names a
PREFERRED_CHALLENGE, and a code mailed to a real SMTP server (aiosmtpd) signs in with no
password at all; the password, sent or proven by SRP (pycognito's math), still works. Names no
one holds get the same shapes, and a code that "went out" to them is a wrong code."""
import re

import pytest
from pycognito.aws_srp import AWSSRP, long_to_hex

import smtp_server
from conftest import ADMIN, Server, at_once, cognito, free_port, refused

PASSWORD = "Corr3ct-Horse!"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    port = free_port()
    controller, inbox = smtp_server.start(port)
    server = Server(str(tmp_path_factory.mktemp("choice")), COGNATE_SMTP_URL=f"smtp://127.0.0.1:{port}",
                    COGNATE_MAIL_FROM="no-reply@cognate.test", **ADMIN)
    idp = cognito(server.url)
    pool = idp.create_user_pool(PoolName="passwordless", MfaConfiguration="OPTIONAL", AutoVerifiedAttributes=["email"],
                                Policies={"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]}})["UserPool"]
    client = idp.create_user_pool_client(UserPoolId=pool["Id"], ClientName="app",
                                         ExplicitAuthFlows=["ALLOW_USER_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])["UserPoolClient"]["ClientId"]
    for name, verified in [("pia", True), ("quin", False)]:
        idp.admin_create_user(UserPoolId=pool["Id"], Username=name, MessageAction="SUPPRESS", UserAttributes=[
            {"Name": "email", "Value": f"{name}@example.com"}, {"Name": "email_verified", "Value": "true" if verified else "false"}])
        idp.admin_set_user_password(UserPoolId=pool["Id"], Username=name, Password=PASSWORD, Permanent=True)
    read = set()

    def code_for(name):
        import time
        deadline = time.time() + 15
        while time.time() < deadline:
            fresh = [n for n, mail in enumerate(inbox.messages) if mail["to"] == [f"{name}@example.com"] and n not in read]
            if fresh:
                read.add(fresh[-1])
                return re.search(r"(\d{6})", inbox.messages[fresh[-1]]["message"].get_body(preferencelist=("plain",)).get_content()).group(1)
            time.sleep(0.05)
        raise AssertionError(f"no new mail to {name}")
    yield idp, pool, client, code_for, inbox
    server.stop()
    controller.stop()


def user_auth(idp, client, name, **parameters):
    return idp.initiate_auth(ClientId=client, AuthFlow="USER_AUTH", AuthParameters={"USERNAME": name, **parameters})


def answer(idp, client, challenge, name, **responses):
    return idp.respond_to_auth_challenge(ClientId=client, ChallengeName=challenge["ChallengeName"], Session=challenge["Session"],
                                         ChallengeResponses={"USERNAME": name, **responses})


def test_an_emailed_code_signs_in_without_a_password(world):
    idp, pool, client, code_for, _ = world
    assert idp.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]["Policies"]["SignInPolicy"] == {
        "AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]}
    select = user_auth(idp, client, "pia")
    assert select["ChallengeName"] == "SELECT_CHALLENGE" and select["AvailableChallenges"] == ["PASSWORD", "PASSWORD_SRP", "EMAIL_OTP"]
    otp = answer(idp, client, select, "pia", ANSWER="EMAIL_OTP")
    assert otp["ChallengeName"] == "EMAIL_OTP" and otp["ChallengeParameters"]["CODE_DELIVERY_DESTINATION"] == "p***@e***"
    signed_in = answer(idp, client, otp, "pia", EMAIL_OTP_CODE=code_for("pia"))["AuthenticationResult"]
    assert idp.get_user(AccessToken=signed_in["AccessToken"])["Username"] == "pia" and signed_in["RefreshToken"]
    refused(lambda: answer(idp, client, select, "pia", ANSWER="EMAIL_OTP"), "NotAuthorizedException")  # a choice is made once
    # straight to the code; a wrong one, then the right one, then that one again
    otp = user_auth(idp, client, "pia", PREFERRED_CHALLENGE="EMAIL_OTP")
    code = code_for("pia")
    refused(lambda: answer(idp, client, otp, "pia", EMAIL_OTP_CODE="000000" if code != "000000" else "111111"), "CodeMismatchException")
    wrong = idp.admin_list_user_auth_events(UserPoolId=pool["Id"], Username="pia")["AuthEvents"][0]
    assert (wrong["EventType"], wrong["EventResponse"], wrong["ChallengeResponses"]) == (
        "SignIn", "Fail", [{"ChallengeName": "Mfa", "ChallengeResponse": "Failure"}]), wrong  # recorded, and without a password step
    assert "AuthenticationResult" in answer(idp, client, otp, "pia", EMAIL_OTP_CODE=code)
    passed = idp.admin_list_user_auth_events(UserPoolId=pool["Id"], Username="pia")["AuthEvents"]
    assert passed[0]["EventId"] == wrong["EventId"] and (passed[0]["EventResponse"], passed[0]["ChallengeResponses"]) == (
        "Pass", [{"ChallengeName": "Mfa", "ChallengeResponse": "Success"}]), passed[0]
    assert (passed[1]["EventResponse"], passed[1]["ChallengeResponses"]) == (
        "Pass", [{"ChallengeName": "Mfa", "ChallengeResponse": "Success"}]), passed[1]  # the first sign-in, through SELECT_CHALLENGE
    refused(lambda: answer(idp, client, otp, "pia", EMAIL_OTP_CODE=code), "CodeMismatchException")  # the code is spent
    # eight answers at once with one right code: one signs in
    otp = user_auth(idp, client, "pia", PREFERRED_CHALLENGE="EMAIL_OTP")
    code = code_for("pia")
    results = at_once([lambda: answer(idp, client, otp, "pia", EMAIL_OTP_CODE=code) for _ in range(8)])
    assert sum(1 for r in results if isinstance(r, dict) and "AuthenticationResult" in r) == 1, results
    assert idp.get_user_auth_factors(AccessToken=signed_in["AccessToken"])["ConfiguredUserAuthFactors"] == ["PASSWORD", "EMAIL_OTP"]
    assert idp.admin_get_user_auth_factors(UserPoolId=pool["Id"], Username="quin")["ConfiguredUserAuthFactors"] == ["PASSWORD"]


def test_the_password_is_still_a_choice_sent_or_proven_by_srp(world):
    idp, pool, client, _, _ = world
    assert "AuthenticationResult" in user_auth(idp, client, "pia", PREFERRED_CHALLENGE="PASSWORD", PASSWORD=PASSWORD)
    refused(lambda: user_auth(idp, client, "pia", PREFERRED_CHALLENGE="PASSWORD", PASSWORD="Wrong-Horse!1"), "NotAuthorizedException")
    refused(lambda: user_auth(idp, client, "pia", PREFERRED_CHALLENGE="PASSWORD"), "InvalidParameterException")
    select = user_auth(idp, client, "pia")
    assert "AuthenticationResult" in answer(idp, client, select, "pia", ANSWER="PASSWORD", PASSWORD=PASSWORD)
    srp = AWSSRP(username="pia", password=PASSWORD, pool_id=pool["Id"], client_id=client, client=idp)
    verifier = user_auth(idp, client, "pia", PREFERRED_CHALLENGE="PASSWORD_SRP", SRP_A=long_to_hex(srp.large_a_value))
    assert verifier["ChallengeName"] == "PASSWORD_VERIFIER"
    proof = srp.process_challenge(verifier["ChallengeParameters"], {"USERNAME": "pia"})
    assert "AuthenticationResult" in idp.respond_to_auth_challenge(ClientId=client, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=proof)


def test_refusals_and_names_no_one_holds(world):
    idp, pool, client, _, inbox = world
    # a name no one holds: the same offer, a code that "goes out", and a wrong code whatever is typed
    select = user_auth(idp, client, "nobody@example.com")
    assert select["ChallengeName"] == "SELECT_CHALLENGE" and select["AvailableChallenges"] == ["PASSWORD", "PASSWORD_SRP", "EMAIL_OTP"]
    mails = len(inbox.messages)
    otp = user_auth(idp, client, "nobody@example.com", PREFERRED_CHALLENGE="EMAIL_OTP")
    assert otp["ChallengeName"] == "EMAIL_OTP" and otp["ChallengeParameters"]["CODE_DELIVERY_DESTINATION"] == "n***@e***"
    refused(lambda: answer(idp, client, otp, "nobody@example.com", EMAIL_OTP_CODE="123456"), "CodeMismatchException")
    assert len(inbox.messages) == mails
    # an account without a verified address is not offered the code
    assert user_auth(idp, client, "quin")["AvailableChallenges"] == ["PASSWORD", "PASSWORD_SRP"]
    refused(lambda: user_auth(idp, client, "quin", PREFERRED_CHALLENGE="EMAIL_OTP"), "InvalidParameterException")
    refused(lambda: user_auth(idp, client, "pia", PREFERRED_CHALLENGE="WEB_AUTHN"), "InvalidParameterException")
    # a client without ALLOW_USER_AUTH, a pool that offers the password only
    other = idp.create_user_pool_client(UserPoolId=pool["Id"], ClientName="classic", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"])
    refused(lambda: user_auth(idp, other["UserPoolClient"]["ClientId"], "pia"), "InvalidParameterException")
    plain = idp.create_user_pool(PoolName="password-only")["UserPool"]
    assert plain["Policies"]["SignInPolicy"] == {"AllowedFirstAuthFactors": ["PASSWORD"]}
    # the pool's policy: PASSWORD always, nothing Cognate does not offer, no codes as first factor where MFA is required
    for policy, mfa in [(["EMAIL_OTP"], "OPTIONAL"), (["PASSWORD", "FACE_ID"], "OPTIONAL"), (["PASSWORD", "EMAIL_OTP"], "ON")]:
        refused(lambda: idp.update_user_pool(UserPoolId=pool["Id"], MfaConfiguration=mfa, AutoVerifiedAttributes=["email"],
                                             Policies={"SignInPolicy": {"AllowedFirstAuthFactors": policy}}), "InvalidParameterException")
    assert idp.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]["Policies"]["SignInPolicy"]["AllowedFirstAuthFactors"] == ["PASSWORD", "EMAIL_OTP"]


def test_email_me_a_code_on_the_hosted_sign_in_page(world):
    """The sign-in page's "Email me a code": the code page, the mailed code, the app with a code; a
    name no one holds and an account without a verified address get the same page and no mail."""
    import html as htmllib
    import requests
    from conftest import Form
    idp, pool, _, code_for, inbox = world
    server_url = idp.meta.endpoint_url
    web = idp.create_user_pool_client(UserPoolId=pool["Id"], ClientName="web", AllowedOAuthFlows=["code"], AllowedOAuthFlowsUserPoolClient=True,
                                      AllowedOAuthScopes=["openid"], CallbackURLs=["http://localhost:3000/cb"])["UserPoolClient"]["ClientId"]
    query = (f"response_type=code&client_id={web}&redirect_uri=http://localhost:3000/cb&scope=openid"
             "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256")

    def code_page(name):
        session = requests.Session()
        page = session.get(f"{server_url}/{pool['Id']}/oauth2/authorize?{query}")
        assert page.status_code == 200 and 'name="email_code"' in page.text, page.text
        form = Form()
        form.feed(page.text)
        fields = dict(form.fields, username=name, email_code="1")
        fields.pop("password", None)
        answer = session.post(f"{server_url}/{pool['Id']}/login", data=fields)
        assert answer.status_code == 200, answer.text
        return session, htmllib.unescape(answer.text)
    mails = len(inbox.messages)
    session, page = code_page("pia")
    assert "p***@e***" in page and 'name="challenge" value="EMAIL_OTP"' in page
    form = Form()
    form.feed(page)
    wrong = session.post(f"{server_url}/{pool['Id']}/mfa", data=dict(form.fields, code="000000"), allow_redirects=False)
    assert wrong.status_code == 400
    code = code_for("pia")
    done = session.post(f"{server_url}/{pool['Id']}/mfa", data=dict(form.fields, code=code), allow_redirects=False)
    assert done.status_code in (302, 303) and done.headers["Location"].startswith("http://localhost:3000/cb?code="), done.text
    # no one by that name, and an account whose address is not verified: the same page, no mail, no code that works
    for name in ("nobody@example.com", "quin"):
        session, page = code_page(name)
        form = Form()
        form.feed(page)
        assert session.post(f"{server_url}/{pool['Id']}/mfa", data=dict(form.fields, code="123456"), allow_redirects=False).status_code == 400
        assert 'name="challenge" value="EMAIL_OTP"' in page and re.search(r"sent a code by email to \w\*\*\*@\w\*\*\*", page), name
    assert len(inbox.messages) == mails + 1
