#!/usr/bin/env python3
"""Which received documents the default limits hold: one e-invoice of N lines at a time through the pull, in prefork.

    python3 bench/large_documents.py [--lines 500,1000,2000,3000]

Odoo runs in prefork mode with Odoo's default time limits (``limit_time_cpu`` 60 s, ``limit_time_real`` 120 s: the
cron worker's share of a pass) and the memory limits of its deployment guide (``tools/prefork.py``). For each size,
a vendor's invoice of that many lines arrives (webhook, then the pull in the cron worker); prints its size, the CPU
seconds and wall seconds the cron worker spent until the bill existed, the attempts it took, and whether a worker
was stopped by a limit.
"""

import argparse
import copy
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, ROOT)

from lxml import etree  # noqa: E402
from prefork import PreforkOdoo, wait_until  # noqa: E402
from prefork_round import PARTY, SELLER, activate, set_up_company  # noqa: E402

from psb_simulator import sample_invoice  # noqa: E402

CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"


def invoice_of(lines, number):
    """A Peppol BIS 3 invoice of ``lines`` lines of 10.00 (21% VAT), its totals consistent."""
    root = etree.fromstring(sample_invoice(SELLER, PARTY, number=number, amount=f"{lines * 10}.00"))
    line = root.find(f"{{{CAC}}}InvoiceLine")
    line.find(f"{{{CBC}}}LineExtensionAmount").text = "10.00"
    line.find(f"{{{CBC}}}InvoicedQuantity").text = "1"
    line.find(f"{{{CAC}}}Price/{{{CBC}}}PriceAmount").text = "10.00"
    parent = line.getparent()
    for index in range(2, lines + 1):
        copied = copy.deepcopy(line)
        copied.find(f"{{{CBC}}}ID").text = str(index)
        copied.find(f"{{{CAC}}}Item/{{{CBC}}}Name").text = f"Article {index:05d}: spare part, boxed, with manual"
        parent.append(copied)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def cpu_seconds(pid):
    import psutil

    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", default="500,1000,2000,3000")
    opts = parser.parse_args()
    sizes = [int(n) for n in opts.lines.split(",")]
    rows = []
    with PreforkOdoo() as odoo:
        admin = odoo.login("admin", "admin")
        setup = set_up_company(odoo, admin)
        activate(odoo, admin, setup)
        for lines in sizes:
            xml = invoice_of(lines, f"LARGE-{lines}")
            [pid] = odoo.worker_pids()["cron"]
            before_cpu, errors_before = cpu_seconds(pid), len(odoo.log_lines("ERROR", "CRITICAL"))
            started = time.monotonic()
            document_id = odoo.simulator.inject_incoming(PARTY, xml)
            wait_until(
                lambda d=document_id: odoo.sql(
                    "SELECT count(*) FROM account_move WHERE econnect_received_document_id = %s", [d])[0][0],
                3600, f"the bill of {lines} lines", interval=0.5,
            )
            wall = time.monotonic() - started
            [now_pid] = odoo.worker_pids()["cron"]
            cpu = cpu_seconds(pid) - before_cpu if now_pid == pid else float("nan")
            attempts = odoo.sql("SELECT attempts FROM econnect_event WHERE document_id = %s", [document_id])[0][0]
            stopped = len(odoo.log_lines("ERROR", "CRITICAL")) - errors_before
            rows.append((lines, len(xml), cpu, wall, attempts, stopped))
            print(f"[large] {lines} lines: {len(xml) / 1e6:.2f} MB, {cpu:.1f} s CPU, {wall:.1f} s wall, "
                  f"{attempts} attempt(s), {stopped} worker(s) stopped", flush=True)
    print()
    print("lines | size | CPU of the cron worker | wall until the bill | attempts | workers stopped by a limit")
    for lines, size, cpu, wall, attempts, stopped in rows:
        print(f"{lines:5d} | {size / 1e6:.2f} MB | {cpu:6.1f} s | {wall:6.1f} s | {attempts} | {stopped}")


if __name__ == "__main__":
    main()
