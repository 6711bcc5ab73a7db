"""A throwaway PostgreSQL cluster for a test (Debian's PostgreSQL, on a free loopback port), which
the test may stop and start again. Skips the test when PostgreSQL is not installed."""
import glob
import os
import shutil
import subprocess
import tempfile

import pytest

from conftest import free_port


class Postgres:
    def __init__(self):
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
        self.start()
        self.run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "cognate", "cognate")
        self.url = f"postgres://cognate@127.0.0.1:{self.port}/cognate?sslmode=disable"

    def run(self, tool, *args):
        subprocess.run([*self.as_user, os.path.join(self.bin, tool), *args], check=True, capture_output=True, timeout=120)

    def start(self):
        self.run("pg_ctl", "-D", f"{self.dir}/data", "-l", f"{self.dir}/log", "-w", "-o",
                 f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.dir} -c fsync=off", "start")

    def stop(self):
        self.run("pg_ctl", "-D", f"{self.dir}/data", "-m", "immediate", "-w", "stop")

    def remove(self):
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)
