"""PSBClient against the PSB simulator over real HTTP: every API call, token handling, URLs."""

import json
import threading
import uuid

import pytest
import requests
from psb_support import BUYER, OWN, PERMISSIONS, FakeTime, invoice_xml

from psb import contract
from psb.client import PSBClient, validate_base_url
from psb.errors import (
    AlreadySentError,
    AuthenticationError,
    ConfigurationError,
    ForbiddenError,
    NotFoundError,
    TemporaryError,
)
from psb.party import PartyId
from psb_simulator import PSBSimulator

OWN_LETTER = "NL:KVK:12345678"
OWN_ENCODED = "NL%3AKVK%3A12345678"
XML = invoice_xml("INV-1")


@pytest.fixture
def sim():
    with PSBSimulator() as simulator:
        simulator.add_client("cid", "csecret")
        simulator.add_user("user", "pw", parties={OWN: dict(PERMISSIONS)}, names={OWN: "Seller BV"})
        simulator.add_participant(BUYER, name="Buyer BV")
        yield simulator


@pytest.fixture
def fake_time():
    return FakeTime()


@pytest.fixture
def client(sim, fake_time):
    with PSBClient(
        api_url=sim.api_url,
        identity_url=sim.identity_url,
        client_id="cid",
        client_secret="csecret",
        username="user",
        password="pw",
        sleep=fake_time.sleep,
        clock=fake_time.clock,
    ) as psb:
        yield psb


def token_requests(sim):
    return [r for r in sim.requests if r.path.endswith(contract.TOKEN_PATH)]


def api_requests(sim):
    return [r for r in sim.requests if r.path.startswith(contract.API_PREFIX)]


def header(request, name):
    for key, value in request.headers.items():
        if key.lower() == name.lower():
            return value
    return None


# -- token -----------------------------------------------------------------------------------------
def test_fetch_token_password_grant(sim, client):
    token = client.fetch_token()
    assert isinstance(token, str)
    assert token
    (request,) = token_requests(sim)
    assert request.method == "POST"
    form = dict(p.split("=", 1) for p in request.body.decode().split("&"))
    assert form["grant_type"] == "password"
    assert form["username"] == "user"
    assert form["client_id"] == "cid"
    assert form["scope"] == "ap"
    assert "password" in form
    assert "client_secret" in form
    assert header(request, "Accept") == "application/json"
    assert header(request, "Content-Type").startswith("application/x-www-form-urlencoded")
    assert header(request, "Authorization") is None


def test_client_credentials_grant_without_username(sim, fake_time):
    with PSBClient(sim.api_url, sim.identity_url, "cid", "csecret", clock=fake_time.clock) as psb:
        psb.fetch_token()
    (request,) = token_requests(sim)
    form = dict(p.split("=", 1) for p in request.body.decode().split("&"))
    assert form["grant_type"] == "client_credentials"
    assert "username" not in form
    assert form["scope"] == "ap"


def test_token_is_cached_and_renewed_before_expiry(sim, client, fake_time):
    sim.token_lifetime = 3600
    client.get_my_parties()
    client.get_my_parties()
    assert len(token_requests(sim)) == 1
    fake_time.now += 3600 - 61  # still valid: renewed 60 s before expiry
    client.get_my_parties()
    assert len(token_requests(sim)) == 1
    fake_time.now += 2  # now within the last 60 s
    client.get_my_parties()
    assert len(token_requests(sim)) == 2


def test_every_api_call_carries_bearer_and_accept(sim, client):
    client.get_my_parties()
    (request,) = api_requests(sim)
    assert header(request, "Authorization").startswith("Bearer ")
    assert header(request, "Accept") == "application/json"
    assert header(request, "Subscription-Key") is None
    assert header(request, contract.HEADER_DOMAIN_ID) is None


def test_subscription_key_only_when_set(sim, fake_time):
    with PSBClient(
        sim.api_url, sim.identity_url, "cid", "csecret", "user", "pw", subscription_key="sub-key"
    ) as psb:
        psb.get_my_parties()
    (request,) = api_requests(sim)
    assert header(request, "Subscription-Key") is not None  # the simulator logs it redacted


def test_renews_once_on_401(sim, client):
    client.get_my_parties()
    sim.faults.expire_tokens()
    parties = client.get_my_parties()
    assert parties
    assert len(token_requests(sim)) == 2
    statuses = [r.status for r in api_requests(sim)]
    assert statuses == [200, 401, 200]


def test_401_after_renewal_is_authentication_error(sim, client):
    client.get_my_parties()
    sim.faults.fail_next(2, status=401, path_contains="/me/party")
    with pytest.raises(AuthenticationError) as info:
        client.get_my_parties()
    assert info.value.kind == "authentication"
    assert info.value.status == 401
    assert len(token_requests(sim)) == 2


def test_wrong_credentials_raise_authentication_error(sim, fake_time):
    wrong_password = PSBClient(sim.api_url, sim.identity_url, "cid", "csecret", "user", "wrong")
    with wrong_password as psb, pytest.raises(AuthenticationError):
        psb.get_my_parties()
    with (
        PSBClient(sim.api_url, sim.identity_url, "cid", "bad-secret") as psb,
        pytest.raises(AuthenticationError),
    ):
        psb.fetch_token()
    assert not api_requests(sim)


def test_token_is_thread_safe(sim, client):
    errors = []

    def work():
        try:
            client.get_my_parties()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(token_requests(sim)) == 1
    assert len(api_requests(sim)) == 12


# -- calls -----------------------------------------------------------------------------------------
def test_get_my_parties(client):
    parties = client.get_my_parties()
    assert isinstance(parties, list)
    (party,) = parties
    assert PartyId.parse(party["id"], validate=False) == PartyId.parse(OWN)
    assert party["permissions"]["canSendDocument"] is True


def test_query_recipient_party_found(sim, client):
    answer = client.query_recipient_party(OWN, ["0106:11111111", PartyId.parse(BUYER)])
    assert PartyId.parse(answer["id"], validate=False) == PartyId.parse(BUYER)
    request = api_requests(sim)[-1]
    assert request.method == "POST"
    assert request.raw_path.startswith(f"/api/v1/{OWN_ENCODED}/salesInvoice/queryRecipientParty")
    assert request.json() == ["NL:KVK:11111111", "NL:KVK:87654321"]
    assert header(request, "Content-Type").startswith("application/json")


def test_query_recipient_party_not_found(sim, client):
    with pytest.raises(NotFoundError) as info:
        client.query_recipient_party(OWN, ["0106:11111111"])
    assert info.value.kind == "not_found"
    assert info.value.status == 404
    assert info.value.code == "API404"


def test_send_invoice(sim, client):
    document_id = str(uuid.uuid4())
    answer = client.send_invoice(OWN, XML, document_id)
    assert answer["id"] == document_id
    assert document_id in sim.sent_documents
    request = api_requests(sim)[-1]
    assert request.method == "POST"
    assert request.raw_path == f"/api/v1/{OWN_ENCODED}/salesInvoice/send"
    assert header(request, "X-EConnect-DocumentId") == document_id
    content_type = header(request, "Content-Type")
    assert content_type.startswith("multipart/form-data")
    assert b'name="file"; filename="invoice.xml"' in request.body
    assert XML in request.body
    assert request.query == {}


def test_send_invoice_with_receiver_and_channel(sim, client):
    document_id = str(uuid.uuid4())
    client.send_invoice(
        PartyId.parse(OWN),
        XML.decode(),
        document_id,
        filename="INV-1.xml",
        receiver_id=BUYER,
        channel="peppol",
    )
    request = api_requests(sim)[-1]
    assert request.query == {"receiverId": "NL:KVK:87654321", "channel": "peppol"}
    assert b'filename="INV-1.xml"' in request.body


def test_send_same_document_twice_is_already_sent(sim, client):
    document_id = str(uuid.uuid4())
    client.send_invoice(OWN, XML, document_id)
    with pytest.raises(AlreadySentError) as info:
        client.send_invoice(OWN, XML, document_id)
    assert info.value.status == 409
    assert info.value.kind == "already_sent"
    assert info.value.after_retry is False


def test_send_rejects_bad_arguments_before_any_request(sim, client):
    for document_id in ("", None, "x" * 257):
        with pytest.raises(ValueError):
            client.send_invoice(OWN, XML, document_id)
    with pytest.raises(ValueError):
        client.send_invoice(OWN, b"", str(uuid.uuid4()))
    with pytest.raises(ValueError):
        client.send_invoice("garbage", XML, str(uuid.uuid4()))
    assert not sim.requests


def test_get_sent_status(sim, client):
    document_id = str(uuid.uuid4())
    client.send_invoice(OWN, XML, document_id)
    statuses = client.get_sent_status(OWN, document_id)
    assert isinstance(statuses, list)
    assert statuses
    assert {"id", "name"} <= set(statuses[0])
    request = api_requests(sim)[-1]
    assert request.raw_path == f"/api/v1/{OWN_ENCODED}/salesInvoice/{document_id}/status"


def test_download_and_delete_purchase_invoice(sim, client):
    document_id = sim.inject_incoming(OWN, XML)
    assert client.download_purchase_invoice(OWN, document_id) == XML
    request = api_requests(sim)[-1]
    assert request.raw_path == f"/api/v1/{OWN_ENCODED}/purchaseInvoice/{document_id}/download"
    assert request.query == {}
    client.delete_purchase_invoice(OWN, document_id)
    assert api_requests(sim)[-1].method == "DELETE"
    with pytest.raises(NotFoundError):
        client.download_purchase_invoice(OWN, document_id)


def test_download_with_target_format_uses_contract_parameter(sim, client):
    document_id = sim.inject_incoming(OWN, XML)
    client.download_purchase_invoice(OWN, document_id, target_format=contract.DOCTYPE_BIS3_INVOICE)
    request = api_requests(sim)[-1]
    assert request.query == {contract.DOWNLOAD_FORMAT_PARAM: contract.DOCTYPE_BIS3_INVOICE}


def test_download_unknown_document_is_not_found(client):
    with pytest.raises(NotFoundError):
        client.download_purchase_invoice(OWN, str(uuid.uuid4()))


def test_send_invoice_response(sim, client):
    document_id = sim.inject_incoming(OWN, XML)
    answer = client.send_invoice_response(
        OWN,
        document_id,
        "Reject",
        reasons={"ReferencesIncorrect": "No order number"},
        actions={"nin": "Send a new one"},
        note="n",
        response_document_id="resp-1",
    )
    assert answer == {"id": "resp-1"}
    request = api_requests(sim)[-1]
    assert request.method == "POST"
    assert request.raw_path == f"/api/v1/{OWN_ENCODED}/purchaseInvoice/{document_id}/response"
    assert header(request, contract.HEADER_DOCUMENT_ID) == "resp-1"
    # codes on the wire, whatever the caller gave (the documentation's and both official clients' form)
    assert request.json() == {
        "status": "RE",
        "reasons": {"REF": "No order number"},
        "actions": {"NIN": "Send a new one"},
        "note": "n",
    }
    [stored] = sim.invoice_responses
    assert (stored.id, stored.status, stored.reasons) == ("resp-1", "RE", {"REF": "No order number"})


def test_invoice_response_needs_its_document_id(client):
    with pytest.raises(TypeError):
        client.send_invoice_response(OWN, "doc", "AP")  # pylint: disable=missing-kwoa
    with pytest.raises(ValueError):
        client.send_invoice_response(OWN, "doc", "AP", response_document_id=" ")


def test_invoice_response_retried_with_the_same_id(sim, client, fake_time):
    document_id = sim.inject_incoming(OWN, XML)
    sim.faults.fail_next(1, status=503, path_contains="/response")
    assert client.send_invoice_response(OWN, document_id, "AP", response_document_id="r-2") == {"id": "r-2"}
    posts = [r for r in api_requests(sim) if r.path.endswith("/response")]
    assert [r.status for r in posts] == [503, 200]
    assert {header(r, contract.HEADER_DOCUMENT_ID) for r in posts} == {"r-2"}
    assert len(sim.invoice_responses) == 1


def test_invoice_response_whose_answer_was_lost_is_already_sent(sim, client):
    """eConnect took the response but the answer never came back: the retry (same id) gets 409, raised as
    AlreadySentError marked as answering our own earlier attempt; eConnect has it once."""
    document_id = sim.inject_incoming(OWN, XML)
    sim.faults.lose_answer_next(1, path_contains="/response")
    with pytest.raises(AlreadySentError) as caught:
        client.send_invoice_response(OWN, document_id, "AB", response_document_id="r-3")
    assert caught.value.after_retry
    assert [r.id for r in sim.invoice_responses] == ["r-3"]
    with pytest.raises(AlreadySentError):
        client.send_invoice_response(OWN, document_id, "AB", response_document_id="r-3")
    assert len(sim.invoice_responses) == 1


def test_invoice_response_body_codes():
    assert contract.invoice_response_body("ab") == {"status": "AB"}
    assert contract.invoice_response_body("Acknowledge") == {"status": "AB"}
    body = contract.invoice_response_body("RE", reasons={"ReferencesIncorrect": "x"}, actions={"nin": None})
    assert body == {"status": "RE", "reasons": {"REF": "x"}, "actions": {"NIN": ""}}
    with pytest.raises(ValueError):
        contract.invoice_response_body("XX")
    with pytest.raises(ValueError):
        contract.invoice_response_body("AB", reasons={"NOPE": "x"})
    with pytest.raises(ValueError):
        contract.invoice_response_body("RE", reasons={"CNF": "an action, not a reason"})
    for needs_reason in ("RE", "UQ", "CA"):
        with pytest.raises(ValueError):
            contract.invoice_response_body(needs_reason)


def test_invoice_response_wire_form_is_one_constant(monkeypatch):
    assert contract.INVOICE_RESPONSE_WIRE_FORM == "codes"
    monkeypatch.setattr(contract, "INVOICE_RESPONSE_WIRE_FORM", "names")
    assert contract.invoice_response_body("AP", actions={"NOA": "ok"}, note="fine") == {
        "status": "Accept",
        "actions": {"NoActionRequired": "ok"},
        "note": "fine",
    }


def test_download_invoice_response_both_documented_paths(sim, client):
    new_id = sim.inject_invoice_response(OWN, "sent-1", "AP", shape="new")
    xml = client.download_invoice_response(OWN, "sent-1", new_id)
    assert b"ApplicationResponse" in xml
    assert api_requests(sim)[-1].raw_path == f"/api/v1/{OWN_ENCODED}/salesInvoice/sent-1/response/{new_id}/download"
    old_id = sim.inject_invoice_response(OWN, "sent-1", "RE", reasons={"PRI": "x"}, shape="old")
    xml = client.download_document(OWN, old_id)
    assert b"<cbc:ResponseCode" in xml
    assert sim.requests[-1].raw_path == f"/api/v1-beta/{OWN_ENCODED}/generic/{old_id}/download"
    with pytest.raises(NotFoundError):
        client.download_invoice_response(OWN, "another-invoice", new_id)


def test_delivery_options(sim, client):
    sim.add_participant("0106:99887766", name="No answers BV", invoice_responses=False)
    options = client.get_delivery_options([BUYER], contract.DOCUMENT_FAMILY_INVOICE_RESPONSE)
    assert contract.takes_document_family(options)
    request = api_requests(sim)[-1]
    assert request.raw_path.startswith("/api/v1/peppol/deliveryOption?")
    assert request.raw_path.endswith("documentFamily=InvoiceResponse")
    assert not contract.takes_document_family(
        client.get_delivery_options(["0106:99887766"], contract.DOCUMENT_FAMILY_INVOICE_RESPONSE)
    )
    with pytest.raises(NotFoundError):
        client.get_delivery_options(["0106:13572468"], contract.DOCUMENT_FAMILY_INVOICE_RESPONSE)


def test_set_capability_writes_only_that_capability(sim, client):
    client.set_capability(OWN, contract.CAPABILITY_INVOICE_RESPONSE, True)
    put = api_requests(sim)[-1]
    assert (put.method, put.raw_path) == ("PUT", f"/api/v1/peppol/config/party/{OWN_ENCODED}")
    assert put.json() == {"capabilities": {"invoiceResponse": {"state": "on"}}}
    read = client.get_peppol_config(OWN)
    assert contract.capability_enabled(read, contract.CAPABILITY_INVOICE_RESPONSE) is True
    client.set_capability(OWN, contract.CAPABILITY_INVOICE_RESPONSE, False)
    assert api_requests(sim)[-1].json() == {"capabilities": {"invoiceResponse": {"state": "off"}}}
    assert contract.capability_enabled(client.get_peppol_config(OWN), "invoiceResponse") is False


def test_capability_enabled_reads_every_documented_form():
    def config(state):
        return {"capabilities": {"invoiceResponse": {"state": state}}}

    assert contract.capability_enabled(config("on"), "invoiceResponse") is True
    assert contract.capability_enabled(config("inherited => off"), "invoiceResponse") is False
    assert contract.capability_enabled(config("inherited => on"), "invoiceResponse") is True
    assert contract.capability_enabled(config("inherited"), "invoiceResponse") is True
    assert contract.capability_enabled({"capabilities": {"invoiceResponse": "off"}}, "invoiceResponse") is False
    assert contract.capability_enabled({}, "invoiceResponse") is None


def test_invoice_response_event_ids_of_both_shapes():
    new = {"documentId": "inv-1", "responseDocumentId": "resp-1"}
    old = {"documentId": "resp-2", "refToDocumentId": "inv-2", "details": {"statusCode": "re"}}
    assert contract.invoice_response_event_ids(new) == ("new", "inv-1", "resp-1")
    assert contract.invoice_response_event_ids(old) == ("old", "inv-2", "resp-2")
    assert contract.invoice_response_event_ids({"documentId": "x"}) == (None, "x", None)
    assert contract.invoice_response_event_ids({"documentId": "x", "refToDocumentId": True}) == (None, "x", None)


def test_invoice_response_from_old_event_details():
    raw = {
        "details": {
            "note": "See PO",
            "statusCode": "re",
            "status": "Reject",
            "reasons": {"ref": "Unknown order", "pri": None},
            "actions": {"nin": None},
        }
    }
    assert contract.invoice_response_from_event(raw) == {
        "status": "RE",
        "reasons": [("REF", "Unknown order"), ("PRI", None)],
        "actions": [("NIN", None)],
        "note": "See PO",
    }
    assert contract.invoice_response_from_event({"details": {"statusCode": "AP", "reasons": None}}) == {
        "status": "AP", "reasons": [], "actions": [], "note": None,
    }
    # details without statusCode (the new shape's sender/recipient) carry no answer: download it
    assert contract.invoice_response_from_event({"details": {"sender": "x", "status": "Accept"}}) is None
    assert contract.invoice_response_from_event({"details": "text"}) is None
    assert contract.invoice_response_from_event({}) is None
    with pytest.raises(ValueError):
        contract.invoice_response_from_event({"details": {"statusCode": "zz"}})
    with pytest.raises(ValueError):
        contract.invoice_response_from_event({"details": {"statusCode": "re", "reasons": {"nope": "x"}}})


def test_peppol_config_roundtrip(sim, client):
    config = {
        "capabilities": {"invoices": {"state": "on"}, "invoiceResponse": {"state": "off"}},
        "businessCard": {"names": {"state": "on", "value": "Seller BV"}},
    }
    client.put_peppol_config(OWN, config)
    request = api_requests(sim)[-1]
    assert request.method == "PUT"
    assert request.raw_path == f"/api/v1/peppol/config/party/{OWN_ENCODED}"
    assert request.json() == config
    read = client.get_peppol_config(OWN)
    assert contract.capability_enabled(read, contract.CAPABILITY_INVOICES) is True


def test_set_receiving_sends_only_what_changes_and_never_deletes(sim, client):
    client.put_peppol_config(OWN, {"capabilities": {"invoiceResponse": {"state": "on"}}})
    client.set_receiving(OWN, False)
    get, put = api_requests(sim)[-2:]
    assert (get.method, put.method) == ("GET", "PUT")
    assert put.json() == {"capabilities": {"invoices": {"state": "off"}}}, "never a read echoed back"
    read = client.get_peppol_config(OWN)
    assert contract.capability_enabled(read, "invoices") is False
    assert contract.capability_enabled(read, "invoiceResponse") is True, "the other capability untouched"
    client.set_receiving(OWN, True)
    assert api_requests(sim)[-1].json() == {"capabilities": {"invoices": {"state": "on"}}}
    # already set as wanted (e.g. switched on eConnect's platform): read, nothing written
    count = len(api_requests(sim))
    client.set_receiving(OWN, True)
    assert [r.method for r in api_requests(sim)[count:]] == ["GET"]
    assert not [r for r in sim.requests if r.method == "DELETE"]


def test_set_receiving_refused_write(sim, client):
    """Credentials that may not write the configuration: the refusal is raised, unless the read already shows
    the wanted state by inheritance (then there is nothing to do)."""
    sim.refuse_config_changes(OWN, "API403", "Not allowed for this user")
    with pytest.raises(ForbiddenError) as info:
        client.set_receiving(OWN, False)  # reads "inherited => on": it must be written, and may not be
    assert contract.participant_write_refused(info.value.status, info.value.code)
    assert client.set_receiving(OWN, True)["capabilities"]["invoices"]["state"] == "inherited => on"
    sim.allow_config_changes(OWN)


def test_capability_states_of_a_read():
    def config(state):
        return {"capabilities": {"invoices": {"state": state}}}

    assert contract.capability_explicit_state(config("on"), "invoices") == "on"
    assert contract.capability_explicit_state(config(" OFF "), "invoices") == "off"
    assert contract.capability_explicit_state(config("inherited => on"), "invoices") is None
    assert contract.capability_explicit_state(config("inherited"), "invoices") is None
    assert contract.capability_explicit_state({}, "invoices") is None
    assert contract.capability_enabled(config("inherited"), "invoices") is True
    assert contract.capability_enabled(config("off"), "invoices") is False
    assert contract.participant_write_refused(403, None) and contract.participant_write_refused(400, "API403")
    assert not contract.participant_write_refused(400, "API400")
    assert not contract.participant_write_refused(503, None)


@pytest.mark.parametrize(
    "names, expected",
    [
        (["Pending", "Validated", "Routed", "Delivered"], "InvoiceSent"),
        (["Pending", "Validated", "Routed", "Failed"], "InvoiceSentError"),
        (["Pending", "Validated", "Rejected"], "InvoiceSentError"),
        (["pending", "VALIDATED", "routed", "delivered"], "InvoiceSent"),
        (["Pending", "InvoiceSentRetry"], "InvoiceSentRetry"),
        (["Pending", "invoice_sent_error"], "InvoiceSentError"),
        (["Pending", "Invoice Sent"], "InvoiceSent"),
        (["Pending", "Validated", "Routed", "Acknowledged"], None),  # still under way
        (["Pending", "Validated"], None),
        (["Pending", "SomethingNew"], None),  # unknown names are never guessed
        ([], None),
    ],
)
def test_sent_status_names(names, expected):
    history = [{"id": str(i), "name": n, "description": f"d{i}", "createdOn": f"2025-01-01T10:00:0{i}Z"}
               for i, n in enumerate(names)]
    found = contract.sent_status_topic(history)
    assert (found[0] if found else None) == expected


def test_sent_status_newest_result_wins_by_time_not_by_text():
    history = [
        # the same instant in other offsets and precisions: text order would get it wrong
        {"name": "Delivered", "description": "late", "createdOn": "2025-01-01T11:00:00.1234567+01:00"},
        {"name": "Failed", "description": "early", "createdOn": "2025-01-01T09:59:59Z"},
        {"name": "Routed", "createdOn": None},
    ]
    assert contract.sent_status_topic(history) == ("InvoiceSent", "late")
    # without times, the list's order (oldest first) decides
    assert contract.sent_status_topic([{"name": "Failed"}, {"name": "Delivered", "description": "x"}]) == (
        "InvoiceSent", "x"
    )
    assert contract.sent_status_topic([{"name": "Delivered"}, "junk", None]) == ("InvoiceSent", "")


def test_received_error_is_our_upload_when_it_matches_a_sent_invoice():
    assert contract.received_error_topic(True) == contract.TOPIC_INVOICE_SENT_ERROR
    assert contract.received_error_topic(False) is None
    assert contract.TOPIC_INVOICE_RECEIVED_ERROR in contract.hook_topics(False)
    assert contract.TOPIC_INVOICE_RECEIVED not in contract.hook_topics(False)
    assert contract.TOPIC_INVOICE_RECEIVED in contract.hook_topics(True)


def test_party_hooks(sim, client):
    hook_id = contract.new_hook_id()
    hook = {
        "id": hook_id,
        "name": "odoo",
        "action": "https://odoo.example.com/econnect/webhook/tok#hook-secret",
        "topics": ["InvoiceReceived", "*Sent"],
        "isActive": True,
    }
    stored = client.put_hook(OWN, hook)
    assert stored["id"] == hook_id
    put = api_requests(sim)[-1]
    assert put.method == "PUT"
    assert put.raw_path == f"/api/v1/{OWN_ENCODED}/hook"
    assert put.json()["id"] == hook_id
    hooks = client.list_hooks(OWN)
    assert [h["id"] for h in hooks] == [hook_id]
    # the same PUT again (a retry, a new secret) updates the one hook
    client.put_hook(OWN, dict(hook, action="https://odoo.example.com/econnect/webhook/tok#new-secret"))
    assert [h["action"] for h in client.list_hooks(OWN)] == ["https://odoo.example.com/econnect/webhook/tok#new-secret"]
    client.ping_hook(OWN)
    assert api_requests(sim)[-1].raw_path == f"/api/v1/{OWN_ENCODED}/hook/ping"
    client.delete_hook(OWN, hook_id)
    delete = api_requests(sim)[-1]
    assert delete.method == "DELETE"
    assert delete.raw_path == f"/api/v1/{OWN_ENCODED}/hook/{hook_id}"
    assert client.list_hooks(OWN) == []


@pytest.mark.parametrize(
    "hook",
    [
        {"name": "h", "action": "https://x.example/h#s"},  # no id
        {"id": "", "name": "h", "action": "https://x.example/h#s"},
        {"id": "a_b", "name": "h", "action": "https://x.example/h#s"},  # token_urlsafe's "_" is not in the pattern
        {"id": "x" * 65, "name": "h", "action": "https://x.example/h#s"},
        {"id": 7, "name": "h", "action": "https://x.example/h#s"},
        {"id": "abc", "action": "https://x.example/h#s"},  # no name
        {"id": "abc", "name": "h", "action": " "},
    ],
)
def test_put_hook_refuses_what_the_hook_model_refuses_before_sending(sim, client, hook):
    with pytest.raises(ValueError):
        client.put_hook(OWN, hook)
    assert not api_requests(sim)


def test_hook_ids_fit_the_published_pattern():
    made = {contract.new_hook_id() for _ in range(50)}
    assert len(made) == 50
    assert all(contract.is_valid_hook_id(h) and len(h) == 32 for h in made)
    assert contract.is_valid_hook_id("1") and contract.is_valid_hook_id("a-b=c") and contract.is_valid_hook_id("x" * 64)
    assert not any(contract.is_valid_hook_id(v) for v in ("", "a b", "a_b", "x" * 65, "abc\n", None, 12))


def test_hook_id_after_put():
    assert contract.hook_id_after_put("ours", {"id": "ours"}) == "ours"
    assert contract.hook_id_after_put("ours", {}) == "ours"
    assert contract.hook_id_after_put("ours", None) == "ours"
    assert contract.hook_id_after_put("ours", {"id": "not valid!"}) == "ours"
    assert contract.hook_id_after_put("ours", {"id": "theirs-1"}) == "theirs-1"


def test_environment_hooks(sim, client):
    stored = client.put_hook(None, {"id": "env-1", "name": "env", "action": "https://x.example/h#s", "topics": ["*"]})
    assert stored["id"] == "env-1"
    assert api_requests(sim)[-1].raw_path == "/api/v1/hook"
    assert [h["id"] for h in client.list_hooks()] == ["env-1"]
    assert api_requests(sim)[-1].raw_path == "/api/v1/hook"
    client.delete_hook(None, "env-1")
    assert api_requests(sim)[-1].raw_path == "/api/v1/hook/env-1"


def test_party_ids_in_paths_accept_all_forms(sim, client):
    for form in (OWN, OWN_LETTER, "iso6523-actorid-upis::0106:12345678", PartyId.parse(OWN)):
        client.list_hooks(form)
        assert api_requests(sim)[-1].raw_path == f"/api/v1/{OWN_ENCODED}/hook"


# -- construction ----------------------------------------------------------------------------------
def test_for_environment_uses_contract_hosts():
    for environment in ("acceptance", "production"):
        with PSBClient.for_environment(environment, client_id="c", client_secret="s") as psb:
            assert psb.api_url == contract.HOSTS[environment]["api"]
            assert psb.identity_url == contract.HOSTS[environment]["identity"]
            assert psb.environment == environment
    assert PSBClient.for_environment("acceptance", client_id="c", client_secret="s").api_url == (
        "https://accp-psb.econnect.eu"
    )
    with pytest.raises(ConfigurationError):
        PSBClient.for_environment("staging", client_id="c", client_secret="s")


def test_for_environment_accepts_explicit_urls(sim):
    with PSBClient.for_environment(
        "acceptance",
        api_url=sim.api_url,
        identity_url=sim.identity_url,
        client_id="cid",
        client_secret="csecret",
        username="user",
        password="pw",
    ) as psb:
        assert psb.get_my_parties()


@pytest.mark.parametrize(
    "url",
    [
        "https://psb.econnect.eu",
        "https://psb.econnect.eu/",
        "https://psb.example.com:8443/prefix/",
        "http://127.0.0.1:8069",
        "http://localhost:1234",
        "http://[::1]:1234",
        "HTTPS://PSB.ECONNECT.EU",
    ],
)
def test_accepted_urls(url):
    assert validate_base_url(url) == url.strip().rstrip("/")


@pytest.mark.parametrize(
    "url",
    [
        "",
        None,
        "http://psb.econnect.eu",
        "http://127.0.0.2",
        "http://localhost.example.com",
        "ftp://psb.econnect.eu",
        "psb.econnect.eu",
        "https://",
        "https://user:pw@psb.econnect.eu",
        "https://psb.econnect.eu/?x=1",
        "https://psb.econnect.eu:notaport",
    ],
)
def test_rejected_urls(url):
    with pytest.raises(ConfigurationError) as info:
        PSBClient(url, "https://identity.econnect.eu", "c", "s")
    assert info.value.kind == "configuration"
    with pytest.raises(ConfigurationError):
        PSBClient("https://psb.econnect.eu", url, "c", "s")


def test_missing_credentials_are_configuration_errors():
    with pytest.raises(ConfigurationError):
        PSBClient("https://psb.econnect.eu", "https://identity.econnect.eu", "", "s")
    with pytest.raises(ConfigurationError):
        PSBClient("https://psb.econnect.eu", "https://identity.econnect.eu", "c", "")
    with pytest.raises(ConfigurationError):
        PSBClient("https://psb.econnect.eu", "https://identity.econnect.eu", "c", "s", username="u")


@pytest.mark.parametrize("timeout", [None, 0, -1, (5, None), (None, 30), (5, 0), "30", (1, 2, 3), True])
def test_every_call_has_a_timeout(timeout):
    # Without a timeout a silent eConnect would hang a worker forever: refuse such a client outright.
    with pytest.raises(ConfigurationError):
        PSBClient("https://psb.econnect.eu", "https://identity.econnect.eu", "c", "s", timeout=timeout)
    for good in (10, 2.5, (3, 30), [3, 30]):
        with PSBClient("https://psb.econnect.eu", "https://identity.econnect.eu", "c", "s", timeout=good) as psb:
            assert psb.timeout == (tuple(good) if isinstance(good, list) else good)


def test_session_pool_and_tls_verification():
    with PSBClient("https://psb.econnect.eu", "https://identity.econnect.eu", "c", "s") as psb:
        adapter = psb.session.get_adapter("https://psb.econnect.eu/")
        assert adapter._pool_maxsize >= 32
        assert psb.session.verify is True
        assert "csecret" not in repr(psb)


def test_injected_session_is_used_and_not_closed(sim):
    session = requests.Session()
    session.verify = False  # the client forces verification back on
    closed = []
    session.close = lambda: closed.append(True)
    with PSBClient(sim.api_url, sim.identity_url, "cid", "csecret", "user", "pw", session=session) as psb:
        assert psb.session is session
        assert session.verify is True
        psb.get_my_parties()
    assert not closed


def test_json_of_logged_request_helper_is_sane(sim, client):
    # guard for the helpers above: the simulator logs bodies as bytes
    client.query_recipient_party(OWN, [BUYER])
    assert json.loads(api_requests(sim)[-1].body) == ["NL:KVK:87654321"]


def test_proxies_of_the_environment_are_honoured(sim, fake_time, monkeypatch):
    """HTTP(S)_PROXY and NO_PROXY work as with any requests-based tool (read once, when the client is made)."""
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nobody listens there
    with (
        PSBClient(sim.api_url, sim.identity_url, "cid", "csecret", clock=fake_time.clock, max_attempts=1) as psb,
        pytest.raises(TemporaryError),
    ):
        psb.fetch_token()
    assert not token_requests(sim), "the call went to the proxy, not straight to eConnect"
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with PSBClient(sim.api_url, sim.identity_url, "cid", "csecret", clock=fake_time.clock) as psb:
        assert psb.fetch_token()
