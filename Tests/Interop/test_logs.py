"""COGNATE_LOG_FORMAT=json: a whole hosted journey (the form, a wrong password, the code, the
token, userInfo, a refresh) leaves one JSON object per line, a line per request with its id
(the one sent back in X-Request-Id), route, pool, client, status and latency, and not one of
the passwords, codes or tokens used."""
import json
import os
from urllib.parse import parse_qs, urlparse

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session

from conftest import Server, run_command
from test_hosted_sign_in import CALLBACK, CONFIG, sign_in_through_the_form

CLIENT = "hostedspa00000000000000000"


def test_json_logs_have_a_line_per_request_and_no_secret(data_dir):
    config = os.path.join(data_dir, "cognate.yaml")
    with open(config, "w") as f:
        f.write(CONFIG)
    server = Server(data_dir, args=["--config", config], COGNATE_LOG_FORMAT="json")
    try:
        issuer = f"{server.url}/local_Hosted123"
        discovery = requests.get(f"{issuer}/.well-known/openid-configuration").json()
        verifier, nonce = generate_token(64), generate_token(16)
        oauth = OAuth2Session(CLIENT, redirect_uri=CALLBACK, scope="openid email profile", code_challenge_method="S256")
        url, _ = oauth.create_authorization_url(discovery["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
        _, wrong = sign_in_through_the_form(server, url, password="Wrong-Horse-Passw0rd!")
        assert wrong.status_code == 400 and "Incorrect username or password." in wrong.text
        url, _ = oauth.create_authorization_url(discovery["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
        _, answer = sign_in_through_the_form(server, url)
        callback = answer.headers["Location"]
        code = parse_qs(urlparse(callback).query)["code"][0]
        token = oauth.fetch_token(discovery["token_endpoint"], authorization_response=callback, code_verifier=verifier)
        info = requests.get(f"{issuer}/oauth2/userInfo", headers={"Authorization": f"Bearer {token['access_token']}"})
        request_id = info.headers["X-Request-Id"]
        refreshed = oauth.refresh_token(discovery["token_endpoint"], refresh_token=token["refresh_token"])
    finally:
        server.stop()
    lines = [line for line in server.output().splitlines() if line.strip()]
    events = [json.loads(line) for line in lines]  # every line is a JSON object
    requests_logged = [event for event in events if event["message"] == "request"]
    assert len(requests_logged) >= 8
    for event in requests_logged:
        assert {"time", "level", "request-id", "method", "route", "status", "latency_ms"} <= set(event), event
    mine = [event for event in requests_logged if event["request-id"] == request_id]
    assert len(mine) == 1 and mine[0]["route"] == "/:poolId/oauth2/userInfo" and mine[0]["status"] == "200"
    assert mine[0]["pool"] == "local_Hosted123"
    authorize = [event for event in requests_logged if event["route"] == "/:poolId/oauth2/authorize"]
    assert authorize and all(event.get("client") == CLIENT for event in authorize)
    assert any(event["message"].startswith("Cognate is ready") for event in events)  # the banner too
    text = "\n".join(lines)
    for secret in ["Corr3ct-Horse!", "Wrong-Horse-Passw0rd!", code, verifier, nonce, token["access_token"], token["refresh_token"],
                   token["id_token"], refreshed["access_token"], refreshed["refresh_token"]]:
        assert secret not in text, secret[:12]


def test_a_bad_log_format_stops_start_up(data_dir):
    done = run_command(["serve", "--port", "0"], data_dir, timeout=30, COGNATE_LOG_FORMAT="xml")
    assert done.returncode == 1 and "COGNATE_LOG_FORMAT" in done.stderr, done.stderr
