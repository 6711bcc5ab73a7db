"""COGNATE_OTEL_ENDPOINT: spans go to an OpenTelemetry collector over OTLP/HTTP (the receiver
here parses them with opentelemetry-proto's own classes). A request's span joins the caller's
trace (W3C traceparent) and holds the store operations, the password check and the calls
Cognate makes (a Lambda trigger, which gets the trace in its own traceparent); the request's
log line names the trace; what is batched is sent when the server stops; not one password, code
or token is in any span; a collector that is down costs the users nothing."""
import json
import os
import secrets
import threading
import time
from urllib.parse import parse_qs, urlparse

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session

from conftest import ADMIN, Server, cognito, free_port, on_postgres, run_command
from lambda_endpoint import LambdaEndpoint
from otlp_collector import Collector, attributes
from test_hosted_sign_in import CALLBACK, CONFIG, sign_in_through_the_form

CLIENT = "hostedspa00000000000000000"
KEY, SECRET = "AKIDLAMBDAINVOKER000", "lambda-invoker-secret-key-0123456789abcd"
PRE_TOKEN = "arn:aws:lambda:eu-west-1:123456789012:function:pre-token"
SERVER, CLIENT_KIND = 2, 3  # OTLP span kinds
PASSWORD = "Traced-Passw0rd!"


def pre_token(event, context):
    event["response"]["claimsOverrideDetails"] = {"claimsToAddOrOverride": {"traced": "yes"}}
    return event


def traceparent():
    trace, parent = secrets.token_hex(16), secrets.token_hex(8)
    return trace, parent, f"00-{trace}-{parent}-01"


def initiate_auth(server, client, username, password, header):
    return requests.post(server.url + "/", data=json.dumps({
        "ClientId": client, "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": username, "PASSWORD": password}}),
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
                 "traceparent": header})


def by_trace(spans, trace):
    return [span for _, span in spans if span.trace_id.hex() == trace]


def children(spans, parent):
    return [span for _, span in spans if span.parent_span_id == parent.span_id and span.trace_id == parent.trace_id]


def test_a_journeys_spans_join_the_callers_trace_and_hold_no_secret(data_dir):
    collector = Collector()
    endpoint = LambdaEndpoint(KEY, SECRET)
    endpoint.functions = {PRE_TOKEN: pre_token}
    config = os.path.join(data_dir, "cognate.yaml")
    with open(config, "w") as f:
        f.write(CONFIG)
    server = Server(data_dir, args=["--config", config], COGNATE_OTEL_ENDPOINT=collector.url, COGNATE_LOG_FORMAT="json",
                    COGNATE_LAMBDA_ENDPOINT=endpoint.url, AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET, **ADMIN)
    try:
        # a hosted sign-in; the app's token request carries its trace
        issuer = f"{server.url}/local_Hosted123"
        discovery = requests.get(f"{issuer}/.well-known/openid-configuration").json()
        verifier, nonce = generate_token(64), generate_token(16)
        oauth = OAuth2Session(CLIENT, redirect_uri=CALLBACK, scope="openid email profile", code_challenge_method="S256")
        url, state = oauth.create_authorization_url(discovery["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
        _, answer = sign_in_through_the_form(server, url)
        callback = answer.headers["Location"]
        code = parse_qs(urlparse(callback).query)["code"][0]
        token_trace, token_parent, header = traceparent()
        token = oauth.fetch_token(discovery["token_endpoint"], authorization_response=callback, code_verifier=verifier,
                                  headers={"traceparent": header})
        # an API sign-in on a pool whose pre token generation trigger is a Lambda function
        idp = cognito(server.url)
        pool = idp.create_user_pool(PoolName="traced", LambdaConfig={"PreTokenGeneration": PRE_TOKEN})["UserPool"]["Id"]
        app = idp.create_user_pool_client(UserPoolId=pool, ClientName="app", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"])["UserPoolClient"]["ClientId"]
        idp.admin_create_user(UserPoolId=pool, Username="tia", MessageAction="SUPPRESS")
        idp.admin_set_user_password(UserPoolId=pool, Username="tia", Password=PASSWORD, Permanent=True)
        api_trace, api_parent, header = traceparent()
        signed_in = initiate_auth(server, app, "tia", PASSWORD, header)
        assert signed_in.status_code == 200, signed_in.text
        api_tokens = signed_in.json()["AuthenticationResult"]
        wrong_trace, _, header = traceparent()
        assert initiate_auth(server, app, "tia", "Wrong-Passw0rd!", header).status_code == 400
        # many at once: each request's spans stay in its own trace, under its own span
        concurrent = [traceparent() for _ in range(12)]
        results = [None] * len(concurrent)

        def sign_in(index):
            results[index] = initiate_auth(server, app, "tia", PASSWORD, concurrent[index][2]).status_code
        threads = [threading.Thread(target=sign_in, args=(index,)) for index in range(len(concurrent))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert results == [200] * len(concurrent)
        assert requests.get(server.url + "/no/such/page").status_code == 404
        # the last requests' spans are still batched (the exporter sends every 5 s): the stop sends them
    finally:
        server.stop()
        endpoint.stop()
    assert server.process.returncode == 0, server.output()[-2000:]
    spans = collector.spans()
    collector.stop()
    assert spans and collector.content_types[0] == "application/x-protobuf"
    assert all(resource.get("service.name") == "cognate" for resource, _ in spans)

    # the token request: a server span in the app's trace, under the app's span, with the store's work under it
    token_span = next(span for span in by_trace(spans, token_trace) if span.kind == SERVER)
    assert token_span.parent_span_id.hex() == token_parent
    assert token_span.name == "POST /:poolId/oauth2/token"
    found = attributes(token_span.attributes)
    assert found["http.route"] == "/:poolId/oauth2/token" and found["http.response.status_code"] == 200
    assert found["http.request.method"] == "POST" and found["cognate.pool"] == "local_Hosted123"
    stored = [span for span in children(spans, token_span) if span.name.startswith("store ")]
    assert stored and all(attributes(span.attributes)["db.system.name"] == ("postgresql" if on_postgres() else "sqlite")
                          for span in stored), [span.name for span in children(spans, token_span)]
    assert {"store consumeCode", "store createRefreshToken", "store signingKeys"} <= {span.name for span in stored}
    # one span per store operation: Fluent's per-query spans (which lose the trace in a transaction) are off
    assert not [span for _, span in spans if span.name.startswith("fluent.")]
    # its log line names the trace
    lines = [json.loads(line) for line in server.output().splitlines() if line.startswith("{")]
    token_lines = [line for line in lines if line.get("message") == "request" and line.get("route") == "/:poolId/oauth2/token"]
    assert [line.get("trace_id") for line in token_lines] == [token_trace]

    # the form's password check is a span of its own, with the time it waited for a worker
    form_span = next(span for _, span in spans if span.kind == SERVER and span.name == "POST /:poolId/login")
    assert attributes(form_span.attributes)["http.response.status_code"] == 302
    verify = [span for span in children(spans, form_span) if span.name == "password verify"]
    assert len(verify) == 1 and "cognate.hash.wait_ms" in attributes(verify[0].attributes)

    # the API sign-in: named by its operation; the Lambda call a client span, its traceparent the same trace
    api_span = next(span for span in by_trace(spans, api_trace) if span.kind == SERVER)
    assert api_span.parent_span_id.hex() == api_parent and api_span.name == "AWSCognitoIdentityProviderService/InitiateAuth"
    found = attributes(api_span.attributes)
    assert found["rpc.method"] == "InitiateAuth" and found["http.response.status_code"] == 200
    under = {span.name for span in children(spans, api_span)}
    assert "password verify" in under and any(name.startswith("store ") for name in under), under
    invoke = next(span for span in children(spans, api_span) if span.kind == CLIENT_KIND and span.name == "POST 127.0.0.1")
    assert attributes(invoke.attributes)["http.response.status_code"] == 200
    sent = [headers["traceparent"] for headers in endpoint.request_headers if api_trace in headers.get("traceparent", "")]
    assert sent and sent[0].split("-")[2] == invoke.span_id.hex(), endpoint.request_headers
    wrong_span = next(span for span in by_trace(spans, wrong_trace) if span.kind == SERVER)
    assert attributes(wrong_span.attributes)["http.response.status_code"] == 400 and wrong_span.status.code != 2  # a refusal, not a fault

    # twelve at once: twelve traces, each with its own server span and the work under it
    for trace, parent, _ in concurrent:
        servers = [span for span in by_trace(spans, trace) if span.kind == SERVER]
        assert len(servers) == 1 and servers[0].parent_span_id.hex() == parent
        inner = [span for span in by_trace(spans, trace) if span.kind != SERVER]
        assert inner and all(span.parent_span_id in {s.span_id for s in by_trace(spans, trace)} for span in inner)
        assert "password verify" in {span.name for span in inner}
    missing = next(span for _, span in spans if span.kind == SERVER and attributes(span.attributes).get("http.response.status_code") == 404)
    assert missing.name == "GET unmatched"

    # no secret in anything sent, nor the path or query as sent
    raw = collector.raw()
    for secret in ["Corr3ct-Horse!", PASSWORD, "Wrong-Passw0rd!", code, verifier, nonce, state, token["access_token"], token["refresh_token"],
                   token["id_token"], api_tokens["AccessToken"], api_tokens["RefreshToken"], KEY, SECRET, "/no/such/page"]:
        assert secret.encode() not in raw, secret[:12]


def test_a_collector_that_is_down_costs_the_users_nothing(data_dir):
    silent = f"http://127.0.0.1:{free_port()}"
    config = os.path.join(data_dir, "cognate.yaml")
    with open(config, "w") as f:
        f.write(CONFIG)
    server = Server(data_dir, args=["--config", config], COGNATE_OTEL_ENDPOINT=silent)
    try:
        for _ in range(5):
            answer = initiate_auth(server, "hostedweb00000000000000000", "alice", "Corr3ct-Horse!", traceparent()[2])
            assert answer.status_code == 400  # that client has no password flow: a refusal, served as ever
        discovery = requests.get(f"{server.url}/local_Hosted123/.well-known/openid-configuration")
        assert discovery.status_code == 200
        time.sleep(6)  # the exporter's first batch (every 5 s) fails now, and what follows waits for the stop
        assert initiate_auth(server, "hostedweb00000000000000000", "alice", "Corr3ct-Horse!", traceparent()[2]).status_code == 400
    finally:
        started = time.monotonic()
        server.stop()
        stopping = time.monotonic() - started
    assert server.process.returncode == 0, server.output()[-2000:]
    # spans still batched are given 3 s, not the exporter's 10 s of retries (9 s before that bound)
    assert stopping < 8 and "spans not sent within 3 s of stopping were dropped" in server.output(), stopping


def test_a_bad_collector_address_stops_start_up(data_dir):
    for value in ["ftp://collector:4318", "collector:4318", "http://collector:4318/?token=x"]:
        done = run_command(["serve", "--port", "0"], data_dir, timeout=30, COGNATE_OTEL_ENDPOINT=value)
        assert done.returncode == 1 and "COGNATE_OTEL_ENDPOINT" in done.stderr, done.stderr
