"""`make bench`: speed of a release build, measured with wrk on loopback in one run.

Figures: requests/s of a trivial route (GET /health, the baseline), of discovery and JWKS, and
of AdminGetUser (a SigV4-signed API call that reads a user). Ratios are against the baseline
measured in the same run. Bounded: each load runs DURATION seconds on loopback.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import boto3
import botocore
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "Tests", "Interop"))
from conftest import Server  # noqa: E402

ACCESS_KEY, SECRET_KEY = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY"
DURATION = os.environ.get("BENCH_DURATION", "10")
CONNECTIONS = os.environ.get("BENCH_CONNECTIONS", "32")


def wrk(url, script=None):
    args = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}s", "--latency"]
    if script:
        args += ["-s", script]
    out = subprocess.run(args + [url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    p99 = re.search(r"99%\s+(\S+)", out)
    return rate, int(errors.group(1)) if errors else 0, p99.group(1) if p99 else "?"


def signed_admin_get_user(url, pool_id, username):
    """A wrk script replaying one signed AdminGetUser request (valid for 5 minutes)."""
    body = json.dumps({"UserPoolId": pool_id, "Username": username})
    request = AWSRequest(method="POST", url=url + "/", data=body, headers={
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AWSCognitoIdentityProviderService.AdminGetUser"})
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "cognito-idp", "local").add_auth(request)
    headers = "".join(f'wrk.headers["{k}"] = "{v}"\n' for k, v in request.headers.items())
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    script.write(f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\n{headers}')
    script.close()
    return script.name


def main():
    binary = os.environ["COGNATE_BINARY"]
    os.environ["COGNATE_BINARY"] = binary
    with tempfile.TemporaryDirectory() as data_dir:
        server = Server(data_dir, COGNATE_ADMIN_ACCESS_KEY_ID=ACCESS_KEY, COGNATE_ADMIN_SECRET_ACCESS_KEY=SECRET_KEY,
                        LOG_LEVEL="warning")
        try:
            idp = boto3.client("cognito-idp", endpoint_url=server.url, region_name="local", aws_access_key_id=ACCESS_KEY,
                               aws_secret_access_key=SECRET_KEY, config=botocore.config.Config(retries={"max_attempts": 1}))
            [pool_id] = server.pool_ids()
            idp.admin_create_user(UserPoolId=pool_id, Username="bench", MessageAction="SUPPRESS")
            results = {}
            results["trivial (GET /health)"] = wrk(server.url + "/health")
            results["discovery"] = wrk(f"{server.url}/{pool_id}/.well-known/openid-configuration")
            results["jwks"] = wrk(f"{server.url}/{pool_id}/.well-known/jwks.json")
            results["AdminGetUser (SigV4)"] = wrk(server.url + "/", signed_admin_get_user(server.url, pool_id, "bench"))
        finally:
            server.stop()
    baseline = results["trivial (GET /health)"][0]
    print(f"\nwrk: {CONNECTIONS} connections, 2 threads, {DURATION} s each, loopback, release build\n")
    print(f"{'route':28} {'req/s':>10} {'ratio':>7} {'p99':>9} {'errors':>7}")
    for name, (rate, errors, p99) in results.items():
        print(f"{name:28} {rate:10.0f} {rate / baseline:7.2f} {p99:>9} {errors:7d}")
    if any(errors for _, errors, _ in results.values()):
        sys.exit("some requests failed")


if __name__ == "__main__":
    main()
