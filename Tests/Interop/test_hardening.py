"""Guessing limits as an attacker meets them, over real HTTP with boto3: the lockout in real time,
per-address limits behind a trusted proxy, and a full hashing queue."""
import concurrent.futures
import json
import math
import threading
import time

import requests
from botocore.exceptions import ClientError

from conftest import ADMIN, Server, cognito

LOCKED = "Password attempts exceeded"


def make_pool(idp, **client):
    pool_id = idp.create_user_pool(PoolName="hardening")["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="app", PreventUserExistenceErrors="ENABLED",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"], **client)["UserPoolClient"]["ClientId"]
    for name in ("victim", "bystander"):
        idp.admin_create_user(UserPoolId=pool_id, Username=name, MessageAction="SUPPRESS")
        idp.admin_set_user_password(UserPoolId=pool_id, Username=name, Password="Corr3ct-Horse!", Permanent=True)
    return pool_id, client_id


def sign_in(idp, client_id, username, password):
    """The error code and message, or ("ok", access token)."""
    try:
        result = idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                   AuthParameters={"USERNAME": username, "PASSWORD": password})
        return "ok", result["AuthenticationResult"]["AccessToken"]
    except ClientError as error:
        return error.response["Error"]["Code"], error.response["Error"]["Message"]


def raw_sign_in(server, client_id, username, password, forwarded=None):
    """InitiateAuth as a bare HTTP call, so the test chooses X-Forwarded-For."""
    headers = {"X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
               "Content-Type": "application/x-amz-json-1.1"}
    if forwarded:
        headers["X-Forwarded-For"] = forwarded
    body = {"ClientId": client_id, "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": username, "PASSWORD": password}}
    answer = requests.post(server.url + "/", data=json.dumps(body), headers=headers, timeout=30)
    return answer.json().get("__type", "ok")


def test_lockout_in_real_time_spares_bystanders_and_lapses(data_dir):
    server = Server(data_dir, **ADMIN)
    try:
        idp = cognito(server.url)
        _, client_id = make_pool(idp)
        for _ in range(5):
            assert sign_in(idp, client_id, "victim", "Wrong-Horse1!") == ("NotAuthorizedException", "Incorrect username or password.")
        # the right password is refused while the lock lasts, for the victim only
        assert sign_in(idp, client_id, "victim", "Corr3ct-Horse!") == ("NotAuthorizedException", LOCKED)
        assert sign_in(idp, client_id, "bystander", "Corr3ct-Horse!")[0] == "ok"
        # a name no one holds is locked the same way: the lockout does not reveal who exists
        for _ in range(5):
            assert sign_in(idp, client_id, "ghost", "Wrong-Horse1!") == ("NotAuthorizedException", "Incorrect username or password.")
        assert sign_in(idp, client_id, "ghost", "Corr3ct-Horse!") == ("NotAuthorizedException", LOCKED)
        # the first lock lasts one second
        time.sleep(1.2)
        assert sign_in(idp, client_id, "victim", "Corr3ct-Horse!")[0] == "ok"
    finally:
        server.stop()


def test_thirty_wrong_passwords_at_once_get_five_guesses(data_dir):
    server = Server(data_dir, **ADMIN)
    try:
        idp = cognito(server.url)
        _, client_id = make_pool(idp)
        clients = [cognito(server.url) for _ in range(30)]
        start = threading.Barrier(30)

        def guess(client):
            start.wait()
            return sign_in(client, client_id, "victim", "Wrong-Horse1!")
        began = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(max_workers=30) as pool:
            answers = list(pool.map(guess, clients))
        took = time.monotonic() - began
        wrong = answers.count(("NotAuthorizedException", "Incorrect username or password."))
        # Five are judged; then the locks last 1, 2, 4... seconds and each lapse lets one more
        # guess be judged. A burst that lasted `took` seconds (a busy machine) can have seen at
        # most log2(took + 1) lapses, so a sixth wrong answer is allowed only after a second.
        lapses = int(math.log2(took + 1))
        assert 5 <= wrong <= 5 + lapses, (wrong, took)
        assert answers.count(("NotAuthorizedException", LOCKED)) == 30 - wrong
    finally:
        server.stop()


def test_failed_sign_ins_are_limited_per_address_behind_a_trusted_proxy(data_dir):
    server = Server(data_dir, COGNATE_ADDRESS_SIGNIN_FAILURES_PER_HOUR="4", COGNATE_TRUSTED_PROXIES="127.0.0.1/32", **ADMIN)
    try:
        idp = cognito(server.url)
        _, client_id = make_pool(idp)
        # successes give their count back: many good sign-ins from one address are fine
        for _ in range(6):
            assert raw_sign_in(server, client_id, "bystander", "Corr3ct-Horse!", forwarded="203.0.113.7") == "ok"
        # four failures (on different names, so no user is locked) use up 203.0.113.5's hour
        for name in ("a1", "a2", "a3", "a4"):
            assert raw_sign_in(server, client_id, name, "Wrong-Horse1!", forwarded="203.0.113.5") == "NotAuthorizedException"
        assert raw_sign_in(server, client_id, "bystander", "Corr3ct-Horse!", forwarded="203.0.113.5") == "TooManyRequestsException"
        # the client cannot choose its address: the proxy appends the real one, and that is what counts
        assert raw_sign_in(server, client_id, "bystander", "Corr3ct-Horse!", forwarded="198.51.100.1, 203.0.113.5") == "TooManyRequestsException"
        # another address is not affected
        assert raw_sign_in(server, client_id, "bystander", "Corr3ct-Horse!", forwarded="203.0.113.6") == "ok"
        # an IPv6 client counts per /64: a new address in the same /64 does not start afresh
        for index in range(4):
            assert raw_sign_in(server, client_id, f"b{index}", "Wrong-Horse1!", forwarded=f"2001:db8:0:1::{index + 1}") == "NotAuthorizedException"
        assert raw_sign_in(server, client_id, "bystander", "Corr3ct-Horse!", forwarded="2001:db8:0:1::99") == "TooManyRequestsException"
        assert raw_sign_in(server, client_id, "bystander", "Corr3ct-Horse!", forwarded="2001:db8:0:2::1") == "ok"
        # many at once from one address cannot outrun the allowance
        with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
            answers = list(pool.map(lambda i: raw_sign_in(server, client_id, f"c{i}", "Wrong-Horse1!", forwarded="203.0.113.50"), range(20)))
        assert answers.count("NotAuthorizedException") == 4 and answers.count("TooManyRequestsException") == 16
    finally:
        server.stop()


def test_without_trusted_proxies_forwarded_addresses_are_ignored(data_dir):
    server = Server(data_dir, COGNATE_ADDRESS_SIGNIN_FAILURES_PER_HOUR="3", **ADMIN)
    try:
        idp = cognito(server.url)
        _, client_id = make_pool(idp)
        for index in range(3):
            assert raw_sign_in(server, client_id, f"d{index}", "Wrong-Horse1!", forwarded=f"198.51.100.{index}") == "NotAuthorizedException"
        assert raw_sign_in(server, client_id, "bystander", "Corr3ct-Horse!", forwarded="198.51.100.200") == "TooManyRequestsException"
    finally:
        server.stop()


def test_a_full_hashing_queue_answers_too_many_requests_never_500(data_dir):
    server = Server(data_dir, COGNATE_HASH_WORKERS="1", COGNATE_HASH_QUEUE_LIMIT="2", COGNATE_ARGON2_ITERATIONS="6", **ADMIN)
    try:
        idp = cognito(server.url)
        _, client_id = make_pool(idp)
        with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
            answers = list(pool.map(lambda i: raw_sign_in(server, client_id, "bystander", "Corr3ct-Horse!"), range(16)))
        assert set(answers) <= {"ok", "TooManyRequestsException"}, answers
        assert "ok" in answers and "TooManyRequestsException" in answers
        assert sign_in(idp, client_id, "bystander", "Corr3ct-Horse!")[0] == "ok"
    finally:
        server.stop()


def test_a_compressed_body_gets_a_clear_400_in_each_faces_format(data_dir):
    """Vapor's decompression closed the connection with no answer on a body that was not gzip."""
    server = Server(data_dir, **ADMIN)
    try:
        [pool_id] = server.pool_ids()
        api = requests.post(server.url + "/", data=b"not gzip", timeout=10, headers={
            "Content-Encoding": "gzip", "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
            "Content-Type": "application/x-amz-json-1.1"})
        assert api.status_code == 400 and api.json()["__type"] == "SerializationException"
        token = requests.post(f"{server.url}/{pool_id}/oauth2/token", data=b"grant_type=x", timeout=10,
                              headers={"Content-Encoding": "gzip", "Content-Type": "application/x-www-form-urlencoded"})
        assert token.status_code == 400 and token.json()["error"] == "invalid_request"
        page = requests.post(f"{server.url}/{pool_id}/login", data=b"username=x", timeout=10,
                             headers={"Content-Encoding": "gzip", "Content-Type": "application/x-www-form-urlencoded"})
        assert page.status_code == 400 and "text/html" in page.headers["Content-Type"] and "could not be read" in page.text
        # an honest gzip body is refused the same way, and the server goes on answering
        import gzip
        real = requests.post(f"{server.url}/{pool_id}/oauth2/token", data=gzip.compress(b"grant_type=x"), timeout=10,
                             headers={"Content-Encoding": "gzip", "Content-Type": "application/x-www-form-urlencoded"})
        assert real.status_code == 400
        assert requests.get(server.url + "/health", timeout=10).status_code == 200
    finally:
        server.stop()


def test_every_node_sweeps_without_failing(data_dir):
    """The sweeper's statements run against the real database as the server runs them
    (what they delete is checked in the store conformance suite)."""
    server = Server(data_dir, COGNATE_SWEEP_SECONDS="1", LOG_LEVEL="debug", **ADMIN)
    try:
        idp = cognito(server.url)
        _, client_id = make_pool(idp)
        assert sign_in(idp, client_id, "victim", "Wrong-Horse1!")[0] == "NotAuthorizedException"
        time.sleep(2.5)
        assert sign_in(idp, client_id, "victim", "Corr3ct-Horse!")[0] == "ok"
        assert "sweep failed" not in server.output()
    finally:
        server.stop()


def test_the_login_form_counts_failures_per_address_too(data_dir):
    from conftest import Form
    server = Server(data_dir, COGNATE_ADDRESS_SIGNIN_FAILURES_PER_HOUR="2", **ADMIN)
    try:
        idp = cognito(server.url)
        pool_id, _ = make_pool(idp)
        client_id = idp.create_user_pool_client(
            UserPoolId=pool_id, ClientName="web", AllowedOAuthFlows=["code"], AllowedOAuthFlowsUserPoolClient=True,
            AllowedOAuthScopes=["openid"], CallbackURLs=["http://localhost:3000/cb"])["UserPoolClient"]["ClientId"]
        query = (f"response_type=code&client_id={client_id}&redirect_uri=http://localhost:3000/cb&scope=openid"
                 "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256")
        session = requests.Session()

        def submit(username, password):
            page = session.get(f"{server.url}/{pool_id}/login?{query}", timeout=10)
            form = Form()
            form.feed(page.text)
            form.fields.update(username=username, password=password)
            return session.post(f"{server.url}{form.action}", data=form.fields, allow_redirects=False, timeout=10)

        # a right password gives its count back
        assert submit("bystander", "Corr3ct-Horse!").status_code == 302
        assert [submit(f"n{i}", "Wrong-Horse1!").status_code for i in range(2)] == [400, 400]
        refused = submit("bystander", "Corr3ct-Horse!")
        assert refused.status_code == 429 and "Too many attempts" in refused.text
    finally:
        server.stop()


def test_one_address_cannot_fill_the_database_with_sign_ins_it_never_finishes(data_dir):
    """Each hosted sign-in started is a stored request: one address may start twenty times
    COGNATE_ADDRESS_LIMIT_PER_HOUR an hour, counted before it is stored, so many at once cannot
    outrun it; another address is not affected."""
    server = Server(data_dir, COGNATE_ADDRESS_LIMIT_PER_HOUR="1", COGNATE_TRUSTED_PROXIES="127.0.0.1", **ADMIN)
    try:
        idp = cognito(server.url)
        pool_id, _ = make_pool(idp)
        client_id = idp.create_user_pool_client(
            UserPoolId=pool_id, ClientName="web", AllowedOAuthFlows=["code"], AllowedOAuthFlowsUserPoolClient=True,
            AllowedOAuthScopes=["openid"], CallbackURLs=["http://localhost:3000/cb"])["UserPoolClient"]["ClientId"]
        query = (f"response_type=code&client_id={client_id}&redirect_uri=http://localhost:3000/cb&scope=openid"
                 "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256")

        def start(address):
            return requests.get(f"{server.url}/{pool_id}/oauth2/authorize?{query}", headers={"X-Forwarded-For": address},
                                allow_redirects=False, timeout=30)

        with concurrent.futures.ThreadPoolExecutor(max_workers=30) as pool:
            answers = list(pool.map(lambda _: start("203.0.113.7"), range(30)))
        started = [a for a in answers if a.status_code == 302]
        refused = [a for a in answers if a.status_code == 429]
        assert len(started) == 20 and len(refused) == 10, [a.status_code for a in answers]
        assert all("/login?request=" in a.headers["Location"] for a in started)
        assert all("Too many attempts" in a.text and "Location" not in a.headers for a in refused)
        assert start("198.51.100.4").status_code == 302, "another address starts as usual"
    finally:
        server.stop()
