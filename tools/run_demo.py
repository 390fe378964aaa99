#!/usr/bin/env python3
"""Run econnect_odoo for a person: Odoo on http://localhost:8069 with a demo company connected to eConnect's
**demo** environment (our PSB simulator on 127.0.0.1:8070), no eConnect credentials needed.

    python3 tools/run_demo.py [--db econnect_demo] [--port 8069] [--reset]

PostgreSQL: a cluster of its own in ``var/pg`` (kept between runs) unless ``PG*`` variables point at one.
Login: admin / admin. Ctrl-C stops everything. The demo company sends by eConnect to the customer
"Azure Interior" (post an invoice for it and click Send via eConnect), receives e-invoices (one demo vendor
bill arrives at start), and the simulator's control API (http://127.0.0.1:8070/_sim/...) injects more.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))

from pgcluster import ThrowawayCluster  # noqa: E402
from run_tests import odoo_addons_path, odoo_available  # noqa: E402

SIMULATOR_PORT = 8070

SETUP_SCRIPT = """
env['ir.config_parameter'].sudo().set_param('web.base.url', 'http://localhost:%(port)s')
company = env.ref('base.main_company')
company.write({
    'country_id': env.ref('base.nl').id, 'vat': 'NL004495445B01', 'company_registry': '12345678',
    'street': company.street or 'Stationsplein 1', 'zip': company.zip or '3511 ED', 'city': company.city or 'Utrecht',
})
if not company.partner_id.bank_ids:
    env['res.partner.bank'].create({'acc_number': 'NL91ABNA0417164300', 'partner_id': company.partner_id.id})
if company.econnect_state != 'active':
    company.action_econnect_activate()
if not company.econnect_receive:
    journal = env['account.journal'].search([('type', '=', 'purchase'), ('company_id', '=', company.id)], limit=1)
    company.econnect_receive_journal_id = journal
    company.econnect_set_receive(True)
customer = env.ref('base.res_partner_12', raise_if_not_found=False)
if customer:
    customer.write({
        'country_id': env.ref('base.nl').id, 'company_registry': '87654321', 'ref': 'DEMO-BUYER',
        'peppol_eas': '0106', 'peppol_endpoint': '87654321',
    })
    customer.with_company(company).invoice_sending_method = 'econnect'
env.cr.commit()
print('demo company active at the eConnect demo environment; customer %%s sends by eConnect' %%
      (customer and customer.name))
"""


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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="econnect_demo")
    parser.add_argument("--port", type=int, default=8069)
    parser.add_argument("--reset", action="store_true", help="drop the demo cluster and start over")
    opts = parser.parse_args()
    # a SIGTERM (e.g. from `timeout`) stops the cluster and the simulator like Ctrl-C does
    signal.signal(signal.SIGTERM, lambda *_args: (_ for _ in ()).throw(KeyboardInterrupt()))
    if not odoo_available():
        print("Odoo 18 is not importable from this Python: install it first (see README).")
        return 1

    env = dict(os.environ)
    cluster = None
    if not any(k in os.environ for k in ("PGHOST", "PGPORT", "PGUSER")):
        pg_dir = os.path.join(ROOT, "var", "pg")
        if opts.reset:
            shutil.rmtree(pg_dir, ignore_errors=True)
        cluster = ThrowawayCluster(pg_dir, port=5439, keep=True).start()
        env.update(cluster.env)
    token_file = os.path.join(ROOT, "var", "psb-simulator.token")
    simulator = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "bin", "psb-simulator"), "--demo", "--port", str(SIMULATOR_PORT),
         "--token-file", token_file, "--state-file", os.path.join(ROOT, "var", "psb-simulator.json")],
    )
    demo_url = f"http://127.0.0.1:{SIMULATOR_PORT}"
    env["ECONNECT_DEMO_URL"] = demo_url
    try:
        if not wait_for(f"{demo_url}/_sim/health"):
            print("the simulator did not start")
            return 1
        data_dir = os.path.join(ROOT, "var", "odoo-data")
        common = [
            f"--addons-path={odoo_addons_path()}", f"--data-dir={data_dir}", "-d", opts.db,
            f"--db_host={env['PGHOST']}", f"--db_port={env['PGPORT']}", f"--db_user={env['PGUSER']}",
        ]
        if not database_exists(env, opts.db):
            subprocess.run([sys.executable, "-m", "odoo", *common, "-i", "econnect_odoo", "--stop-after-init",
                            "--no-http"], check=True, env=env)
        subprocess.run([sys.executable, "-m", "odoo", "shell", *common, "--no-http"], check=True, env=env,
                       input=SETUP_SCRIPT % {"port": opts.port}, text=True)
        print(f"\nOdoo: http://localhost:{opts.port} (admin / admin); eConnect demo simulator: {demo_url}\n")
        server = subprocess.Popen([sys.executable, "-m", "odoo", *common, f"--http-port={opts.port}"], env=env)
        if wait_for(f"http://localhost:{opts.port}/web/login", timeout=120):
            # a vendor's e-invoice arrives: eConnect's webhook tells Odoo, which turns it into a vendor bill
            with open(token_file, encoding="utf-8") as handle:
                token = handle.read().strip()
            request = urllib.request.Request(
                f"{demo_url}/_sim/incoming/sample", method="POST",
                headers={"Content-Type": "application/json", "X-Sim-Token": token},
                data=b'{"party": "0106:12345678", "sender": "0106:87654321"}',
            )
            with urllib.request.urlopen(request, timeout=10):
                print("A demo vendor invoice was sent to the demo company: see Invoicing > Vendors > Bills.")
        try:
            server.wait()
        except KeyboardInterrupt:
            server.send_signal(signal.SIGINT)
            server.wait()
    finally:
        simulator.terminate()
        simulator.wait()
        if cluster:
            cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
