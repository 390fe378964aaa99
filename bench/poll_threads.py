#!/usr/bin/env python3
"""Repeated status polls over two companies: counts the calls that failed in the worker threads.

    python3 bench/poll_threads.py [--polls 15] [--invoices 12]

Starts a throwaway PostgreSQL, a database with econnect_odoo, the PSB simulator in a process of its own, and
two Dutch companies active at it. Sends ``--invoices`` invoices per company, then polls their status
``--polls`` times (each poll asks eConnect about every invoice, side by side in threads; between polls the
invoices are put back to *Sent*). Prints the calls made, the calls that failed and why. Any failure that is
not an answer of eConnect (a PSB error) means something crossed threads that must not.
"""

import argparse
import collections
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from testbed import OdooTestbed, SimulatorProcess, activate_company, create_invoices

COMPANIES = (("0106:12345678", "12345678", "Main BV"), ("0106:23456789", "23456789", "Second BV"))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--polls", type=int, default=15)
    parser.add_argument("--invoices", type=int, default=12, help="invoices per company (default 12)")
    opts = parser.parse_args()

    with OdooTestbed() as bed, SimulatorProcess() as simulator:
        simulator.pause_webhooks()  # the poll is the fallback for lost webhooks: nobody listens here
        simulator.add_client("bench", "bench-secret")
        simulator.add_user("bench", "bench-password", parties=[c[0] for c in COMPANIES])
        simulator.add_participant("0106:11223344", name="Buyer BV")
        move_ids = []
        with bed.env() as env:
            main_company = env.ref("base.main_company")
            for index, (party, kvk, name) in enumerate(COMPANIES):
                company = main_company if index == 0 else env["res.company"].create({"name": name})
                setup = activate_company(env, simulator, company, party, kvk)
                moves = create_invoices(env, opts.invoices, *setup)
                moves.action_econnect_send()
                assert set(moves.mapped("econnect_state")) == {"sent"}, moves.mapped("econnect_state")
                move_ids += moves.ids

        from odoo.addons.econnect_odoo.models import account_move

        calls, failures = 0, collections.Counter()
        original = account_move.run_parallel

        def counting(*args, **kwargs):
            nonlocal calls
            results = original(*args, **kwargs)
            calls += len(results)
            for _key, _answer, error in results:
                if error is not None:
                    failures[f"{type(error).__name__}: {str(error)[:60]}"] += 1
            return results

        account_move.run_parallel = counting
        try:
            for _poll in range(opts.polls):
                with bed.env() as env:
                    moves = env["account.move"].browse(move_ids)
                    env["account.move"]._econnect_poll_statuses(journals=moves.journal_id, batch_size=len(move_ids))
                    env.cr.execute(
                        "UPDATE account_move SET econnect_state = 'sent' WHERE id IN %s", [tuple(move_ids)]
                    )
        finally:
            account_move.run_parallel = original

    print()
    print(f"{opts.polls} polls of {len(move_ids)} invoices in {len(COMPANIES)} companies: {calls} status calls, "
          f"{sum(failures.values())} failed")
    for text, count in failures.most_common():
        print(f"  {count:4d} x {text}")


if __name__ == "__main__":
    main()
