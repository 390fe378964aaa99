#!/usr/bin/env python3
"""The one test command of econnect_odoo (the README names it, ``.ci/run`` calls it).

1. installs the test requirements (``requirements-test.txt``) into the running Python;
2. lints (ruff, and OCA's pylint-odoo on the addon) and runs the framework-free suite (``tests/``, pytest);
3. gets Odoo (``tools/bootstrap.py``: the running Python when ``import odoo`` works, else a shallow clone of
   Odoo 18.0 into ``var/`` with a virtualenv of its own, and PostgreSQL from the system's packages), then
   starts a throwaway PostgreSQL cluster on loopback (unless ``PG*``
   variables point at one), installs the addon in a fresh database *with* demo data and runs its Odoo
   tests (``--test-enable --test-tags /econnect_odoo``), installs Odoo's own ``account_peppol`` next to it and
   runs the coexistence tests, then uninstalls it; installs it again in a database *without* demo data, runs
   ``econnect_rotate_key`` there for real (secrets written under an old master key, read back with the new
   one alone), and uninstalls it; installs the Dutch demo (``demo_addons/econnect_demo_nl``, what
   ``tools/run_demo.py`` serves) in a third database and runs its tests, the README's walkthrough as a tour in
   headless Chromium included. Any failed test, ERROR/CRITICAL line or WARNING line fails.
   When Odoo cannot be had (no network to its repository, ...) the summary says ``odoo SKIPPED`` and why;
4. runs one full round in Odoo's prefork mode over HTTP (``tools/prefork_round.py``), with the same Odoo.

A part that did not run is SKIPPED in the summary, never OK.

Options: ``--no-install`` (skip pip), ``--pytest-only``, ``--odoo-only``, ``--tags SPEC`` (Odoo test
tags, default ``/econnect_odoo``), ``--keep`` (keep the databases and cluster for inspection),
``--no-uninstall``, ``--no-nodemo``, ``--no-coexistence``, ``--no-demo-nl``, ``--no-prefork`` (skip the
install/uninstall checks, the account_peppol coexistence run, the Dutch demo's run and the prefork round: quicker
local runs), ``--odoo-src DIR`` / ``--odoo-git URL`` (see ``tools/bootstrap.py``).
"""

import argparse
import contextlib
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import bootstrap  # noqa: E402
from pgcluster import ThrowawayCluster, free_port  # noqa: E402

LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (DEBUG|INFO|RUNBOT|WARNING|ERROR|CRITICAL) ")
TESTS_RESULT = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests")

# Log lines that are about the test bed, not about the addon. Keep this list short and justified.
TOLERATED_WARNINGS = (
    # Odoo's test server warns when Chromium is absent: the tours say SKIPPED on their own.
    "Chrome executable not found",
)

ODOO_EXTRA_REQUIREMENTS = ["websocket-client"]  # Odoo's browser tests (tours) need it
# Odoo's Python, when it is not the one running this command, also runs the Peppol rules (a subprocess).
ODOO_VENV_EXTRA_REQUIREMENTS = ["saxonche"]
OK, FAILED, SKIPPED = "OK", "FAILED", "SKIPPED"
DEMO_ADDONS = os.path.join(ROOT, "demo_addons")  # development tooling: the Dutch demo (tools/run_demo.py)


def banner(text):
    line = "=" * max(60, len(text) + 4)
    print(f"\n{line}\n  {text}\n{line}", flush=True)


def run(cmd, **kwargs):
    print("$ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, check=False, **kwargs).returncode


def pip_install(args, python=None):
    return run([python or sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", *args])


def odoo_available():
    probe = subprocess.run([sys.executable, "-c", "import odoo.release"], capture_output=True, check=False)
    return probe.returncode == 0


def odoo_addons_path():
    code = "import os, odoo; print(os.path.join(os.path.dirname(os.path.dirname(odoo.__file__)), 'addons'))"
    core_addons = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    paths = [p for p in (core_addons,) if os.path.isdir(p)]
    return ",".join([*paths, ROOT])


def ensure_chromium():
    """Tours need a Chromium. Install Debian's package when missing and we may (root, apt)."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if any(os.access(os.path.join(p, name), os.X_OK) for p in os.environ.get("PATH", "").split(":")):
            return
    if os.geteuid() == 0 and os.path.exists("/usr/bin/apt-get"):
        run(["apt-get", "install", "-y", "-q", "chromium"], stdout=subprocess.DEVNULL)


class OdooRun:
    """Runs one ``python -m odoo`` command, streams its log, and judges it."""

    python = sys.executable  # the Python that runs Odoo (odoo_suite sets it from the bootstrap)

    def __init__(self, label, args, env):
        self.label = label
        self.args = args
        self.env = env
        self.errors = []
        self.warnings = []
        self.tests = None
        self.lines = []

    def __call__(self, stdin=None):
        banner(self.label)
        cmd = [self.python, "-m", "odoo", *self.args]
        print("$ " + " ".join(cmd), flush=True)
        proc = subprocess.Popen(
            cmd, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL, bufsize=1,
        )
        if stdin:
            proc.stdin.write(stdin)
            proc.stdin.close()
        current = None
        for line in proc.stdout:
            sys.stdout.write(line)
            self.lines.append(line)
            match = LOG_LINE.match(line)
            if match:
                current = match.group(1)
                if current in ("ERROR", "CRITICAL"):
                    self.errors.append(line.rstrip())
                elif current == "WARNING" and not any(t in line for t in TOLERATED_WARNINGS):
                    self.warnings.append(line.rstrip())
                result = TESTS_RESULT.search(line)
                if result:
                    failed, errors, total = map(int, result.groups())
                    self.tests = (failed, errors, total)
            elif line.startswith("FAIL:") or line.startswith("ERROR:"):
                self.errors.append(line.rstrip())
        returncode = proc.wait()
        if returncode:
            self.errors.append(f"odoo exited with status {returncode}")
        return self

    @property
    def ok(self):
        return not self.errors and not self.warnings and (self.tests is None or self.tests[:2] == (0, 0))

    def report(self):
        verdict = "OK" if self.ok else "FAILED"
        tests = ""
        if self.tests:
            tests = f" - {self.tests[2]} tests, {self.tests[0]} failed, {self.tests[1]} errors"
        print(f"[{verdict}] {self.label}{tests}")
        for line in self.errors:
            print(f"    error:   {line[:300]}")
        for line in self.warnings:
            print(f"    warning: {line[:300]}")


UNINSTALL_SCRIPT = """
partner = env['res.partner'].search([], limit=1)
partner.with_company(env.company).invoice_sending_method = 'econnect'
env.cr.commit()
module = env['ir.module.module'].search([('name', '=', 'econnect_odoo')])
module.button_immediate_uninstall()
env.cr.commit()
left = env['ir.model'].search_count([('model', '=like', 'econnect.%')])
assert not left, f'{left} eConnect models left after uninstall'
env.cr.execute("SELECT count(*) FROM res_partner WHERE invoice_sending_method::text LIKE '%econnect%'")
assert not env.cr.fetchone()[0], 'partners still send by eConnect after uninstall'
print('econnect_odoo uninstalled cleanly')
"""


ROTATION_SETUP_SCRIPT = """
connection = env['econnect.connection'].create({
    'name': 'Rotation check', 'environment': 'acceptance', 'client_id': 'rotation',
    'client_secret': 'rotation-secret', 'password': 'rotation-password', 'username': 'rotation',
})
env.cr.commit()
print('ROTATION_BEFORE', connection.id, connection.client_secret_encrypted)
"""

ROTATION_CHECK_SCRIPT = """
connection = env['econnect.connection'].search([('name', '=', 'Rotation check')])
assert connection._econnect_secret('client_secret') == 'rotation-secret', 'client secret lost in the rotation'
assert connection._econnect_secret('password') == 'rotation-password', 'password lost in the rotation'
env.cr.execute("SELECT client_secret_encrypted FROM econnect_connection WHERE id = %s", [connection.id])
assert env.cr.fetchone()[0] not in (None, OLD_TOKEN), 'the secret was not re-encrypted'
connection.unlink()
env.cr.commit()
print('econnect_rotate_key re-encrypted the secrets: readable with the new key alone')
"""


def rotation_runs(common, db, env):
    """``odoo-bin econnect_rotate_key`` for real: secrets written under an old master key, rotated with
    ``NEW,OLD``, then read back with the new key alone."""
    runs = []
    old_env = dict(env, ECONNECT_MASTER_KEY="econnect-ci-old-key")
    setup = OdooRun(
        "Odoo: secrets written under an old master key",
        ["shell", *common, "-d", db, "--no-http", "--log-level=warn"], old_env,
    )
    runs.append(setup(stdin=ROTATION_SETUP_SCRIPT))
    before = next((line.split()[2] for line in setup.lines if line.startswith("ROTATION_BEFORE")), None)
    if before is None:
        setup.errors.append("the rotation check could not write its secrets")
        return runs
    runs.append(OdooRun(
        "Odoo: econnect_rotate_key with the master keys NEW,OLD",
        # Odoo finds the commands of addons only with --addons-path= given first, before the command's name.
        [common[0], "econnect_rotate_key", *common, "-d", db, "--log-level=info"],
        dict(env, ECONNECT_MASTER_KEY="econnect-ci-new-key,econnect-ci-old-key"),
    )())
    runs.append(OdooRun(
        "Odoo: the secrets read with the new master key alone",
        ["shell", *common, "-d", db, "--no-http", "--log-level=warn"],
        dict(env, ECONNECT_MASTER_KEY="econnect-ci-new-key"),
    )(stdin=f"OLD_TOKEN = {before!r}\n" + ROTATION_CHECK_SCRIPT))
    return runs


def dutch_demo_run(common, stamp, env):
    """The Dutch demo of tools/run_demo.py in a database of its own: its data, and the README's walkthrough as
    a tour in a real headless Chromium."""
    demo = OdooRun(
        "Odoo: install the Dutch demo (econnect_demo_nl) and run its tests, the walkthrough tour included",
        [*common, "-d", f"econnect_demo_nl_{stamp}", "-i", "econnect_demo_nl", "--test-enable",
         "--test-tags=/econnect_demo_nl", "--stop-after-init", f"--http-port={free_port()}", "--log-level=test"],
        env,
    )()
    if demo.tests is None or demo.tests[2] == 0:
        demo.errors.append("the Dutch demo's tests did not run")
    return demo


def get_odoo(opts):
    """The Odoo runtime (bootstrapped when needed), or (None, why not)."""
    banner("Odoo 18.0 (tools/bootstrap.py)")
    try:
        runtime = bootstrap.locate(opts.odoo_src, opts.odoo_git)
    except bootstrap.Unavailable as reason:
        print(f"SKIPPED: {reason} - the Odoo tests did not run", flush=True)
        return None, str(reason)
    print(runtime.how, flush=True)
    return runtime, None


def odoo_suite(opts):
    """(status, detail) of the Odoo part: OK, FAILED, or SKIPPED with the reason."""
    runtime, reason = get_odoo(opts)
    opts.runtime = runtime
    if runtime is None:
        return SKIPPED, reason
    OdooRun.python = runtime.python
    if not opts.no_install:
        pip_install(ODOO_EXTRA_REQUIREMENTS, runtime.python)
        if runtime.python != sys.executable:
            pip_install(ODOO_VENV_EXTRA_REQUIREMENTS, runtime.python)
        ensure_chromium()

    with contextlib.ExitStack() as stack:
        env = runtime.env()
        if not any(k in os.environ for k in ("PGHOST", "PGPORT", "PGUSER", "PGDATABASE")):
            cluster = ThrowawayCluster(keep=opts.keep)
            stack.enter_context(cluster)
            env.update(cluster.env)
            print(f"PostgreSQL throwaway cluster on 127.0.0.1:{cluster.port} ({cluster.directory})")
        data_dir = tempfile.mkdtemp(prefix="econnect-odoo-data-")
        stamp = time.strftime("%Y%m%d%H%M%S")
        common = [
            f"--addons-path={runtime.addons_path(ROOT, DEMO_ADDONS)}",
            f"--data-dir={data_dir}",
            f"--db_host={env.get('PGHOST', '127.0.0.1')}",
            f"--db_port={env.get('PGPORT', '5432')}",
            f"--db_user={env.get('PGUSER', 'odoo')}",
            *([f"--db_password={env['PGPASSWORD']}"] if env.get("PGPASSWORD") else []),
            "--max-cron-threads=0",
            "--no-database-list",
        ]
        runs = []
        db = f"econnect_test_{stamp}"
        tested = OdooRun(
            "Odoo: install econnect_odoo with demo data and run its tests",
            [*common, "-d", db, "-i", "econnect_odoo", "--test-enable", f"--test-tags={opts.tags}",
             "--stop-after-init", f"--http-port={free_port()}", "--log-level=test"],
            env,
        )()
        runs.append(tested)
        if tested.tests is None and not tested.errors:
            tested.errors.append("no test result line found: did the Odoo tests run at all?")
        if not opts.no_coexistence:
            coexist = OdooRun(
                "Odoo: install Odoo's own account_peppol next to econnect_odoo, run the coexistence tests",
                [*common, "-d", db, "-i", "account_peppol", "-u", "econnect_odoo", "--test-enable",
                 "--test-tags=/econnect_odoo:TestPeppolCoexistence", "--stop-after-init",
                 f"--http-port={free_port()}", "--log-level=test"],
                env,
            )()
            runs.append(coexist)
            if coexist.tests is None or coexist.tests[2] == 0:
                coexist.errors.append("the coexistence tests did not run")
        if not opts.no_uninstall:
            runs.append(OdooRun(
                "Odoo: uninstall econnect_odoo (database with demo data)",
                ["shell", *common, "-d", db, "--no-http", "--log-level=warn"], env,
            )(stdin=UNINSTALL_SCRIPT))
        if not opts.no_nodemo:
            db2 = f"econnect_nodemo_{stamp}"
            runs.append(OdooRun(
                "Odoo: install econnect_odoo without demo data",
                [*common, "-d", db2, "-i", "econnect_odoo", "--without-demo=all", "--stop-after-init",
                 "--no-http"],
                env,
            )())
            runs.extend(rotation_runs(common, db2, env))
            if not opts.no_uninstall:
                runs.append(OdooRun(
                    "Odoo: uninstall econnect_odoo (database without demo data)",
                    ["shell", *common, "-d", db2, "--no-http", "--log-level=warn"], env,
                )(stdin=UNINSTALL_SCRIPT))

        if not opts.no_demo_nl:
            runs.append(dutch_demo_run(common, stamp, env))

        banner("Odoo summary")
        for item in runs:
            item.report()
        return (OK if all(item.ok for item in runs) else FAILED), runtime.how


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-install", action="store_true")
    parser.add_argument("--pytest-only", action="store_true")
    parser.add_argument("--odoo-only", action="store_true")
    parser.add_argument("--tags", default="/econnect_odoo")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--no-uninstall", action="store_true")
    parser.add_argument("--no-nodemo", action="store_true")
    parser.add_argument("--no-coexistence", action="store_true")
    parser.add_argument("--no-demo-nl", action="store_true", help="skip the Dutch demo's database and its tour")
    parser.add_argument("--no-prefork", action="store_true")
    bootstrap.add_arguments(parser)
    opts = parser.parse_args()
    started = time.monotonic()
    os.chdir(ROOT)

    results = {}  # part -> (OK / FAILED / SKIPPED, detail)
    if not opts.no_install:
        banner("Installing test requirements")
        if pip_install(["-r", "requirements-test.txt"]):
            print("pip install failed")
            return 1

    def verdict(returncode):
        return (OK if returncode == 0 else FAILED), ""

    if opts.odoo_only:
        for name in ("ruff", "pylint-odoo", "pytest"):
            results[name] = SKIPPED, "--odoo-only"
    else:
        banner("Lint (ruff)")
        results["ruff"] = verdict(run([sys.executable, "-m", "ruff", "check", "."]))
        banner("Odoo lint (pylint-odoo)")
        results["pylint-odoo"] = verdict(run([sys.executable, "-m", "pylint", "econnect_odoo"]))
        banner("Framework-free tests (pytest tests/)")
        results["pytest"] = verdict(run([sys.executable, "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider"]))
    if opts.pytest_only:
        results["odoo"] = SKIPPED, "--pytest-only"
    else:
        results["odoo"] = odoo_suite(opts)
    if opts.pytest_only or opts.no_prefork:
        results["prefork"] = SKIPPED, "--pytest-only" if opts.pytest_only else "--no-prefork"
    elif results["odoo"][0] == SKIPPED:
        results["prefork"] = results["odoo"]
    else:
        banner("Prefork round (tools/prefork_round.py)")
        runtime = opts.runtime  # the Odoo the suite above ran with
        results["prefork"] = verdict(
            run([runtime.python, os.path.join(ROOT, "tools", "prefork_round.py")], env=runtime.env())
        )

    banner("Result")
    for name, (status, detail) in results.items():
        print(f"{name:12} {status}" + (f" ({detail})" if detail else ""))
    print(f"wall time {time.monotonic() - started:.0f} s")
    return 1 if any(status == FAILED for status, _detail in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
