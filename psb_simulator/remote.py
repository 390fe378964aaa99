"""A thin Python client of the control API, for a simulator running in another process::

    from psb_simulator.remote import RemoteSimulator

    remote = RemoteSimulator("http://127.0.0.1:8070", token=...)  # or PSB_SIMULATOR_TOKEN / token_file
    remote.set_latency(0.05)
    document_id = remote.inject_incoming("0106:12345678", xml_bytes)

Method names and arguments mirror :class:`~psb_simulator.PSBSimulator`; answers are the control
API's JSON. Standard library only; proxies from the environment are ignored.
"""

import json
import os
import urllib.error
import urllib.request
from urllib.parse import quote, urlencode


class RemoteError(Exception):
    def __init__(self, status, body):
        super().__init__("control API answered %s: %s" % (status, body))
        self.status = status
        self.body = body


TOKEN_ENV = "PSB_SIMULATOR_TOKEN"  # noqa: S105 (a variable name)


def read_token(token=None, token_file=None):
    """The control token: given, else ``$PSB_SIMULATOR_TOKEN``, else the first line of ``token_file``."""
    if token:
        return token
    if os.environ.get(TOKEN_ENV):
        return os.environ[TOKEN_ENV]
    if token_file and os.path.exists(token_file):
        with open(token_file, encoding="utf-8") as handle:
            return handle.readline().strip() or None
    return None


class RemoteSimulator:
    def __init__(self, url, timeout=30, token=None, token_file=None):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.token = read_token(token, token_file)
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    # -- plumbing ------------------------------------------------------------------------------
    def call(self, method, path, data=None, params=None, raw=None, content_type=None):
        url = "%s/_sim/%s" % (self.url, path.lstrip("/"))
        if params:
            url += "?" + urlencode({k: v for k, v in params.items() if v is not None})
        body, headers = None, {"Accept": "application/json"}
        if self.token:
            headers["X-Sim-Token"] = self.token
        if raw is not None:
            body, headers["Content-Type"] = raw, content_type or "application/xml"
        elif data is not None:
            body, headers["Content-Type"] = json.dumps(data).encode("utf-8"), "application/json"
        request = urllib.request.Request(url, data=body, method=method, headers=headers)  # noqa: S310
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                payload = response.read()
                kind = response.headers.get("Content-Type") or ""
        except urllib.error.HTTPError as exc:
            raise RemoteError(exc.code, exc.read().decode("utf-8", "replace")) from None
        if not payload:
            return None
        return json.loads(payload) if "json" in kind else payload

    # -- settings ------------------------------------------------------------------------------
    def health(self):
        return self.call("GET", "health")

    def settings(self, **changes):
        """Read, or change (``latency=0.05, deliveryDelay=0.1, ...``) the simulator settings."""
        if changes:
            return self.call("PUT", "settings", changes)
        return self.call("GET", "settings")

    def set_latency(self, seconds):
        return self.call("PUT", "latency", {"seconds": seconds})

    # -- documents and events ------------------------------------------------------------------
    def inject_incoming(self, party_id, xml_bytes, document_id=None, sender_id=None):
        if isinstance(xml_bytes, str):
            xml_bytes = xml_bytes.encode("utf-8")
        params = {"party": party_id, "documentId": document_id, "sender": sender_id}
        return self.call("POST", "incoming", params=params, raw=xml_bytes)["id"]

    def inject_sample(self, party_id, sender_id=None, number=None, amount=None, credit_note=False):
        data = {"party": party_id, "sender": sender_id, "number": number, "amount": amount, "creditNote": credit_note}
        return self.call("POST", "incoming/sample", {k: v for k, v in data.items() if v is not None})["id"]

    def inject_invoice_response(
        self, party_id, sent_document_id, status, reasons=None, actions=None, note=None, document_id=None,
        sender_id=None, shape=None, details=None,
    ):
        data = {
            "party": party_id,
            "documentId": sent_document_id,
            "status": status,
            "reasons": reasons,
            "actions": actions,
            "note": note,
            "responseDocumentId": document_id,
            "sender": sender_id,
            "shape": shape,
            "details": details,
        }
        return self.call("POST", "invoice-response", data)["id"]

    def emit_event(
        self, party_id, topic, document_id=None, message="", details=None, response_document_id=None,
        ref_to_document_id=None,
    ):
        data = {
            "party": party_id,
            "topic": topic,
            "documentId": document_id,
            "message": message,
            "details": details,
            "responseDocumentId": response_document_id,
            "refToDocumentId": ref_to_document_id,
        }
        return self.call("POST", "events", data)

    def events(self):
        return self.call("GET", "events")

    def sent_documents(self):
        return self.call("GET", "documents")

    def sent_document(self, document_id):
        return self.call("GET", "documents/" + quote(document_id, safe=""))

    def received_documents(self):
        return self.call("GET", "received")

    def invoice_responses(self):
        return self.call("GET", "responses")

    # -- registry and accounts -----------------------------------------------------------------
    def add_participant(self, party_id, name="", channel="peppol", description=None, invoice_responses=True):
        data = {
            "id": party_id, "name": name, "channel": channel, "description": description,
            "invoiceResponse": invoice_responses,
        }
        return self.call("POST", "participants", data)

    def remove_participant(self, party_id):
        return self.call("DELETE", "participants/" + quote(party_id, safe=""))

    def participants(self):
        return self.call("GET", "participants")

    def set_delivery_outcome(self, receiver_id, outcome, message=None, retries=1, then="sent", status=None):
        data = {"receiver": receiver_id, "outcome": outcome, "message": message, "retries": retries, "then": then,
                "status": status}
        return self.call("POST", "delivery-outcome", data)

    def add_user(self, username, password, parties=None, names=None):
        data = {"username": username, "password": password, "parties": parties, "names": names}
        return self.call("POST", "users", data)

    def add_client(self, client_id, secret, parties=None, names=None):
        return self.call(
            "POST", "clients", {"clientId": client_id, "secret": secret, "parties": parties, "names": names}
        )

    def add_demo_party(self, party_id, name=None):
        return self.call("POST", "demo-parties", {"party": party_id, "name": name})

    def refuse_config_changes(
        self, party_id, code="API400", message="The configuration change was refused.", status=None
    ):
        data = {"party": party_id, "code": code, "message": message, "status": status}
        return self.call("POST", "config-refusals", data)

    def allow_config_changes(self, party_id):
        return self.call("DELETE", "config-refusals/" + quote(party_id, safe=""))

    def peppol_configs(self):
        return self.call("GET", "peppol-config")

    # -- faults --------------------------------------------------------------------------------
    def _fault(self, kind, n, path_contains, **params):
        return self.call("POST", "faults", dict({"kind": kind, "n": n, "pathContains": path_contains}, **params))

    def fail_next(self, n=1, status=503, path_contains=None):
        return self._fault("fail", n, path_contains, status=status)

    def rate_limit_next(self, n=1, retry_after=1, path_contains=None):
        return self._fault("rate_limit", n, path_contains, retryAfter=retry_after)

    def slow_next(self, n=1, seconds=2.0, path_contains=None):
        return self._fault("slow", n, path_contains, seconds=seconds)

    def drop_next(self, n=1, path_contains=None):
        return self._fault("drop", n, path_contains)

    def expire_tokens(self):
        return self.call("POST", "faults/expire-tokens")

    def clear_faults(self):
        return self.call("DELETE", "faults")

    # -- logs and webhooks ---------------------------------------------------------------------
    def requests(self, with_body=False, path_contains=None):
        return self.call("GET", "requests", params={"body": "1" if with_body else None, "pathContains": path_contains})

    def clear_log(self):
        return self.call("DELETE", "requests")

    def hooks(self):
        return self.call("GET", "hooks")

    def webhook_deliveries(self):
        return self.call("GET", "webhooks")

    def pause_webhooks(self):
        return self.call("POST", "webhooks/pause")

    def resume_webhooks(self):
        return self.call("POST", "webhooks/resume")

    def wait_for_deliveries(self, count=None, timeout=5.0, topic=None):
        """Like :meth:`PSBSimulator.wait_for_deliveries`; raises ``TimeoutError`` on timeout."""
        try:
            return self.call("POST", "webhooks/wait", {"count": count, "timeout": timeout, "topic": topic})
        except RemoteError as exc:
            if exc.status == 408:
                raise TimeoutError(exc.body) from None
            raise
