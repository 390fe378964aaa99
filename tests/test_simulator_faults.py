"""PSB simulator fault switches, latency, concurrency, keep-alive and the ``/_sim/`` control API."""

import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import pytest
import requests

from psb_simulator import PSBSimulator, sample_invoice
from psb_simulator.ids import key as ids_key
from psb_simulator.server import _is_loopback

OWN = "0106:12345678"
OWN_LETTER = "NL:KVK:12345678"
BUYER = "0106:87654321"


def enc(party):
    return quote(party, safe="")


@pytest.fixture
def sim():
    with PSBSimulator(delivery_delay=0.01) as simulator:
        simulator.add_client("cid", "csecret")
        simulator.add_user("user", "pw", parties=[OWN], names={OWN: "Seller BV"})
        simulator.add_participant(BUYER, name="Buyer BV")
        yield simulator


def token(sim):
    data = {
        "grant_type": "password",
        "username": "user",
        "password": "pw",
        "client_id": "cid",
        "client_secret": "csecret",
        "scope": "ap",
    }
    answer = requests.post(sim.token_url, data=data, timeout=5)
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def session_for(sim):
    session = requests.Session()
    session.headers["Authorization"] = "Bearer " + token(sim)
    return session


@pytest.fixture
def http(sim):
    session = session_for(sim)
    yield session
    session.close()


def me(sim, session):
    return session.get(sim.api_url + "/api/v1/me/party", timeout=10)


def send(sim, session, document_id=None):
    headers = {"X-EConnect-DocumentId": document_id} if document_id else {}
    files = {"file": ("i.xml", sample_invoice(OWN, BUYER), "application/xml")}
    return session.post(
        sim.api_url + "/api/v1/%s/salesInvoice/send" % enc(OWN), files=files, headers=headers, timeout=10
    )


def control(sim, method, path, **kwargs):
    headers = dict(kwargs.pop("headers", None) or {}, **{"X-Sim-Token": sim.control_token})
    return requests.request(
        method, sim.control_url + path, timeout=kwargs.pop("timeout", 10), headers=headers, **kwargs
    )


# ---------------------------------------------------------------------------------------------
# Fault switches
# ---------------------------------------------------------------------------------------------
def test_fail_next(sim, http):
    sim.faults.fail_next(2, status=503)
    for _ in range(2):
        answer = me(sim, http)
        assert answer.status_code == 503
        assert set(answer.json()) == {"helpLink", "message", "code", "requestId", "dateTime"}
    assert me(sim, http).status_code == 200
    assert [r.status for r in sim.requests[-3:]] == [503, 503, 200]


def test_fail_next_path_filter(sim, http):
    sim.faults.fail_next(1, status=500, path_contains="/salesInvoice/send")
    assert me(sim, http).status_code == 200
    assert send(sim, http, "x").status_code == 500
    assert "x" not in sim.sent_documents  # the failed request did nothing
    assert send(sim, http, "x").status_code == 200


def test_faults_apply_to_token_endpoint(sim):
    sim.faults.fail_next(1, status=502, path_contains="/connect/token")
    answer = requests.post(
        sim.token_url,
        data={"grant_type": "client_credentials", "client_id": "cid", "client_secret": "csecret"},
        timeout=5,
    )
    assert answer.status_code == 502
    assert token(sim)


def test_rate_limit_next(sim, http):
    sim.faults.rate_limit_next(1, retry_after=2)
    answer = me(sim, http)
    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "2"
    assert answer.json()["code"] == "API429"
    sim.faults.rate_limit_next(1, retry_after=0.5)
    assert me(sim, http).headers["Retry-After"] == "0.5"
    assert me(sim, http).status_code == 200


def test_slow_next(sim, http):
    sim.faults.slow_next(1, seconds=0.3, path_contains="/me/party")
    started = time.monotonic()
    assert me(sim, http).status_code == 200
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    me(sim, http)
    assert time.monotonic() - started < 0.25


def test_slow_and_fail_combine(sim, http):
    sim.faults.slow_next(1, seconds=0.2)
    sim.faults.fail_next(1, status=504)
    started = time.monotonic()
    assert me(sim, http).status_code == 504
    assert time.monotonic() - started >= 0.2
    assert sim.faults.pending == []


def test_slow_causes_client_timeout(sim, http):
    sim.faults.slow_next(1, seconds=0.5)
    with pytest.raises(requests.Timeout):
        http.get(sim.api_url + "/api/v1/me/party", timeout=0.1)


def test_drop_next(sim, http):
    assert me(sim, http).status_code == 200  # a pooled keep-alive connection exists now
    sim.faults.drop_next(1, path_contains="/salesInvoice/send")
    with pytest.raises(requests.ConnectionError):
        send(sim, http, "dropped")
    entry = sim.requests[-1]
    assert entry.dropped
    assert entry.status is None
    assert entry.document_id == "dropped"
    assert "dropped" not in sim.sent_documents
    assert send(sim, http, "dropped").status_code == 200  # the same session recovers


def test_expire_tokens_and_clear(sim, http):
    sim.faults.fail_next(5)
    sim.faults.rate_limit_next(5)
    assert len(sim.faults.pending) == 2
    sim.faults.clear()
    assert sim.faults.pending == []
    sim.faults.expire_tokens()
    assert me(sim, http).status_code == 401


def test_latency(sim, http):
    sim.latency = 0.1
    started = time.monotonic()
    assert me(sim, http).status_code == 200
    assert time.monotonic() - started >= 0.1
    started = time.monotonic()
    control(sim, "GET", "/health")
    assert time.monotonic() - started < 0.1  # the control API is never delayed


def connections(sim, session):
    """How many connections the session's pool opened to the simulator."""
    pools = session.get_adapter(sim.api_url).poolmanager.pools
    return sum(pools[key].num_connections for key in pools.keys())  # noqa: SIM118 (no __iter__)


# ---------------------------------------------------------------------------------------------
# Concurrency and connections
# ---------------------------------------------------------------------------------------------
def test_parallel_sends_overlap(sim):
    sessions = [session_for(sim) for _ in range(20)]
    sim.latency = 0.05
    try:
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=20) as pool:
            answers = list(pool.map(lambda s: send(sim, s[1], "p%d" % s[0]), enumerate(sessions)))
        elapsed = time.monotonic() - started
    finally:
        for session in sessions:
            session.close()
    assert [a.status_code for a in answers] == [200] * 20
    assert elapsed < 0.5, elapsed  # 20 x 0.05 s one after the other would take 1 s
    assert len(sim.sent_documents) == 20


def test_many_sends_are_fast(sim, http):
    started = time.monotonic()
    for n in range(200):
        assert send(sim, http, "bulk-%d" % n).status_code == 200
    assert time.monotonic() - started < 10
    sim.wait_idle(timeout=10)
    assert all(d.status == "Delivered" for d in sim.sent_documents.values())


def test_keep_alive_reuses_one_connection(sim, http):
    for _ in range(5):
        assert me(sim, http).status_code == 200
    assert send(sim, http).status_code == 200
    assert send(sim, http).status_code == 200  # 409 path must not break the connection either
    assert connections(sim, http) == 1


def test_keep_alive_after_errors(sim, http):
    assert http.get(sim.api_url + "/api/v1/nowhere", timeout=5).status_code == 404
    assert http.post(sim.api_url + "/api/v1/me/party", data=b"x" * 1000, timeout=5).status_code == 405
    unauthenticated = http.post(
        sim.api_url + "/api/v1/me/party", data=b"y" * 1000, timeout=5, headers={"Authorization": "Bearer nope"}
    )
    assert unauthenticated.status_code == 401
    assert me(sim, http).status_code == 200
    assert connections(sim, http) == 1


def test_chunked_upload(sim, http):
    def chunks():
        yield b'{"status"'
        yield b': "AP"}'

    document_id = sim.inject_incoming(OWN, sample_invoice(BUYER, OWN))
    answer = http.post(
        sim.api_url + "/api/v1/%s/purchaseInvoice/%s/response" % (enc(OWN), document_id),
        data=chunks(),
        headers={"Content-Type": "application/json", "X-EConnect-DocumentId": "chunked-1"},
        timeout=5,
    )
    assert answer.status_code == 200, answer.text


def test_request_log_is_thread_safe(sim):
    sessions = [session_for(sim) for _ in range(8)]
    sim.clear_log()
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda s: [me(sim, s) for _ in range(10)], sessions))
    finally:
        for session in sessions:
            session.close()
    assert len(sim.requests) == 80
    assert len(sim.requests_to("/me/party", "GET")) == 80


# ---------------------------------------------------------------------------------------------
# Control API
# ---------------------------------------------------------------------------------------------
def test_control_health_and_settings(sim):
    health = control(sim, "GET", "/health").json()
    assert health["ok"] is True
    assert health["apiUrl"] == sim.api_url
    assert health["demo"] is False
    answer = control(
        sim,
        "PUT",
        "/settings",
        json={"latency": 0.01, "deliveryDelay": 0.02, "tokenLifetime": 60, "webhookAttempts": 2, "loopback": True},
    )
    assert answer.status_code == 200
    assert (sim.latency, sim.delivery_delay, sim.token_lifetime, sim.webhook_attempts, sim.loopback) == (
        0.01,
        0.02,
        60,
        2,
        True,
    )
    assert control(sim, "PUT", "/latency", json={"seconds": 0.03}).json() == {"seconds": 0.03}
    assert sim.latency == 0.03
    assert control(sim, "PUT", "/settings", json={"nope": 1}).status_code == 400
    assert control(sim, "GET", "/nothing").status_code == 404


def test_control_incoming_and_documents(sim, http):
    xml = sample_invoice(BUYER, OWN, number="C-1")
    answer = control(
        sim,
        "POST",
        "/incoming",
        params={"party": OWN_LETTER, "documentId": "c-1"},
        data=xml,
        headers={"Content-Type": "application/xml"},
    )
    assert answer.json() == {"id": "c-1"}
    download = http.get(sim.api_url + "/api/v1/%s/purchaseInvoice/c-1/download" % enc(OWN), timeout=5)
    assert download.content == xml
    as_json = control(sim, "POST", "/incoming", json={"party": OWN, "xml": xml.decode(), "sender": BUYER})
    assert as_json.status_code == 200
    sample = control(sim, "POST", "/incoming/sample", json={"party": OWN, "number": "S-9"}).json()
    received = control(sim, "GET", "/received").json()
    assert {d["id"] for d in received} == {"c-1", as_json.json()["id"], sample["id"]}
    detail = control(sim, "GET", "/received/" + sample["id"]).json()
    assert "S-9" in detail["xml"]
    assert control(sim, "POST", "/incoming", data=xml).status_code == 400  # no party
    assert control(sim, "POST", "/incoming", params={"party": "garbage"}, data=xml).status_code == 400
    # sent documents
    send(sim, http, "s-1")
    sim.wait_idle()
    docs = control(sim, "GET", "/documents").json()
    assert [d["id"] for d in docs] == ["s-1"]
    assert docs[0]["status"] == "Delivered"
    assert docs[0]["receiverId"] == "NL:KVK:87654321"
    assert control(sim, "GET", "/documents/s-1/xml").content == sim.sent_document("s-1").xml
    assert control(sim, "GET", "/documents/nope").status_code == 404


def test_lose_answer_does_the_call_and_drops_the_line(sim, http):
    sim.faults.lose_answer_next(1, path_contains="/salesInvoice/send")
    with pytest.raises(requests.exceptions.ConnectionError):
        send(sim, http, "lost-1")
    assert sim.sent_document("lost-1") is not None  # done at the PSB
    [entry] = [r for r in sim.requests if r.document_id == "lost-1"]
    assert entry.dropped and entry.status == 200
    assert send(sim, http, "lost-1").status_code == 409


def test_control_response_settings_and_shapes(sim):
    settings = control(sim, "PUT", "/settings", json={"responseEventShape": "old", "demoAnswers": False}).json()
    assert (settings["responseEventShape"], settings["demoAnswers"]) == ("old", False)
    assert control(sim, "PUT", "/settings", json={"responseEventShape": "x"}).status_code == 400
    answer = control(
        sim, "POST", "/invoice-response",
        json={"party": OWN, "documentId": "s-9", "status": "RE", "reasons": {"PRI": "price"}},
    ).json()
    event = control(sim, "GET", "/events").json()[-1]
    assert (event["documentId"], event["refToDocumentId"]) == (answer["id"], "s-9")
    assert event["details"]["statusCode"] == "re"
    control(sim, "POST", "/invoice-response", json={"party": OWN, "documentId": "s-9", "status": "AP", "shape": "new"})
    event = control(sim, "GET", "/events").json()[-1]
    assert (event["documentId"], event["refToDocumentId"]) == ("s-9", None)
    assert control(sim, "POST", "/participants", json={"id": "0106:99887766", "invoiceResponse": False}).ok
    assert sim.participants["0106:99887766"].invoice_responses is False


def test_control_invoice_response_events_and_webhooks(sim):
    response = control(sim, "POST", "/invoice-response", json={"party": OWN, "documentId": "s-1", "status": "AP"})
    assert response.status_code == 200
    assert (
        control(sim, "POST", "/invoice-response", json={"party": OWN, "documentId": "s", "status": "??"}).status_code
        == 400
    )
    event = control(
        sim,
        "POST",
        "/events",
        json={"party": OWN, "topic": "InvoiceReceivedError", "message": "broken", "documentId": "e-1"},
    ).json()
    assert event["topic"] == "InvoiceReceivedError"
    topics = [e["topic"] for e in control(sim, "GET", "/events").json()]
    assert topics == ["InvoiceResponseReceived", "InvoiceReceivedError"]
    assert control(sim, "POST", "/webhooks/pause").json() == {"paused": True}
    assert sim.dispatcher.paused
    assert control(sim, "POST", "/webhooks/resume").json() == {"paused": False}
    assert control(sim, "POST", "/webhooks/wait", json={"timeout": 1}).status_code == 200
    assert control(sim, "POST", "/webhooks/wait", json={"count": 1, "timeout": 0.1}).status_code == 408
    assert control(sim, "GET", "/webhooks").json() == []
    assert control(sim, "GET", "/hooks").json() == []


def test_control_faults(sim, http):
    rule = control(sim, "POST", "/faults", json={"kind": "fail", "n": 1, "status": 500, "pathContains": "/me/"})
    assert rule.json()["remaining"] == 1
    assert len(control(sim, "GET", "/faults").json()) == 1
    assert control(sim, "GET", "/health").status_code == 200  # never affected by faults
    assert me(sim, http).status_code == 500
    control(sim, "POST", "/faults", json={"kind": "rate_limit", "retryAfter": 3})
    assert me(sim, http).headers["Retry-After"] == "3"
    control(sim, "POST", "/faults", json={"kind": "drop", "n": 3})
    assert control(sim, "DELETE", "/faults").status_code == 200
    assert me(sim, http).status_code == 200
    assert control(sim, "POST", "/faults", json={"kind": "explode"}).status_code == 400
    assert control(sim, "POST", "/faults/expire-tokens").status_code == 200
    assert me(sim, http).status_code == 401


def test_control_request_log(sim, http):
    me(sim, http)
    entries = control(sim, "GET", "/requests", params={"body": "1", "pathContains": "/me/party"}).json()
    assert [e["path"] for e in entries] == ["/api/v1/me/party"]
    assert entries[0]["headers"]["Authorization"] == "Bearer ***"
    assert entries[0]["status"] == 200
    assert "body" in entries[0]
    assert all("/_sim" not in e["path"] for e in control(sim, "GET", "/requests").json())
    assert control(sim, "DELETE", "/requests").status_code == 200
    assert sim.requests == []


def test_control_participants_outcomes_accounts(sim, http):
    assert control(
        sim, "POST", "/participants", json=[{"id": "0208:0123456749", "name": "BE SA"}, {"id": "0106:55555555"}]
    ).json() == {"ids": ["BE:EN:0123456749", "NL:KVK:55555555"]}
    listed = {p["id"]: p for p in control(sim, "GET", "/participants").json()}
    assert listed["BE:EN:0123456749"]["name"] == "BE SA"
    assert control(sim, "DELETE", "/participants/0106:55555555").status_code == 200
    assert "0106:55555555" not in sim.participants
    assert control(sim, "POST", "/participants", json={"name": "no id"}).status_code == 400
    control(sim, "POST", "/delivery-outcome", json={"receiver": BUYER, "outcome": "error", "message": "no"})
    send(sim, http, "o-1")
    sim.wait_idle()
    assert sim.sent_document("o-1").status == "Failed"
    assert control(sim, "POST", "/delivery-outcome", json={"receiver": BUYER, "outcome": "bad"}).status_code == 400
    assert control(sim, "POST", "/users", json={"username": "u2", "password": "p2", "parties": [BUYER]}).ok
    assert control(sim, "POST", "/clients", json={"clientId": "c2", "secret": "s2"}).ok
    answer = requests.post(
        sim.token_url,
        data={"grant_type": "password", "username": "u2", "password": "p2", "client_id": "c2", "client_secret": "s2"},
        timeout=5,
    )
    assert answer.status_code == 200


def test_control_peppol_config(sim, http):
    control(sim, "POST", "/config-refusals", json={"party": OWN, "code": "API403", "message": "not allowed"})
    url = sim.api_url + "/api/v1/peppol/config/party/" + enc(OWN)
    assert http.put(url, json={}, timeout=5).status_code == 403
    assert control(sim, "DELETE", "/config-refusals/" + enc(OWN)).status_code == 200
    assert http.put(url, json={"capabilities": {"invoices": {"state": "on"}}}, timeout=5).status_code == 200
    state = control(sim, "GET", "/peppol-config").json()
    assert state["configs"][OWN_LETTER]["capabilities"]["invoices"]["state"] == "on"
    assert len(state["writes"]) == 1
    assert state["deletions"] == []


def test_control_demo_parties():
    with PSBSimulator(demo=True) as demo:
        assert control(demo, "POST", "/demo-parties", json={"party": OWN, "name": "Mine"}).ok
        session = requests.Session()
        tok = requests.post(
            demo.token_url, data={"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"}, timeout=5
        ).json()["access_token"]
        session.headers["Authorization"] = "Bearer " + tok
        assert me(demo, session).json()[0]["name"] == "Mine"
        assert control(demo, "GET", "/health").json()["demo"] is True


def test_control_refuses_non_loopback_clients():
    assert _is_loopback("127.0.0.1")
    assert _is_loopback("127.8.9.10")
    assert _is_loopback("::1")
    assert _is_loopback("::ffff:127.0.0.1")
    assert not _is_loopback("10.0.0.5")
    assert not _is_loopback("192.168.1.2")
    assert not _is_loopback("not-an-ip")


def _non_loopback_address():
    try:
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        probe.connect(("192.0.2.1", 9))  # no packet is sent for UDP connect
        address = probe.getsockname()[0]
        probe.close()
    except OSError:
        return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address  # noqa: S104


def test_simulator_refuses_to_listen_beyond_loopback():
    for host in ("0.0.0.0", "::", "192.0.2.1", "example.test"):  # noqa: S104 (the point of the test)
        with pytest.raises(ValueError, match="loopback only"):
            PSBSimulator(host=host)
    for host in ("127.0.0.1", "127.0.0.2", "::1", "localhost"):
        PSBSimulator(host=host)


def test_nothing_answers_a_real_non_loopback_connection():
    """Even bound to every address (forced past the constructor's check), a client that is not on loopback
    is cut off unanswered: the API, the token endpoint and the control API alike."""
    address = _non_loopback_address()
    if address is None:
        pytest.skip("no non-loopback IPv4 address on this machine")
    exposed = PSBSimulator()
    exposed.host = "0.0.0.0"  # noqa: S104 (the point of the test)
    with exposed:
        base = "http://%s:%d" % (address, exposed.port)
        for path in ("/_sim/health", "/api/v1/me/party", "/connect/token"):
            with pytest.raises(requests.ConnectionError):
                requests.get(base + path, timeout=5)
        assert requests.get("http://127.0.0.1:%d/_sim/health" % exposed.port, timeout=5).status_code == 200


def test_control_api_needs_the_token(sim):
    sim.add_client("c", "s", parties=[OWN])
    hook_url = sim.control_url + "/hooks"
    assert requests.get(hook_url, timeout=5).status_code == 401
    wrong = requests.get(hook_url, headers={"X-Sim-Token": "guess"}, timeout=5)
    assert wrong.status_code == 401
    assert wrong.json()["code"] == "API401"
    assert requests.post(sim.control_url + "/users", json={"username": "x", "password": "y"}, timeout=5).status_code \
        == 401
    assert "x" not in sim.auth.users
    # health reveals nothing: open
    assert requests.get(sim.control_url + "/health", timeout=5).status_code == 200
    # demo-parties is open in demo mode only
    assert requests.post(sim.control_url + "/demo-parties", json={"party": OWN}, timeout=5).status_code == 401
    assert control(sim, "GET", "/hooks").status_code == 200


def test_demo_parties_open_in_demo_mode():
    with PSBSimulator(demo=True) as demo:
        answer = requests.post(demo.control_url + "/demo-parties", json={"party": OWN, "name": "Mine"}, timeout=5)
        assert answer.status_code == 200
        assert ids_key(OWN) in demo.demo_parties
        assert requests.get(demo.control_url + "/received", timeout=5).status_code == 401


def test_hooks_are_listed_without_their_secret(sim, http):
    party = enc(OWN)
    answer = http.put(
        sim.api_url + "/api/v1/%s/hook" % party,
        json={"id": "h1", "name": "h", "action": "https://example.test/hook#very-secret", "topics": ["*"]},
        timeout=5,
    )
    assert answer.status_code == 200, answer.text
    listed = control(sim, "GET", "/hooks").json()
    assert [h["action"] for h in listed] == ["https://example.test/hook"]
    assert listed[0]["hasSecret"] is True
    assert "very-secret" not in json.dumps(listed)


def test_server_survives_concurrent_control_and_api(sim, http):
    errors = []

    def hammer():
        try:
            for _ in range(20):
                assert control(sim, "GET", "/requests").status_code == 200
        except AssertionError as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for n in range(20):
        assert send(sim, http, "h-%d" % n).status_code == 200
    for thread in threads:
        thread.join()
    assert errors == []


def test_remote_simulator_wrapper(sim, http):
    from psb_simulator.remote import RemoteError, RemoteSimulator

    remote = RemoteSimulator(sim.url, token=sim.control_token)
    assert remote.health()["ok"] is True
    remote.set_latency(0.02)
    assert remote.settings()["latency"] == 0.02
    assert remote.settings(latency=0)["latency"] == 0
    remote.add_participant("0208:0123456749", name="BE SA")
    assert "0208:0123456749" in sim.participants
    remote.remove_participant("0208:0123456749")
    assert "0208:0123456749" not in sim.participants
    document_id = remote.inject_incoming(OWN, sample_invoice(BUYER, OWN), document_id="r-1")
    assert document_id == "r-1"
    sample_id = remote.inject_sample(OWN, number="S-1")
    assert {d["id"] for d in remote.received_documents()} == {"r-1", sample_id}
    remote.set_delivery_outcome(BUYER, "error", message="refused")
    send(sim, http, "r-2")
    sim.wait_idle()
    assert remote.sent_document("r-2")["status"] == "Failed"
    assert remote.inject_invoice_response(OWN, "r-2", "AP")
    assert remote.emit_event(OWN, "InvoiceReceivedError", "x")["topic"] == "InvoiceReceivedError"
    assert [e["topic"] for e in remote.events()][-1] == "InvoiceReceivedError"
    remote.fail_next(1, status=500, path_contains="/me/")
    assert me(sim, http).status_code == 500
    remote.rate_limit_next(1, retry_after=4)
    assert me(sim, http).headers["Retry-After"] == "4"
    remote.slow_next(1, seconds=0.01)
    remote.drop_next(1)
    remote.clear_faults()
    assert me(sim, http).status_code == 200
    assert remote.requests(path_contains="/me/party")
    remote.clear_log()
    assert remote.requests() == []
    remote.add_user("u9", "p9", parties=[OWN])
    remote.add_client("c9", "s9")
    remote.add_demo_party(OWN)
    remote.refuse_config_changes(OWN, "API403", "no")
    remote.allow_config_changes(OWN)
    assert remote.peppol_configs()["deletions"] == []
    remote.pause_webhooks()
    remote.resume_webhooks()
    assert remote.wait_for_deliveries(timeout=2) == []
    with pytest.raises(TimeoutError):
        remote.wait_for_deliveries(count=1, timeout=0.1)
    assert remote.webhook_deliveries() == []
    assert remote.hooks() == []
    remote.expire_tokens()
    assert me(sim, http).status_code == 401
    with pytest.raises(RemoteError) as info:
        remote.call("GET", "nowhere")
    assert info.value.status == 404
