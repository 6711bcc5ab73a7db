"""The OAuth endpoints while the database is down, on a real PostgreSQL that the test stops and
starts: 503 `temporarily_unavailable` (never `invalid_token` or a 500), the Cognito API's
InternalErrorException as a 503, and service again once the database is back."""
import time

import botocore.exceptions
import pytest
import requests

from conftest import ADMIN, Server, cognito
from postgres import Postgres


@pytest.fixture
def postgres():
    cluster = Postgres()
    yield cluster
    cluster.remove()


def test_a_database_outage_is_temporarily_unavailable_then_over(data_dir, postgres):
    server = Server(data_dir, COGNATE_DATABASE_URL=postgres.url, **ADMIN)
    try:
        idp = cognito(server.url)
        pool_id = idp.create_user_pool(PoolName="outage")["UserPool"]["Id"]
        client_id = idp.create_user_pool_client(
            UserPoolId=pool_id, ClientName="app", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            AllowedOAuthFlows=["code"], AllowedOAuthScopes=["openid"], CallbackURLs=["http://localhost:3000/cb"],
            AllowedOAuthFlowsUserPoolClient=True)["UserPoolClient"]["ClientId"]
        idp.admin_create_user(UserPoolId=pool_id, Username="ana", MessageAction="SUPPRESS")
        idp.admin_set_user_password(UserPoolId=pool_id, Username="ana", Password="Corr3ct-Horse!", Permanent=True)
        tokens = idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                   AuthParameters={"USERNAME": "ana", "PASSWORD": "Corr3ct-Horse!"})["AuthenticationResult"]

        def refresh():
            return requests.post(f"{server.url}/{pool_id}/oauth2/token", timeout=60, data={
                "grant_type": "refresh_token", "client_id": client_id, "refresh_token": tokens["RefreshToken"]})

        def user_info():
            return requests.get(f"{server.url}/{pool_id}/oauth2/userInfo", timeout=60,
                                headers={"Authorization": f"Bearer {tokens['AccessToken']}"})

        def revoke():
            return requests.post(f"{server.url}/{pool_id}/oauth2/revoke", timeout=60,
                                 data={"client_id": client_id, "token": "not-a-token"})

        assert refresh().status_code == 200 and user_info().status_code == 403  # no openid scope in a password sign-in's token
        authorize = f"{server.url}/{pool_id}/oauth2/authorize"
        query = {"response_type": "code", "client_id": client_id, "redirect_uri": "http://localhost:3000/cb", "scope": "openid",
                 "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "code_challenge_method": "S256"}
        assert requests.get(authorize, params=query, allow_redirects=False, timeout=60).status_code == 302

        postgres.stop()
        for answer in (refresh(), user_info(), revoke()):
            assert answer.status_code == 503, answer.text + server.output()[-1500:]
            assert answer.json()["error"] == "temporarily_unavailable"
            assert answer.headers["Cache-Control"] == "no-store"
            assert "Traceback" not in answer.text and "PSQL" not in answer.text

        # the Cognito API, signed and unsigned: Cognito's InternalErrorException, as a 503 SDKs retry
        for call in (lambda: idp.admin_get_user(UserPoolId=pool_id, Username="ana"),
                     lambda: idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                               AuthParameters={"USERNAME": "ana", "PASSWORD": "Corr3ct-Horse!"})):
            with pytest.raises(botocore.exceptions.ClientError) as refused:
                call()
            assert refused.value.response["Error"]["Code"] == "InternalErrorException"
            assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
            assert "PSQL" not in refused.value.response["Error"]["Message"]

        # the hosted pages: a friendly page that says to try again, 503, never a stack trace
        page = requests.get(authorize, params=query, allow_redirects=False, timeout=60)
        assert page.status_code == 503 and "Sign-in is not available right now" in page.text, page.text
        assert "PSQL" not in page.text and page.headers.get("Retry-After") == "5"

        postgres.start()
        deadline = time.time() + 30
        while (answer := refresh()).status_code != 200:
            assert time.time() < deadline, f"still {answer.status_code} after the database came back: {answer.text}"
            time.sleep(0.5)
        assert "access_token" in answer.json()
    finally:
        server.stop()
