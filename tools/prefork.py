"""Odoo as production runs it, for the prefork round (``tools/prefork_round.py``) and the benchmarks under ``bench/``.

    with PreforkOdoo() as odoo:
        admin = odoo.login("admin", "admin")        # JSON-RPC over HTTP, as the web client calls
        admin.call("res.partner", "search_read", [], fields=["name"])
        odoo.simulator.inject_sample(...)           # the PSB simulator, a process of its own
        odoo.kill_cron_worker()                     # SIGKILL; Odoo's arbiter starts a new one

Starts a throwaway PostgreSQL cluster (unless ``PG*`` variables point at one), installs econnect_odoo in a fresh
database without demo data, starts the PSB simulator (``bin/psb-simulator``) in a process of its own and Odoo in
prefork mode: ``--workers`` HTTP workers, ``--max-cron-threads`` cron workers (processes), with real time and memory
limits (Odoo's default time limits; the memory limits of Odoo's deployment guide), so a worker that exceeds them is
killed as it would be in production.
"""

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, ROOT)  # psb_simulator/ (development tooling)

from pgcluster import ThrowawayCluster, free_port  # noqa: E402
from run_tests import odoo_addons_path  # noqa: E402

LIMITS = {
    "limit_time_cpu": 60,  # Odoo's defaults
    "limit_time_real": 120,
    "limit_memory_soft": 640 * 1024 * 1024,  # Odoo's deployment guide
    "limit_memory_hard": 1600 * 1024 * 1024,
}


class RpcError(Exception):
    def __init__(self, error):
        data = error.get("data") or {}
        super().__init__(f"{data.get('name', 'error')}: {data.get('message') or error.get('message')}")
        self.name = data.get("name")
        self.error = error


class Rpc:
    """One user's web session: JSON-RPC calls as the web client makes them."""

    def __init__(self, base_url, db, login, password):
        self.base_url = base_url
        self.session = requests.Session()
        self.session.trust_env = False
        answer = self._post("/web/session/authenticate", {"db": db, "login": login, "password": password})
        self.uid = answer["uid"]
        self.context = answer["user_context"]

    def _post(self, path, params, timeout=300):
        response = self.session.post(
            self.base_url + path, json={"jsonrpc": "2.0", "method": "call", "params": params}, timeout=timeout
        )
        response.raise_for_status()
        body = response.json()
        if "error" in body:
            raise RpcError(body["error"])
        return body["result"]

    def call(self, model, method, *args, context=None, **kwargs):
        """``model.method(*args, **kwargs)`` as the web client calls it (``/web/dataset/call_kw``)."""
        kwargs["context"] = dict(self.context, **(context or {}))
        return self._post(f"/web/dataset/call_kw/{model}/{method}", {
            "model": model, "method": method, "args": list(args), "kwargs": kwargs,
        })

    def button(self, model, method, ids, context=None):
        """A button of a form or a list action (``/web/dataset/call_button``)."""
        return self._post("/web/dataset/call_button", {
            "model": model, "method": method, "args": [ids],
            "kwargs": {"context": dict(self.context, **(context or {}))},
        })


class PreforkOdoo:
    def __init__(self, workers=2, cron_workers=1, limits=None, db="econnect_prefork", log_level="info",
                 simulator_args=(), server_args=()):
        self.workers = workers
        self.cron_workers = cron_workers
        self.limits = dict(LIMITS, **(limits or {}))
        self.db = db
        self.log_level = log_level
        self.simulator_args = list(simulator_args)
        self.server_args = list(server_args)
        self.stack = contextlib.ExitStack()
        self.tmp = tempfile.mkdtemp(prefix="econnect-prefork-")
        self.logfile = os.path.join(self.tmp, "odoo.log")
        self.server = None
        self.simulator = None
        self.pg = None

    # -- starting and stopping -----------------------------------------------------------------
    def __enter__(self):
        try:
            self._start()
        except BaseException:
            self.stack.close()
            raise
        return self

    def __exit__(self, *exc):
        self.stack.close()

    def _start(self):
        env = dict(os.environ)
        if not any(k in os.environ for k in ("PGHOST", "PGPORT", "PGUSER")):
            cluster = self.stack.enter_context(ThrowawayCluster())
            env.update(cluster.env)
        self.pg = env
        self.common = [
            f"--addons-path={odoo_addons_path()}", f"--data-dir={os.path.join(self.tmp, 'data')}",
            f"--db_host={env['PGHOST']}", f"--db_port={env['PGPORT']}", f"--db_user={env['PGUSER']}",
            *([f"--db_password={env['PGPASSWORD']}"] if env.get("PGPASSWORD") else []),
        ]
        started = time.monotonic()
        print(f"[prefork] installing econnect_odoo in a fresh database {self.db}...", flush=True)
        subprocess.run(
            [sys.executable, "-m", "odoo", *self.common, "-d", self.db, "-i", "econnect_odoo", "--without-demo=all",
             "--stop-after-init", "--no-http", "--log-level=warn", f"--logfile={self.logfile}"],
            check=True, env=env,
        )
        print(f"[prefork] installed in {time.monotonic() - started:.0f} s", flush=True)
        self._start_simulator()
        self._start_server(env)

    def _start_simulator(self):
        from psb_simulator.remote import RemoteSimulator

        port = free_port()
        token = secrets.token_urlsafe(32)
        log = self.stack.enter_context(open(os.path.join(self.tmp, "simulator.log"), "wb"))  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "bin", "psb-simulator"), "--port", str(port), *self.simulator_args],
            stdout=log, stderr=log, env=dict(os.environ, PSB_SIMULATOR_TOKEN=token),
        )
        self.stack.callback(_stop, process)
        simulator = RemoteSimulator(f"http://127.0.0.1:{port}", token=token)
        simulator.api_url = simulator.identity_url = simulator.url
        _wait(lambda: simulator.health() is not None, 30, "the PSB simulator did not start", process)
        self.simulator = simulator

    def _start_server(self, env):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        limits = [f"--{name.replace('_', '-')}={value}" for name, value in self.limits.items()]
        self.server = subprocess.Popen(
            [sys.executable, "-m", "odoo", *self.common, "-d", self.db, f"--db-filter=^{self.db}$",
             "--http-interface=127.0.0.1", f"--http-port={self.port}", f"--gevent-port={free_port()}",
             f"--workers={self.workers}", f"--max-cron-threads={self.cron_workers}", *limits,
             f"--logfile={self.logfile}", f"--log-level={self.log_level}", *self.server_args],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        self.stack.callback(_stop, self.server)

        def healthy():
            with contextlib.suppress(requests.RequestException):
                return requests.get(self.base_url + "/web/health", timeout=2).status_code == 200
            return False

        _wait(healthy, 120, f"the Odoo server did not start (see {self.logfile})", self.server)
        print(f"[prefork] Odoo on {self.base_url}: {self.workers} HTTP workers, {self.cron_workers} cron "
              f"worker(s), limits {self.limits}", flush=True)

    # -- using it ------------------------------------------------------------------------------
    def login(self, login, password):
        return Rpc(self.base_url, self.db, login, password)

    def sql(self, query, params=None):
        """Rows of a query on the database, from outside Odoo (what the figures are read from)."""
        import psycopg2

        connection = psycopg2.connect(
            dbname=self.db, host=self.pg["PGHOST"], port=self.pg["PGPORT"], user=self.pg["PGUSER"],
            password=self.pg.get("PGPASSWORD"),
        )
        try:
            with connection, connection.cursor() as cr:
                cr.execute(query, params)
                return cr.fetchall() if cr.description else None
        finally:
            connection.close()

    def worker_pids(self):
        """``{"http": [pid], "cron": [pid]}``: the workers of the arbiter (the gevent process left out)."""
        import psutil

        found = {"http": [], "cron": []}
        for child in psutil.Process(self.server.pid).children():
            with contextlib.suppress(psutil.NoSuchProcess):
                if "gevent" in child.cmdline():
                    continue
                listening = any(
                    c.status == psutil.CONN_LISTEN and c.laddr.port == self.port for c in child.connections("tcp")
                )
                found["http" if listening else "cron"].append(child.pid)
        return found

    def worker_usage(self):
        """Resident memory (bytes) and CPU seconds used so far (user + system) of each process of the arbiter now:
        ``{pid: (rss, cpu)}``."""
        import psutil

        usage = {}
        for child in psutil.Process(self.server.pid).children():
            with contextlib.suppress(psutil.NoSuchProcess), child.oneshot():
                times = child.cpu_times()
                usage[child.pid] = (child.memory_info().rss, times.user + times.system)
        return usage

    def kill_cron_worker(self):
        """SIGKILL the cron worker (there is one): whatever it was doing stops without a word. Returns its pid."""
        [pid] = self.worker_pids()["cron"]
        os.kill(pid, signal.SIGKILL)
        return pid

    def log_lines(self, *levels):
        with open(self.logfile, encoding="utf-8", errors="replace") as handle:
            return [line.rstrip() for line in handle if any(f" {level} " in line for level in levels)]


def _wait(condition, timeout, message, process=None):
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(OSError):
            if condition():
                return
        if (process is not None and process.poll() is not None) or time.monotonic() > deadline:
            raise SystemExit(message)
        time.sleep(0.2)


def _stop(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until(condition, timeout, what, interval=0.5):
    """Poll ``condition()`` until it returns something true; its value. Raises AssertionError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s: {what}")
        time.sleep(interval)
