"""SIGTERM while password sign-ins are under way (a deploy's rolling restart): the node stops
taking connections, answers what it has begun, and exits cleanly."""
import signal
import threading
import time

import requests

from conftest import ADMIN, Server, cognito

PASSWORD = "Shutdown-Passw0rd!"


def test_sigterm_finishes_the_sign_ins_under_way_and_exits_cleanly(data_dir):
    # a costly hash and one hashing thread, so the sign-ins queue and are still running at the signal
    server = Server(data_dir, COGNATE_ARGON2_MEMORY_KIB="65536", COGNATE_ARGON2_ITERATIONS="3", COGNATE_HASH_WORKERS="1", **ADMIN)
    try:
        idp = cognito(server.url)
        pool = idp.create_user_pool(PoolName="rolling")["UserPool"]["Id"]
        client = idp.create_user_pool_client(UserPoolId=pool, ClientName="app",
                                             ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"])["UserPoolClient"]["ClientId"]
        idp.admin_create_user(UserPoolId=pool, Username="ren", MessageAction="SUPPRESS", TemporaryPassword="Temp-Passw0rd!1")
        idp.admin_set_user_password(UserPoolId=pool, Username="ren", Password=PASSWORD, Permanent=True)
        answers = []

        def sign_in():
            try:
                answer = requests.post(server.url + "/", timeout=30, json={
                    "AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client, "AuthParameters": {"USERNAME": "ren", "PASSWORD": PASSWORD}},
                    headers={"X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth", "Content-Type": "application/x-amz-json-1.1"})
                answers.append((answer.status_code, "AuthenticationResult" in answer.json(), time.monotonic()))
            except requests.RequestException as error:
                answers.append((str(error), False, time.monotonic()))

        threads = [threading.Thread(target=sign_in) for _ in range(8)]
        for thread in threads:
            thread.start()
        time.sleep(0.3)
        signalled = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        for thread in threads:
            thread.join()
        assert server.process.wait(timeout=30) == 0, server.output()[-3000:]
        assert [(status, ok) for status, ok, _ in answers] == [(200, True)] * 8, answers
        assert any(at > signalled for _, _, at in answers), "no sign-in was still under way at the signal"
        output = server.output()
        assert "Fatal error" not in output and "CancellationError" not in output, output[-3000:]
        # and it takes no new connections
        try:
            requests.get(server.url + "/health", timeout=2)
            raise AssertionError("the stopped node still answers")
        except requests.ConnectionError:
            pass
    finally:
        server.stop()


def test_a_draining_node_says_it_is_not_ready_while_it_still_serves(data_dir):
    server = Server(data_dir, COGNATE_SHUTDOWN_DRAIN_SECONDS="3", **ADMIN)
    try:
        idp = cognito(server.url)
        assert requests.get(server.url + "/ready").json() == {"status": "ready"}
        signalled = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        # the load balancer's check says no, so it sends no more; what still comes is answered
        ready = requests.get(server.url + "/ready", timeout=5)
        assert ready.status_code == 503 and ready.json() == {"status": "draining"}
        assert requests.get(server.url + "/health", timeout=5).status_code == 200
        assert idp.list_user_pools(MaxResults=5)["UserPools"]
        assert server.process.wait(timeout=30) == 0, server.output()[-3000:]
        assert time.monotonic() - signalled >= 3, "it served out the drain time"
        assert "draining: /ready answers 503 for 3 s" in server.output()
    finally:
        server.stop()
