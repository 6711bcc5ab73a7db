"""Metrics an operator can use: `/metrics` on its own listener (COGNATE_METRICS_ADDRESS), read by
prometheus-client's parser and scraped by Debian's Prometheus server, whose query API then
answers with the sign-in counter. Never on the public port, never a secret."""
import os
import shutil
import subprocess
import time

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from conftest import ADMIN, Server, cognito, free_port, refused, run_command, wait_until_serving

PASSWORD = "Metrics-Passw0rd!"


def samples(text):
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found, name, **labels):
    return found.get((name, tuple(sorted(labels.items()))), 0)


def test_metrics_are_served_apart_counted_and_scraped_by_prometheus(data_dir, tmp_path):
    metrics_port = free_port()
    server = Server(data_dir, COGNATE_METRICS_ADDRESS=f"127.0.0.1:{metrics_port}", **ADMIN)
    metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
    prometheus = None
    try:
        idp = cognito(server.url)
        pool = idp.create_user_pool(PoolName="observed")["UserPool"]["Id"]
        client = idp.create_user_pool_client(UserPoolId=pool, ClientName="app",
                                             ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"])["UserPoolClient"]["ClientId"]
        idp.admin_create_user(UserPoolId=pool, Username="mo", MessageAction="SUPPRESS", TemporaryPassword="Temp-Passw0rd!1")
        idp.admin_set_user_password(UserPoolId=pool, Username="mo", Password=PASSWORD, Permanent=True)
        tokens = idp.initiate_auth(ClientId=client, AuthFlow="USER_PASSWORD_AUTH",
                                   AuthParameters={"USERNAME": "mo", "PASSWORD": PASSWORD})["AuthenticationResult"]
        for _ in range(2):
            refused(lambda: idp.initiate_auth(ClientId=client, AuthFlow="USER_PASSWORD_AUTH",
                                              AuthParameters={"USERNAME": "mo", "PASSWORD": "Wrong-Passw0rd!"}), "NotAuthorizedException")

        # not on the public port, whose settings the listener leaves as they were (no request decompression)
        assert requests.get(server.url + "/metrics").status_code == 404
        compressed = requests.post(server.url + "/", data=b"not gzip", timeout=10, headers={
            "Content-Encoding": "gzip", "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
            "Content-Type": "application/x-amz-json-1.1"})
        assert compressed.status_code == 400 and compressed.json()["__type"] == "SerializationException"
        assert requests.get(f"http://127.0.0.1:{metrics_port}/other").status_code == 404
        answer = requests.get(metrics_url)
        assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        found = samples(answer.text)
        assert value(found, "cognate_sign_ins_total", flow="USER_PASSWORD_AUTH", result="success") == 1
        assert value(found, "cognate_sign_ins_total", flow="USER_PASSWORD_AUTH", result="failure") == 2
        assert value(found, "cognate_password_checks_total", result="wrong") == 2
        assert value(found, "cognate_tokens_issued_total", grant="authentication") == 1
        assert value(found, "http_requests_total", method="POST", path="/", status="200") >= 5
        assert any(name == "http_request_duration_seconds_bucket" for name, _ in found)
        assert any(name == "cognate_store_operation_seconds_count" and dict(labels).get("what") == "user" for name, labels in found)
        assert any(name == "cognate_password_hash_wait_seconds_count" for name, _ in found)
        # the database: connections the store may hold, and operations running now (the background work's, if any)
        assert value(found, "cognate_database_connections") >= 1
        assert ("cognate_store_operations_in_flight", ()) in found and 0 <= value(found, "cognate_store_operations_in_flight") <= 4
        # no secret, token or name of a person in it
        for secret in [PASSWORD, "Wrong-Passw0rd!", tokens["AccessToken"][:40], tokens["RefreshToken"][:40], "mo@", pool]:
            assert secret not in answer.text

        # Debian's Prometheus scrapes it; its query API answers with the sign-in counter
        binary = shutil.which("prometheus")
        if binary is None:
            pytest.skip("Debian's prometheus is not installed")
        config = tmp_path / "prometheus.yml"
        config.write_text("global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: cognate\n"
                          f"    static_configs:\n      - targets: ['127.0.0.1:{metrics_port}']\n")
        web = free_port()
        prometheus = subprocess.Popen([binary, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                                       f"--web.listen-address=127.0.0.1:{web}"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_until_serving(f"http://127.0.0.1:{web}/-/ready", prometheus)
        query = 'sum(cognate_sign_ins_total{result="failure"})'
        deadline, result = time.time() + 30, []
        while time.time() < deadline and not result:
            # 503 while it is still starting (its /-/ready answers before it is ready)
            answer = requests.get(f"http://127.0.0.1:{web}/api/v1/query", params={"query": query})
            result = answer.json()["data"]["result"] if answer.status_code == 200 else []
            time.sleep(0.5)
        assert result and float(result[0]["value"][1]) == 2, result
    finally:
        if prometheus is not None:
            prometheus.terminate()
            prometheus.wait()
        server.stop()


def test_a_bad_metrics_address_stops_start_up(data_dir):
    for bad in ["9464", "127.0.0.1:", "127.0.0.1:70000", ":9464"]:
        done = run_command(["serve", "--port", str(free_port())], data_dir, timeout=30, COGNATE_METRICS_ADDRESS=bad)
        assert done.returncode == 1 and "COGNATE_METRICS_ADDRESS" in done.stderr, (bad, done.stderr)


def test_without_an_address_there_is_no_metrics_listener(data_dir):
    server = Server(data_dir)
    try:
        assert "metrics at" not in server.output()
        assert requests.get(server.url + "/metrics").status_code == 404
    finally:
        server.stop()
