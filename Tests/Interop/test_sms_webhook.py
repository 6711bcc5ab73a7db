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


def test_sms_confirmation_and_sms_mfa_codes(data_dir):
    """A pool verifying phone numbers: the sign-up code and the SMS_MFA sign-in code arrive
    at the SMS webhook, and boto3 confirms and signs in with them."""
    import re

    from botocore.exceptions import ClientError
    receiver, received = start_receiver()
    server = Server(data_dir, COGNATE_SMS_WEBHOOK_URL=f"http://127.0.0.1:{receiver.server_port}/sms",
                    COGNATE_SMS_WEBHOOK_SECRET=WEBHOOK_SECRET, COGNATE_ADMIN_ACCESS_KEY_ID=ACCESS_KEY,
                    COGNATE_ADMIN_SECRET_ACCESS_KEY=SECRET_KEY)

    def next_code(count):
        deadline = time.time() + 10
        while len(received) < count and time.time() < deadline:
            time.sleep(0.05)
        payload = json.loads(received[count - 1]["body"])
        assert payload["phoneNumber"] == "+15555550123"
        return re.search(r"\b(\d{6})\b", payload["message"]).group(1)

    try:
        idp = boto3.client("cognito-idp", endpoint_url=server.url, region_name="local", aws_access_key_id=ACCESS_KEY,
                           aws_secret_access_key=SECRET_KEY, config=botocore.config.Config(retries={"max_attempts": 1}))
        pool_id = idp.create_user_pool(PoolName="sms-codes", AutoVerifiedAttributes=["phone_number"], MfaConfiguration="OPTIONAL",
                                       SmsAuthenticationMessage="Your sign-in code is {####}.")["UserPool"]["Id"]
        client_id = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="app",
                                                ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"])["UserPoolClient"]["ClientId"]
        signed_up = idp.sign_up(ClientId=client_id, Username="sol", Password="Corr3ct-Horse!",
                                UserAttributes=[{"Name": "phone_number", "Value": "+15555550123"}])
        assert signed_up["CodeDeliveryDetails"] == {"Destination": "+*******0123", "DeliveryMedium": "SMS", "AttributeName": "phone_number"}
        idp.confirm_sign_up(ClientId=client_id, Username="sol", ConfirmationCode=next_code(1))

        idp.admin_set_user_mfa_preference(UserPoolId=pool_id, Username="sol", SMSMfaSettings={"Enabled": True, "PreferredMfa": True})
        challenge = idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                      AuthParameters={"USERNAME": "sol", "PASSWORD": "Corr3ct-Horse!"})
        assert challenge["ChallengeName"] == "SMS_MFA"
        assert challenge["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"] == "SMS"
        code = next_code(2)
        assert "Your sign-in code is" in json.loads(received[1]["body"])["message"]
        try:
            idp.respond_to_auth_challenge(ClientId=client_id, ChallengeName="SMS_MFA", Session=challenge["Session"],
                                          ChallengeResponses={"USERNAME": "sol", "SMS_MFA_CODE": "000000" if code != "000000" else "111111"})
            raise AssertionError("a wrong code signed in")
        except ClientError as error:
            assert error.response["Error"]["Code"] == "CodeMismatchException"
        tokens = idp.respond_to_auth_challenge(ClientId=client_id, ChallengeName="SMS_MFA", Session=challenge["Session"],
                                               ChallengeResponses={"USERNAME": "sol", "SMS_MFA_CODE": code})
        assert "IdToken" in tokens["AuthenticationResult"]
    finally:
        server.stop()
        receiver.shutdown()
