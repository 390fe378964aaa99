#!/usr/bin/env python3
"""Scale in prefork mode: a list action of many invoices at simulated latency, and a burst of received documents.

    python3 bench/scale.py [--invoices 1000] [--documents 1000] [--latency 0.1] [--lines 5]

Odoo runs as production runs it (``tools/prefork.py``: 2 HTTP workers, 1 cron worker, Odoo's default time limits and
the memory limits of its deployment guide), the PSB simulator in a process of its own. Everything goes over HTTP:

1. sending: an accountant selects ``--invoices`` posted invoices in the list and clicks *Send via eConnect* (more
   than 50: checked and built in the click, uploaded in the background by the scheduled action in the cron worker);
   the simulator answers every call after ``--latency`` seconds. Prints the click's time, the wall time until every
   invoice is *Sent*, the upload calls and uploads accepted per invoice (exactly 1 each), and the peak resident
   memory of the HTTP workers and of the cron worker;
2. receiving: ``--documents`` signed incoming invoices wait at the simulator with their events held back, then the
   events arrive as a burst (the simulator posts them back to back, as eConnect delivers to one hook) while the
   cron worker makes bills. Prints the time until every document is a vendor bill (exactly one each), the burst's
   duration, the webhook's response time during the burst (p50 / p99, as the simulator saw it and on the server,
   from Odoo's request log), and the peak memory again.

Either phase can be left out with 0. Exit status 1 when a figure of exactness is off (an invoice not sent or
uploaded twice, a document without its bill or with two, a refused webhook).
"""

import argparse
import collections
import contextlib
import os
import re
import sys
import threading
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_receive import LOG_LINE  # noqa: E402
from faults import settle  # noqa: E402
from prefork import PreforkOdoo, wait_until  # noqa: E402
from prefork_round import PARTY, SELLER, activate, set_up_company  # noqa: E402
from testbed import percentile  # noqa: E402

MB = 1024 * 1024
WORKER_ALIVE = re.compile(r"Worker (WorkerHTTP|WorkerCron) \((\d+)\) alive")
ROLES = {"WorkerHTTP": "http", "WorkerCron": "cron"}
# What Odoo's arbiter and workers log when a limit ends a worker (odoo/service/server.py).
LIMIT_LINES = {
    "recycled: virtual memory over limit_memory_soft": re.compile(r"Worker \(\d+\) virtual memory limit"),
    "stopped: limit_time_cpu": re.compile(r"Worker \(\d+\) CPU time limit"),
    "killed: limit_time_real": re.compile(r"Worker\w* \(\d+\) timeout after"),
}


class WorkerWatch:
    """Samples the resident memory and CPU time of Odoo's workers in a thread of this process (psutil: no Odoo code
    here) and keeps the peak memory and the CPU seconds used of each worker, by role (``http`` / ``cron``, as Odoo's
    log names them; other processes, such as the gevent one, are left out). A worker recycled by
    ``limit_memory_soft`` and its successor both count: the peak is over every process that held the role."""

    def __init__(self, odoo, interval=0.2):
        self.odoo = odoo
        self.offset = os.path.getsize(odoo.logfile)
        self.interval = interval
        self.roles = {}
        self.seen = set()  # processes whose role is known, or was looked for in vain for 5 s (the gevent one)
        self.tries = collections.Counter()
        self.peaks = collections.defaultdict(int)
        self.cpu = {}  # pid: (CPU seconds at the first sample, at the last)
        self.stop = threading.Event()
        self.thread = None

    def __enter__(self):
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()

    def _run(self):
        while not self.stop.is_set():
            with contextlib.suppress(Exception):  # a worker that just exited; sampled again next time
                usage = self.odoo.worker_usage()
                if set(usage) - self.seen:  # Odoo's own word on each worker, not a guess from its sockets
                    with open(self.odoo.logfile, encoding="utf-8", errors="replace") as handle:
                        for match in filter(None, map(WORKER_ALIVE.search, handle)):
                            self.roles[int(match[2])] = ROLES[match[1]]
                    for pid in set(usage) - set(self.roles):  # a worker not alive yet, or no worker (gevent)
                        self.tries[pid] += 1
                    self.seen = set(self.roles) | {pid for pid, tries in self.tries.items() if tries >= 25}
                for pid, (rss, cpu) in usage.items():
                    if pid in self.roles:
                        self.peaks[pid] = max(self.peaks[pid], rss)
                        self.cpu[pid] = (self.cpu.get(pid, (cpu,))[0], cpu)
            self.stop.wait(self.interval)

    def peak(self, role):
        """``(largest peak of one worker, workers seen)`` in bytes for ``role``."""
        peaks = [rss for pid, rss in self.peaks.items() if self.roles.get(pid) == role]
        return (max(peaks) if peaks else 0), len(peaks)

    def limits(self):
        """``{what: count}`` of the workers a limit ended while watched (Odoo's log)."""
        with open(self.odoo.logfile, encoding="utf-8", errors="replace") as handle:
            handle.seek(self.offset)
            lines = handle.readlines()
        return {what: sum(1 for line in lines if pattern.search(line)) for what, pattern in LIMIT_LINES.items()}

    def cpu_seconds(self, role):
        """CPU seconds the workers of ``role`` used while watched, each from its first sample on."""
        return sum(last - first for pid, (first, last) in self.cpu.items() if self.roles.get(pid) == role)


def create_invoices(admin, setup, count, lines, chunk=100):
    """``count`` posted invoices of ``lines`` lines, created and posted over JSON-RPC ``chunk`` at a time."""
    moves = []
    for start in range(0, count, chunk):
        created = admin.call("account.move", "create", [
            {"move_type": "out_invoice", "partner_id": setup["customer"], "partner_bank_id": setup["bank"],
             "ref": f"PO-SCALE-{i}",
             "invoice_line_ids": [
                 (0, 0, {"name": f"Item {j}", "quantity": 1 + j, "price_unit": 10.0 + i % 50 + j,
                         "tax_ids": [(6, 0, [setup["tax"]])]})
                 for j in range(lines)
             ]}
            for i in range(start, min(count, start + chunk))
        ])
        admin.button("account.move", "action_post", created)
        moves += created
    return moves


def send_phase(odoo, admin, setup, opts):
    print(f"[scale] creating and posting {opts.invoices} invoices of {opts.lines} lines...", flush=True)
    moves = create_invoices(admin, setup, opts.invoices, opts.lines)
    numbers = [row["name"] for row in admin.call("account.move", "read", moves, ["name"])]
    odoo.simulator.set_latency(opts.latency)
    calls_before = len(odoo.simulator.requests(path_contains="/salesInvoice/send"))

    def sent():
        return odoo.sql(
            "SELECT count(*) FROM account_move WHERE id IN %s AND econnect_state IN ('sent', 'delivered')",
            [tuple(moves)],
        )[0][0]

    print(f"[scale] Send via eConnect on {len(moves)} invoices (the list action), {opts.latency * 1000:.0f} ms per "
          "call...", flush=True)
    with WorkerWatch(odoo) as watch:
        started = time.monotonic()
        try:
            answer = admin.button("account.move", "action_econnect_send", moves)
        except requests.RequestException as error:  # the HTTP worker was killed (limit_time_real): a figure too
            answer = {"params": {"title": f"the click failed: {type(error).__name__}"}}
        click = time.monotonic() - started
        failed = "failed" in answer["params"]["title"]
        if not failed:
            wait_until(lambda: sent() == len(moves), 3600, "every invoice sent", interval=0.5)
        wall = time.monotonic() - started
    odoo.simulator.set_latency(0.0)
    if failed:
        return {"invoices": len(moves), "click": click, "answer": answer["params"]["title"], "failed": True,
                "queued": odoo.sql("SELECT count(*) FROM account_move WHERE id IN %s AND econnect_state != 'not_sent'",
                                   [tuple(moves)])[0][0],
                "limits": watch.limits()}
    by_number = collections.Counter(doc["number"] for doc in odoo.simulator.sent_documents())
    accepted = [by_number.get(number, 0) for number in numbers]
    calls = len(odoo.simulator.requests(path_contains="/salesInvoice/send")) - calls_before
    states = dict(odoo.sql("SELECT econnect_state, count(*) FROM account_move WHERE id IN %s GROUP BY 1",
                           [tuple(moves)]))
    return {
        "invoices": len(moves), "click": click, "wall": wall, "answer": (answer or {}).get("params", {}).get("title"),
        "accepted": (min(accepted), max(accepted)), "calls": calls, "states": states,
        "http": watch.peak("http"), "cron": watch.peak("cron"),
        "cpu": (watch.cpu_seconds("http"), watch.cpu_seconds("cron")), "limits": watch.limits(),
    }


def receive_phase(odoo, opts):
    simulator = odoo.simulator
    simulator.pause_webhooks()
    print(f"[scale] {opts.documents} documents wait at the simulator, their events held back...", flush=True)
    documents = [
        simulator.inject_sample(PARTY, sender_id=SELLER, number=f"SCALE-IN-{i:05d}", amount=f"{100 + i % 900}.00")
        for i in range(opts.documents)
    ]
    wanted = set(documents)
    offset = os.path.getsize(odoo.logfile)

    def bills():
        return odoo.sql("SELECT count(*) FROM account_move WHERE econnect_received_document_id IN %s",
                        [tuple(documents)])[0][0]

    def deliveries():
        return [d for d in simulator.webhook_deliveries()
                if d["final"] and d["topic"] == "InvoiceReceived" and d["documentId"] in wanted]

    print("[scale] the burst: every event at once...", flush=True)
    with WorkerWatch(odoo) as watch:
        started = time.monotonic()
        simulator.resume_webhooks()
        simulator.wait_for_deliveries(count=len(deliveries()) + len(documents), topic="InvoiceReceived",
                                      timeout=600 + len(documents))
        burst = time.monotonic() - started
        wait_until(lambda: bills() >= len(documents), 3600, "a bill for every document", interval=0.5)
        wall = time.monotonic() - started
    delivered = deliveries()
    per_document = collections.Counter(row[0] for row in odoo.sql(
        "SELECT econnect_received_document_id FROM account_move WHERE econnect_received_document_id IN %s",
        [tuple(documents)],
    ))
    counts = [per_document.get(document_id, 0) for document_id in documents]
    with open(odoo.logfile, encoding="utf-8", errors="replace") as handle:
        handle.seek(offset)
        server = [float(m[3]) + float(m[4]) for m in map(LOG_LINE.search, handle) if m and m[1] == "200"]
    return {
        "documents": len(documents), "wall": wall, "burst": burst,
        "refused": sum(1 for d in delivered if not d["ok"]), "delivered": len(delivered),
        "client": [d["duration"] for d in delivered if d["ok"] and d["duration"] is not None],
        "server": server[:len(documents)],
        "bills": (min(counts), max(counts)), "no_bill": counts.count(0),
        "http": watch.peak("http"), "cron": watch.peak("cron"),
        "cpu": (watch.cpu_seconds("http"), watch.cpu_seconds("cron")), "limits": watch.limits(),
    }


def print_limits(limits):
    print("    workers ended by a limit                           " + (
        ", ".join(f"{count} {what}" for what, count in limits.items() if count) or "none"))


def report_send(opts, send):
    """Prints the figures of the send phase (as soon as it is over: a later failure does not lose them)."""
    print()
    print(f"econnect_odoo at scale: prefork (2 HTTP workers, 1 cron worker, Odoo's default limits), "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f} at the end of the phase")
    print(f"  send: {send['invoices']} invoices of {opts.lines} lines in one list action, "
          f"{opts.latency * 1000:.0f} ms per call")
    if send.get("failed"):
        print(f"    the click FAILED after {send['click']:.1f} s ({send['answer']}); invoices queued: {send['queued']}")
        print_limits(send["limits"])
        return False
    (http_peak, http_n), (cron_peak, cron_n) = send["http"], send["cron"]
    print(f"    the click (checks, UBL of every invoice, queued)   {send['click']:7.1f} s   "
          f"('{send['answer']}')")
    print(f"    wall time until all are Sent                       {send['wall']:7.1f} s   "
          f"({send['wall'] / send['invoices'] * 1000:.0f} ms/invoice)")
    print(f"    uploads accepted per invoice                       min {send['accepted'][0]}, max "
          f"{send['accepted'][1]}   ({send['calls']} upload calls; states {send['states']})")
    print(f"    peak RSS, HTTP worker / cron worker                {http_peak / MB:5.0f} / {cron_peak / MB:.0f} MB"
          f"   ({http_n} HTTP, {cron_n} cron worker processes seen)")
    print(f"    CPU seconds used, HTTP workers / cron worker       {send['cpu'][0]:5.1f} / {send['cpu'][1]:.1f} s"
          f"   ({sum(send['cpu']) / send['invoices'] * 1000:.0f} ms/invoice)")
    print_limits(send["limits"])
    return send["accepted"] == (1, 1)


def report_receive(opts, receive):
    print()
    print(f"econnect_odoo at scale: prefork (2 HTTP workers, 1 cron worker, Odoo's default limits), "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f} at the end of the phase")
    (http_peak, http_n), (cron_peak, cron_n) = receive["http"], receive["cron"]
    client = [seconds * 1000 for seconds in receive["client"]]
    server = [seconds * 1000 for seconds in receive["server"]]
    print(f"  receive: {receive['documents']} documents, their events as one burst")
    print(f"    time until all are vendor bills                    {receive['wall']:7.1f} s   "
          f"({receive['wall'] / receive['documents'] * 1000:.0f} ms/document)")
    print(f"    bills per document                                 min {receive['bills'][0]}, max "
          f"{receive['bills'][1]}   ({receive['no_bill']} without)")
    print(f"    the burst: {receive['delivered']} events delivered in   {receive['burst']:7.1f} s   "
          f"({receive['refused']} refused)")
    print(f"    webhook response, as eConnect sees it: p50 / p99   {percentile(client, 0.5):5.1f} / "
          f"{percentile(client, 0.99):.1f} ms")
    print(f"    webhook on the server (Odoo's log):    p50 / p99   {percentile(server, 0.5):5.1f} / "
          f"{percentile(server, 0.99):.1f} ms")
    print(f"    peak RSS, HTTP worker / cron worker                {http_peak / MB:5.0f} / {cron_peak / MB:.0f} MB"
          f"   ({http_n} HTTP, {cron_n} cron worker processes seen)")
    print(f"    CPU seconds used, HTTP workers / cron worker       {receive['cpu'][0]:5.1f} / "
          f"{receive['cpu'][1]:.1f} s   ({sum(receive['cpu']) / receive['documents'] * 1000:.0f} ms/document)")
    print_limits(receive["limits"])
    return receive["bills"] == (1, 1) and not receive["refused"] and receive["delivered"] == receive["documents"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=1000, help="invoices in the list action (0: no send phase)")
    parser.add_argument("--documents", type=int, default=1000, help="received documents (0: no receive phase)")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per simulated call (default 0.1)")
    parser.add_argument("--lines", type=int, default=5, help="lines per invoice (default 5)")
    parser.add_argument("--keep", action="store_true", help="keep Odoo's log and data directory")
    opts = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # each figure shows as soon as it is known, also in a log file
    print(f"[scale] load before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    ok = True
    with PreforkOdoo() as odoo:
        if opts.keep:
            print(f"[scale] keeping: {odoo.tmp}")
        odoo.simulator.timeout = 3600  # its control calls that wait for deliveries
        admin = odoo.login("admin", "admin")
        setup = set_up_company(odoo, admin)
        activate(odoo, admin, setup)
        if opts.invoices:
            ok &= report_send(opts, send_phase(odoo, admin, setup, opts))
            settle(odoo, timeout=3600)  # the delivery events of the sent invoices are handled before the burst
        if opts.documents:
            ok &= report_receive(opts, receive_phase(odoo, opts))
    print("  verdict                                              " + ("OK" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
