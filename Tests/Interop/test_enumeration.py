"""Accounts and names no one holds, compared answer by answer and by answer time, as an attacker
would compare them: every public operation through boto3 and the hosted login form, on a client
that hides which users exist (PreventUserExistenceErrors). The password hashing runs at its
default cost here, so a path that skipped it would stand out from the noise."""
import random
import re
import statistics
import time
from urllib.parse import urljoin

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import ADMIN, Form, Server, cognito

PASSWORD = "Corr3ct-Horse!"
COUNT = 16
CALLBACK = "http://localhost:3000/cb"


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    data_dir = str(tmp_path_factory.mktemp("enumeration"))
    # default Argon2 cost (as deployed), and no per-address limits: this test is one address
    server = Server(data_dir, COGNATE_ARGON2_MEMORY_KIB="19456", COGNATE_ARGON2_ITERATIONS="2",
                    COGNATE_ADDRESS_LIMIT_PER_HOUR="0", COGNATE_ADDRESS_SIGNIN_FAILURES_PER_HOUR="0", **ADMIN)
    try:
        idp = cognito(server.url)
        pool_id = idp.create_user_pool(PoolName="enumeration", AutoVerifiedAttributes=["email"])["UserPool"]["Id"]
        client_id = idp.create_user_pool_client(
            UserPoolId=pool_id, ClientName="app", PreventUserExistenceErrors="ENABLED", GenerateSecret=False,
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            CallbackURLs=[CALLBACK], AllowedOAuthFlows=["code"], AllowedOAuthScopes=["openid"], AllowedOAuthFlowsUserPoolClient=True,
            SupportedIdentityProviders=["COGNITO"])["UserPoolClient"]["ClientId"]
        for index in range(COUNT):
            name = f"known{index}"
            idp.admin_create_user(UserPoolId=pool_id, Username=name, MessageAction="SUPPRESS", UserAttributes=[
                {"Name": "email", "Value": f"{name}@example.com"}, {"Name": "email_verified", "Value": "true"}])
            idp.admin_set_user_password(UserPoolId=pool_id, Username=name, Password=PASSWORD, Permanent=True)
        yield server, idp, pool_id, client_id
    finally:
        server.stop()


def outcome(call, **kwargs):
    """What an attacker sees of a call: the error code and message, or the answer's fields
    with the values that differ by name (masked addresses, SRP numbers) reduced to their shape."""
    try:
        answer = call(**kwargs)
    except ClientError as error:
        return ("error", error.response["Error"]["Code"], error.response["Error"]["Message"])
    answer.pop("ResponseMetadata", None)
    text = repr(answer)
    text = re.sub(r"[a-z]\*\*\*@[a-z]\*\*\*", "MASK", text)
    text = re.sub(r"'(SRP_B|SALT|SECRET_BLOCK)': '[^']*'", r"'\1': VALUE", text)
    return ("ok", re.sub(r"(known|nobody)\d+", "NAME", text))


def compare(label, attempt):
    """Runs `attempt(name)` for accounts and unknown names in pairs, each pair back to back in a
    random order; the answers must be alike, and the median of the pairs' differences within
    noise (pairs, so a busy moment of the machine slows both sides of one pair, not one side of
    the medians)."""
    answers = {"known": set(), "nobody": set()}
    times = {"known": [], "nobody": []}
    for index in range(COUNT):
        pair = [("known", f"known{index}"), ("nobody", f"nobody{index}")]
        random.shuffle(pair)
        for kind, name in pair:
            start = time.perf_counter()
            answers[kind].add(attempt(name))
            times[kind].append(time.perf_counter() - start)
    assert answers["known"] == answers["nobody"] and len(answers["known"]) == 1, f"{label}: {answers}"
    known, nobody = statistics.median(times["known"]), statistics.median(times["nobody"])
    difference = statistics.median(k - n for k, n in zip(times["known"], times["nobody"]))
    print(f"{label}: median {known * 1000:.1f} ms for accounts, {nobody * 1000:.1f} ms for names no one holds, "
          f"median difference of a pair {difference * 1000:+.1f} ms")
    assert abs(difference) <= max(0.25 * min(known, nobody), 0.005), \
        f"{label}: accounts took {difference * 1000:+.1f} ms more than names no one holds ({known * 1000:.1f} against {nobody * 1000:.1f} ms)"


def test_a_wrong_password(pool):
    _, idp, _, client_id = pool
    compare("InitiateAuth USER_PASSWORD_AUTH", lambda name: outcome(
        idp.initiate_auth, ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": name, "PASSWORD": "Wrong-Horse1!"}))


def test_the_start_of_srp(pool):
    _, idp, _, client_id = pool
    srp_a = format(random.getrandbits(3072) | 1, "x")
    compare("InitiateAuth USER_SRP_AUTH", lambda name: outcome(
        idp.initiate_auth, ClientId=client_id, AuthFlow="USER_SRP_AUTH", AuthParameters={"USERNAME": name, "SRP_A": srp_a}))
    # the salt is the same on every call, for an account as for a name no one holds
    for name in ("known0", "nobody0"):
        salts = {idp.initiate_auth(ClientId=client_id, AuthFlow="USER_SRP_AUTH",
                                   AuthParameters={"USERNAME": name, "SRP_A": srp_a})["ChallengeParameters"]["SALT"] for _ in range(3)}
        assert len(salts) == 1, name


def test_code_requests_and_wrong_codes(pool):
    _, idp, _, client_id = pool
    compare("ForgotPassword", lambda name: outcome(idp.forgot_password, ClientId=client_id, Username=name))
    compare("ConfirmForgotPassword", lambda name: outcome(
        idp.confirm_forgot_password, ClientId=client_id, Username=name, ConfirmationCode="000000", Password="N3w-Passw0rd!"))
    # the accounts are confirmed already: a confirmation code is neither sent nor accepted, as for no one
    compare("ResendConfirmationCode", lambda name: outcome(idp.resend_confirmation_code, ClientId=client_id, Username=name))
    compare("ConfirmSignUp", lambda name: outcome(idp.confirm_sign_up, ClientId=client_id, Username=name, ConfirmationCode="000000"))


def test_the_hosted_login_form(pool):
    server, _, pool_id, client_id = pool

    def attempt(name):
        browser = requests.Session()
        first = browser.get(f"{server.url}/{pool_id}/oauth2/authorize", params={
            "response_type": "code", "client_id": client_id, "redirect_uri": CALLBACK, "scope": "openid",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "code_challenge_method": "S256"}, allow_redirects=False)
        page = browser.get(urljoin(server.url, first.headers["Location"]))
        form = Form()
        form.feed(page.text)
        form.fields.update(username=name, password="Wrong-Horse1!")
        answer = browser.post(urljoin(page.url, form.action), data=form.fields, allow_redirects=False)
        body = re.sub(r'name="(_csrf|request)" value="[^"]*"', "", answer.text).replace(name, "NAME")
        body = re.sub(r"request=[A-Za-z0-9_-]{43}", "request=ID", body)  # each sign-in's own request
        return (answer.status_code, tuple(sorted(answer.cookies.keys())), body)

    compare("POST /login", attempt)
