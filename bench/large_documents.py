#!/usr/bin/env python3
"""Which received documents Odoo's default limits hold: one e-invoice of N lines at a time through the pull.

    python3 bench/large_documents.py [--lines 500,1000,2000,3000]

Odoo runs in this process (``bench/testbed.py``) and the PSB simulator in its own. For each size, a vendor's
invoice of that many lines (about 620 bytes a line) waits at the simulator with its InvoiceReceived event in the
inbox, and the pull turns it into a bill: prints its size, the CPU seconds and wall seconds of that (download, safe
parse, Odoo's import, the check against the document, commit). CPU time is what ``limit_time_cpu`` counts (60 s by
default, per pass of a prefork cron worker), whatever else runs on the machine; wall time what ``limit_time_real``
counts (120 s).
"""

import argparse
import copy
import datetime
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lxml import etree
from testbed import ROOT, OdooTestbed, SimulatorProcess, activate_company

sys.path.insert(0, ROOT)
from psb_simulator import sample_invoice

PARTY, SELLER = "0106:12345678", "0106:55667788"
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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", default="500,1000,2000,3000")
    opts = parser.parse_args()
    rows = []
    with OdooTestbed() as bed, SimulatorProcess() as simulator:
        simulator.pause_webhooks()  # the events are stored here directly, as the webhook would
        simulator.add_client("bench", "bench-secret")
        simulator.add_user("bench", "bench-password", parties=[PARTY])
        with bed.env() as env:
            company = env.ref("base.main_company")
            activate_company(env, simulator, company, PARTY, "12345678")
            journal = env["account.journal"].search([("type", "=", "purchase"), ("company_id", "=", company.id)],
                                                    limit=1)
            company._econnect_switch_receiving([(company, True, journal)])  # at eConnect first, as the save does
            company.write({"econnect_receive_journal_id": journal.id, "econnect_receive": True})
            env["res.partner"].create({"name": "Demo Supplier B.V.", "is_company": True, "peppol_eas": "0106",
                                       "peppol_endpoint": "55667788"})
            company_id = company.id
        for lines in [int(n) for n in opts.lines.split(",")]:
            xml = invoice_of(lines, f"LARGE-{lines}")
            document_id = simulator.inject_incoming(PARTY, xml)
            with bed.env() as env:
                env["econnect.event"].create({
                    "company_id": company_id, "topic": "InvoiceReceived", "document_id": document_id,
                    "event_key": document_id, "event_created_on": datetime.datetime.now(),
                })
            with bed.env() as env:
                cpu, wall = time.process_time(), time.perf_counter()
                stats = env["econnect.event"]._econnect_pull()
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                assert stats["bills"] == 1, stats
            rows.append((lines, len(xml), cpu, wall))
            print(f"[large] {lines} lines, {len(xml) / 1e6:.2f} MB: {cpu:.1f} s CPU, {wall:.1f} s wall", flush=True)
    print()
    print("lines | size | CPU | wall")
    for lines, size, cpu, wall in rows:
        print(f"{lines:5d} | {size / 1e6:.2f} MB | {cpu:5.1f} s | {wall:5.1f} s")


if __name__ == "__main__":
    main()
