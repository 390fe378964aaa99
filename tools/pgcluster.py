"""A throwaway PostgreSQL cluster on loopback, for the Odoo tests, the benchmarks and the demo.

Usage as a library::

    with ThrowawayCluster() as pg:
        pg.env  # PGHOST/PGPORT/PGUSER to hand to Odoo (db_host, db_port, db_user)

or from the command line (``python3 tools/pgcluster.py start <dir>`` / ``stop <dir>``) for a cluster
that outlives one command (the demo).

PostgreSQL refuses to run as root: when we are root, the cluster belongs to the ``postgres`` system
user that Debian's package creates. Authentication is ``trust``, on 127.0.0.1 only, for a role
``odoo`` that may create databases: fine for a cluster that lives in a temporary directory.
"""

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile

ROLE = "odoo"


def find_pg_bin():
    """The directory of initdb/pg_ctl: PATH first, then Debian's versioned directories (newest first)."""
    initdb = shutil.which("initdb")
    if initdb:
        return os.path.dirname(os.path.realpath(initdb))
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if candidates:
        return os.path.dirname(candidates[-1])
    return None


def free_port():
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ThrowawayCluster:
    def __init__(self, directory=None, port=None, keep=False):
        self.bin = find_pg_bin()
        if not self.bin:
            raise RuntimeError(
                "PostgreSQL is not installed (no initdb). On Debian: apt-get install -y postgresql"
            )
        self.owned_dir = directory is None
        self.directory = directory or tempfile.mkdtemp(prefix="econnect-pg-")
        self.datadir = os.path.join(self.directory, "data")
        self.port = port or free_port()
        self.keep = keep
        self.as_root = os.geteuid() == 0

    # -- helpers -------------------------------------------------------------------------------
    def _run(self, args, **kwargs):
        if self.as_root:
            args = ["runuser", "-u", "postgres", "--", *args]
        return subprocess.run(args, check=True, **kwargs)

    @property
    def env(self):
        return {"PGHOST": "127.0.0.1", "PGPORT": str(self.port), "PGUSER": ROLE}

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self):
        os.makedirs(self.directory, exist_ok=True)
        if self.as_root:
            shutil.chown(self.directory, "postgres", "postgres")
        if not os.path.exists(os.path.join(self.datadir, "PG_VERSION")):
            self._run(
                [os.path.join(self.bin, "initdb"), "-D", self.datadir, "-U", "postgres", "-A", "trust",
                 "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
                stdout=subprocess.DEVNULL,
            )
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.datadir}"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            [os.path.join(self.bin, "pg_ctl"), "-D", self.datadir, "-o", options, "-w", "-t", "60",
             "-l", os.path.join(self.datadir, "server.log"), "start"],
            stdout=subprocess.DEVNULL,
        )
        sql = (
            f"DO $$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{ROLE}') "
            f"THEN CREATE ROLE {ROLE} LOGIN SUPERUSER; END IF; END$$;"
        )
        self._run(
            [os.path.join(self.bin, "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
             "-d", "postgres", "-q", "-c", sql],
            stdout=subprocess.DEVNULL,
        )
        return self

    def stop(self):
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run(
                [os.path.join(self.bin, "pg_ctl"), "-D", self.datadir, "-m", "fast", "-w", "stop"],
                stdout=subprocess.DEVNULL,
            )
        if self.owned_dir and not self.keep:
            shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def main(argv):
    if len(argv) < 3 or argv[1] not in ("start", "stop"):
        print("usage: pgcluster.py start|stop <directory> [port]", file=sys.stderr)
        return 2
    port = int(argv[3]) if len(argv) > 3 else 5439
    cluster = ThrowawayCluster(os.path.abspath(argv[2]), port=port, keep=True)
    if argv[1] == "start":
        cluster.start()
        for key, value in cluster.env.items():
            print(f"{key}={value}")
    else:
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
