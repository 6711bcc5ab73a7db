"""Cognito's user import jobs through boto3 and the AWS CLI's way of uploading (curl -T to the
pre-signed URL): 10,000 users from a CSV file, imported RESET_REQUIRED and reset through a code
mailed to a real SMTP server; users with their old bcrypt hashes signing in at once; the
refusals (bad signatures, started jobs, unknown columns, bad rows), a stop mid-job and racing
starts."""
import csv
import io
import re
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import bcrypt
import pytest
import requests

import smtp_server
from conftest import ADMIN, Server, cognito, free_port, refused

ROLE = "arn:aws:iam::123456789012:role/CognitoImport"


@pytest.fixture
def imports(data_dir):
    """A running Cognate mailing a test SMTP server; a pool verifying email, with a custom
    attribute, and a client allowing password sign-in."""
    port = free_port()
    controller, inbox = smtp_server.start(port)
    server = Server(data_dir, COGNATE_SMTP_URL=f"smtp://127.0.0.1:{port}", COGNATE_MAIL_FROM="no-reply@cognate.test", **ADMIN)
    try:
        idp = cognito(server.url)
        pool = idp.create_user_pool(
            PoolName="imported", AutoVerifiedAttributes=["email"], AliasAttributes=["email"],
            Schema=[{"Name": "team", "AttributeDataType": "String", "Mutable": True}],
            VerificationMessageTemplate={"EmailSubject": "Your code", "EmailMessage": "Your code is {####}."},
        )["UserPool"]["Id"]
        client = idp.create_user_pool_client(
            UserPoolId=pool, ClientName="app", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )["UserPoolClient"]["ClientId"]
        yield server, idp, pool, client, inbox
    finally:
        server.stop()
        controller.stop()


def csv_text(header, rows):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(column, "") for column in header])
    return out.getvalue()


def upload(url, text, tmp_path):
    """The CSV file PUT to the pre-signed URL as AWS's guide does it: curl -T, with the header S3 wants."""
    path = tmp_path / "users.csv"
    path.write_text(text)
    done = subprocess.run(["curl", "-sS", "-o", "/dev/stderr", "-w", "%{http_code}", "-T", str(path),
                           "-H", "x-amz-server-side-encryption:aws:kms", url], capture_output=True, text=True, timeout=120)
    return int(done.stdout), done.stderr


def wait_for(idp, pool, job, states=("Succeeded", "Failed", "Stopped"), timeout=240):
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = idp.describe_user_import_job(UserPoolId=pool, JobId=job)["UserImportJob"]
        if found["Status"] in states:
            return found
        time.sleep(0.5)
    raise AssertionError(f"the job stayed {found['Status']}: {found}")


def sign_in(idp, client, name, password):
    return idp.initiate_auth(ClientId=client, AuthFlow="USER_PASSWORD_AUTH",
                             AuthParameters={"USERNAME": name, "PASSWORD": password})["AuthenticationResult"]


def test_ten_thousand_users_from_csv_then_a_reset_and_a_sign_in(imports, tmp_path):
    server, idp, pool, client, inbox = imports
    header = idp.get_csv_header(UserPoolId=pool)["CSVHeader"]
    assert header[:3] == ["name", "given_name", "family_name"]
    assert header[-2:] == ["cognito:mfa_enabled", "cognito:username"]
    assert "custom:team" in header and "email_verified" in header and "phone_number" in header

    idp.admin_create_user(UserPoolId=pool, Username="user00042", MessageAction="SUPPRESS")  # already here: skipped
    rows = [{"cognito:username": f"user{n:05d}", "email": f"user{n:05d}@example.com", "email_verified": "true",
             "cognito:mfa_enabled": "false", "given_name": f"Given {n}", "custom:team": "blue" if n % 2 else "red"}
            for n in range(10_000)]
    rows[10].update({"email": "not-an-address"})                                 # failed: the address
    rows[20].update({"email_verified": "false"})                                 # failed: nothing to send a code to
    rows[30].update({"cognito:mfa_enabled": "maybe"})                            # failed
    rows[40].update({"given_name": 'Quoted, "with" a\nline break'})             # kept as written
    job = idp.create_user_import_job(JobName="ten thousand", UserPoolId=pool, CloudWatchLogsRoleArn=ROLE)["UserImportJob"]
    assert job["Status"] == "Created" and job["JobId"].startswith("import-") and job["ImportedUsers"] == 0
    assert job["PreSignedUrl"].startswith(server.url + "/user-import/")
    status, body = upload(job["PreSignedUrl"], csv_text(header, rows), tmp_path)
    assert status == 200, body
    started = idp.start_user_import_job(UserPoolId=pool, JobId=job["JobId"])["UserImportJob"]
    assert started["Status"] in ("Pending", "InProgress") and started["StartDate"]
    assert "PreSignedUrl" not in started  # the file cannot change any more
    done = wait_for(idp, pool, job["JobId"])
    print(f"10,000 rows imported in {(done['CompletionDate'] - done['StartDate']).total_seconds():.1f} s")
    assert done["Status"] == "Succeeded", done
    assert (done["ImportedUsers"], done["SkippedUsers"], done["FailedUsers"]) == (9_996, 1, 3), done
    assert "line 12" in done["CompletionMessage"], done  # the first failed row (line 1 is the header)
    assert done["CompletionDate"] >= done["StartDate"]

    user = idp.admin_get_user(UserPoolId=pool, Username="user07777")
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert user["UserStatus"] == "RESET_REQUIRED"
    assert attributes["email"] == "user07777@example.com" and attributes["custom:team"] == "blue"
    quoted = idp.admin_get_user(UserPoolId=pool, Username="user00040")["UserAttributes"]
    assert {a["Name"]: a["Value"] for a in quoted}["given_name"] == 'Quoted, "with" a\nline break'
    refused(lambda: idp.admin_get_user(UserPoolId=pool, Username="user00010"), "UserNotFoundException")
    found = [u["Username"] for page in idp.get_paginator("list_users").paginate(UserPoolId=pool, Filter='email = "user09999@example.com"')
             for u in page["Users"]]
    assert found == ["user09999"]

    # an imported user signs in only after setting a password with a code sent to the imported address
    # (a client hiding users says only that the password is wrong; one that does not says why, as Cognito's)
    refused(lambda: sign_in(idp, client, "user07777", "Anything-1"), "NotAuthorizedException")
    legacy = idp.create_user_pool_client(UserPoolId=pool, ClientName="legacy", PreventUserExistenceErrors="LEGACY",
                                         ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"])["UserPoolClient"]["ClientId"]
    refused(lambda: sign_in(idp, legacy, "user07777", "Anything-1"), "PasswordResetRequiredException")
    sent = idp.forgot_password(ClientId=client, Username="user07777")["CodeDeliveryDetails"]
    assert sent["DeliveryMedium"] == "EMAIL"
    received = inbox.wait(1)[0]
    assert received["to"] == ["user07777@example.com"]
    code = re.search(r"Your code is (\d{6})\.", received["message"].get_body(preferencelist=("plain",)).get_content()).group(1)
    idp.confirm_forgot_password(ClientId=client, Username="user07777", ConfirmationCode=code, Password="Imp0rted-Passw0rd!")
    assert sign_in(idp, client, "user07777@example.com", "Imp0rted-Passw0rd!")["AccessToken"]
    listed = idp.list_user_import_jobs(UserPoolId=pool, MaxResults=10)["UserImportJobs"]
    assert [j["JobId"] for j in listed] == [job["JobId"]]


def test_users_with_bcrypt_hashes_sign_in_with_their_old_passwords(imports, tmp_path):
    server, idp, pool, client, _ = imports
    header = idp.get_csv_header(UserPoolId=pool)["CSVHeader"] + ["cognito:password_hash"]
    old = {f"old{n}": f"Old-Passw0rd-{n}!" for n in range(5)}
    rows = [{"cognito:username": name, "email": f"{name}@example.com", "email_verified": "true", "cognito:mfa_enabled": "false",
             "cognito:password_hash": bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=6)).decode()}
            for name, password in old.items()]
    rows.append({"cognito:username": "wrongkind", "email": "w@example.com", "email_verified": "true", "cognito:mfa_enabled": "false",
                 "cognito:password_hash": "$scrypt$ln=4,r=8,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"})
    rows.append({"cognito:username": "nohash", "email": "n@example.com", "email_verified": "true", "cognito:mfa_enabled": "false"})
    refused(lambda: idp.create_user_import_job(JobName="md5", UserPoolId=pool, CloudWatchLogsRoleArn=ROLE,
                                               PasswordHashingAlgorithm="MD5"), "InvalidParameterException")
    job = idp.create_user_import_job(JobName="hashed", UserPoolId=pool, CloudWatchLogsRoleArn=ROLE,
                                     PasswordHashingAlgorithm="BCRYPT")["UserImportJob"]
    assert job["PasswordHashingAlgorithm"] == "BCRYPT"
    assert upload(job["PreSignedUrl"], csv_text(header, rows), tmp_path)[0] == 200
    idp.start_user_import_job(UserPoolId=pool, JobId=job["JobId"])
    done = wait_for(idp, pool, job["JobId"])
    assert (done["Status"], done["ImportedUsers"], done["FailedUsers"]) == ("Succeeded", 6, 1), done
    assert "not a BCRYPT hash" in done["CompletionMessage"]
    for name, password in old.items():
        assert idp.admin_get_user(UserPoolId=pool, Username=name)["UserStatus"] == "CONFIRMED"
        refused(lambda: sign_in(idp, client, name, password + "x"), "NotAuthorizedException")
        assert sign_in(idp, client, name, password)["IdToken"]
    # the old hash was replaced at the first sign-in; the password still works
    assert sign_in(idp, client, "old0", old["old0"])["IdToken"]
    assert idp.admin_get_user(UserPoolId=pool, Username="nohash")["UserStatus"] == "RESET_REQUIRED"


def test_upload_and_start_refusals(imports, tmp_path):
    server, idp, pool, _, _ = imports
    header = idp.get_csv_header(UserPoolId=pool)["CSVHeader"]
    good = csv_text(header, [{"cognito:username": "ann", "email": "ann@example.com", "email_verified": "true",
                              "cognito:mfa_enabled": "false"}])
    job = idp.create_user_import_job(JobName="refusals", UserPoolId=pool, CloudWatchLogsRoleArn=ROLE)["UserImportJob"]
    url = job["PreSignedUrl"]
    refused(lambda: idp.start_user_import_job(UserPoolId=pool, JobId=job["JobId"]), "PreconditionNotMetException")
    # a URL changed in any part is refused as S3 refuses it
    signature = re.search(r"signature=(\w+)", url).group(1)
    flipped = ("1" if signature[0] == "0" else "0") + signature[1:]
    for forged in [url.replace(signature, flipped), url.replace("expires=", "expires=9"),
                   url.replace(job["JobId"], job["JobId"][:-1] + ("y" if job["JobId"][-1] == "x" else "x")), url.split("?")[0]]:
        response = requests.put(forged, data=good)
        assert response.status_code == 403 and "<Code>AccessDenied</Code>" in response.text, (forged, response.text)
    # the signature is checked before the body is read: a forged URL with a large file is refused as such
    big = requests.put(url.replace(signature, flipped), data=b"x" * (20 << 20))
    assert big.status_code == 403 and "<Code>AccessDenied</Code>" in big.text
    assert requests.put(url, data=b"x" * (2 << 20)).status_code == 200  # larger than an API request, and replaced below
    assert requests.put(url, data=good).status_code == 200
    other = idp.create_user_pool(PoolName="other")["UserPool"]["Id"]
    refused(lambda: idp.describe_user_import_job(UserPoolId=other, JobId=job["JobId"]), "ResourceNotFoundException")
    refused(lambda: idp.start_user_import_job(UserPoolId=other, JobId=job["JobId"]), "ResourceNotFoundException")
    refused(lambda: idp.describe_user_import_job(UserPoolId=pool, JobId="import-nope"), "ResourceNotFoundException")
    refused(lambda: idp.get_csv_header(UserPoolId="local_nope"), "ResourceNotFoundException")
    refused(lambda: idp.list_user_import_jobs(UserPoolId=pool, MaxResults=61), "InvalidParameterException")

    # eight starts at once: one starts the job
    with ThreadPoolExecutor(8) as pool_of_callers:
        outcomes = list(pool_of_callers.map(lambda _: _start(idp, pool, job["JobId"]), range(8)))
    assert outcomes.count("started") == 1 and outcomes.count("InvalidParameterException") == 7, outcomes
    assert requests.put(url, data=good).status_code == 409  # the file cannot change once started
    done = wait_for(idp, pool, job["JobId"])
    assert (done["Status"], done["ImportedUsers"]) == ("Succeeded", 1)
    refused(lambda: idp.stop_user_import_job(UserPoolId=pool, JobId=job["JobId"]), "InvalidParameterException")

    # a header naming a column the pool does not have fails the job, importing no one
    bad = idp.create_user_import_job(JobName="bad header", UserPoolId=pool, CloudWatchLogsRoleArn=ROLE)["UserImportJob"]
    assert upload(bad["PreSignedUrl"], csv_text(header + ["custom:nope"], [{"cognito:username": "bo"}]), tmp_path)[0] == 200
    idp.start_user_import_job(UserPoolId=pool, JobId=bad["JobId"])
    failed = wait_for(idp, pool, bad["JobId"])
    assert failed["Status"] == "Failed" and "custom:nope" in failed["CompletionMessage"], failed
    refused(lambda: idp.admin_get_user(UserPoolId=pool, Username="bo"), "UserNotFoundException")
    listed = idp.list_user_import_jobs(UserPoolId=pool, MaxResults=1)
    assert listed["UserImportJobs"][0]["JobId"] == bad["JobId"] and listed["PaginationToken"]
    rest = idp.list_user_import_jobs(UserPoolId=pool, MaxResults=1, PaginationToken=listed["PaginationToken"])
    assert rest["UserImportJobs"][0]["JobId"] == job["JobId"]


def _start(idp, pool, job):
    from botocore.exceptions import ClientError
    try:
        idp.start_user_import_job(UserPoolId=pool, JobId=job)
        return "started"
    except ClientError as error:
        return error.response["Error"]["Code"]


def test_a_job_stopped_mid_way_keeps_what_it_imported(imports, tmp_path):
    server, idp, pool, _, _ = imports
    header = idp.get_csv_header(UserPoolId=pool)["CSVHeader"]
    rows = [{"cognito:username": f"s{n}", "email": f"s{n}@example.com", "email_verified": "true", "cognito:mfa_enabled": "false"}
            for n in range(4000)]
    job = idp.create_user_import_job(JobName="stopped", UserPoolId=pool, CloudWatchLogsRoleArn=ROLE)["UserImportJob"]
    assert upload(job["PreSignedUrl"], csv_text(header, rows), tmp_path)[0] == 200
    idp.start_user_import_job(UserPoolId=pool, JobId=job["JobId"])
    stopping = idp.stop_user_import_job(UserPoolId=pool, JobId=job["JobId"])["UserImportJob"]
    assert stopping["Status"] in ("Stopping", "Stopped")
    done = wait_for(idp, pool, job["JobId"], states=("Stopped", "Succeeded", "Failed"))
    assert done["Status"] == "Stopped" and done["ImportedUsers"] < 4000, done
    kept = sum(1 for page in idp.get_paginator("list_users").paginate(UserPoolId=pool) for _ in page["Users"])
    assert kept == done["ImportedUsers"]
    refused(lambda: idp.start_user_import_job(UserPoolId=pool, JobId=job["JobId"]), "InvalidParameterException")


def test_a_job_whose_node_is_killed_is_finished_by_the_next_with_every_row_counted_once(imports, data_dir, tmp_path):
    server, idp, pool, client, _ = imports
    header = idp.get_csv_header(UserPoolId=pool)["CSVHeader"]
    rows = [{"cognito:username": f"k{n}", "email": f"k{n}@example.com", "email_verified": "true", "cognito:mfa_enabled": "false"}
            for n in range(6000)]
    idp.admin_create_user(UserPoolId=pool, Username="k4321", MessageAction="SUPPRESS")  # a name held already
    job = idp.create_user_import_job(JobName="killed", UserPoolId=pool, CloudWatchLogsRoleArn=ROLE)["UserImportJob"]
    assert upload(job["PreSignedUrl"], csv_text(header, rows), tmp_path)[0] == 200
    idp.start_user_import_job(UserPoolId=pool, JobId=job["JobId"])
    deadline = time.time() + 60
    while (found := idp.describe_user_import_job(UserPoolId=pool, JobId=job["JobId"])["UserImportJob"])["ImportedUsers"] < 500:
        assert time.time() < deadline, found
        time.sleep(0.05)
    server.process.kill()  # SIGKILL in the middle of the job: no goodbye, the hold on the job simply lapses
    server.process.wait()
    assert found["Status"] == "InProgress" and found["ImportedUsers"] < 5000, found

    again = Server(data_dir, **ADMIN)  # the next node (here: the same one started again) takes the job over
    try:
        idp = cognito(again.url)
        done = wait_for(idp, pool, job["JobId"], timeout=120)
        assert done["Status"] == "Succeeded", done
        # every row counted once: a batch made by the killed node but not yet reported is imported, not "skipped"
        assert (done["ImportedUsers"], done["SkippedUsers"], done["FailedUsers"]) == (5999, 1, 0), done
        names = [user["Username"] for page in idp.get_paginator("list_users").paginate(UserPoolId=pool, PaginationConfig={"PageSize": 60})
                 for user in page["Users"]]
        assert len(names) == len(set(names)) == 6000
        assert set(names) == {f"k{n}" for n in range(6000)}
        imported = idp.admin_get_user(UserPoolId=pool, Username="k5999")
        assert imported["UserStatus"] == "RESET_REQUIRED"
        assert idp.admin_get_user(UserPoolId=pool, Username="k4321")["UserStatus"] == "FORCE_CHANGE_PASSWORD", "the held name is left alone"
    finally:
        again.stop()
