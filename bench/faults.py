#!/usr/bin/env python3
"""Faults for real: the cron worker is killed (SIGKILL) in the middle of sending and in the middle of the pull.

    python3 bench/faults.py [--invoices 120] [--documents 100] [--kills 2] [--latency 0.3]

Odoo runs in prefork mode with real limits (``tools/prefork.py``: 2 HTTP workers, 1 cron worker), the PSB simulator
in a process of its own. Then:

1. sending: an accountant sends ``--invoices`` invoices from the list at once (more than 50: queued, uploaded by the
   scheduled action in the cron worker); the simulator answers each upload after ``--latency`` seconds; while the
   uploads are under way the cron worker is killed ``--kills`` times (Odoo's arbiter starts a new one, which picks
   the queue up again);
2. receiving: ``--documents`` signed incoming invoices arrive as webhook events at once; while the cron worker makes
   them into bills it is killed ``--kills`` times;
3. nothing else is done: the crons run (woken by their triggers and their retries) until nothing is left.

Prints invoices sent, uploads eConnect accepted per invoice (exactly 1 each), invoices lost (0), documents received,
bills per document (exactly 1), events stuck (0), and how long it took. Exit status 1 when a figure is off.
"""

import argparse
import collections
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))

from prefork import PreforkOdoo, wait_until  # noqa: E402
from prefork_round import PARTY, SELLER, activate, set_up_company  # noqa: E402


def kill_while(odoo, progress, total, kills, what):
    """Kill the cron worker each time ``progress()`` passes another 1/(kills+1) of ``total``. Returns the kills."""
    done = []
    for number in range(1, kills + 1):
        target = total * number // (kills + 1)
        wait_until(lambda t=target: progress() >= t, 600, f"{what}: {target} of {total}", interval=0.05)
        at = progress()
        if at >= total:
            break
        pid = odoo.kill_cron_worker()
        done.append((at, pid))
        print(f"[faults] {what}: SIGKILL to the cron worker {pid} at {at} of {total}", flush=True)
        wait_until(lambda p=pid: odoo.worker_pids()["cron"] not in ([], [p]), 60, "a new cron worker", interval=0.2)
    return done


def send_phase(odoo, admin, setup, opts):
    lines = [(0, 0, {"name": "Work", "quantity": 2, "price_unit": 50.0, "tax_ids": [(6, 0, [setup["tax"]])]})]
    moves = admin.call("account.move", "create", [
        {"move_type": "out_invoice", "partner_id": setup["customer"], "partner_bank_id": setup["bank"],
         "ref": f"PO-FAULT-{i}", "invoice_line_ids": lines}
        for i in range(opts.invoices)
    ])
    admin.button("account.move", "action_post", moves)
    numbers = {row["id"]: row["name"] for row in admin.call("account.move", "read", moves, ["name"])}
    odoo.simulator.set_latency(opts.latency)
    started = time.monotonic()
    admin.button("account.move", "action_econnect_send", moves)  # the list action: queued in the background

    def uploaded():
        return len(odoo.simulator.sent_documents())

    kills = kill_while(odoo, uploaded, opts.invoices, opts.kills, "sending")
    wait_until(
        lambda: odoo.sql("SELECT count(*) FROM account_move WHERE id IN %s AND econnect_state IN ('sent', 'delivered')",
                         [tuple(moves)])[0][0] == opts.invoices,
        900, "every invoice sent", interval=1,
    )
    elapsed = time.monotonic() - started
    odoo.simulator.set_latency(0.0)
    return {"moves": moves, "numbers": numbers, "kills": kills, "seconds": elapsed}


def receive_phase(odoo, opts):
    started = time.monotonic()
    documents = [
        odoo.simulator.inject_sample(PARTY, sender_id=SELLER, number=f"FAULT-IN-{i:04d}", amount=f"{100 + i}.00")
        for i in range(opts.documents)
    ]

    def bills():
        return odoo.sql("SELECT count(*) FROM account_move WHERE econnect_received_document_id IN %s",
                        [tuple(documents)])[0][0]

    kills = kill_while(odoo, bills, opts.documents, opts.kills, "receiving")
    wait_until(lambda: bills() >= opts.documents, 900, "a bill for every document", interval=1)
    return {"documents": documents, "kills": kills, "seconds": time.monotonic() - started}


def settle(odoo, timeout=900):
    """The crons run until nothing is left: no event to process, no invoice to upload or waiting for its delivery."""
    started = time.monotonic()

    def nothing_left():
        pending = odoo.sql("SELECT count(*) FROM econnect_event WHERE state = 'pending'")[0][0]
        queued = odoo.sql("SELECT count(*) FROM account_move WHERE econnect_state IN ('queued', 'retrying', 'sent')")
        return pending == 0 and queued[0][0] == 0

    wait_until(nothing_left, timeout, "nothing left to do", interval=2)
    return time.monotonic() - started


def figures(odoo, send, receive):
    by_number = collections.Counter(doc["number"] for doc in odoo.simulator.sent_documents())
    numbers = list(send["numbers"].values())
    accepted = [by_number.get(number, 0) for number in numbers]
    states = dict(odoo.sql(
        "SELECT econnect_state, count(*) FROM account_move WHERE id IN %s GROUP BY 1", [tuple(send["moves"])]
    ))
    bills = dict(odoo.sql(
        "SELECT econnect_received_document_id, count(*) FROM account_move WHERE econnect_received_document_id IN %s "
        "GROUP BY 1", [tuple(receive["documents"])],
    ))
    per_document = [bills.get(document_id, 0) for document_id in receive["documents"]]
    events = dict(odoo.sql("SELECT state, count(*) FROM econnect_event GROUP BY 1"))
    attempts = collections.Counter(dict(odoo.sql(
        "SELECT attempts, count(*) FROM econnect_event WHERE state = 'done' GROUP BY 1"
    )))
    upload_calls = len(odoo.simulator.requests(path_contains="/salesInvoice/send"))
    return {
        "invoices": len(numbers),
        "sent": states.get("sent", 0) + states.get("delivered", 0),
        "delivered": states.get("delivered", 0),
        "accepted": (min(accepted), max(accepted)),
        "upload_calls": upload_calls,
        "lost": sum(1 for count in accepted if count == 0),
        "duplicates": sum(count - 1 for count in accepted if count > 1) + sum(c - 1 for c in per_document if c > 1),
        "documents": len(per_document),
        "bills": (min(per_document), max(per_document)),
        "no_bill": sum(1 for count in per_document if count == 0),
        "events": events,
        "stuck": events.get("pending", 0) + events.get("error", 0),
        "attempts": dict(sorted(attempts.items())),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=120)
    parser.add_argument("--documents", type=int, default=100)
    parser.add_argument("--kills", type=int, default=2, help="SIGKILLs per phase (default 2)")
    parser.add_argument("--latency", type=float, default=0.3, help="seconds per simulated upload (default 0.3)")
    parser.add_argument("--keep", action="store_true")
    opts = parser.parse_args()

    with PreforkOdoo() as odoo:
        admin = odoo.login("admin", "admin")
        setup = set_up_company(odoo, admin)
        activate(odoo, admin, setup)
        print(f"[faults] sending {opts.invoices} invoices from the list...", flush=True)
        send = send_phase(odoo, admin, setup, opts)
        print(f"[faults] {opts.documents} documents arrive...", flush=True)
        receive = receive_phase(odoo, opts)
        settle_seconds = settle(odoo)
        result = figures(odoo, send, receive)
        killed = odoo.log_lines("ERROR", "CRITICAL")
        if opts.keep:
            print(f"[faults] kept: {odoo.tmp}")

    r = result
    print()
    print(f"econnect_odoo faults: prefork (2 HTTP workers, 1 cron worker), the cron worker SIGKILLed "
          f"{len(send['kills'])} time(s) while sending, {len(receive['kills'])} time(s) while receiving")
    print(f"  invoices sent                    {r['sent']} of {r['invoices']} ({r['delivered']} delivered), "
          f"in {send['seconds']:.0f} s; killed at {[at for at, _pid in send['kills']]} uploads")
    print(f"  uploads accepted per invoice     min {r['accepted'][0]}, max {r['accepted'][1]} "
          f"({r['upload_calls']} upload calls: the repeats answered 409, already sent)")
    print(f"  invoices lost                    {r['lost']}")
    print(f"  documents received               {r['documents']}, in {receive['seconds']:.0f} s; "
          f"killed at {[at for at, _pid in receive['kills']]} bills")
    print(f"  bills per document               min {r['bills'][0]}, max {r['bills'][1]} ({r['no_bill']} without)")
    print(f"  duplicates                       {r['duplicates']}")
    print(f"  events stuck                     {r['stuck']} (events {r['events']}; attempts of the done ones "
          f"{r['attempts']})")
    print(f"  settled after the last phase in  {settle_seconds:.0f} s; ERROR/CRITICAL log lines: {len(killed)}")
    ok = (r["sent"] == r["invoices"] and r["accepted"] == (1, 1) and not r["lost"] and r["bills"] == (1, 1)
          and not r["duplicates"] and not r["stuck"])
    print("  verdict                          " + ("OK" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
