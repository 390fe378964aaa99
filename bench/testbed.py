"""What every benchmark needs: a throwaway PostgreSQL, a fresh Odoo database with the addon, and Odoo itself
running in this process (so figures are measured on the same ORM, cursor and machine as Odoo's own work).

    with OdooTestbed() as bed:
        with bed.env() as env:   # a cursor; committed when the block ends
            ...
"""

import contextlib
import os
import secrets
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "econnect_odoo"))
sys.path.insert(0, ROOT)  # psb_simulator/ (development tooling)

from pgcluster import ThrowawayCluster, free_port  # noqa: E402
from run_tests import odoo_addons_path, odoo_available  # noqa: E402


class OdooTestbed:
    def __init__(self, modules="econnect_odoo", db=None, quiet=True):
        if not odoo_available():
            raise SystemExit("SKIPPED: Odoo not installed (import odoo failed): the benchmark needs the test bed.")
        self.modules = modules
        self.db = db or f"econnect_bench_{int(time.time())}"
        self.quiet = quiet
        self.stack = contextlib.ExitStack()
        self.registry = None

    def __enter__(self):
        env = dict(os.environ)
        if not any(k in os.environ for k in ("PGHOST", "PGPORT", "PGUSER")):
            cluster = self.stack.enter_context(ThrowawayCluster())
            env.update(cluster.env)
        self.pg = env
        data_dir = tempfile.mkdtemp(prefix="econnect-bench-data-")
        args = [
            f"--addons-path={odoo_addons_path()}", f"--data-dir={data_dir}", "-d", self.db,
            f"--db_host={env['PGHOST']}", f"--db_port={env['PGPORT']}", f"--db_user={env['PGUSER']}",
            "--log-level=warn", "--max-cron-threads=0",
        ]
        print(f"[testbed] installing {self.modules} in a fresh database {self.db} (about a minute)...", flush=True)
        started = time.monotonic()
        subprocess.run(
            [sys.executable, "-m", "odoo", *args, "-i", self.modules, "--without-demo=all", "--stop-after-init",
             "--no-http"],
            check=True, env=env, stdout=subprocess.DEVNULL if self.quiet else None,
        )
        print(f"[testbed] installed in {time.monotonic() - started:.0f} s", flush=True)

        import odoo
        from odoo.modules.registry import Registry

        odoo.tools.config.parse_config(args, setup_logging=True)
        self.registry = Registry(self.db)
        return self

    @contextlib.contextmanager
    def env(self, context=None):
        import odoo

        with self.registry.cursor() as cr:
            yield odoo.api.Environment(cr, odoo.SUPERUSER_ID, context or {})
            cr.commit()

    def __exit__(self, *exc):
        self.stack.close()


class SimulatorProcess:
    """Our PSB simulator in a process of its own, like the remote eConnect it stands for: its work (parsing the
    UBL, bookkeeping) is not counted in the figures of the Odoo process.

        with SimulatorProcess() as simulator:   # a RemoteSimulator, plus api_url / identity_url
            simulator.add_client(...); simulator.set_latency(0.05)
    """

    def __init__(self):
        self.process = None

    def __enter__(self):
        from psb_simulator.remote import RemoteSimulator

        port = free_port()
        token = secrets.token_urlsafe(32)
        self.process = subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "bin", "psb-simulator"), "--port", str(port)],
            stdout=subprocess.DEVNULL, env=dict(os.environ, PSB_SIMULATOR_TOKEN=token),
        )
        remote = RemoteSimulator(f"http://127.0.0.1:{port}", token=token)
        remote.api_url = remote.identity_url = remote.url
        deadline = time.monotonic() + 30
        while True:
            try:
                remote.health()
                return remote
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the PSB simulator did not start") from None
                time.sleep(0.1)

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=10)


def activate_company(env, simulator, company, party, kvk, customer_party="0106:11223344"):
    """Make ``company`` a Dutch company (chart, 21% tax, bank account) active at ``simulator`` as ``party``
    (credentials ``bench``/``bench-secret``, user ``bench``/``bench-password``: add them to the simulator first).
    Returns ``(tax, bank, customer)``: what :func:`create_invoices` needs; the customer is shared."""
    company.write({
        "country_id": env.ref("base.nl").id, "vat": "NL004495445B01", "company_registry": kvk,
        "street": "Stationsplein 1", "zip": "3511 ED", "city": "Utrecht",
    })
    env.user.company_ids |= company
    env.cr.flush()  # a new company gets its parent's chart of accounts when the transaction is flushed
    if not env["account.account"].search_count([("company_ids", "in", company.ids)], limit=1):
        env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
    tax = env["account.tax"].create({
        "name": "BTW 21%", "amount": 21, "type_tax_use": "sale", "company_id": company.id,
    })
    bank = env["res.partner.bank"].create({
        "acc_number": f"NL91ABNA04{kvk[:8]}", "partner_id": company.partner_id.id, "allow_out_payment": True,
    })
    connection = env["econnect.connection"].create({
        "name": f"Simulator {company.name}", "environment": "custom",
        "api_url": simulator.api_url, "identity_url": simulator.identity_url,
        "client_id": "bench", "client_secret": "bench-secret", "username": "bench", "password": "bench-password",
    })
    company.write({"econnect_connection_id": connection.id, "econnect_party_id": party})
    company.action_econnect_activate()
    eas, endpoint = customer_party.split(":")
    customer = env["res.partner"].search([("peppol_endpoint", "=", endpoint)], limit=1) or env["res.partner"].create({
        "name": "Buyer BV", "is_company": True, "country_id": env.ref("base.nl").id,
        "street": "Kerkstraat 2", "zip": "1017 GA", "city": "Amsterdam", "vat": "NL123456782B90",
        "peppol_eas": eas, "peppol_endpoint": endpoint, "ref": "BUYER-REF",
    })
    return tax, bank, customer


def create_invoices(env, count, tax, bank, customer, lines=5):
    """``count`` posted customer invoices of ``lines`` lines in the company of ``tax``."""
    moves = env["account.move"].with_company(tax.company_id).create([
        {
            "move_type": "out_invoice",
            "partner_id": customer.id,
            "partner_bank_id": bank.id,
            "ref": f"PO-{i}",
            "invoice_line_ids": [
                (0, 0, {
                    "name": f"Item {j}", "quantity": 1 + j, "price_unit": 10.0 + i + j, "tax_ids": [(6, 0, tax.ids)],
                })
                for j in range(lines)
            ],
        }
        for i in range(count)
    ])
    moves.action_post()
    return moves


def median(values):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def percentile(values, fraction):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]
