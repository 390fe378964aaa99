#!/usr/bin/env python3
"""Run econnect_odoo for a person: the Dutch demo on http://localhost:8069, no eConnect credentials needed.

    python3 tools/run_demo.py [--port 8069] [--workers 0] [--reset] [--db econnect_demo]

1. Odoo 18.0 comes from ``tools/bootstrap.py`` (this Python when ``import odoo`` works, else a shallow clone into
   ``var/`` with a virtualenv of its own; PostgreSQL from the system's packages when missing).
2. PostgreSQL: a cluster of its own in ``var/pg`` (port 5439, kept between runs) unless ``PG*`` variables point
   at one.
3. The PSB simulator in demo mode, a process of its own on 127.0.0.1:8070 (``var/psb-simulator.json`` keeps its
   state across restarts, ``var/psb-simulator.token`` (0600) holds its control token). Odoo finds it through
   ``econnect_demo_url`` in ``var/odoo-demo.conf``.
4. A database with ``econnect_demo_nl`` (development tooling in ``demo_addons/``: l10n_nl's demo company becomes
   "Demo Bedrijf B.V." with customers, vendors and invoices ready to send), its company activated at eConnect's
   demo environment.
5. Odoo serves with ``--workers`` (0: threaded; 2: prefork, as in production). Login: admin / admin.
6. Once the demo company receives (answer the prompt after login), each demo vendor's e-invoice arrives, once.

``--reset`` starts over (database, cluster, simulator state). Ctrl-C stops everything; the next run goes on where
this one stopped.
"""

import argparse
import contextlib
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import bootstrap  # noqa: E402
from pgcluster import ThrowawayCluster  # noqa: E402

SIMULATOR_PORT = 8070
VAR = os.path.join(ROOT, "var")
DEMO_MODULE = "econnect_demo_nl"
DEMO_ADDONS = os.path.join(ROOT, "demo_addons")
RECEIVING_TOPIC = "InvoiceReceived"

SETUP_SCRIPT = """
env['ir.config_parameter'].sudo().set_param('web.base.url', 'http://localhost:%(port)s')
company = env.ref('base.demo_company_nl')
if company.econnect_state != 'active':
    company.action_econnect_activate()
env.cr.commit()
print('DEMO_COMPANY %%s is active at the eConnect demo environment (party id %%s)' %%
      (company.name, company.econnect_party_id))
"""


def load_file(name, path):
    """A standard-library-only module by its path: this Python may lack Odoo's libraries (lxml, ...)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def wait_for(url, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def database_exists(env, db):
    probe = subprocess.run(
        ["psql", "-h", env["PGHOST"], "-p", env["PGPORT"], "-U", env["PGUSER"], "-d", "postgres", "-tAc",
         f"SELECT 1 FROM pg_database WHERE datname = '{db}'"],
        capture_output=True, text=True, check=False, env=env,
    )
    return probe.stdout.strip() == "1"


def write_config(path, runtime, env, opts, demo_url):
    """``var/odoo-demo.conf``: what the demo's Odoo runs with (``odoo -c var/odoo-demo.conf`` works too)."""
    lines = [
        "[options]",
        f"addons_path = {runtime.addons_path(ROOT, DEMO_ADDONS)}",
        f"data_dir = {os.path.join(VAR, 'odoo-data')}",
        f"db_host = {env['PGHOST']}",
        f"db_port = {env['PGPORT']}",
        f"db_user = {env['PGUSER']}",
        f"db_name = {opts.db}",
        f"dbfilter = ^{opts.db}$",
        "list_db = False",
        f"http_port = {opts.port}",
        f"gevent_port = {opts.port + 3}",
        f"workers = {opts.workers}",
        # the eConnect demo environment: the simulator process, on loopback
        f"econnect_demo_url = {demo_url}",
    ]
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


class DemoFeeder(threading.Thread):
    """Once the demo company receives, each demo vendor's e-invoice arrives (once: fixed document ids). The
    customers' answers to delivered invoices come from the simulator itself (demo mode)."""

    def __init__(self, remote, parties):
        super().__init__(name="demo-feeder", daemon=True)
        self.remote = remote
        self.parties = parties
        self.stop = threading.Event()

    def receiving(self):
        party = self.parties.COMPANY["party"]
        value = party.split(":")[1]
        for hook in self.remote.hooks():
            if (hook.get("partyId") or "").endswith(value) and any(
                RECEIVING_TOPIC.lower() == topic.lower() for topic in hook.get("topics") or ()
            ):
                return True
        return False

    def send_vendor_invoices(self):
        company = self.parties.COMPANY
        known = {document["id"] for document in self.remote.received_documents()}
        for vendor in self.parties.VENDORS:
            document_id = f"demo-bill-{vendor['key']}"
            if document_id in known:
                continue
            self.remote.call("POST", "incoming/sample", {
                "party": company["party"], "sender": vendor["peppol"], "senderName": vendor["name"],
                "receiverName": company["name"], "number": vendor["number"], "amount": vendor["amount"],
                "vatPercent": vendor["vat_percent"], "documentId": document_id, "iban": vendor["iban"],
            })
            print(f"[demo] {vendor['name']} sent its e-invoice {vendor['number']} to {company['name']}", flush=True)

    def run(self):
        while not self.stop.wait(2):
            try:
                if self.receiving():
                    self.send_vendor_invoices()
                    return
            except OSError as error:  # the simulator restarts, or stops with us
                print(f"[demo] the simulator did not answer ({error}); trying again", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="econnect_demo")
    parser.add_argument("--port", type=int, default=8069)
    parser.add_argument("--workers", type=int, default=0, help="0: threaded server; 2 or more: prefork workers")
    parser.add_argument("--reset", action="store_true", help="start over: database, cluster and simulator state")
    bootstrap.add_arguments(parser)
    opts = parser.parse_args()
    # a SIGTERM (e.g. from `timeout`) stops the cluster and the simulator like Ctrl-C does
    signal.signal(signal.SIGTERM, lambda *_args: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        runtime = bootstrap.locate(opts.odoo_src, opts.odoo_git)
    except bootstrap.Unavailable as reason:
        print(f"Odoo 18.0 could not be set up: {reason}")
        return 1
    print(runtime.how, flush=True)
    os.makedirs(VAR, exist_ok=True)
    state_file = os.path.join(VAR, "psb-simulator.json")
    token_file = os.path.join(VAR, "psb-simulator.token")
    pg_dir = os.path.join(VAR, "pg")
    if opts.reset:
        shutil.rmtree(pg_dir, ignore_errors=True)
        shutil.rmtree(os.path.join(VAR, "odoo-data"), ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(state_file)

    env = runtime.env()
    cluster = None
    if not any(k in os.environ for k in ("PGHOST", "PGPORT", "PGUSER")):
        cluster = ThrowawayCluster(pg_dir, port=5439, keep=True).start()
        env.update(cluster.env)
    demo_url = f"http://127.0.0.1:{SIMULATOR_PORT}"
    simulator = subprocess.Popen(
        [runtime.python, os.path.join(ROOT, "bin", "psb-simulator"), "--demo", "--port", str(SIMULATOR_PORT),
         "--token-file", token_file, "--state-file", state_file,
         # eConnect retries webhooks: events wait for an Odoo that restarts
         "--webhook-attempts", "10", "--webhook-backoff", "1"],
        env=env,
    )
    env["ECONNECT_DEMO_URL"] = demo_url
    server = feeder = None
    try:
        if not wait_for(f"{demo_url}/_sim/health"):
            print("the simulator did not start")
            return 1
        config = os.path.join(VAR, "odoo-demo.conf")
        write_config(config, runtime, env, opts, demo_url)
        odoo = runtime.command()
        if not database_exists(env, opts.db):
            subprocess.run([*odoo, "-c", config, "-d", opts.db, "-i", DEMO_MODULE, "--stop-after-init",
                            "--no-http", "--workers=0"], check=True, env=env)
        subprocess.run([*odoo, "shell", "-c", config, "-d", opts.db, "--no-http", "--workers=0"], check=True,
                       env=env, input=SETUP_SCRIPT % {"port": opts.port}, text=True)
        print(f"\nOdoo: http://localhost:{opts.port} (admin / admin), {opts.workers} workers; "
              f"eConnect demo environment: {demo_url}\n", flush=True)
        server = subprocess.Popen([*odoo, "-c", config, "-d", opts.db], env=env)
        remote = load_file("psb_simulator_remote", os.path.join(ROOT, "psb_simulator", "remote.py"))
        parties = load_file("econnect_demo_parties", os.path.join(DEMO_ADDONS, DEMO_MODULE, "demo_parties.py"))
        feeder = DemoFeeder(remote.RemoteSimulator(demo_url, token_file=token_file), parties)
        if wait_for(f"http://localhost:{opts.port}/web/login", timeout=180):
            feeder.start()
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        if feeder is not None:
            feeder.stop.set()
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGINT)
            server.wait()
        simulator.terminate()
        simulator.wait()
        if cluster:
            cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
