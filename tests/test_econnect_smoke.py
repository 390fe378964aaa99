"""tools/econnect_smoke.py against the PSB simulator: every call once, a table, nothing left behind, no secret shown."""

import importlib.util
import io
import os
import subprocess
import sys

import pytest
from psb_support import BUYER, OWN, PERMISSIONS

from psb import contract
from psb_simulator import PSBSimulator

TOOL = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools", "econnect_smoke.py")
CLIENT_SECRET = "smoke-CLIENT-secret-4711"
PASSWORD = "smoke-PASSWORD-0815"
HOOK_URL = "https://127.0.0.1:9/econnect-odoo-smoke"  # nothing listens: the ping goes nowhere

_spec = importlib.util.spec_from_file_location("econnect_smoke", TOOL)
smoke = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(smoke)


@pytest.fixture
def sim():
    with PSBSimulator() as simulator:
        simulator.add_client("smoke-client", CLIENT_SECRET)
        simulator.add_user("smoke-user", PASSWORD, parties={OWN: dict(PERMISSIONS)}, names={OWN: "Seller BV"})
        simulator.add_participant(BUYER, name="Buyer BV")
        simulator.delivery_delay = 0.01
        simulator.webhook_attempts = 1
        yield simulator


def environ(**extra):
    values = {
        "ECONNECT_CLIENT_ID": "smoke-client",
        "ECONNECT_CLIENT_SECRET": CLIENT_SECRET,
        "ECONNECT_USERNAME": "smoke-user",
        "ECONNECT_PASSWORD": PASSWORD,
    }
    values.update(extra)
    return {k: v for k, v in values.items() if v is not None}


def run(sim, *args, env=None):
    out = io.StringIO()
    argv = ["--api-url", sim.api_url, "--hook-url", HOOK_URL, "--status-wait", "5", *args]
    code = smoke.main(argv, environ=env if env is not None else environ(), out=out)
    return code, out.getvalue()


def rows(output):
    table = output.split("\n\n")[1].splitlines()[1:]
    return {line.split("  ")[0]: line for line in table}


def assert_no_secret(sim, text):
    hook_secrets = [r.json()["action"].split("#", 1)[1] for r in sim.requests_to("/hook", "PUT") if r.json()]
    for secret in (CLIENT_SECRET, PASSWORD, *[s for s in hook_secrets if s]):
        assert secret not in text


def test_full_run_is_green_and_leaves_nothing_behind(sim):
    code, output = run(sim, "--receiver", BUYER, "--write", "--send")
    assert code == 0, output
    table = rows(output)
    for call in (
        "POST /connect/token (password)",
        "POST /connect/token (client_credentials)",
        "GET /api/v1/me/party",
        "POST /api/v1/{party}/salesInvoice/queryRecipientParty",
        "PUT /api/v1/{party}/hook (our id)",
        "GET /api/v1/{party}/hook/ping",
        "DELETE /api/v1/{party}/hook/{hookId}",
        "GET /api/v1/peppol/config/party/{party}",
        "PUT /api/v1/peppol/config/party/{party}",
        "POST /api/v1/{party}/salesInvoice/send",
        "POST /api/v1/{party}/salesInvoice/send (same id)",
        "GET /api/v1/{party}/salesInvoice/{documentId}/status",
    ):
        assert call in table, call
        assert " OK " in table[call], table[call]
    assert " FAIL " not in output
    assert "Result: " in output and " 0 FAIL" in output
    assert "Pending > Validated > Routed > Delivered" in output
    for key in contract.UNCONFIRMED:
        assert key in output
    # nothing left behind: no hook, the configuration written back unchanged, one invoice
    assert sim.hooks == []
    assert [w["body"] for w in sim.config_writes] == [{"capabilities": {"invoices": {"state": "inherited"}}}]
    assert sim.peppol_config(OWN)["capabilities"]["invoices"]["state"] == "inherited => on"
    assert len(sim.sent_documents) == 1
    assert_no_secret(sim, output)


def test_default_run_reads_only(sim):
    code, output = run(sim)
    assert code == 0, output
    assert not sim.requests_to("/peppol/config/", "PUT")
    assert not sim.sent_documents
    assert sim.hooks == []
    assert "written back unchanged only with --write" in output
    assert "SKIP" in rows(output)["POST /api/v1/{party}/salesInvoice/send"]


def test_a_refused_configuration_write_is_reported_not_failed(sim):
    sim.refuse_config_changes(OWN, "API403", "Not allowed for end customers")
    code, output = run(sim, "--write")
    assert code == 0, output
    assert "refused (403: API403; Not allowed for end customers)" in output


def test_wrong_password_fails_without_showing_it(sim):
    code, output = run(sim, env=environ(ECONNECT_PASSWORD="wrong-" + PASSWORD))
    assert code == 1
    assert "FAIL" in rows(output)["POST /connect/token (password)"]
    assert PASSWORD not in output


def test_credentials_from_the_environment_or_asked_for(sim):
    asked, secret_asked = [], []
    found = smoke.read_credentials(
        {"ECONNECT_CLIENT_ID": "c"}, interactive=True,
        ask=lambda prompt: asked.append(prompt) or "someone",
        ask_secret=lambda prompt: secret_asked.append(prompt) or "s3cret",
    )
    assert found == {"client_id": "c", "client_secret": "s3cret", "username": "someone", "password": "s3cret",
                     "subscription_key": "s3cret"}
    assert [p.split(" ")[0] for p in asked] == ["User"]
    assert [p.split(" ")[0] for p in secret_asked] == ["Client", "Password:", "Subscription"], "secrets not echoed"
    with pytest.raises(smoke.UsageError, match="ECONNECT_CLIENT_SECRET"):
        smoke.read_credentials({"ECONNECT_CLIENT_ID": "c"}, interactive=False)


def test_command_line(sim):
    """The command as integrators run it: credentials from the environment, never on the command line or shown."""
    env = dict(os.environ, **environ())
    result = subprocess.run(  # noqa: S603
        [sys.executable, TOOL, "--environment", "acceptance", "--api-url", sim.api_url, "--hook-url", HOOK_URL],
        env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("eConnect smoke test: acceptance")
    assert_no_secret(sim, result.stdout + result.stderr)
    missing = subprocess.run(  # noqa: S603
        [sys.executable, TOOL, "--api-url", sim.api_url], env={"PATH": os.environ.get("PATH", "")},
        capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60, check=False,
    )
    assert missing.returncode == 2
    assert "ECONNECT_CLIENT_ID" in missing.stderr
    usage = subprocess.run(  # noqa: S603
        [sys.executable, TOOL, "--send"], capture_output=True, text=True, timeout=60, check=False
    )
    assert usage.returncode == 2 and "--receiver" in usage.stderr
