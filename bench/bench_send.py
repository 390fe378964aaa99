#!/usr/bin/env python3
"""Benchmark of "Send via eConnect" against Odoo's own UBL export, measured in the same run.

    python3 bench/bench_send.py [-n 200]

Starts a throwaway PostgreSQL, installs econnect_odoo in a fresh database, runs Odoo in this process and our
PSB simulator on 127.0.0.1 in a process of its own (standing for the remote eConnect), creates N posted
invoices, and prints:

1. median ms per invoice of Odoo's own UBL export alone (the builder our path uses);
2. median ms per invoice of the whole "Send via eConnect" path (checks, receiver lookup, UBL, document id
   committed, upload to the simulator at zero latency, state, attachment, chatter), sent from the list ten at a
   time, the whole list of N at once (queued, then the scheduled action), and one click per invoice;
3. their ratios (target <= 1.25);
4. where the time of one click goes: ms per invoice of each stage (``bench/stages.py``);
5. SQL queries per invoice of a batch send, for N/4 and N invoices (must not grow with N);
6. wall time of a batch of N at 50 ms simulated latency per call, against N x 50 ms plus the UBL time
   (uploads overlap).
"""

import argparse
import collections
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from stages import StageTimer
from testbed import OdooTestbed, SimulatorProcess, activate_company, create_invoices, median

CHUNK = 10  # invoices per list action in the batch measurement
# The stages of one click (bench/stages.py), in the order they run.
CLICK_STAGES = {
    "checks (_econnect_precheck: receiver, party ids, ...)": ("account.move", "_econnect_precheck"),
    "builder problems (_econnect_add_builder_problems)": ("account.move", "_econnect_add_builder_problems"),
    "UBL built (_econnect_build_documents), of which:": ("account.move", "_econnect_build_documents"),
    "  Odoo's export (BIS 3)": ("account.edi.xml.ubl_bis3", "_export_invoice"),
    "  Odoo's export (NLCIUS)": ("account.edi.xml.ubl_nl", "_export_invoice"),
    "claim: lock, document id, UBL attachment, commit": ("account.move", "_econnect_claim"),
    "  UBL attachment stored": ("account.move", "_econnect_store_documents"),
    "  upload plan read": ("account.move", "_econnect_upload_plan"),
    "upload and its outcome (_econnect_upload), of which:": ("account.move", "_econnect_upload"),
    "  outcome recorded: state, chatter": ("account.move", "_econnect_record_upload_results"),
    "  chatter note": ("account.move", "_econnect_log"),
    "result notification": ("account.move", "_econnect_result_notification"),
}


def setup_company(env, simulator):
    """The main company, Dutch and active at the simulator; one Peppol customer."""
    simulator.add_client("bench", "bench-secret")
    simulator.add_user("bench", "bench-password", parties=["0106:12345678"])
    simulator.add_participant("0106:11223344", name="Buyer BV")
    company = env.ref("base.main_company")
    return (company, *activate_company(env, simulator, company, "0106:12345678", "12345678"))


def print_cpu(cpu, kind):
    """The CPU time of this process (Odoo's Python work; PostgreSQL's and the simulator's are not in it): a figure
    that the load of a shared machine changes far less than the wall time."""
    export, send = median(cpu[f"{kind}_export"]) * 1000, median(cpu[f"{kind}_send"]) * 1000
    print(f"    CPU of this process: export / send, medians {export:6.2f} / {send:.2f} ms, ratio {send / export:.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=200, help="invoices per measurement (default 200)")
    parser.add_argument("--latency", type=float, default=0.05, help="simulated latency per call (default 0.05 s)")
    opts = parser.parse_args()
    n = opts.n

    cpu = collections.defaultdict(list)  # the same measurements in CPU time of this process (Odoo's Python work)
    with OdooTestbed() as bed, SimulatorProcess() as simulator:
        simulator.pause_webhooks()  # nobody listens: this benchmark measures the sending side
        with bed.env() as env:
            _company, tax, bank, customer = setup_company(env, simulator)
            ids = {"tax": tax.id, "bank": bank.id, "customer": customer.id}

        def records(env):
            return env["account.tax"].browse(ids["tax"]), env["res.partner.bank"].browse(ids["bank"]), \
                env["res.partner"].browse(ids["customer"])

        # -- 1 and 2. Odoo's own UBL export alone, and the whole "Send via eConnect" path -----------------
        # (a) as the list action sends them: chunks of CHUNK invoices from a cold cache; time per invoice of
        #     each chunk, median over the chunks. (b) one click per invoice: each invoice alone from a cold
        #     cache. Export and send are measured one after the other on the same invoices, so that both see
        #     the same machine load.
        with bed.env() as env:
            moves = create_invoices(env, n, *records(env))
            builder = env["account.edi.xml.ubl_bis3"]
            for move in moves[:5]:  # warm-up: template compilation, caches
                builder._export_invoice(move)
            half = n // 2
            batch_export, batch_send = [], []
            for start in range(0, half, CHUNK):
                chunk_ids = moves.ids[start:start + CHUNK]
                env.invalidate_all()
                started, cpu_started = time.perf_counter(), time.process_time()
                for move in env["account.move"].browse(chunk_ids):
                    move._econnect_builder()._export_invoice(move)
                batch_export.append((time.perf_counter() - started) / len(chunk_ids))
                cpu["batch_export"].append((time.process_time() - cpu_started) / len(chunk_ids))
                env.invalidate_all()
                started, cpu_started = time.perf_counter(), time.process_time()
                env["account.move"].browse(chunk_ids).action_econnect_send()
                batch_send.append((time.perf_counter() - started) / len(chunk_ids))
                cpu["batch_send"].append((time.process_time() - cpu_started) / len(chunk_ids))
            click_export, click_send = [], []
            from odoo.addons.econnect_odoo.models import account_move

            click_timer = StageTimer(bed.registry, CLICK_STAGES, {
                "  commits (tools/queue.commit)": (account_move, "commit"),
                "  upload calls (HTTP to the simulator, threads)": (account_move, "run_parallel"),
            })
            for move_id in moves.ids[half:]:
                env.invalidate_all()
                move = env["account.move"].browse(move_id)
                started, cpu_started = time.perf_counter(), time.process_time()
                move._econnect_builder()._export_invoice(move)
                click_export.append(time.perf_counter() - started)
                cpu["click_export"].append(time.process_time() - cpu_started)
                env.invalidate_all()
                move = env["account.move"].browse(move_id)
                with click_timer:
                    started, cpu_started = time.perf_counter(), time.process_time()
                    move.action_econnect_send()
                    click_send.append(time.perf_counter() - started)
                    cpu["click_send"].append(time.process_time() - cpu_started)
                click_timer.add_unit()
            states = set(moves.mapped("econnect_state"))
            assert states == {"sent"}, states
            export_times = batch_export + click_export

        # (c) the whole batch from the list at once, as users send hundreds: the click checks and builds them and
        #     queues them, the scheduled action uploads them in the background; time per invoice of the click plus
        #     the scheduled action, against Odoo's export of the same invoices (cold cache each time). Three rounds
        #     of N invoices; medians.
        whole_export, whole_send = [], []
        for _round in range(3):
            with bed.env() as env:
                moves = create_invoices(env, n, *records(env))
            with bed.env() as env:
                moves = env["account.move"].browse(moves.ids)
                env.invalidate_all()
                started, cpu_started = time.perf_counter(), time.process_time()
                for move in moves:
                    move._econnect_builder()._export_invoice(move)
                whole_export.append((time.perf_counter() - started) / n)
                cpu["whole_export"].append((time.process_time() - cpu_started) / n)
                env.invalidate_all()
                started, cpu_started = time.perf_counter(), time.process_time()
                moves.action_econnect_send()
                env["account.move"]._cron_econnect_send(batch_size=max(200, n))
                whole_send.append((time.perf_counter() - started) / n)
                cpu["whole_send"].append((time.process_time() - cpu_started) / n)
                assert set(moves.mapped("econnect_state")) == {"sent"}, set(moves.mapped("econnect_state"))

        # -- 3. SQL queries per invoice of a batch, two sizes ---------------------------------------------
        queries = {}
        for size in (max(1, n // 4), n):
            with bed.env() as env:
                moves = create_invoices(env, size, *records(env))
            with bed.env() as env:
                moves = env["account.move"].browse(moves.ids)
                before = env.cr.sql_log_count
                assert not moves._econnect_precheck()
                documents, problems = moves._econnect_build_documents()
                assert not problems
                plan = moves._econnect_claim(documents=documents)
                moves._econnect_upload(plan)
                queries[size] = (env.cr.sql_log_count - before) / size
                assert set(moves.mapped("econnect_state")) == {"sent"}

        # -- 4. a batch at simulated latency: background send of N invoices -------------------------------
        with bed.env() as env:
            moves = create_invoices(env, n, *records(env))
        simulator.set_latency(opts.latency)
        with bed.env() as env:
            moves = env["account.move"].browse(moves.ids)
            calls_before = len(simulator.requests())
            started, cpu_started = time.perf_counter(), time.process_time()
            moves.action_econnect_send()  # up to 50: at once; more: queued, and the scheduled action uploads them
            env["account.move"]._cron_econnect_send(batch_size=max(200, n))
            batch_wall = time.perf_counter() - started
            calls = len(simulator.requests()) - calls_before
            assert set(moves.mapped("econnect_state")) == {"sent"}, set(moves.mapped("econnect_state"))
        simulator.set_latency(0.0)

    serial = n * opts.latency
    ubl_total = median(export_times) * n
    b_export, b_send = median(batch_export) * 1000, median(batch_send) * 1000
    c_export, c_send = median(click_export) * 1000, median(click_send) * 1000
    print()
    print(f"econnect_odoo send benchmark, N = {n} invoices of 5 lines (Odoo 18.0, this machine)")
    print(f"  list action, {CHUNK} invoices at a time (median per invoice over {len(batch_send)} chunks):")
    print(f"    Odoo's own UBL export alone                 {b_export:8.2f} ms/invoice")
    print(f"    whole 'Send via eConnect' (latency 0)       {b_send:8.2f} ms/invoice")
    print(f"    ratio send / export                         {b_send / b_export:8.2f}   (target <= 1.25)")
    print_cpu(cpu, "batch")
    w_export, w_send = median(whole_export) * 1000, median(whole_send) * 1000
    w_ratio = median([sent / exported for sent, exported in zip(whole_send, whole_export, strict=True)])
    print(f"  the whole list of {n} at once (checked, queued, sent by the scheduled action; median of 3 rounds):")
    print(f"    Odoo's own UBL export alone                 {w_export:8.2f} ms/invoice")
    print(f"    whole 'Send via eConnect' (latency 0)       {w_send:8.2f} ms/invoice")
    print(f"    ratio send / export                         {w_ratio:8.2f}   (target <= 1.25)")
    print_cpu(cpu, "whole")
    print(f"  one click per invoice (median over {len(click_send)} invoices):")
    print(f"    Odoo's own UBL export alone                 {c_export:8.2f} ms/invoice")
    print(f"    whole 'Send via eConnect' (latency 0)       {c_send:8.2f} ms/invoice")
    print(f"    ratio send / export                         {c_send / c_export:8.2f}")
    print_cpu(cpu, "click")
    print("  where the time of one click goes (mean ms/invoice, wall / CPU of this process; a stage inside another "
          "counts in both):")
    stage_cpu = click_timer.per_unit(cpu=True)
    for name, seconds in click_timer.per_unit().items():
        print(f"    {name:58s} {seconds * 1000:7.2f} / {stage_cpu[name] * 1000:6.2f}")
    for size, per_invoice in queries.items():
        print(f"  SQL queries per invoice, batch of {size:4d}          {per_invoice:8.1f}")
    latency_ms = opts.latency * 1000
    print(f"  batch of {n} at {latency_ms:.0f} ms/call: wall {batch_wall:6.2f} s for {calls} HTTP calls; "
          f"N x {latency_ms:.0f} ms = {serial:.2f} s; + UBL time {ubl_total:.2f} s = {serial + ubl_total:.2f} s")
    ratio = batch_wall / (serial + ubl_total)
    print(f"  batch wall / (N x latency + UBL)                {ratio:8.2f}   (uploads overlap)")


if __name__ == "__main__":
    main()
