"""Invitations sent through a real SMTP server (aiosmtpd): plain, STARTTLS with AUTH, and down."""
import re
import signal
import time

import boto3
import botocore

import smtp_server
from conftest import Server, free_port, run_command

ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY"
ADMIN = {"COGNATE_ADMIN_ACCESS_KEY_ID": ACCESS_KEY, "COGNATE_ADMIN_SECRET_ACCESS_KEY": SECRET_KEY}


def create_user(server, username, email):
    idp = boto3.client("cognito-idp", endpoint_url=server.url, region_name="local", aws_access_key_id=ACCESS_KEY,
                       aws_secret_access_key=SECRET_KEY, config=botocore.config.Config(retries={"max_attempts": 1}))
    pool_id = idp.create_user_pool(PoolName=f"mail-{username}", AliasAttributes=["email"])["UserPool"]["Id"]
    user = idp.admin_create_user(UserPoolId=pool_id, Username=username, DesiredDeliveryMediums=["EMAIL"],
                                 UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}])
    return pool_id, user["User"]


def invitation_password(message):
    body = message.get_body(preferencelist=("plain",)).get_content()
    found = re.search(r"Your username is (\S+) and temporary password is (\S+)\.$", body.strip())
    assert found, body
    return found.group(1), found.group(2)



def tried_outbox(pool_id, data_dir):
    """`cognate outbox` once the message's first try is recorded: the send runs in the background,
    after the answer (and, on a busy machine, well after it)."""
    deadline = time.time() + 15
    while True:
        listing = run_command(["outbox", "--pool", pool_id], data_dir, **ADMIN)
        if "[sending]" not in listing.stdout or time.time() > deadline:
            return listing
        time.sleep(0.2)


def test_invitation_over_plain_smtp(data_dir):
    port = free_port()
    controller, inbox = smtp_server.start(port)
    server = Server(data_dir, COGNATE_SMTP_URL=f"smtp://127.0.0.1:{port}", COGNATE_MAIL_FROM="no-reply@cognate.test", **ADMIN)
    try:
        pool_id, user = create_user(server, "plainuser", "plain@example.com")
        [received] = inbox.wait(1)
        assert received["from"] == "no-reply@cognate.test" and received["to"] == ["plain@example.com"]
        assert received["message"]["Subject"] == "Your temporary password"
        username, password = invitation_password(received["message"])
        assert username == "plainuser" and len(password) >= 12
        # once delivered, the outbox keeps no copy of the password
        outbox = tried_outbox(pool_id, data_dir)
        assert "delivered" in outbox.stdout and password not in outbox.stdout
    finally:
        server.stop()
        controller.stop()


def test_invitation_over_starttls_with_auth(data_dir):
    port = free_port()
    ca, cert, key = smtp_server.make_certificates(data_dir)
    controller, inbox = smtp_server.start(port, tls_files=(ca, cert, key), credentials=("mailer", "s3cret pass"))
    server = Server(data_dir, COGNATE_SMTP_URL=f"smtp+starttls://mailer:s3cret%20pass@127.0.0.1:{port}",
                    COGNATE_MAIL_FROM="no-reply@cognate.test", COGNATE_SMTP_CA_FILE=ca, **ADMIN)
    try:
        create_user(server, "tlsuser", "tls@example.com")
        [received] = inbox.wait(1)
        assert received["to"] == ["tls@example.com"]
        assert received["authenticated"], "the message was sent after AUTH"
        assert invitation_password(received["message"])[0] == "tlsuser"
    finally:
        server.stop()
        controller.stop()


def test_untrusted_certificate_is_refused_and_the_user_survives(data_dir):
    port = free_port()
    ca, cert, key = smtp_server.make_certificates(data_dir)
    controller, inbox = smtp_server.start(port, tls_files=(ca, cert, key))
    # no COGNATE_SMTP_CA_FILE: the private CA is not trusted
    server = Server(data_dir, COGNATE_SMTP_URL=f"smtp+starttls://127.0.0.1:{port}", COGNATE_MAIL_FROM="no-reply@cognate.test", **ADMIN)
    try:
        pool_id, user = create_user(server, "untrusted", "untrusted@example.com")
        assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"
        assert inbox.messages == []
        outbox = tried_outbox(pool_id, data_dir)
        assert "failed:" in outbox.stdout and "Your username is untrusted" in outbox.stdout
    finally:
        server.stop()
        controller.stop()


def test_unreachable_smtp_server_keeps_the_message_for_later(data_dir):
    port = free_port()  # nothing listens here
    server = Server(data_dir, COGNATE_SMTP_URL=f"smtp://127.0.0.1:{port}", COGNATE_MAIL_FROM="no-reply@cognate.test", **ADMIN)
    try:
        pool_id, user = create_user(server, "later", "later@example.com")
        assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"
        outbox = tried_outbox(pool_id, data_dir)
        assert "failed:" in outbox.stdout
    finally:
        server.stop()


def test_invitation_over_implicit_tls(data_dir):
    port = free_port()
    ca, cert, key = smtp_server.make_certificates(data_dir)
    controller, inbox = smtp_server.start(port, tls_files=(ca, cert, key), implicit_tls=True, credentials=("mailer", "pw"))
    server = Server(data_dir, COGNATE_SMTP_URL=f"smtps://mailer:pw@localhost:{port}", COGNATE_MAIL_FROM="no-reply@cognate.test",
                    COGNATE_SMTP_CA_FILE=ca, **ADMIN)
    try:
        create_user(server, "smtpsuser", "smtps@example.com")
        [received] = inbox.wait(1)
        assert received["authenticated"] and invitation_password(received["message"])[0] == "smtpsuser"
    finally:
        server.stop()
        controller.stop()


def test_wrong_smtp_password_is_recorded_not_sent(data_dir):
    port = free_port()
    controller, inbox = smtp_server.start(port, credentials=("mailer", "right"))
    server = Server(data_dir, COGNATE_SMTP_URL=f"smtp://mailer:wrong@127.0.0.1:{port}", COGNATE_MAIL_FROM="no-reply@cognate.test", **ADMIN)
    try:
        pool_id, _ = create_user(server, "wrongauth", "wrongauth@example.com")
        assert inbox.messages == []
        outbox = tried_outbox(pool_id, data_dir)
        assert "failed: SMTP AUTH" in outbox.stdout and "535" in outbox.stdout
    finally:
        server.stop()
        controller.stop()


def test_a_message_failed_on_a_node_that_died_is_sent_by_the_next_node(data_dir):
    port = free_port()  # the mail server is down while the first node runs
    first = Server(data_dir, COGNATE_SMTP_URL=f"smtp://127.0.0.1:{port}", COGNATE_MAIL_FROM="no-reply@cognate.test", **ADMIN)
    try:
        pool_id, _ = create_user(first, "survivor", "survivor@example.com")
        deadline = time.time() + 15
        while "failed:" not in run_command(["outbox", "--pool", pool_id], data_dir, **ADMIN).stdout:
            assert time.time() < deadline, "the first try was not recorded"
            time.sleep(0.2)
    finally:
        first.process.send_signal(signal.SIGKILL)  # no chance to retry it itself
        first.process.wait()
        first.log.close()
    controller, inbox = smtp_server.start(port)
    second = Server(data_dir, COGNATE_SMTP_URL=f"smtp://127.0.0.1:{port}", COGNATE_MAIL_FROM="no-reply@cognate.test", **ADMIN)
    try:
        [received] = inbox.wait(1, timeout=30)
        assert received["to"] == ["survivor@example.com"]
        assert invitation_password(received["message"])[0] == "survivor"
        time.sleep(6)  # another round of the worker: it is not sent twice
        assert len(inbox.messages) == 1
        outbox = run_command(["outbox", "--pool", pool_id], data_dir, **ADMIN)
        assert "delivered" in outbox.stdout and "Your username is survivor" not in outbox.stdout
    finally:
        second.stop()
        controller.stop()
