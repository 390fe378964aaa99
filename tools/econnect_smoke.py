#!/usr/bin/env python3
"""Smoke test of eConnect's PSB API for integrators: each call econnect_odoo depends on, once, with your keys.

    python3 tools/econnect_smoke.py --environment acceptance [--party 0106:12345678] [--receiver 0106:87654321]
                                    [--write] [--send]

Credentials come from the environment (``ECONNECT_CLIENT_ID``, ``ECONNECT_CLIENT_SECRET``, ``ECONNECT_USERNAME``,
``ECONNECT_PASSWORD``, ``ECONNECT_SUBSCRIPTION_KEY``) or are asked for (secrets without echo); they are never
printed. In an order that leaves nothing behind, it runs: both token grants (when both are given), ``me/party``,
the receiver lookup, the party id in every form in a path, a hook created with our id (also without one, and with
an ``http://`` action, to see what eConnect does), pinged and deleted, the participant configuration read (and
written back unchanged with ``--write``), and with ``--send`` one Peppol BIS 3 invoice to ``--receiver`` (a test
receiver: acceptance never reaches the real Peppol network), sent twice under one document id, and its status read.

It prints a table (call, HTTP status, verdict, note) and, for each unconfirmed point of
``econnect_odoo/psb/contract.py``, what eConnect answered. Attach the output to an issue of the project: it tells
us which of our readings of eConnect's documentation hold. Exit status 0 when every call the addon depends on
worked, 1 otherwise, 2 for wrong usage.

``--api-url`` / ``--identity-url`` point it at another server (the project's simulator in its tests).
"""

import argparse
import getpass
import os
import sys
import time
import uuid
from datetime import UTC, datetime

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, "econnect_odoo"), ROOT]

import requests  # noqa: E402

from psb import contract  # noqa: E402
from psb.client import PSBClient  # noqa: E402
from psb.errors import PSBError  # noqa: E402
from psb.party import PartyId  # noqa: E402

OK, FAIL, NOTE, SKIP = "OK", "FAIL", "NOTE", "SKIP"
HOOK_NAME = "econnect_odoo smoke test"
#: A topic no event has: the smoke hook gets nothing but a ping while it exists.
HOOK_TOPIC = "EconnectOdooSmokeTest"
DEFAULT_HOOK_URL = "https://example.com/econnect-odoo-smoke"
RIGHTS = {
    "canSendDocument": "send",
    "canReceiveDocument": "receive",
    "canRemoveDocument": "remove",
    "canManageHook": "hooks",
    "canChangeDocumentStatus": "respond",
}
CREDENTIALS = (
    # (argument name, environment variable, prompt, secret, required)
    ("client_id", "ECONNECT_CLIENT_ID", "Client id", False, True),
    ("client_secret", "ECONNECT_CLIENT_SECRET", "Client secret", True, True),
    ("username", "ECONNECT_USERNAME", "User name (empty: none)", False, False),
    ("password", "ECONNECT_PASSWORD", "Password", True, False),
    ("subscription_key", "ECONNECT_SUBSCRIPTION_KEY", "Subscription key (empty: none)", True, False),
)


class UsageError(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# Credentials
# ---------------------------------------------------------------------------------------------
def read_credentials(environ, interactive, ask=input, ask_secret=getpass.getpass):
    """The keys from the environment, else asked for in a terminal (secrets without echo). Nothing is printed back."""
    found = {}
    for name, variable, prompt, secret, required in CREDENTIALS:
        value = (environ.get(variable) or "").strip()
        if not value and name == "password" and not found.get("username"):
            found[name] = None  # no user, no password
            continue
        if not value and interactive:
            value = (ask_secret if secret else ask)(f"{prompt}: ").strip()
        if not value and (required or name == "password"):
            raise UsageError(f"{prompt} is required: set {variable}, or run this in a terminal to be asked.")
        found[name] = value or None
    return found


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------
class Outcome:
    """What one call gave: its result (None when it failed), the HTTP status, the error."""

    __slots__ = ("error", "result", "status")

    def __init__(self, result, status, error=None):
        self.result, self.status, self.error = result, status, error

    @property
    def ok(self):
        return self.error is None

    @property
    def said(self):
        """What eConnect said when it refused (its code and message), else the error's kind."""
        if self.error is None:
            return ""
        return "; ".join(str(x) for x in (self.error.code, self.error.message) if x)[:110] or self.error.kind


class Smoke:
    """Runs the calls; keeps the table's rows and what eConnect answered to each unconfirmed point."""

    def __init__(self, args, credentials, out=sys.stdout):
        self.args = args
        self.credentials = credentials
        self.out = out
        self.rows = []
        self.answers = dict.fromkeys(contract.UNCONFIRMED)
        self.statuses = []  # every HTTP status, in order (a response hook of the session)
        self.session = requests.Session()
        self.session.hooks["response"].append(self._seen)
        self.party = None

    def _seen(self, response, *args, **kwargs):
        self.statuses.append(response.status_code)

    def client(self, with_user=True):
        values = {key: value for key, value in self.credentials.items() if value}
        if not with_user:
            values.pop("username", None)
            values.pop("password", None)
        if self.args.api_url:
            values.update(api_url=self.args.api_url, identity_url=self.args.identity_url or self.args.api_url)
        return PSBClient.for_environment(
            self.args.environment, session=self.session, max_retry_seconds=5, max_attempts=2, **values
        )

    def row(self, call, status, verdict, note=""):
        self.rows.append((call, "-" if status is None else str(status), verdict, note))

    def call(self, func):
        """Run one call: its :class:`Outcome` (an eConnect refusal is an outcome, not an exception)."""
        before = len(self.statuses)
        try:
            result = func()
        except PSBError as error:
            status = error.status
            if status is None and len(self.statuses) > before:
                status = self.statuses[-1]
            return Outcome(None, status, error)
        return Outcome(result, self.statuses[-1] if len(self.statuses) > before else None)

    def failed(self, name, outcome, verdict=FAIL):
        self.row(name, outcome.status, verdict, outcome.said)

    # -- the steps ---------------------------------------------------------------------------
    def run(self):
        client = self.tokens()
        if client is None:
            return
        with client:
            if not self.me(client):
                return
            self.party_forms(client)
            self.lookup(client)
            self.hooks(client)
            self.configuration(client)
            self.send(client)
        if not contract.SEND_DOMAIN_ID_HEADER:
            self.answers["domain_id_header"] = "every call above was made without it"

    def tokens(self):
        """Both grants when both are given; the addon's (password when a user is set) is the one used after."""
        grants = [("password", True)] if self.credentials.get("username") else []
        grants.append(("client_credentials", False))
        chosen = None
        for index, (grant, with_user) in enumerate(grants):
            client, used = self.client(with_user), index == 0
            name = f"POST {contract.TOKEN_PATH} ({grant})"
            outcome = self.call(client.fetch_token)
            if outcome.ok:
                self.row(name, outcome.status, OK, "the grant the addon uses" if used else "(not used by the addon)")
            else:
                self.failed(name, outcome, FAIL if used else NOTE)
            if used and outcome.ok:
                chosen = client
            else:
                client.close()
        return chosen

    def me(self, client):
        name = f"GET {contract.PATH_ME_PARTY}"
        outcome = self.call(client.get_my_parties)
        if not outcome.ok:
            self.failed(name, outcome)
            return False
        wanted = PartyId.parse(self.args.party, validate=False) if self.args.party else None
        chosen = None
        for party in outcome.result:
            try:
                parsed = PartyId.parse(party.get("id"), validate=False)
            except (AttributeError, TypeError, ValueError):
                continue
            may_send = (party.get("permissions") or {}).get("canSendDocument")
            if (wanted and parsed == wanted) or (not wanted and chosen is None and may_send):
                chosen = (parsed, party)
        count = len(outcome.result)
        if chosen is None:
            self.row(name, outcome.status, FAIL, f"{count} parties, none " + (
                f"is {self.args.party}" if wanted else "may send documents"))
            return False
        self.party, info = chosen
        rights = ", ".join(RIGHTS.get(k, k) for k, v in (info.get("permissions") or {}).items() if v) or "none"
        self.row(name, outcome.status, OK, f"{count} part{'y' if count == 1 else 'ies'}; {self.party.letter} may: "
                 f"{rights}")
        return True

    def party_forms(self, client):
        """The party id in a path in each form: which ones eConnect takes (a read: the party's hooks)."""
        seen = []
        for form in ("letter", "normal", "iso6523"):
            text = getattr(self.party, form)
            name = f"GET /api/v1/{{{form} party id}}/hook"
            outcome = self.call(lambda t=text: client.list_hooks(t))
            if outcome.ok:
                self.row(name, outcome.status, OK, f"{text}: {len(outcome.result)} hooks")
            else:
                self.failed(name, outcome, FAIL if form == contract.PATH_PARTY_ID_FORM else NOTE)
            seen.append(f"{form} {outcome.status}")
        self.answers["party_id_form"] = ", ".join(seen) + f" (we send the {contract.PATH_PARTY_ID_FORM} form)"

    def lookup(self, client):
        receiver = self.args.receiver or self.party.normal
        name = "POST /api/v1/{party}/salesInvoice/queryRecipientParty"
        outcome = self.call(lambda: client.query_recipient_party(self.party, [receiver]))
        if outcome.ok:
            found = outcome.result
            self.row(name, outcome.status, OK, f"{receiver}: {found.get('id')} via {found.get('channel')}")
        elif outcome.status == 404:
            self.row(name, outcome.status, OK, f"{receiver} is not on Peppol (404, as documented)")
        else:
            self.failed(name, outcome)

    def hooks(self, client):
        """A hook with our id: first with an http:// action (refused?), then https under the same id
        (add-or-update), listed, pinged, deleted; and one without id (does eConnect make one up?)."""
        hook_id = contract.new_hook_id()
        secret = uuid.uuid4().hex
        url = self.args.hook_url
        hook = {"id": hook_id, "name": HOOK_NAME, "action": f"{url}#{secret}", "topics": [HOOK_TOPIC],
                "isActive": True}
        path = "/api/v1/{party}/hook"
        try:
            http_action = "http://" + url.split("://", 1)[1] + "#" + secret
            outcome = self.call(lambda: client.put_hook(self.party, dict(hook, action=http_action)))
            self.row(f"PUT {path} (http:// action)", outcome.status, NOTE, "taken" if outcome.ok else outcome.said)
            self.answers["hook_http_action"] = "taken" if outcome.ok else f"refused ({outcome.status})"
            outcome = self.call(lambda: client.put_hook(self.party, hook))
            if outcome.ok:
                kept = outcome.result.get("id") == hook_id
                self.row(f"PUT {path} (our id)", outcome.status, OK if kept else FAIL,
                         "our id kept" if kept else f"eConnect answered id {outcome.result.get('id')!r}")
                self.answers["hook_id"] = "our id kept" if kept else f"answered {outcome.result.get('id')!r}"
            else:
                self.failed(f"PUT {path} (our id)", outcome)
            outcome = self.call(lambda: client.list_hooks(self.party))
            if outcome.ok:
                ours = sum(1 for h in outcome.result if isinstance(h, dict) and h.get("id") == hook_id)
                self.row(f"GET {path}", outcome.status, OK if ours == 1 else FAIL, f"our hook listed {ours} time(s)")
            else:
                self.failed(f"GET {path}", outcome)
            outcome = self.call(lambda: client.ping_hook(self.party))
            if outcome.ok:
                self.row(f"GET {path}/ping", outcome.status, OK, "a test event to the hook's address")
            else:
                self.failed(f"GET {path}/ping", outcome)
            self.hook_without_id(client, hook)
        finally:
            outcome = self.call(lambda: client.delete_hook(self.party, hook_id))
            if outcome.ok:
                self.row(f"DELETE {path}/{{hookId}}", outcome.status, OK, "nothing left behind")
            else:
                self.failed(f"DELETE {path}/{{hookId}}", outcome)

    def hook_without_id(self, client, hook):
        """What eConnect does with a hook without id (the client itself never sends one)."""
        path = contract.PATH_PARTY_HOOKS.format(party=self.party.url_encoded)
        body = {k: v for k, v in hook.items() if k != "id"}
        name = "PUT /api/v1/{party}/hook (no id)"
        # The client refuses a hook without id: this probe goes through its engine directly, and is never retried.
        outcome = self.call(lambda: client._call(
            "PUT", path, json_body=body, operation="hooks", lenient=True, retry=False
        ))
        known = self.answers["hook_id"] or "-"
        if not outcome.ok:
            self.row(name, outcome.status, NOTE, outcome.said)
            self.answers["hook_id"] = f"{known}; without an id: refused ({outcome.status})"
            return
        made = outcome.result.get("id") if isinstance(outcome.result, dict) else None
        self.row(name, outcome.status, NOTE, f"taken: eConnect made up the id {made!r}")
        self.answers["hook_id"] = f"{known}; without an id: taken, eConnect made up {made!r}"
        listed = self.call(lambda: client.list_hooks(self.party))
        for other in listed.result or []:  # leave nothing behind
            if isinstance(other, dict) and other.get("name") == HOOK_NAME and other.get("id") != hook["id"]:
                outcome = self.call(lambda i=other["id"]: client.delete_hook(self.party, i))
                self.row("DELETE /api/v1/{party}/hook/{made-up id}", outcome.status, OK if outcome.ok else FAIL,
                         "nothing left behind" if outcome.ok else outcome.said)

    def configuration(self, client):
        name = "GET /api/v1/peppol/config/party/{party}"
        read = self.call(lambda: client.get_peppol_config(self.party))
        if not read.ok:
            self.failed(name, read)
            return
        capabilities = read.result.get(contract.CAPABILITIES_KEY) or {}
        states = {cap: (capabilities.get(cap) or {}).get(contract.CAPABILITY_STATE_KEY)
                  for cap in (contract.CAPABILITY_INVOICES, contract.CAPABILITY_INVOICE_RESPONSE)}
        self.row(name, read.status, OK, ", ".join(f"{k}: {v!r}" for k, v in states.items()))
        put_name = "PUT /api/v1/peppol/config/party/{party}"
        if not self.args.write:
            self.row(put_name, None, SKIP, "written back unchanged only with --write")
            self.answers["participant_write"] = "not tried (run with --write)"
            return
        current = contract.capability_explicit_state(read.result, contract.CAPABILITY_INVOICES)
        unchanged = current or contract.CAPABILITY_INHERITED
        body = {contract.CAPABILITIES_KEY: {contract.CAPABILITY_INVOICES: {contract.CAPABILITY_STATE_KEY: unchanged}}}
        outcome = self.call(lambda: client.put_peppol_config(self.party, body))
        if not outcome.ok:
            self.row(put_name, outcome.status, NOTE, outcome.said)
            self.answers["participant_write"] = f"refused ({outcome.status}: {outcome.said})"
            return
        self.answers["participant_write"] = f"allowed ({outcome.status})"
        again = self.call(lambda: client.get_peppol_config(self.party))
        if not again.ok:
            self.failed(name + " (again)", again)
            return

        def comparable(config):  # what a write may change (not its own times)
            return {k: config.get(k) for k in (contract.CAPABILITIES_KEY, "businessCard", "verification")}

        same = comparable(again.result) == comparable(read.result)
        self.row(put_name, outcome.status, OK, f"invoices: {unchanged!r} written; the configuration reads "
                 + ("as before" if same else "differently after"))
        self.answers["participant_write_semantics"] = f"{unchanged!r} taken; the rest " + (
            "as it was (a merge)" if same else "changed (a replace?)")

    def send(self, client):
        name = "POST /api/v1/{party}/salesInvoice/send"
        if not self.args.send:
            self.row(name, None, SKIP, "only with --send --receiver")
            self.answers["sent_status_names"] = "not tried (run with --send)"
            return
        from psb_simulator.ubl import sample_invoice  # a valid Peppol BIS 3 invoice (the project's test material)

        document_id = str(uuid.uuid4())
        number = "SMOKE-" + datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        xml = sample_invoice(self.party.normal, self.args.receiver, number=number,
                             sender_name="econnect_odoo smoke test", receiver_name="Test receiver")
        outcome = self.call(lambda: client.send_invoice(self.party, xml, document_id, filename=number + ".xml"))
        if not outcome.ok:
            self.failed(name, outcome)
            self.answers["sent_status_names"] = "not known: the send failed"
            return
        self.row(name, outcome.status, OK, f"{number} to {self.args.receiver}, document id {document_id}")
        again = self.call(lambda: client.send_invoice(self.party, xml, document_id))
        repeated = not again.ok and again.status == 409
        self.row(name + " (same id)", again.status, OK if repeated else FAIL,
                 "409: eConnect knows this document id" if repeated else "a repeated document id was not refused")
        status_name = "GET /api/v1/{party}/salesInvoice/{documentId}/status"
        deadline = time.monotonic() + self.args.status_wait
        while True:
            history = self.call(lambda: client.get_sent_status(self.party, document_id))
            if not history.ok or contract.sent_status_topic(history.result) or time.monotonic() >= deadline:
                break
            time.sleep(2)
        if not history.ok:
            self.failed(status_name, history)
            return
        names = [str(h.get("name")) for h in history.result if isinstance(h, dict)]
        unknown = [n for n in names if not contract.is_known_sent_status(n)]
        self.row(status_name, history.status, OK if not unknown else NOTE,
                 " > ".join(names) + (f" (unknown to us: {', '.join(unknown)})" if unknown else ""))
        self.answers["sent_status_names"] = " > ".join(names) or "an empty history"

    # -- output --------------------------------------------------------------------------------
    def report(self):
        write = self.out.write
        when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        api = self.args.api_url or contract.HOSTS[self.args.environment]["api"]
        party = self.party.letter if self.party else "-"
        write(f"eConnect smoke test: {self.args.environment} ({api}), party {party}, {when}\n\n")
        header = ("call", "HTTP", "verdict", "note")
        widths = [max(len(r[i]) for r in [header, *self.rows]) for i in range(3)]
        for row in [header, *self.rows]:
            write("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3] + "\n")
        write("\nUnconfirmed points (econnect_odoo/psb/contract.py) and what eConnect answered:\n\n")
        width = max(len(k) for k in contract.UNCONFIRMED)
        for key in contract.UNCONFIRMED:
            write(f"{key.ljust(width)}  {self.answers.get(key) or 'not exercised by this test'}\n")
        counts = {v: sum(1 for r in self.rows if r[2] == v) for v in (OK, FAIL, NOTE, SKIP)}
        write("\nResult: " + ", ".join(f"{n} {v}" for v, n in counts.items()) + "\n")
        return counts[FAIL] == 0 and counts[OK] > 0


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--environment", choices=contract.ENVIRONMENTS, default=contract.ACCEPTANCE)
    parser.add_argument("--party", help="the party id to test (default: the first that may send)")
    parser.add_argument("--receiver", help="a test receiver's party id (lookup, and --send)")
    parser.add_argument("--write", action="store_true", help="write the participant configuration back unchanged")
    parser.add_argument("--send", action="store_true", help="send one BIS 3 invoice to --receiver")
    parser.add_argument("--hook-url", default=DEFAULT_HOOK_URL, help="the https address of the test hook")
    parser.add_argument("--status-wait", type=float, default=30.0, help="seconds to wait for a delivery status")
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    parser.add_argument("--identity-url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.send and not args.receiver:
        parser.error("--send needs --receiver (a test receiver's party id)")
    if args.send and args.environment == contract.PRODUCTION and not args.api_url:
        parser.error("--send only in acceptance: in production it would reach a real receiver")
    if not args.hook_url.startswith("https://"):
        parser.error("--hook-url must be an https address")
    return args


def main(argv=None, environ=None, out=sys.stdout):
    args = parse_args(argv)
    environ = os.environ if environ is None else environ
    try:
        credentials = read_credentials(environ, interactive=sys.stdin.isatty())
    except UsageError as error:
        print(f"econnect_smoke: {error}", file=sys.stderr)
        return 2
    smoke = Smoke(args, credentials, out=out)
    try:
        smoke.run()
    finally:
        smoke.session.close()
    return 0 if smoke.report() else 1


if __name__ == "__main__":
    sys.exit(main())
