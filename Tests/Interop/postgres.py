"""A throwaway PostgreSQL cluster for a test (Debian's PostgreSQL, on a free loopback port), which
the test may stop and start again. Skips the test when PostgreSQL is not installed."""
import glob
import os
import shutil
import subprocess
import tempfile

import pytest

from conftest import free_port


def certificates(folder):
    """A CA and a server certificate for 127.0.0.1 signed by it (PEM files in `folder`): ca.pem,
    server.pem, server.key; and another CA that signed nothing, other-ca.pem."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def name(text):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    def authority(label):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder().subject_name(name(label)).issuer_name(name(label)).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
                .not_valid_after(now + datetime.timedelta(days=1))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                             key_encipherment=False, data_encipherment=False, key_agreement=False,
                                             encipher_only=False, decipher_only=False), critical=True)
                .sign(key, hashes.SHA256()))
        return key, cert

    ca_key, ca = authority("Cognate test CA")
    _, other = authority("Someone else's CA")
    key = ec.generate_private_key(ec.SECP256R1())
    server = (x509.CertificateBuilder().subject_name(name("127.0.0.1")).issuer_name(ca.subject).public_key(key.public_key())
              .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
              .not_valid_after(now + datetime.timedelta(days=1))
              .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
              .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
              .sign(ca_key, hashes.SHA256()))
    files = {"ca.pem": ca.public_bytes(serialization.Encoding.PEM), "other-ca.pem": other.public_bytes(serialization.Encoding.PEM),
             "server.pem": server.public_bytes(serialization.Encoding.PEM),
             "server.key": key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())}
    for file, data in files.items():
        with open(os.path.join(folder, file), "wb") as f:
            f.write(data)
    return {file: os.path.join(folder, file) for file in files}


class Postgres:
    def __init__(self, tls=False, options=""):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        if not bins or not os.path.exists(os.path.join(bins[-1], "initdb")):
            pytest.skip("PostgreSQL is not installed")
        self.bin = bins[-1]
        self.dir = tempfile.mkdtemp(prefix="cognate-pg-")
        self.port = free_port()
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
        if os.getuid() == 0:
            shutil.chown(self.dir, "postgres")
        self.run("initdb", "-D", f"{self.dir}/data", "-U", "cognate", "--auth=trust")
        self.tls = None
        self.options = options
        if tls:
            # the server's key and certificate in its own folder, the key readable by postgres alone
            self.tls = certificates(self.dir)
            os.chmod(self.tls["server.key"], 0o600)
            if os.getuid() == 0:
                for path in self.tls.values():
                    shutil.chown(path, "postgres")
        self.start()
        self.run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "cognate", "cognate")
        self.url = f"postgres://cognate@127.0.0.1:{self.port}/cognate?sslmode=disable"

    def run(self, tool, *args):
        subprocess.run([*self.as_user, os.path.join(self.bin, tool), *args], check=True, capture_output=True, timeout=120)

    def start(self):
        options = f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.dir} -c fsync=off {self.options}"
        if self.tls:
            options += f" -c ssl=on -c ssl_cert_file={self.tls['server.pem']} -c ssl_key_file={self.tls['server.key']}"
        self.run("pg_ctl", "-D", f"{self.dir}/data", "-l", f"{self.dir}/log", "-w", "-o", options, "start")

    def stop(self):
        self.run("pg_ctl", "-D", f"{self.dir}/data", "-m", "immediate", "-w", "stop")

    def query(self, statement):
        """One statement through psql; its rows as text (fields separated by |)."""
        return subprocess.run([os.path.join(self.bin, "psql"), "-At", "-h", "127.0.0.1", "-p", str(self.port), "-U", "cognate", "-d",
                               "cognate", "-c", statement], check=True, capture_output=True, text=True, timeout=120).stdout.strip()

    def remove(self):
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)
