"""Runs the real `cognate` binary for the interop suites: a fresh data dir, a free loopback port."""
import base64
import html.parser
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time

import pytest
import requests

BINARY = os.environ.get("COGNATE_BINARY") or os.path.join(
    os.path.dirname(__file__), "..", "..", ".build", "debug", "cognate")


# COGNATE_TEST_PORTS=LOW-HIGH: this run's own loopback ports (make test runs the SQLite and the
# PostgreSQL journeys at once, each in a range of its own below the kernel's ephemeral ports, so
# neither hands out a port the other, or an outgoing connection, has just been given).
_PORT_RANGE = tuple(int(n) for n in os.environ["COGNATE_TEST_PORTS"].split("-")) if os.environ.get("COGNATE_TEST_PORTS") else None
_next_port = [None]
_port_lock = threading.Lock()


def free_port() -> int:
    if _PORT_RANGE:
        low, high = _PORT_RANGE
        with _port_lock:
            if _next_port[0] is None:
                _next_port[0] = low + os.getpid() % (high - low + 1)
            for _ in range(high - low + 1):
                port = _next_port[0]
                _next_port[0] = low if port >= high else port + 1  # in turn: none handed out again before the range went round
                with socket.socket() as s:
                    try:
                        s.bind(("127.0.0.1", port))
                    except OSError:
                        continue
                    return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# COGNATE_INTEROP_DATABASE=postgres (with COGNATE_TEST_DATABASE_URL, scripts/with-postgres.sh's
# throwaway cluster): every data dir gets a database of its own there, so the suites run on
# PostgreSQL as they do on SQLite; a server started again on the same data dir finds its data.
_DATABASES = {}
_DATABASES_LOCK = threading.Lock()


def on_postgres() -> bool:
    return os.environ.get("COGNATE_INTEROP_DATABASE") == "postgres" and bool(os.environ.get("COGNATE_TEST_DATABASE_URL"))


def database_for(data_dir: str):
    if not on_postgres():
        return None
    with _DATABASES_LOCK:
        if data_dir not in _DATABASES:
            import glob
            import uuid
            from urllib.parse import urlparse
            parts = urlparse(os.environ["COGNATE_TEST_DATABASE_URL"])
            name = "interop_" + uuid.uuid4().hex[:16]
            createdb = os.path.join(sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1], "createdb")
            subprocess.run([createdb, "-h", parts.hostname, "-p", str(parts.port), "-U", parts.username, name], check=True, timeout=60)
            _DATABASES[data_dir] = f"{parts.scheme}://{parts.username}@{parts.hostname}:{parts.port}/{name}?sslmode=disable"
        return _DATABASES[data_dir]


def database_bytes(data_dir: str) -> bytes:
    """Everything the data dir's database holds, as bytes: its SQLite files, or a pg_dump of its
    PostgreSQL database (for checks that no secret is stored in clear)."""
    import glob
    database = database_for(data_dir)
    if database is None:
        return b"".join(open(path, "rb").read() for path in glob.glob(os.path.join(data_dir, "*.sqlite*")))
    pg_dump = os.path.join(sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1], "pg_dump")
    return subprocess.run([pg_dump, "--dbname", database.replace("?sslmode=disable", "")], check=True, capture_output=True, timeout=60).stdout


def base_env(data_dir: str, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COGNATE_")}
    if "COGNATE_DATABASE_URL" not in extra and (database := database_for(data_dir)):
        env["COGNATE_DATABASE_URL"] = database
    env.update({
        "COGNATE_DATA_DIR": data_dir,
        # Cheap hashing keeps start-up quick; the default cost is checked in the Swift tests.
        "COGNATE_ARGON2_MEMORY_KIB": "8192",
        "COGNATE_ARGON2_ITERATIONS": "1",
    })
    env.update(extra)
    return env


# The browser suite saves a screenshot of every hosted page it sees here.
SCREENSHOTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "screenshots")

ADMIN_ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
ADMIN_SECRET_KEY = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY"
ADMIN = {"COGNATE_ADMIN_ACCESS_KEY_ID": ADMIN_ACCESS_KEY, "COGNATE_ADMIN_SECRET_ACCESS_KEY": ADMIN_SECRET_KEY}


def cognito(url):
    """boto3's cognito-idp client against a running Cognate, signed with the admin key (the
    public operations are sent unsigned by botocore, as to AWS)."""
    import boto3
    import botocore
    return boto3.client("cognito-idp", endpoint_url=url, region_name="local", aws_access_key_id=ADMIN_ACCESS_KEY,
                        aws_secret_access_key=ADMIN_SECRET_KEY, config=botocore.config.Config(retries={"max_attempts": 1}))


def run_command(args, data_dir, timeout=60, **extra):
    """Runs a one-shot cognate command and returns the completed process."""
    return subprocess.run([BINARY, *args], env=base_env(data_dir, **extra), capture_output=True, text=True, timeout=timeout)


class Server:
    def __init__(self, data_dir, args=(), **extra):
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(os.path.join(data_dir, f"server-{self.port}.log"), "w+")
        self.process = subprocess.Popen(
            [BINARY, "serve", "--hostname", "127.0.0.1", "--port", str(self.port), *args],
            env=base_env(data_dir, **extra), stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"cognate exited with {self.process.returncode}:\n{self.output()}")
            try:
                if requests.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("cognate did not answer /health within 60 s:\n" + self.output())

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def pool_ids(self):
        return re.findall(r"^Pool (\S+) ", self.output(), re.M)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


@pytest.fixture
def data_dir():
    with tempfile.TemporaryDirectory(prefix="cognate-interop-") as d:
        os.chmod(d, 0o700)
        yield d


@pytest.fixture
def server(data_dir):
    s = Server(data_dir)
    yield s
    s.stop()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Form(html.parser.HTMLParser):
    """The first form of a page: its action and its inputs' names and values."""

    def __init__(self):
        super().__init__()
        self.action, self.fields = None, {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = attrs.get("action")
        if tag == "input" and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value", "")


def pytest_terminal_summary(terminalreporter):
    """Names the folder of the browser suite's screenshots, when it made any."""
    if os.path.isdir(SCREENSHOTS) and os.listdir(SCREENSHOTS):
        terminalreporter.write_line(f"screenshots of the hosted pages ({len(os.listdir(SCREENSHOTS))}): {SCREENSHOTS}")


def refused(call, code, message=None):
    """A boto3 call answered with Cognito's error `code` (and `message`, when given); its message."""
    from botocore.exceptions import ClientError
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response["Error"]
    assert error["Code"] == code, error
    if message is not None:
        assert error["Message"] == message, error
    return error["Message"]


def claims(token):
    """A JWT's claims, unverified (the tests that verify use jwcrypto against the JWKS)."""
    return json.loads(b64url_decode(token.split(".")[1]))


def wait_until_serving(url, process, timeout=30):
    """Waits for a peer started beside the tests (moto's server, nginx) to answer HTTP at `url`;
    fails with what it printed if it stops first."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            if process.poll() is not None:
                output = process.stderr.read().decode(errors="replace") if process.stderr else ""
                raise RuntimeError(f"{process.args[0]} stopped: {output}")
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{process.args[0]} did not answer at {url}")


def at_once(calls):
    """Runs the calls in threads, all at once; each one's result, or the Cognito error code it got."""
    from botocore.exceptions import ClientError
    results = [None] * len(calls)

    def run(index):
        try:
            results[index] = calls[index]()
        except ClientError as error:
            results[index] = error.response["Error"]["Code"]
    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
