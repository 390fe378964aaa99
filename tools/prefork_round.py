#!/usr/bin/env python3
"""One full round of econnect_odoo in Odoo's prefork mode, over HTTP as users do (``tools/run_tests.py`` runs it).

    python3 tools/prefork_round.py [--keep]

Odoo runs as production runs it (``tools/prefork.py``): ``--workers=2 --max-cron-threads=1`` with real time and
memory limits, the PSB simulator in a process of its own. Then, through JSON-RPC as the web client calls:

1. an administrator sets up the company and a connection, saves the eConnect settings and clicks *Activate*;
   saves the settings with receiving on (eConnect switches it on too);
2. an accountant posts an invoice and clicks *Send via eConnect*: it is *Sent*;
3. a vendor's e-invoice arrives: the simulator posts the signed webhook event to an HTTP worker, the cron worker
   (a process of its own) makes the vendor bill;
4. the simulator's delivery event (a webhook again) makes the sent invoice *Delivered*, through the cron worker;
5. what the addon keeps in process memory behaves with several processes: the connection's keys change in one
   worker while every worker holds a PSB client; calls served by both workers all use the new keys.

Fails (exit status 1) on any step that does not happen, on any ERROR or WARNING line in Odoo's log, and on a worker
killed by its limits. Without Odoo it prints ``SKIPPED: Odoo not installed``.
"""

import argparse
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))

PARTY, KVK = "0106:12345678", "12345678"
CUSTOMER = ("0106", "11223344")
SELLER = "0106:55667788"
CLIENT_ID, CLIENT_SECRET, USERNAME, PASSWORD = "round", "round-secret", "round-user", "round-password-1"
LOG_PID = re.compile(r"^\S+ \S+ (\d+) ")
TOLERATED = (
    # Odoo says this when Python runs as root (containers, CI): about the machine, not the addon.
    "Running as user 'root'",
)


def step(text):
    print(f"[round] {text}", flush=True)


def set_up_company(odoo, admin):
    """What an administrator does once in Odoo itself: company details, a chart, a tax, a bank account."""
    company_id = admin.call("res.users", "read", [admin.uid], ["company_id"])[0]["company_id"][0]
    admin.call("ir.config_parameter", "set_param", "web.base.url", odoo.base_url)
    admin.call("ir.config_parameter", "set_param", "web.base.url.freeze", "True")
    nl = admin.call("res.country", "search", [("code", "=", "NL")])[0]
    admin.call("res.company", "write", [company_id], {
        "country_id": nl, "vat": "NL004495445B01", "company_registry": KVK,
        "street": "Stationsplein 1", "zip": "3511 ED", "city": "Utrecht",
    })
    if not admin.call("account.account", "search_count", []):
        admin.call("account.chart.template", "try_loading", [], "generic_coa", company_id, install_demo=False)
    sale_tax = admin.call("account.tax", "create", {"name": "BTW 21%", "amount": 21, "type_tax_use": "sale"})
    company_partner = admin.call("res.company", "read", [company_id], ["partner_id"])[0]["partner_id"][0]
    bank = admin.call("res.partner.bank", "create", {
        "acc_number": "NL91ABNA0417164300", "partner_id": company_partner, "allow_out_payment": True,
    })
    customer = admin.call("res.partner", "create", {
        "name": "Buyer BV", "is_company": True, "country_id": nl, "street": "Kerkstraat 2", "zip": "1017 GA",
        "city": "Amsterdam", "vat": "NL123456782B90", "peppol_eas": CUSTOMER[0], "peppol_endpoint": CUSTOMER[1],
        "ref": "BUYER-REF",
    })
    journal = admin.call("account.journal", "search", [("type", "=", "purchase")], limit=1)[0]
    return {"company": company_id, "tax": sale_tax, "bank": bank, "customer": customer, "journal": journal}


def activate(odoo, admin, setup):
    simulator = odoo.simulator
    simulator.add_client(CLIENT_ID, CLIENT_SECRET)
    simulator.add_user(USERNAME, PASSWORD, parties=[PARTY], names={PARTY: "Round BV"})
    simulator.add_participant(f"{CUSTOMER[0]}:{CUSTOMER[1]}", name="Buyer BV")
    connection = admin.call("econnect.connection", "create", {
        "name": "Simulator", "environment": "custom", "api_url": simulator.api_url,
        "identity_url": simulator.identity_url, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
        "username": USERNAME, "password": PASSWORD,
    })
    admin.button("econnect.connection", "action_test_connection", [connection])
    settings = admin.call("res.config.settings", "create", {
        "econnect_connection_id": connection, "econnect_party_id": PARTY,
    })
    admin.button("res.config.settings", "execute", [settings])
    admin.button("res.config.settings", "action_econnect_activate", [settings])
    state = admin.call("res.company", "read", [setup["company"]], ["econnect_state"])[0]["econnect_state"]
    assert state == "active", f"the company is {state} after Activate"
    settings = admin.call("res.config.settings", "create", {
        "econnect_receive": True, "econnect_receive_journal_id": setup["journal"],
    })
    admin.button("res.config.settings", "execute", [settings])
    invoices = simulator.peppol_configs()["configs"]["NL:KVK:" + KVK]["capabilities"]["invoices"]
    assert invoices["state"] == "on", f"receiving is not on at eConnect: {invoices}"
    return connection


def send_invoice(admin, setup):
    move = admin.call("account.move", "create", {
        "move_type": "out_invoice", "partner_id": setup["customer"], "partner_bank_id": setup["bank"],
        "ref": "PO-ROUND-1",
        "invoice_line_ids": [(0, 0, {"name": "Consulting", "quantity": 3, "price_unit": 120.0,
                                     "tax_ids": [(6, 0, [setup["tax"]])]})],
    })
    admin.button("account.move", "action_post", [move])
    admin.button("account.move", "action_econnect_send", [move])
    state = admin.call("account.move", "read", [move], ["econnect_state"])[0]["econnect_state"]
    assert state == "sent", f"the invoice is {state} after Send via eConnect"
    return move


def keys_change_under_every_worker(odoo, admin, connection):
    """Every HTTP worker builds and keeps a PSB client; the keys change (eConnect and Odoo); every later call, in
    whichever worker, uses the new ones."""

    def test_connection_in_every_worker():
        """Test the connection (new HTTP connections, which the kernel hands to any worker) until every worker
        did; returns the worker pids."""
        offset = os.path.getsize(odoo.logfile)
        for _ in range(30):
            session = odoo.login("admin", "admin")
            session.button("econnect.connection", "action_test_connection", [connection])
            with open(odoo.logfile, encoding="utf-8", errors="replace") as handle:
                handle.seek(offset)
                pids = {LOG_PID.match(line)[1] for line in handle if "call_button" in line and LOG_PID.match(line)}
            if len(pids) >= odoo.workers:
                return pids
        raise AssertionError(f"30 calls were served by the workers {pids} only")

    before = test_connection_in_every_worker()
    odoo.simulator.add_user(USERNAME, "round-password-2", parties=[PARTY], names={PARTY: "Round BV"})
    odoo.simulator.expire_tokens()  # the old password's tokens go too
    admin.call("econnect.connection", "write", [connection], {"password": "round-password-2"})
    return before, test_connection_in_every_worker()


def run_round(odoo):
    admin = odoo.login("admin", "admin")
    step("setting up the company (chart, tax, bank account, a Peppol customer)")
    setup = set_up_company(odoo, admin)
    step("activating: a connection, the eConnect settings saved, Activate; receiving switched on in Settings")
    connection = activate(odoo, admin, setup)
    step("sending an invoice: posted, Send via eConnect")
    move = send_invoice(admin, setup)
    step("a vendor's signed e-invoice arrives: webhook to an HTTP worker, the cron worker makes the bill")
    document_id = odoo.simulator.inject_sample(PARTY, sender_id=SELLER, number="ROUND-IN-1", amount="80.00")
    from prefork import wait_until

    bill = wait_until(
        lambda: admin.call("account.move", "search_read", [("econnect_received_document_id", "=", document_id)],
                           ["id", "move_type", "state"]),
        90, "the vendor bill of the received document",
    )
    assert len(bill) == 1 and bill[0]["move_type"] == "in_invoice", bill
    step("the delivery event arrives: the sent invoice becomes Delivered (cron worker)")
    wait_until(
        lambda: admin.call("account.move", "read", [move], ["econnect_state"])[0]["econnect_state"] == "delivered",
        90, "the sent invoice Delivered",
    )
    events = odoo.sql("SELECT topic, state, attempts, write_uid FROM econnect_event ORDER BY id")
    done = {(topic, state) for topic, state, _attempts, _uid in events}
    assert done >= {("InvoiceReceived", "done"), ("InvoiceSent", "done")}, events
    cron = odoo.worker_pids()["cron"]
    pulls = [line for line in odoo.log_lines("INFO") if "'eConnect: pull" in line and ") starting" in line]
    pull_pids = {LOG_PID.match(line)[1] for line in pulls}
    assert pull_pids and pull_pids <= {str(pid) for pid in cron}, (pull_pids, cron)
    step("changing the connection's keys while every worker holds a PSB client")
    pids = keys_change_under_every_worker(odoo, admin, connection)
    return {"events": events, "cron": cron, "pull_pids": pull_pids, "key_change_pids": pids}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep", action="store_true", help="keep Odoo's log and data directory")
    opts = parser.parse_args()
    probe = subprocess.run([sys.executable, "-c", "import odoo.release"], capture_output=True, check=False)
    if probe.returncode:
        print("SKIPPED: Odoo not installed (import odoo failed) - the prefork round did not run")
        return 0
    from prefork import PreforkOdoo

    started = time.monotonic()
    with PreforkOdoo() as odoo:
        try:
            result = run_round(odoo)
            problems = []
        except Exception as error:  # reported with the log below
            result, problems = None, [f"{type(error).__name__}: {error}"]
        bad = [line for line in odoo.log_lines("WARNING", "ERROR", "CRITICAL") if not any(t in line for t in TOLERATED)]
        problems += [f"log: {line[:300]}" for line in bad]
        if opts.keep:
            print(f"[round] kept: {odoo.tmp}")
    if result:
        step(f"events: {result['events']}")
        step(f"the pull ran in the cron worker {sorted(result['pull_pids'])} (cron workers now: {result['cron']})")
        before, after = result["key_change_pids"]
        step(f"connection tests served by the workers {sorted(before)} before the key change, {sorted(after)} after")
    verdict = "FAILED" if problems else "OK"
    print(f"[round] {verdict}: prefork round in {time.monotonic() - started:.0f} s")
    for problem in problems:
        print(f"    {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
