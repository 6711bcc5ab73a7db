"""Custom authentication (CUSTOM_AUTH) as Cognito runs it: the pool's Define, Create and Verify
auth challenge functions, written for Cognito's events and unchanged behind the webhook wrapper,
drive the sign-in through boto3; SRP_A and PASSWORD_VERIFIER within the flow with pycognito's SRP
client; the session list, the private parameters kept from the app, one answer per session, and
Cognito's errors when the functions are missing, refuse, or answer nonsense."""
import base64
import os
import secrets
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP

from conftest import ADMIN, Server, claims, cognito, refused
from webhook_receiver import Receiver

SECRET = "whsec_" + base64.b64encode(b"the custom auth secret, 32 bytes").decode()
POOL = "local_CustomAu1"
BARE = "local_CustomAu2"
CONFIG = """
pools:
  - name: custom
    id: %(pool)s
    triggerSecret: %(secret)s
    lambdaConfig:
      DefineAuthChallenge: %(url)s/define
      CreateAuthChallenge: %(url)s/create
      VerifyAuthChallengeResponse: %(url)s/verify
      PreAuthentication: %(url)s/pre-authentication
    users:
      - {username: quinn, password: Qu1nn-Passw0rd!, attributes: {email: quinn@example.com, email_verified: "true"}}
      - {username: sly, password: Sly-Passw0rd!1}
      - {username: frozen, password: Fr0zen-Passw0rd!, enabled: false}
      - {username: held, password: He1d-Passw0rd!}
  - name: bare
    id: %(bare)s
    users:
      - {username: quinn, password: Qu1nn-Passw0rd!}
"""

CODES = {}        # user name -> the code CreateAuthChallenge "sent" (as the app's function would by email)


# The app's functions, written for Cognito's events: a password by SRP when the app begins with
# SRP_A, then a one-time code; three wrong codes end the sign-in.
def define_auth_challenge(event, context):
    session = event["request"]["session"]
    if event["userName"] == "sly":
        raise Exception("Custom sign-in is closed for this account")
    if event["userName"] == "garbled":
        event["response"] = {"challengeName": "TELEPATHY"}
        return event
    if len(session) == 1 and session[0]["challengeName"] == "SRP_A":
        event["response"].update(issueTokens=False, failAuthentication=False, challengeName="PASSWORD_VERIFIER")
    elif session and session[-1]["challengeName"] == "CUSTOM_CHALLENGE" and session[-1]["challengeResult"]:
        event["response"].update(issueTokens=True, failAuthentication=False)
    elif len([s for s in session if s["challengeName"] == "CUSTOM_CHALLENGE"]) >= 3:
        event["response"].update(issueTokens=False, failAuthentication=True)
    else:
        event["response"].update(issueTokens=False, failAuthentication=False, challengeName="CUSTOM_CHALLENGE")
    return event


def create_auth_challenge(event, context):
    code = f"{secrets.randbelow(10**6):06d}"
    CODES[event["userName"]] = code
    round_number = len([s for s in event["request"]["session"] if s["challengeName"] == "CUSTOM_CHALLENGE"]) + 1
    event["response"]["publicChallengeParameters"] = {"hint": "Type the code we sent you", "round": str(round_number)}
    event["response"]["privateChallengeParameters"] = {"answer": code}
    event["response"]["challengeMetadata"] = f"CODE-{round_number}"
    return event


def verify_auth_challenge(event, context):
    event["response"]["answerCorrect"] = event["request"]["challengeAnswer"] == event["request"]["privateChallengeParameters"]["answer"]
    return event


def pre_authentication(event, context):
    if event["userName"] == "held":
        raise Exception("This account is on hold")
    return event


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    data_dir = str(tmp_path_factory.mktemp("custom-auth"))
    receiver = Receiver(SECRET)
    receiver.handlers = {"/define": define_auth_challenge, "/create": create_auth_challenge, "/verify": verify_auth_challenge,
                         "/pre-authentication": pre_authentication}
    config = os.path.join(data_dir, "cognate.yaml")
    with open(config, "w") as f:
        f.write(CONFIG % {"secret": SECRET, "url": receiver.url, "pool": POOL, "bare": BARE})
    server = Server(data_dir, args=["--config", config], **ADMIN)
    idp = cognito(server.url)
    clients = {}
    for name, pool, flows, hiding in [("custom", POOL, ["ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"], "ENABLED"),
                                      ("telling", POOL, ["ALLOW_CUSTOM_AUTH"], "LEGACY"),
                                      ("password", POOL, ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH"], "ENABLED"),
                                      ("bare", BARE, ["ALLOW_CUSTOM_AUTH"], "ENABLED")]:
        clients[name] = idp.create_user_pool_client(UserPoolId=pool, ClientName=name, ExplicitAuthFlows=flows,
                                                    PreventUserExistenceErrors=hiding)["UserPoolClient"]["ClientId"]
    public = boto3.client("cognito-idp", endpoint_url=server.url, region_name="local", aws_access_key_id="x", aws_secret_access_key="x")
    yield server, receiver, idp, public, clients
    server.stop()
    receiver.stop()


def begin(public, client, username, **extra):
    return public.initiate_auth(ClientId=client, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": username, **extra.pop("params", {})},
                                **extra)


def answer(public, client, challenge, code, username=None):
    return public.respond_to_auth_challenge(
        ClientId=client, ChallengeName="CUSTOM_CHALLENGE", Session=challenge["Session"],
        ChallengeResponses={"USERNAME": username or challenge["ChallengeParameters"]["USERNAME"], "ANSWER": code})


def calls(receiver, path, since=0):
    return [event for (p, event, verified) in receiver.calls[since:] if p == path and verified]


def test_a_custom_challenge_answered_signs_in(world):
    server, receiver, idp, public, clients = world
    since = len(receiver.calls)
    challenge = begin(public, clients["custom"], "quinn", ClientMetadata={"channel": "email"})
    assert challenge["ChallengeName"] == "CUSTOM_CHALLENGE" and challenge["Session"]
    # the public parameters and the user's name reach the app; the private answer never does
    assert challenge["ChallengeParameters"] == {"hint": "Type the code we sent you", "round": "1", "USERNAME": "quinn"}
    assert CODES["quinn"] not in str(challenge) and CODES["quinn"] not in base64.urlsafe_b64decode(challenge["Session"] + "==").decode("latin-1")
    result = answer(public, clients["custom"], challenge, CODES["quinn"])["AuthenticationResult"]
    id_claims = claims(result["IdToken"])
    assert id_claims["cognito:username"] == "quinn" and id_claims["email"] == "quinn@example.com" and result["RefreshToken"]
    access = claims(result["AccessToken"])
    assert access["scope"] == "aws.cognito.signin.user.admin"
    assert public.get_user(AccessToken=result["AccessToken"])["Username"] == "quinn"
    # the events, as Cognito sends them: Define twice (empty list, then the answered challenge with
    # its metadata), Create once, Verify with the private parameters and the answer
    defines = calls(receiver, "/define", since)
    assert [d["request"]["session"] for d in defines] == [
        [], [{"challengeName": "CUSTOM_CHALLENGE", "challengeResult": True, "challengeMetadata": "CODE-1"}]]
    assert all(d["triggerSource"] == "DefineAuthChallenge_Authentication" and d["request"]["userNotFound"] is False for d in defines)
    assert defines[0]["request"]["userAttributes"]["email"] == "quinn@example.com" and defines[0]["request"]["clientMetadata"] == {"channel": "email"}
    (create,) = calls(receiver, "/create", since)
    assert create["triggerSource"] == "CreateAuthChallenge_Authentication" and create["request"]["challengeName"] == "CUSTOM_CHALLENGE"
    assert create["request"]["session"] == [] and create["userName"] == "quinn"
    (verify,) = calls(receiver, "/verify", since)
    assert verify["triggerSource"] == "VerifyAuthChallengeResponse_Authentication"
    assert verify["request"]["privateChallengeParameters"] == {"answer": CODES["quinn"]} and verify["request"]["challengeAnswer"] == CODES["quinn"]
    assert calls(receiver, "/pre-authentication", since)[0]["triggerSource"] == "PreAuthentication_Authentication"


def test_wrong_answers_ask_again_and_the_third_ends_the_sign_in(world):
    server, receiver, idp, public, clients = world
    since = len(receiver.calls)
    challenge = begin(public, clients["custom"], "quinn")
    for round_number in (2, 3):
        challenge = answer(public, clients["custom"], challenge, "not-the-code")
        assert challenge["ChallengeName"] == "CUSTOM_CHALLENGE" and challenge["ChallengeParameters"]["round"] == str(round_number)
        assert "AuthenticationResult" not in challenge
    refused(lambda: answer(public, clients["custom"], challenge, "still-wrong"), "NotAuthorizedException", "Incorrect username or password.")
    last = calls(receiver, "/define", since)[-1]["request"]["session"]
    assert [(s["challengeResult"], s["challengeMetadata"]) for s in last] == [(False, "CODE-1"), (False, "CODE-2"), (False, "CODE-3")]
    # the sign-in is over: the right code of the last round is no use now
    refused(lambda: answer(public, clients["custom"], challenge, CODES["quinn"]), "NotAuthorizedException")
    events = idp.admin_list_user_auth_events(UserPoolId=POOL, Username="quinn")["AuthEvents"]
    assert events[0]["EventType"] == "SignIn" and events[0]["EventResponse"] == "Fail"


def test_a_session_answers_once_however_many_try_at_once(world):
    server, receiver, idp, public, clients = world
    challenge = begin(public, clients["custom"], "quinn")
    code = CODES["quinn"]

    def attempt(_):
        try:
            return "tokens" if "AuthenticationResult" in answer(public, clients["custom"], challenge, code) else "challenge"
        except ClientError as error:
            return error.response["Error"]["Code"]

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(attempt, range(8)))
    assert outcomes.count("tokens") == 1 and outcomes.count("NotAuthorizedException") == 7, outcomes


def test_sessions_cannot_be_forged_moved_or_kept(world):
    server, receiver, idp, public, clients = world
    challenge = begin(public, clients["custom"], "quinn")
    # tampered with, answered for someone else, through another client, or as another challenge
    broken = dict(challenge, Session=challenge["Session"][:-6] + ("AAAAAA" if not challenge["Session"].endswith("AAAAAA") else "BBBBBB"))
    refused(lambda: answer(public, clients["custom"], broken, CODES["quinn"]), "NotAuthorizedException",
            "Invalid session for the user, session is expired.")
    refused(lambda: answer(public, clients["custom"], challenge, CODES["quinn"], username="sly"), "NotAuthorizedException")
    refused(lambda: answer(public, clients["telling"], challenge, CODES["quinn"]), "NotAuthorizedException")
    refused(lambda: public.respond_to_auth_challenge(ClientId=clients["custom"], ChallengeName="PASSWORD_VERIFIER", Session=challenge["Session"],
                                                     ChallengeResponses={"USERNAME": "quinn", "PASSWORD_CLAIM_SECRET_BLOCK": "x",
                                                                         "PASSWORD_CLAIM_SIGNATURE": "x", "TIMESTAMP": "x"}),
            "NotAuthorizedException")
    refused(lambda: public.respond_to_auth_challenge(ClientId=clients["custom"], ChallengeName="CUSTOM_CHALLENGE",
                                                     ChallengeResponses={"USERNAME": "quinn", "ANSWER": "1"}),
            "InvalidParameterException", "Missing required parameter Session")
    refused(lambda: public.respond_to_auth_challenge(ClientId=clients["custom"], ChallengeName="CUSTOM_CHALLENGE", Session=challenge["Session"],
                                                     ChallengeResponses={"USERNAME": "quinn"}),
            "InvalidParameterException", "Missing required parameter ANSWER")
    # none of that spent it: the right answer still signs in
    assert answer(public, clients["custom"], challenge, CODES["quinn"])["AuthenticationResult"]["AccessToken"]


def test_srp_and_the_password_within_a_custom_flow(world):
    server, receiver, idp, public, clients = world
    since = len(receiver.calls)
    srp = AWSSRP(username="quinn", password="Qu1nn-Passw0rd!", pool_id=POOL, client_id=clients["custom"], client=public)
    params = dict(srp.get_auth_params(), CHALLENGE_NAME="SRP_A")
    verifier = public.initiate_auth(ClientId=clients["custom"], AuthFlow="CUSTOM_AUTH", AuthParameters=params)
    assert verifier["ChallengeName"] == "PASSWORD_VERIFIER" and verifier["Session"]
    assert {"SALT", "SRP_B", "SECRET_BLOCK", "USER_ID_FOR_SRP"} <= set(verifier["ChallengeParameters"])
    proof = srp.process_challenge(verifier["ChallengeParameters"], params)
    code_challenge = public.respond_to_auth_challenge(ClientId=clients["custom"], ChallengeName="PASSWORD_VERIFIER",
                                                      Session=verifier["Session"], ChallengeResponses=proof)
    assert code_challenge["ChallengeName"] == "CUSTOM_CHALLENGE"
    result = answer(public, clients["custom"], code_challenge, CODES["quinn"])
    assert result["AuthenticationResult"]["IdToken"]
    assert calls(receiver, "/define", since)[-1]["request"]["session"] == [
        {"challengeName": "SRP_A", "challengeResult": True, "challengeMetadata": None},
        {"challengeName": "PASSWORD_VERIFIER", "challengeResult": True, "challengeMetadata": None},
        {"challengeName": "CUSTOM_CHALLENGE", "challengeResult": True, "challengeMetadata": "CODE-1"}]
    events = idp.admin_list_user_auth_events(UserPoolId=POOL, Username="quinn")["AuthEvents"]
    assert events[0]["EventResponse"] == "Pass" and events[0]["ChallengeResponses"] == [{"ChallengeName": "Password", "ChallengeResponse": "Success"}]

    # a wrong password ends the flow at once; the custom challenge is never asked
    since = len(receiver.calls)
    wrong = AWSSRP(username="quinn", password="Not-Her-Passw0rd!", pool_id=POOL, client_id=clients["custom"], client=public)
    params = dict(wrong.get_auth_params(), CHALLENGE_NAME="SRP_A")
    verifier = public.initiate_auth(ClientId=clients["custom"], AuthFlow="CUSTOM_AUTH", AuthParameters=params)
    refused(lambda: public.respond_to_auth_challenge(ClientId=clients["custom"], ChallengeName="PASSWORD_VERIFIER", Session=verifier["Session"],
                                                     ChallengeResponses=wrong.process_challenge(verifier["ChallengeParameters"], params)),
            "NotAuthorizedException", "Incorrect username or password.")
    assert calls(receiver, "/create", since) == []
    refused(lambda: public.initiate_auth(ClientId=clients["custom"], AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": "quinn", "SRP_A": "00"}),
            "InvalidParameterException", "Invalid SRP_A")


def test_names_no_one_holds(world):
    server, receiver, idp, public, clients = world
    # hidden: the flow runs as for a user (userNotFound told to the functions), and ends refused
    since = len(receiver.calls)
    challenge = begin(public, clients["custom"], "nobody-here")
    assert challenge["ChallengeName"] == "CUSTOM_CHALLENGE" and challenge["ChallengeParameters"]["USERNAME"] == "nobody-here"
    assert calls(receiver, "/create", since)[0]["request"]["userNotFound"] is True
    assert calls(receiver, "/pre-authentication", since)[0]["request"]["userNotFound"] is True
    refused(lambda: answer(public, clients["custom"], challenge, CODES["nobody-here"]), "NotAuthorizedException", "Incorrect username or password.")
    refused(lambda: idp.admin_get_user(UserPoolId=POOL, Username="nobody-here"), "UserNotFoundException")
    # told, where the client does not hide users; a disabled user is told too
    refused(lambda: begin(public, clients["telling"], "nobody-here"), "UserNotFoundException")
    refused(lambda: begin(public, clients["telling"], "frozen"), "NotAuthorizedException", "User is disabled.")
    # a disabled user behind a hiding client is run as a name no one holds
    since = len(receiver.calls)
    frozen = begin(public, clients["custom"], "frozen")
    assert calls(receiver, "/create", since)[0]["request"]["userNotFound"] is True
    refused(lambda: answer(public, clients["custom"], frozen, CODES["frozen"]), "NotAuthorizedException", "Incorrect username or password.")


def test_the_functions_failing_refusing_or_answering_nonsense(world):
    server, receiver, idp, public, clients = world
    refused(lambda: begin(public, clients["custom"], "sly"), "UserLambdaValidationException",
            "DefineAuthChallenge failed with error Custom sign-in is closed for this account.")
    refused(lambda: begin(public, clients["custom"], "held"), "UserLambdaValidationException",
            "PreAuthentication failed with error This account is on hold.")
    refused(lambda: begin(public, clients["custom"], "garbled"), "InvalidLambdaResponseException")
    # Create answering parameters that are not text
    receiver.raw["/create"] = (200, b'{"response": {"publicChallengeParameters": {"n": 1}}}')
    try:
        refused(lambda: begin(public, clients["custom"], "quinn"), "InvalidLambdaResponseException")
    finally:
        del receiver.raw["/create"]
    # Verify answering something that is not true or false
    challenge = begin(public, clients["custom"], "quinn")
    receiver.raw["/verify"] = (200, b'{"response": {"answerCorrect": "maybe"}}')
    try:
        refused(lambda: answer(public, clients["custom"], challenge, CODES["quinn"]), "InvalidLambdaResponseException")
    finally:
        del receiver.raw["/verify"]


def test_the_flow_must_be_allowed_and_the_functions_there(world):
    server, receiver, idp, public, clients = world
    refused(lambda: begin(public, clients["password"], "quinn"), "InvalidParameterException", "CUSTOM_AUTH flow not enabled for this client")
    refused(lambda: begin(public, clients["bare"], "quinn"), "InvalidParameterException",
            "Custom auth lambda trigger is not configured for the user pool.")
    challenge = begin(public, clients["custom"], "quinn")
    refused(lambda: answer(public, clients["password"], challenge, CODES["quinn"]), "InvalidParameterException",
            "CUSTOM_AUTH flow not enabled for this client")
    refused(lambda: public.initiate_auth(ClientId=clients["custom"], AuthFlow="CUSTOM_AUTH", AuthParameters={}),
            "InvalidParameterException", "Missing required parameter USERNAME")


def test_admin_operations_run_the_same_flow(world):
    server, receiver, idp, public, clients = world
    since = len(receiver.calls)
    challenge = idp.admin_initiate_auth(UserPoolId=POOL, ClientId=clients["custom"], AuthFlow="CUSTOM_AUTH",
                                        AuthParameters={"USERNAME": "quinn"}, ClientMetadata={"via": "admin"})
    result = idp.admin_respond_to_auth_challenge(UserPoolId=POOL, ClientId=clients["custom"], ChallengeName="CUSTOM_CHALLENGE",
                                                 Session=challenge["Session"], ChallengeResponses={"USERNAME": "quinn", "ANSWER": CODES["quinn"]},
                                                 ClientMetadata={"via": "admin-answer"})
    assert result["AuthenticationResult"]["AccessToken"]
    (verify,) = calls(receiver, "/verify", since)
    assert verify["request"]["clientMetadata"] == {"via": "admin-answer"}
    assert calls(receiver, "/define", since)[0]["request"]["clientMetadata"] == {"via": "admin"}
