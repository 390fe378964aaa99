#!/usr/bin/env python3
"""Benchmark of receiving: N incoming e-invoices through the webhook inbox and the pull, against Odoo's own import.

Starts everything it needs: a throwaway PostgreSQL cluster (tools/pgcluster.py), a database with econnect_odoo
installed (demo data: a chart of accounts), an Odoo server (``python3 -m odoo``, threaded, no cron) that serves the
webhook, and the PSB simulator (``bin/psb-simulator``) in a process of its own, as the remote eConnect it stands for
(its work is not counted in ours). The pull runs in this process on the same database, so it can be timed per
document.

Prints, in one run:

* median ms per document of Odoo's own import of the same XML alone (``journal._create_document_from_attachment``
  on an attachment, committed), and of our whole path (the webhook call on the server, plus the pull's work on
  the event: download, safe parse, Odoo's import, the check against the document, commit), and their ratio
  (target: at most 1.2). Both are measured in ``--rounds`` alternating rounds of N/rounds documents (Odoo's import,
  then ours), so that both see the same load of a shared machine; the ratio is the median of the rounds' ratios;
* where the time goes: ms per document of each stage of our pull and of Odoo's import (``bench/stages.py``);
* SQL queries per document of the pull at two sizes (N/4 and N: it must stay flat);
* the webhook controller's median and 99th percentile response time on the Odoo server (from its request log)
  under a burst of events fired at once by the simulator, delivered as eConnect does (one request at a time per
  hook; target: p99 under 100 ms), and the same under a stress of several concurrent clients;
* a race check: identical events posted at the same moment make one row and all answer 200.

Usage: ``python3 bench/bench_receive.py [-n 200] [--rounds 5] [--burst 200] [--concurrency 4]``
"""

import argparse
import concurrent.futures
import contextlib
import datetime as dt
import json
import logging
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "econnect_odoo"))
sys.path.insert(0, ROOT)  # psb_simulator/ (development tooling)

from pgcluster import ThrowawayCluster, free_port  # noqa: E402

from psb.webhook import SIGNATURE_HEADER, sign_body  # noqa: E402
from psb_simulator import sample_invoice  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stages import StageTimer  # noqa: E402
from testbed import SimulatorProcess  # noqa: E402

DB = "econnect_bench"
PARTY = "0106:12345678"
SELLER = "0106:55667788"
IBAN = "NL91ABNA0417164300"  # the account the sample invoices ask to be paid into
CLIENT_ID, CLIENT_SECRET, USERNAME, PASSWORD = "bench", "bench-secret-1", "bench-user", "bench-password-1"
LOG_LINE = re.compile(r'"POST /econnect/webhook/\S+ HTTP/1\.[01]" (\d{3}) - (\d+) ([\d.]+) ([\d.]+)')


def odoo_addons_path():
    import odoo

    core = os.path.join(os.path.dirname(os.path.dirname(odoo.__file__)), "addons")
    return ",".join([p for p in (core,) if os.path.isdir(p)] + [ROOT])


def percentile(values, pct):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def documents(prefix, count):
    return [
        sample_invoice(
            SELLER, PARTY, number=f"{prefix}-{i:05d}", amount=f"{100 + i % 97}.{i % 100:02d}", vat_percent="15",
            iban=IBAN,
        )
        for i in range(count)
    ]


class Bench:
    def __init__(self, opts):
        self.opts = opts
        self.tmp = tempfile.mkdtemp(prefix="econnect-bench-")
        self.data_dir = os.path.join(self.tmp, "data")
        self.logfile = os.path.join(self.tmp, "odoo.log")
        self.server = None
        self.simulator = None
        self.registry = None

    # -- setting up ----------------------------------------------------------------------------
    def common_args(self, pg):
        env = pg.env
        return [
            f"--addons-path={odoo_addons_path()}",
            f"--data-dir={self.data_dir}",
            f"--db_host={env['PGHOST']}",
            f"--db_port={env['PGPORT']}",
            f"--db_user={env['PGUSER']}",
        ]

    def install(self, common):
        print("installing econnect_odoo in a fresh database (a minute or two)...", flush=True)
        subprocess.run(
            [sys.executable, "-m", "odoo", *common, "-d", DB, "-i", "econnect_odoo", "--stop-after-init", "--no-http",
             "--log-level=warn"],
            check=True, stdout=subprocess.DEVNULL,
        )

    def start_server(self, common):
        self.port = free_port()
        self.server = subprocess.Popen(
            [sys.executable, "-m", "odoo", *common, "-d", DB, f"--db-filter=^{DB}$", f"--http-port={self.port}",
             "--http-interface=127.0.0.1", "--workers=0", "--max-cron-threads=0", f"--logfile={self.logfile}",
             "--log-level=info"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        self.base_url = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if requests.get(self.base_url + "/web/health", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"the Odoo server did not start (see {self.logfile})")

    def start_simulator(self, stack):
        self.simulator = stack.enter_context(SimulatorProcess())
        self.simulator.timeout = 600  # its control calls that wait for deliveries
        self.simulator.settings(deliveryDelay=0.01, webhookTimeout=30)
        self.simulator.add_client(CLIENT_ID, CLIENT_SECRET)
        self.simulator.add_user(USERNAME, PASSWORD, parties=[PARTY], names={PARTY: "Bench BV"})

    def open_registry(self, common):
        import odoo
        from odoo.tools import config

        logging.basicConfig(level=logging.WARNING)
        config.parse_config([*common, "-d", DB, "--limit-time-real-cron=3600", "--log-level=warn"])
        self.registry = odoo.modules.registry.Registry(DB)

    def env(self, cr):
        from odoo import SUPERUSER_ID, api

        return api.Environment(cr, SUPERUSER_ID, {})

    def set_up_company(self):
        with self.registry.cursor() as cr:
            env = self.env(cr)
            icp = env["ir.config_parameter"]
            icp.set_param("web.base.url", self.base_url)
            icp.set_param("web.base.url.freeze", "True")
            env.ref("base.EUR").active = True
            company = env.company
            connection = env["econnect.connection"].create({
                "name": "Simulator", "environment": "custom",
                "api_url": self.simulator.api_url, "identity_url": self.simulator.identity_url,
                "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "username": USERNAME, "password": PASSWORD,
            })
            company.write({"econnect_connection_id": connection.id, "econnect_party_id": PARTY})
            company.action_econnect_activate()
            expense = env["account.account"].search([
                *env["account.account"]._check_company_domain(company), ("account_type", "=", "expense"),
            ], limit=1)
            journals = env["account.journal"].create([
                {"name": "eConnect bills", "code": "ECB", "type": "purchase", "default_account_id": expense.id},
                {"name": "Odoo import bills", "code": "OIB", "type": "purchase", "default_account_id": expense.id},
            ])
            # as the settings' save does: switched at eConnect first (the webhook's topics too), then stored
            company._econnect_switch_receiving([(company, True, journals[0])])
            company.write({"econnect_receive_journal_id": journals[0].id, "econnect_receive": True})
            vendor = env["res.partner"].create({
                "name": "Demo Supplier B.V.", "is_company": True, "peppol_eas": "0106", "peppol_endpoint": "55667788",
            })
            # the account its e-invoices ask to be paid into (an unknown one would hold every bill for a check)
            env["res.partner.bank"].create({"acc_number": IBAN, "partner_id": vendor.id})
            if not env["account.tax"].search([
                *env["account.tax"]._check_company_domain(company), ("type_tax_use", "=", "purchase"),
                ("amount", "=", 15), ("amount_type", "=", "percent"), ("price_include", "=", False),
            ]):
                env["account.tax"].create({"name": "15% purchase", "amount": 15, "type_tax_use": "purchase"})
            self.company_id = company.id
            self.baseline_journal_id = journals[1].id
            self.token = company.sudo().econnect_webhook_token
            self.secret = company._econnect_webhook_secret()

    # -- measuring -----------------------------------------------------------------------------
    def measure_odoo_import(self, xmls):
        """Odoo's own import of each XML alone, one committed transaction per document."""
        from odoo import sql_db

        durations, cpu = [], []
        queries = sql_db.sql_counter
        for number, xml in enumerate(xmls):
            started, cpu_started = time.perf_counter(), time.process_time()
            with self.registry.cursor() as cr:
                env = self.env(cr)
                attachment = env["ir.attachment"].create({
                    "name": f"odoo-{number}.xml", "raw": xml, "mimetype": "application/xml",
                })
                env["account.journal"].browse(self.baseline_journal_id).with_context(
                    default_move_type="in_invoice"
                )._create_document_from_attachment(attachment.ids)
            durations.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
        return durations, (sql_db.sql_counter - queries) / len(xmls), cpu

    def final_deliveries(self, topic):
        return sum(1 for d in self.simulator.webhook_deliveries() if d["final"] and d["topic"] == topic)

    def webhook_log_offset(self):
        return os.path.getsize(self.logfile)

    def webhook_server_times(self, offset):
        """Server-side durations (s) of the webhook calls logged after ``offset``: (status, count, seconds)."""
        with open(self.logfile, encoding="utf-8", errors="replace") as handle:
            handle.seek(offset)
            rows = []
            for line in handle:
                match = LOG_LINE.search(line)
                if match:
                    rows.append((int(match[1]), int(match[2]), float(match[3]) + float(match[4])))
        return rows

    def measure_our_path(self, xmls):
        """The simulator receives the documents and posts the events to the Odoo server; then the pull runs."""
        from odoo import sql_db

        offset = self.webhook_log_offset()
        before = self.final_deliveries("InvoiceReceived")
        ids = [self.simulator.inject_incoming(PARTY, xml, sender_id=SELLER) for xml in xmls]
        deliveries = self.simulator.wait_for_deliveries(
            count=before + len(ids), topic="InvoiceReceived", timeout=30 + len(ids)
        )
        refused = [d for d in deliveries[before:] if not d["ok"]]
        if refused:
            raise RuntimeError(f"{len(refused)} webhook calls were refused: {refused[0]['status']}")
        time.sleep(0.5)  # the server writes its log line once the answer is sent
        webhook = [row[2] for row in self.webhook_server_times(offset)]

        Event = self.registry["econnect.event"]
        durations, cpu = [], []
        original = Event._econnect_process_safely

        def timed(record, stats):
            started, cpu_started = time.perf_counter(), time.process_time()
            try:
                return original(record, stats)
            finally:
                durations.append(time.perf_counter() - started)
                cpu.append(time.process_time() - cpu_started)

        Event._econnect_process_safely = timed
        try:
            with self.registry.cursor() as cr:
                env = self.env(cr)
                queries = sql_db.sql_counter
                started = time.perf_counter()
                stats = env["econnect.event"]._econnect_pull()
                wall = time.perf_counter() - started
                queries = sql_db.sql_counter - queries
                bills = env["account.move"].search_count([("econnect_received_document_id", "in", ids)])
                flagged = env["account.move"].search_count([
                    ("econnect_received_document_id", "in", ids), ("econnect_import_issue", "!=", False),
                ])
        finally:
            Event._econnect_process_safely = original
        if bills != len(ids) or stats["failed"] or flagged:
            raise RuntimeError(f"expected {len(ids)} clean bills, got {bills} ({flagged} flagged), stats {stats}")
        return {
            "durations": durations,
            "cpu": cpu,
            "webhook": webhook,
            "queries_per_doc": queries / len(ids),
            "wall_per_doc": wall / len(ids),
        }

    def event_body(self, document_id, created_on=None):
        now = dt.datetime.now(dt.UTC)
        return json.dumps({
            "topic": "InvoiceSent", "partyId": "NL:KVK:12345678", "hookId": "bench", "documentId": document_id,
            "message": "Delivered.", "details": {"attempt": 1},
            "createdOn": (created_on or now).isoformat(), "sentOn": now.isoformat(),
        }).encode()

    def post(self, session, body):
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign_body(self.secret, body)}
        started = time.perf_counter()
        response = session.post(f"{self.base_url}/econnect/webhook/{self.token}", data=body, headers=headers,
                                timeout=30)
        return response.status_code, response.json().get("status"), time.perf_counter() - started

    def measure_simulator_burst(self, count):
        """eConnect's way: the PSB fires ``count`` events at once; the hook gets them back to back."""
        offset = self.webhook_log_offset()
        before = self.final_deliveries("InvoiceSent")
        self.simulator.pause_webhooks()
        for _ in range(count):
            self.simulator.emit_event(PARTY, "InvoiceSent", document_id=str(uuid.uuid4()), message="Delivered.")
        started = time.perf_counter()
        self.simulator.resume_webhooks()
        deliveries = self.simulator.wait_for_deliveries(count=before + count, topic="InvoiceSent", timeout=60 + count)
        elapsed = time.perf_counter() - started
        time.sleep(0.5)
        ok = sum(1 for d in deliveries[before:] if d["ok"])
        return ok, elapsed, self.webhook_server_times(offset)

    def measure_burst(self, count, concurrency):
        offset = self.webhook_log_offset()
        local = threading.local()

        def send(body):
            if not hasattr(local, "session"):
                local.session = requests.Session()
            return self.post(local.session, body)

        bodies = [self.event_body(str(uuid.uuid4())) for _ in range(count)]
        with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
            answers = list(pool.map(send, bodies))
        time.sleep(0.5)
        server = self.webhook_server_times(offset)
        return answers, server

    def race(self, copies=10):
        body = self.event_body(str(uuid.uuid4()))
        barrier = threading.Barrier(copies)

        def send(_):
            session = requests.Session()
            barrier.wait()
            return self.post(session, body)

        with concurrent.futures.ThreadPoolExecutor(copies) as pool:
            answers = list(pool.map(send, range(copies)))
        with self.registry.cursor() as cr:
            rows = self.env(cr)["econnect.event"].search_count(
                [("document_id", "=", json.loads(body)["documentId"])]
            )
        return answers, rows

    # -- the run -------------------------------------------------------------------------------
    def run(self):
        n = self.opts.n
        small = max(1, n // 4)
        rounds = max(1, min(self.opts.rounds, n))
        with ThrowawayCluster() as pg, contextlib.ExitStack() as stack:
            common = self.common_args(pg)
            try:
                self.install(common)
                self.start_simulator(stack)
                self.start_server(common)
                self.open_registry(common)
                self.set_up_company()
                print(f"measuring: our path, {small} documents at once (warm-up, queries)...", flush=True)
                ours_small = self.measure_our_path(documents("SMALL", small))
                baseline_timer, ours_timer = self.stage_timers()
                per_round, baseline, baseline_cpu = [], [], []
                ours = {"durations": [], "cpu": [], "webhook": [], "queries": 0, "wall": 0.0}
                baseline_queries = 0.0
                for number in range(rounds):
                    size = n // rounds + (1 if number < n % rounds else 0)
                    print(f"measuring: round {number + 1} of {rounds}: Odoo's import of {size} documents, then our "
                          f"path...", flush=True)
                    with baseline_timer:
                        durations, queries, cpu = self.measure_odoo_import(documents(f"ODOO{number}", size))
                    baseline_timer.add_unit(size)
                    with ours_timer:
                        result = self.measure_our_path(documents(f"FULL{number}", size))
                    ours_timer.add_unit(size)
                    baseline += durations
                    baseline_cpu += cpu
                    ours["cpu"] += result["cpu"]
                    baseline_queries += queries * size
                    ours["durations"] += result["durations"]
                    ours["webhook"] += result["webhook"]
                    ours["queries"] += result["queries_per_doc"] * size
                    ours["wall"] += result["wall_per_doc"] * size
                    whole = statistics.median(result["durations"]) + statistics.median(result["webhook"] or [0.0])
                    per_round.append((statistics.median(durations), whole,
                                      statistics.median(cpu), statistics.median(result["cpu"])))
                baseline_queries /= n
                ours.update(queries_per_doc=ours["queries"] / n, wall_per_doc=ours["wall"] / n)
                print(f"measuring: a burst of {self.opts.burst} events posted by the simulator...", flush=True)
                sim_burst = self.measure_simulator_burst(self.opts.burst)
                print(f"measuring: {self.opts.burst} webhook calls, {self.opts.concurrency} at a time...", flush=True)
                answers, server = self.measure_burst(self.opts.burst, self.opts.concurrency)
                race_answers, race_rows = self.race()
            finally:
                if self.server:
                    self.server.terminate()
                    try:
                        self.server.wait(timeout=20)
                    except subprocess.TimeoutExpired:
                        self.server.kill()
                if self.registry is not None:
                    import odoo

                    odoo.sql_db.close_all()
        self.report({
            "n": n, "small": small, "baseline": baseline, "baseline_queries": baseline_queries,
            "ours_small": ours_small, "ours": ours, "sim_burst": sim_burst, "answers": answers, "server": server,
            "race_answers": race_answers, "race_rows": race_rows, "per_round": per_round,
            "baseline_cpu": baseline_cpu, "load": os.getloadavg(),
            "stages": (baseline_timer.per_unit(), ours_timer.per_unit()),
            "cpu_stages": (baseline_timer.per_unit(cpu=True), ours_timer.per_unit(cpu=True)),
        })
        if not self.opts.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def report(self, r):
        n, small, baseline, ours_small, ours = r["n"], r["small"], r["baseline"], r["ours_small"], r["ours"]
        baseline_queries, sim_burst, answers, server = r["baseline_queries"], r["sim_burst"], r["answers"], r["server"]
        race_answers, race_rows = r["race_answers"], r["race_rows"]
        ms = 1000.0
        odoo_median = statistics.median(baseline) * ms
        pull_median = statistics.median(ours["durations"]) * ms
        webhook_median = statistics.median(ours["webhook"]) * ms if ours["webhook"] else 0.0
        whole = pull_median + webhook_median
        burst_server = [row[2] * ms for row in server]
        burst_client = [a[2] * ms for a in answers]
        ok = sum(1 for a in answers if a[0] == 200)
        print()
        print(f"econnect_odoo receiving benchmark (N = {n}, Odoo {self.odoo_version()}, {os.cpu_count()} CPU)")
        print("-" * 78)
        print(f"Odoo's own import of the XML alone        median {odoo_median:8.1f} ms/document")
        print(f"our path: pull (download+import+check+commit) {pull_median:8.1f} ms/document"
              f"   (mean incl. batch overhead {ours['wall_per_doc'] * ms:.1f})")
        print(f"our path: webhook call on the server      median {webhook_median:8.1f} ms/document")
        print(f"our whole path                            median {whole:8.1f} ms/document")
        ratios = [round_[1] / round_[0] for round_ in r["per_round"]]
        print(f"ratio whole path / Odoo's import, median of {len(ratios)} rounds {statistics.median(ratios):6.2f}"
              f"   (target <= 1.2; rounds: {', '.join(f'{ratio:.2f}' for ratio in ratios)})")
        cpu_ratios = [round_[3] / round_[2] for round_ in r["per_round"]]
        print(f"CPU of this process: Odoo's import / our pull, medians "
              f"{statistics.median(r['baseline_cpu']) * ms:6.1f} / {statistics.median(ours['cpu']) * ms:.1f} ms, "
              f"ratio {statistics.median(cpu_ratios):.2f} (rounds: {', '.join(f'{x:.2f}' for x in cpu_ratios)})")
        print(f"machine load (1 min) at the end: {r['load'][0]:.1f} on {os.cpu_count()} CPUs")
        self.report_stages(r["stages"], r["cpu_stages"])
        print(f"SQL queries per document, pull, N = {small:<5}        {ours_small['queries_per_doc']:8.1f}")
        print(f"SQL queries per document, pull, N = {n:<5}        {ours['queries_per_doc']:8.1f}   (flat in N)")
        print(f"SQL queries per document, Odoo's import           {baseline_queries:8.1f}")
        sim_ok, sim_elapsed, sim_server = sim_burst
        sim_times = [row[2] * ms for row in sim_server]
        print(f"webhook burst: {self.opts.burst} events fired at once by the simulator (one hook: back to back), "
              f"{sim_ok} answered 200 in {sim_elapsed:.1f} s")
        print(f"  server-side (Odoo request log)  median {statistics.median(sim_times):6.1f} ms"
              f"   p99 {percentile(sim_times, 99):6.1f} ms   (target p99 < 100 ms)")
        print(f"webhook stress: {len(answers)} events from {self.opts.concurrency} concurrent clients, "
              f"{ok} answered 200")
        print(f"  server-side (Odoo request log)  median {statistics.median(burst_server):6.1f} ms"
              f"   p99 {percentile(burst_server, 99):6.1f} ms")
        print(f"  client-side (round trip)        median {statistics.median(burst_client):6.1f} ms"
              f"   p99 {percentile(burst_client, 99):6.1f} ms")
        statuses = sorted(a[1] for a in race_answers)
        print(f"race: {len(race_answers)} identical events at once -> {race_rows} row(s), "
              f"answers {sorted({a[0] for a in race_answers})} ({statuses.count('accepted')} accepted, "
              f"{statuses.count('duplicate')} duplicate)")
        if self.opts.keep:
            print(f"kept: {self.tmp}")

    def stage_timers(self):
        """Timers of the stages of Odoo's import and of our pull (``bench/stages.py``): where the time goes."""
        from odoo.addons.econnect_odoo.models import econnect_event
        from odoo.addons.econnect_odoo.tools import queue, received_document

        odoo_stages = {
            "bill created (empty)": ("account.move", "create"),
            "Odoo's import of the XML (_extend_with_attachments)": ("account.move", "_extend_with_attachments"),
            "chatter: the file posted (message_post)": ("account.move", "message_post"),
            "auto-post decision (_autopost_bill)": ("account.move", "_autopost_bill"),
        }
        ours = {
            "lease: attempt counted, committed": ("econnect.event", "_econnect_lease"),
            "download from eConnect (HTTP)": ("econnect.event", "_econnect_download"),
            "bill made (_econnect_create_received_bill), of which:": ("account.move", "_econnect_create_received_bill"),
            **odoo_stages,
            "  our chatter note, with the file": ("account.move", "_econnect_post_received_note"),
            "  acknowledgement (AB) queued": ("account.move", "_econnect_answer_automatically"),
            "  check against the document's totals": ("account.move", "_econnect_compare_with_document"),
            "  check: vendor recognised": ("account.move", "_econnect_check_vendor"),
            "  check: Peppol sender is the vendor's": ("account.move", "_econnect_check_sender"),
            "  check: bank account known": ("account.move", "_econnect_check_bank"),
            "event marked done": ("econnect.event", "_econnect_mark_done"),
            "users notified (digest queued)": ("econnect.notifier", "_econnect_notify"),
        }
        functions = {
            "commits: lease (tools/queue.claim)": (queue, "commit"),
            "commits: event done (tools/queue.commit)": (econnect_event, "commit"),
            "safe parse (received_document.parse)": (received_document, "parse"),
            "figures read (received_document.figures)": (received_document, "figures"),
        }
        return StageTimer(self.registry, odoo_stages), StageTimer(self.registry, ours, functions)

    @staticmethod
    def report_stages(wall, cpu):
        ms = 1000.0
        print("where the time goes (mean ms/document over the rounds, wall / CPU of this process; a stage inside "
              "another counts in both):")
        print(f"  {'stage':56s} {'Odoo import':>15s} {'our pull':>15s}")
        (odoo_wall, our_wall), (odoo_cpu, our_cpu) = wall, cpu
        for name in dict.fromkeys([*odoo_wall, *our_wall]):
            odoo_value = f"{odoo_wall[name] * ms:6.1f} /{odoo_cpu[name] * ms:6.1f}" if name in odoo_wall else ""
            ours_value = f"{our_wall[name] * ms:6.1f} /{our_cpu[name] * ms:6.1f}" if name in our_wall else ""
            print(f"  {name:56s} {odoo_value:>15s} {ours_value:>15s}")

    @staticmethod
    def odoo_version():
        import odoo.release

        return odoo.release.version


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=200, help="documents per run (default 200)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds of N/rounds documents (default 5)")
    parser.add_argument("--burst", type=int, default=200, help="webhook calls in the burst (default 200)")
    parser.add_argument("--concurrency", type=int, default=4, help="concurrent clients of the stress run (default 4)")
    parser.add_argument("--keep", action="store_true", help="keep the Odoo log and data directory")
    # stopped from outside: still stop the Odoo server and the PostgreSQL cluster
    signal.signal(signal.SIGTERM, lambda *_args: sys.exit(143))
    Bench(parser.parse_args()).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
