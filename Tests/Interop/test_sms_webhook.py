"""SMS invitations through the signed webhook, received by a plain HTTP server on loopback."""
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import boto3
import botocore

from conftest import Server, free_port, run_command

ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY"
WEBHOOK_SECRET = "webhook-secret-0123456789-abcdefghij"


def start_receiver(status=200):
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"body": body, "timestamp": self.headers["X-Cognate-Timestamp"],
                             "signature": self.headers["X-Cognate-Signature"]})
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, received


def create_sms_user(server, username):
    idp = boto3.client("cognito-idp", endpoint_url=server.url, region_name="local", aws_access_key_id=ACCESS_KEY,
                       aws_secret_access_key=SECRET_KEY, config=botocore.config.Config(retries={"max_attempts": 1}))
    pool_id = idp.create_user_pool(PoolName=f"sms-{username}")["UserPool"]["Id"]
    idp.admin_create_user(UserPoolId=pool_id, Username=username,
                          UserAttributes=[{"Name": "phone_number", "Value": "+15555550100"}])  # SMS is Cognito's default medium
    return pool_id


def test_sms_invitation_is_posted_signed(data_dir):
    receiver, received = start_receiver()
    server = Server(data_dir, COGNATE_SMS_WEBHOOK_URL=f"http://127.0.0.1:{receiver.server_port}/sms",
                    COGNATE_SMS_WEBHOOK_SECRET=WEBHOOK_SECRET, COGNATE_ADMIN_ACCESS_KEY_ID=ACCESS_KEY,
                    COGNATE_ADMIN_SECRET_ACCESS_KEY=SECRET_KEY)
    try:
        pool_id = create_sms_user(server, "smsuser")
        deadline = time.time() + 10
        while not received and time.time() < deadline:
            time.sleep(0.05)
        [request] = received
        expected = hmac.new(WEBHOOK_SECRET.encode(), request["timestamp"].encode() + b"." + request["body"], hashlib.sha256).hexdigest()
        assert hmac.compare_digest(request["signature"], "sha256=" + expected)
        payload = json.loads(request["body"])
        assert payload["phoneNumber"] == "+15555550100" and payload["userPoolId"] == pool_id
        assert payload["message"].startswith("Your username is smsuser and temporary password is ")
        assert abs(int(request["timestamp"]) - time.time()) < 60
    finally:
        server.stop()
        receiver.shutdown()


def test_failing_webhook_is_recorded(data_dir):
    receiver, received = start_receiver(status=500)
    server = Server(data_dir, COGNATE_SMS_WEBHOOK_URL=f"http://127.0.0.1:{receiver.server_port}/sms",
                    COGNATE_SMS_WEBHOOK_SECRET=WEBHOOK_SECRET, COGNATE_ADMIN_ACCESS_KEY_ID=ACCESS_KEY,
                    COGNATE_ADMIN_SECRET_ACCESS_KEY=SECRET_KEY)
    try:
        pool_id = create_sms_user(server, "smsfail")
        outbox = run_command(["outbox", "--pool", pool_id], data_dir, COGNATE_ADMIN_ACCESS_KEY_ID=ACCESS_KEY,
                             COGNATE_ADMIN_SECRET_ACCESS_KEY=SECRET_KEY)
        assert "sms to +15555550100" in outbox.stdout and "failed: " in outbox.stdout and "500" in outbox.stdout
    finally:
        server.stop()
        receiver.shutdown()


def test_webhook_without_secret_refuses_to_start(data_dir):
    result = run_command(["serve", "--port", "1"], data_dir, COGNATE_SMS_WEBHOOK_URL="https://sms.example.com/hook")
    assert result.returncode == 1 and "COGNATE_SMS_WEBHOOK_SECRET" in result.stderr
