"""PSB simulator hooks API and signed webhook delivery to a small local receiver over real HTTP."""

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

import pytest
import requests

from psb import webhook
from psb_simulator import PSBSimulator, sample_invoice

OWN = "0106:12345678"
OWN_LETTER = "NL:KVK:12345678"
SECOND = "0106:33333333"
NO_HOOKS = "0106:22222222"  # a party of the user without canManageHook
BUYER = "0106:87654321"
SECRET = "s3cr3t-hook"


def enc(party):
    return quote(party, safe="")


class Receiver:
    """A local webhook endpoint that records requests; answers ``statuses`` in turn (then 200)."""

    def __init__(self, statuses=(), delay=0.0):
        self.requests = []
        self.statuses = list(statuses)
        self.delay = delay
        self.active = 0
        self.max_active = 0
        self.cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.cond:
                    receiver.active += 1
                    receiver.max_active = max(receiver.max_active, receiver.active)
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                if receiver.delay:
                    time.sleep(receiver.delay)
                with receiver.cond:  # recorded before answering: the sender sees it done only after
                    receiver.active -= 1
                    receiver.requests.append((self.path, dict(self.headers.items()), body))
                    receiver.cond.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, path="/hook"):
        return "http://127.0.0.1:%d%s" % (self.server.server_address[1], path)

    def wait(self, count, timeout=5):
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.requests) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError("got %d webhook requests, wanted %d" % (len(self.requests), count))
                self.cond.wait(remaining)
            return list(self.requests)

    def events(self):
        return [json.loads(body) for _path, _headers, body in self.requests]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    endpoint = Receiver()
    yield endpoint
    endpoint.close()


@pytest.fixture
def sim():
    with PSBSimulator(delivery_delay=0.01) as simulator:
        simulator.add_client("cid", "csecret")
        simulator.add_user("user", "pw", parties={OWN: None, SECOND: None, NO_HOOKS: {"canManageHook": False}})
        simulator.add_client("vendor", "vsecret")
        simulator.add_participant(BUYER, name="Buyer BV")
        simulator.webhook_backoff = 0.01
        yield simulator


class Api:
    def __init__(self, sim, **form):
        data = {
            "grant_type": "password",
            "username": "user",
            "password": "pw",
            "client_id": "cid",
            "client_secret": "csecret",
            "scope": "ap",
        }
        data.update(form)
        token = requests.post(sim.token_url, data=data, timeout=5).json()["access_token"]
        self.sim = sim
        self.session = requests.Session()
        self.session.headers["Authorization"] = "Bearer " + token

    def __call__(self, method, path, **kwargs):
        kwargs.setdefault("timeout", 5)
        return self.session.request(method, self.sim.api_url + "/api/v1/" + path, **kwargs)

    def put_hook(self, party, action, topics=("*",), **extra):
        path = (enc(party) + "/hook") if party else "hook"
        hook = {"id": uuid.uuid4().hex, "name": "test", "action": action, "topics": list(topics), "isActive": True}
        answer = self(("PUT"), path, json=dict(hook, **extra))
        assert answer.status_code == 200, answer.text
        return answer.json()


@pytest.fixture
def api(sim):
    client = Api(sim)
    yield client
    client.session.close()


# ---------------------------------------------------------------------------------------------
# Hooks API
# ---------------------------------------------------------------------------------------------
def test_hook_crud(sim, api):
    hook = api.put_hook(OWN, "https://example.test/hook#abc", topics=["*Sent", "InvoiceReceived"])
    assert set(hook) == {"id", "name", "action", "topics", "isActive", "filter", "publishTopics", "createdOn",
                         "changedOn"}
    assert hook["action"] == "https://example.test/hook#abc"
    assert hook["topics"] == ["*Sent", "InvoiceReceived"]
    assert api("GET", enc(OWN) + "/hook").json() == [hook]
    assert api("GET", enc(SECOND) + "/hook").json() == []
    assert api("GET", "hook").json() == []
    updated = api.put_hook(OWN, "https://example.test/other#def", id=hook["id"], isActive=False, name="renamed")
    assert updated["id"] == hook["id"]
    assert (updated["isActive"], updated["name"]) == (False, "renamed")
    assert updated["createdOn"] == hook["createdOn"]
    assert len(api("GET", enc(OWN) + "/hook").json()) == 1
    # add-or-update: an id eConnect does not know yet creates the hook with that id
    chosen = api.put_hook(OWN, "https://example.test/x", id="my-hook-1")
    assert chosen["id"] == "my-hook-1"
    answer = api("DELETE", enc(OWN) + "/hook/" + hook["id"])
    assert (answer.status_code, answer.content) == (200, b"")
    assert [h["id"] for h in api("GET", enc(OWN) + "/hook").json()] == ["my-hook-1"]
    assert api("DELETE", enc(OWN) + "/hook/" + hook["id"]).status_code == 404


def test_environment_hooks(sim, api):
    hook = api.put_hook(None, "https://example.test/env#x", topics=["Invoice*"])
    assert api("GET", "hook").json() == [hook]
    assert api("GET", enc(OWN) + "/hook").json() == []
    # ids are per scope: a hook id of another scope cannot be touched from here, and the same id there is another hook
    assert api("DELETE", enc(OWN) + "/hook/" + hook["id"]).status_code == 404
    party_hook = api.put_hook(OWN, "https://x.test", id=hook["id"])
    assert party_hook["action"] == "https://x.test"
    assert api("GET", "hook").json() == [hook]
    assert api("DELETE", "hook/" + hook["id"]).status_code == 200
    assert api("GET", "hook").json() == []
    assert [h["id"] for h in api("GET", enc(OWN) + "/hook").json()] == [hook["id"]]


@pytest.mark.parametrize(
    "body",
    [
        {"name": "h", "action": "https://example.test", "topics": ["*"]},  # no id: never made up
        {"id": None, "name": "h", "action": "https://example.test"},
        {"id": "", "name": "h", "action": "https://example.test"},
        {"id": "a_b", "name": "h", "action": "https://example.test"},
        {"id": "a b", "name": "h", "action": "https://example.test"},
        {"id": "x" * 65, "name": "h", "action": "https://example.test"},
        {"id": 12, "name": "h", "action": "https://example.test"},
        {"id": "h1", "action": "https://example.test"},  # name is required
        {"id": "h1", "name": "", "action": "https://example.test"},
        {"id": "h1", "name": "h"},  # action is required
        {"id": "h1", "name": "h", "action": "ftp://example.test"},
        {"id": "h1", "name": "h", "action": "https://example.test", "topics": [1]},
        {"id": "h1", "name": "h", "action": "https://example.test", "isActive": "yes"},
        {"id": "h1", "name": "h", "action": "https://example.test", "init": "x"},
        {"id": "h1", "name": "h", "action": "https://example.test", "secret": "x"},  # not a Hook property
        ["https://example.test"],
    ],
)
def test_hook_validation(sim, api, body):
    answer = api("PUT", enc(OWN) + "/hook", json=body)
    assert answer.status_code == 400
    error = answer.json()
    assert set(error) == {"helpLink", "message", "code", "requestId", "dateTime"}
    assert error["code"] == "API400"
    assert api("GET", enc(OWN) + "/hook").json() == []


def test_hook_ids_of_the_model_are_taken(sim, api):
    for hook_id in ("1", "a-b=c", "x" * 64, uuid.uuid4().hex):
        assert api.put_hook(OWN, "https://example.test", id=hook_id)["id"] == hook_id
    mail = api.put_hook(OWN, "mailfrom://invoices@example.test&to=$token$@econnect.email")
    assert "$token$" not in mail["action"]


def test_hook_permissions(sim, api):
    assert api("GET", enc(NO_HOOKS) + "/hook").status_code == 403
    hook = {"id": "h", "name": "h", "action": "https://x.test"}
    assert api("PUT", enc(NO_HOOKS) + "/hook", json=hook).status_code == 403
    # environment hooks: users with canManageHook somewhere, and client tokens
    assert api("GET", "hook").status_code == 200
    vendor = Api(
        sim, grant_type="client_credentials", client_id="vendor", client_secret="vsecret", username="", password=""
    )
    assert vendor("GET", "hook").status_code == 200
    sim.add_user("hookless", "pw", parties={NO_HOOKS: {"canManageHook": False}})
    hookless = Api(sim, username="hookless")
    assert hookless("GET", "hook").status_code == 403


# ---------------------------------------------------------------------------------------------
# Delivery
# ---------------------------------------------------------------------------------------------
def test_delivery_is_signed_and_complete(sim, api, receiver):
    hook = api.put_hook(OWN, receiver.url("/econnect/webhook/tok123?x=1") + "#" + SECRET, topics=["*"])
    document_id = sim.inject_incoming(OWN, sample_invoice(BUYER, OWN))
    [(path, headers, body)] = receiver.wait(1)
    assert path == "/econnect/webhook/tok123?x=1"
    assert headers["Content-Type"] == "application/json"
    signature = headers[webhook.SIGNATURE_HEADER]
    assert signature == webhook.sign_body(SECRET, body)
    assert webhook.verify_signature(SECRET, body, signature)
    assert not webhook.verify_signature("other", body, signature)
    event = webhook.verify_event(SECRET, body, signature)  # includes the sentOn time window
    assert event.topic == "InvoiceReceived"
    assert event.party_id == OWN_LETTER
    assert event.hook_id == hook["id"]
    assert event.document_id == document_id
    data = json.loads(body)
    assert set(data) >= {"topic", "partyId", "hookId", "documentId", "message", "details", "createdOn", "sentOn"}
    assert set(data["details"]) >= {"sender", "recipient", "sourceDocumentTypeId", "targetDocumentTypeId", "attempt"}
    assert data["details"]["sender"] == "NL:KVK:87654321"
    [delivery] = sim.wait_for_deliveries(1)
    assert (delivery.ok, delivery.final, delivery.status, delivery.attempt) == (True, True, 200, 1)
    assert delivery.url == receiver.url("/econnect/webhook/tok123?x=1")
    assert delivery.body == body
    assert delivery.json()["topic"] == "InvoiceReceived"
    assert delivery.time > 0


def test_send_events_are_delivered(sim, api, receiver):
    api.put_hook(OWN, receiver.url() + "#" + SECRET, topics=["InvoiceSent*"])
    sim.set_delivery_outcome(BUYER, "retry")
    files = {"file": ("i.xml", sample_invoice(OWN, BUYER), "application/xml")}
    api("POST", enc(OWN) + "/salesInvoice/send", files=files, headers={"X-EConnect-DocumentId": "d1"})
    receiver.wait(2)
    topics = [e["topic"] for e in receiver.events()]
    assert topics == ["InvoiceSentRetry", "InvoiceSent"]
    assert {e["documentId"] for e in receiver.events()} == {"d1"}


def test_invoice_response_event_has_response_document_id(sim, api, receiver):
    api.put_hook(OWN, receiver.url() + "#" + SECRET, topics=["InvoiceResponseReceived"])
    response_id = sim.inject_invoice_response(OWN, "sent-x", "AP")
    [event] = [json.loads(b) for _p, _h, b in receiver.wait(1)]
    assert event["responseDocumentId"] == response_id
    assert event["documentId"] == "sent-x"


def test_emit_any_topic(sim, api, receiver):
    api.put_hook(OWN, receiver.url() + "#" + SECRET, topics=["*Error"])
    sim.emit_event(
        OWN, "InvoiceReceivedError", "bad-doc", message="Schema validation failed", details={"reason": "BR-01"}
    )
    sim.emit_event(OWN, "InvoiceReceived", "good-doc")  # not matched
    sim.emit_event(OWN, "InvoiceSentError", "sent-doc", message="Unknown receiver")
    sim.wait_for_deliveries()
    events = receiver.events()
    assert [e["topic"] for e in events] == ["InvoiceReceivedError", "InvoiceSentError"]
    assert events[0]["message"] == "Schema validation failed"
    assert events[0]["details"]["reason"] == "BR-01"
    assert events[0]["details"]["recipient"] == OWN_LETTER


@pytest.mark.parametrize(
    ("topics", "expected"),
    [
        (["*Sent"], ["InvoiceSent"]),
        (["Invoice*"], ["InvoiceSent", "InvoiceSentError", "InvoiceReceived", "InvoiceResponseReceived"]),
        (["*Error"], ["InvoiceSentError"]),
        (["invoicereceived"], ["InvoiceReceived"]),
        (["*Sent", "*SentError"], ["InvoiceSent", "InvoiceSentError"]),
        (["*"], ["InvoiceSent", "InvoiceSentError", "InvoiceReceived", "InvoiceResponseReceived"]),
        ([], []),
    ],
)
def test_wildcard_topics(sim, api, receiver, topics, expected):
    api.put_hook(OWN, receiver.url() + "#" + SECRET, topics=topics)
    for topic in ("InvoiceSent", "InvoiceSentError", "InvoiceReceived", "InvoiceResponseReceived"):
        sim.emit_event(OWN, topic, "doc")
    sim.wait_for_deliveries()
    assert [e["topic"] for e in receiver.events()] == expected


def test_inactive_hooks_and_other_parties_get_nothing(sim, api, receiver):
    api.put_hook(OWN, receiver.url("/inactive") + "#" + SECRET, isActive=False)
    api.put_hook(SECOND, receiver.url("/second") + "#" + SECRET)
    api.put_hook(None, receiver.url("/environment") + "#" + SECRET)
    sim.emit_event(OWN, "InvoiceReceived", "d1")
    sim.emit_event(SECOND, "InvoiceReceived", "d2")
    sim.wait_for_deliveries()
    got = sorted((path, json.loads(body)["documentId"]) for path, _h, body in receiver.requests)
    assert got == [("/environment", "d1"), ("/environment", "d2"), ("/second", "d2")]


def test_ping(sim, api, receiver):
    api.put_hook(OWN, receiver.url("/own") + "#" + SECRET, topics=["InvoiceReceived"])
    api.put_hook(None, receiver.url("/env") + "#" + SECRET, topics=["InvoiceReceived"])
    answer = api("GET", enc(OWN) + "/hook/ping")
    assert answer.json() == {"id": OWN_LETTER}
    [(path, headers, body)] = receiver.wait(1)
    assert path == "/own"
    assert json.loads(body)["topic"] == "Ping"
    assert webhook.verify_signature(SECRET, body, headers[webhook.SIGNATURE_HEADER])
    assert api("GET", "hook/ping").status_code == 200
    receiver.wait(2)
    assert receiver.requests[1][0] == "/env"


def test_retries_until_success(sim, api):
    flaky = Receiver(statuses=[500, 503])
    try:
        api.put_hook(OWN, flaky.url() + "#" + SECRET)
        sim.emit_event(OWN, "InvoiceReceived", "d1")
        [final] = sim.wait_for_deliveries(1)
        assert (final.ok, final.attempt, final.status) == (True, 3, 200)
        attempts = sim.webhook_deliveries
        assert [(d.status, d.final) for d in attempts] == [(500, False), (503, False), (200, True)]
        for _path, headers, body in flaky.requests:
            assert webhook.verify_signature(SECRET, body, headers[webhook.SIGNATURE_HEADER])
    finally:
        flaky.close()


def test_gives_up_after_attempts(sim, api):
    dead = Receiver()
    url = dead.url()
    dead.close()  # nothing listens there any more
    sim.webhook_attempts = 3
    api.put_hook(OWN, url + "#" + SECRET)
    sim.emit_event(OWN, "InvoiceReceived", "d1")
    [final] = sim.wait_for_deliveries(1)
    assert (final.ok, final.attempt, final.status) == (False, 3, None)
    assert final.exception
    assert len(sim.webhook_deliveries) == 3


def test_non_http_actions_are_skipped(sim, api):
    api.put_hook(OWN, "mailto:ap@example.test")
    sim.emit_event(OWN, "InvoiceReceived", "d1")
    [delivery] = sim.wait_for_deliveries(1)
    assert delivery.skipped
    assert not delivery.ok


def test_pause_and_resume(sim, api, receiver):
    api.put_hook(OWN, receiver.url() + "#" + SECRET)
    sim.pause_webhooks()
    for n in range(3):
        sim.emit_event(OWN, "InvoiceReceived", "d%d" % n)
    time.sleep(0.2)
    assert receiver.requests == []
    with pytest.raises(TimeoutError):
        sim.wait_for_deliveries(timeout=0.2)
    sim.resume_webhooks()
    receiver.wait(3)
    assert [e["documentId"] for e in receiver.events()] == ["d0", "d1", "d2"]


def test_environment_hooks_one_request_at_a_time(sim, api):
    slow = Receiver(delay=0.05)
    try:
        api.put_hook(None, slow.url("/a") + "#" + SECRET)
        api.put_hook(None, slow.url("/b") + "#" + SECRET)
        for n in range(4):
            sim.emit_event(OWN, "InvoiceReceived", "d%d" % n)
        slow.wait(8)
        assert slow.max_active == 1
    finally:
        slow.close()


def test_party_hooks_run_in_parallel_but_in_order(sim, api):
    slow = Receiver(delay=0.1)
    try:
        api.put_hook(OWN, slow.url("/a") + "#" + SECRET)
        api.put_hook(OWN, slow.url("/b") + "#" + SECRET)
        for n in range(3):
            sim.emit_event(OWN, "InvoiceReceived", "d%d" % n)
        slow.wait(6)
        assert slow.max_active == 2
        for path in ("/a", "/b"):
            docs = [json.loads(b)["documentId"] for p, _h, b in slow.requests if p == path]
            assert docs == ["d0", "d1", "d2"]
    finally:
        slow.close()


def test_wait_for_deliveries_by_topic_and_timeout(sim, api, receiver):
    api.put_hook(OWN, receiver.url() + "#" + SECRET)
    sim.emit_event(OWN, "InvoiceReceived", "a")
    sim.emit_event(OWN, "InvoiceSent", "b")
    assert [d.document_id for d in sim.wait_for_deliveries(1, topic="InvoiceSent")] == ["b"]
    with pytest.raises(TimeoutError):
        sim.wait_for_deliveries(5, timeout=0.2)
    sim.clear_webhook_deliveries()
    assert sim.webhook_deliveries == []


def test_delivery_records_the_round_trip(sim, api):
    """Each delivery says how long the receiver took to answer (what bench/scale.py reports as webhook p50/p99)."""
    slow = Receiver(delay=0.05)
    try:
        api.put_hook(OWN, slow.url() + "#" + SECRET)
        sim.emit_event(OWN, "InvoiceReceived", "d0")
        [delivery] = sim.wait_for_deliveries(1)
        assert 0.05 <= delivery.duration < 2
        assert delivery.as_dict()["duration"] == delivery.duration
    finally:
        slow.close()
