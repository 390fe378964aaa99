"""Invoice responses on the wire: our answer (codes, its own document id; a repeat is 409), the seller's delivery
options, a customer's answer downloaded from each documented path, and the InvoiceResponseReceived event in both
documented shapes."""

import uuid

import pytest
from contract_support import BE_VAT
from contract_wire import assert_invalid, assert_valid, check
from psb_support import BUYER, OWN, invoice_xml

from psb import contract, webhook
from psb.errors import AlreadySentError, NotFoundError

CLIENT_METHODS = {"send_invoice_response", "download_invoice_response", "download_document", "get_delivery_options"}
PARTY = r"/api/v1/(?P<party>[^/]+)"
BETA_PARTY = r"/api/v1-beta/(?P<party>[^/]+)"
SECRET = "contract-webhook-secret"


@pytest.mark.parametrize("party", [OWN, "NL:KVK:12345678", BE_VAT])
@pytest.mark.parametrize(
    ("status", "reasons", "actions", "note"),
    [
        ("AB", None, None, None),
        ("AP", None, {"NOA": ""}, "Fine"),
        ("RE", {"REF": "Unknown order", "PRI": None}, {"NIN": "Send a new one"}, "See PO 42"),
        ("UQ", {"QTY": "8, not 10"}, None, None),
        ("PD", None, None, None),
    ],
)
def test_send_invoice_response(sim, client, wire, party, status, reasons, actions, note):
    document_id = sim.inject_incoming(party, invoice_xml("R-1"))
    wire.take()
    response_id = str(uuid.uuid4())
    answer = client.send_invoice_response(
        party, document_id, status, reasons=reasons, actions=actions, note=note, response_document_id=response_id
    )
    exchange = wire.one()
    match = check(exchange, method="POST", path=PARTY + r"/purchaseInvoice/(?P<document>[^/]+)/response",
                  parties={"party": party}, headers_schema="invoiceResponse", request="invoice-response",
                  answer="document")
    assert match["document"] == document_id
    assert exchange.headers.get("X-EConnect-DocumentId") == response_id
    assert exchange.json()["status"] == status, "the code, never the name"
    assert answer == {"id": response_id}


def test_send_invoice_response_again_is_409_in_the_error_shape(sim, client, wire):
    document_id = sim.inject_incoming(OWN, invoice_xml("R-2"))
    response_id = str(uuid.uuid4())
    client.send_invoice_response(OWN, document_id, "AP", response_document_id=response_id)
    wire.take()
    with pytest.raises(AlreadySentError):
        client.send_invoice_response(OWN, document_id, "AP", response_document_id=response_id)
    check(wire.one(), method="POST", path=PARTY + r"/purchaseInvoice/[^/]+/response", parties={"party": OWN},
          headers_schema="invoiceResponse", request="invoice-response", status=409)


def test_invoice_response_schema_refuses_what_the_documentation_refuses():
    assert_valid("invoice-response", {"status": "RE", "reasons": {"REF": "x"}, "actions": {"NIN": None}, "note": "n"})
    assert_invalid("invoice-response", {"status": "Reject", "reasons": {"REF": "x"}})  # a name
    assert_invalid("invoice-response", {"status": "RE", "reasons": {"ReferencesIncorrect": "x"}})
    assert_invalid("invoice-response", {"status": "RE"})  # without a reason
    assert_invalid("invoice-response", {"status": "AP", "reasons": {"CNF": "x"}})  # an action as a reason
    assert_invalid("invoice-response", {"status": "AP", "clarificationCode": "NON"})  # the flat form
    assert_invalid("invoice-response", {"status": "ap"})


@pytest.mark.parametrize("family", [contract.DOCUMENT_FAMILY_INVOICE_RESPONSE, None])
def test_get_delivery_options(client, wire, family):
    options = client.get_delivery_options([BUYER], family)
    assert contract.takes_document_family(options)
    exchange = wire.one()
    check(exchange, method="GET", path=r"/api/v1/peppol/deliveryOption", headers_schema="noBody",
          query="delivery-option-query", answer="delivery-option-list")


def test_get_delivery_options_of_several_ids_repeats_the_parameter(client, wire):
    client.get_delivery_options([BUYER, "9944:NL123456789B01"], contract.DOCUMENT_FAMILY_INVOICE_RESPONSE)
    exchange = wire.one()
    assert exchange.raw_path.count("partyIds=") == 2
    check(exchange, method="GET", path=r"/api/v1/peppol/deliveryOption", headers_schema="noBody",
          query="delivery-option-query", answer="delivery-option-list")


def test_get_delivery_options_unknown_is_404_in_the_error_shape(client, wire):
    with pytest.raises(NotFoundError):
        client.get_delivery_options(["0106:13572468"], contract.DOCUMENT_FAMILY_INVOICE_RESPONSE)
    check(wire.one(), method="GET", path=r"/api/v1/peppol/deliveryOption", headers_schema="noBody",
          query="delivery-option-query", status=404)


@pytest.mark.parametrize("party", [OWN, BE_VAT])
def test_download_invoice_response_new_path(sim, client, wire, party):
    response_id = sim.inject_invoice_response(party, "sent-1", "RE", reasons={"PRI": "x"}, shape="new")
    wire.take()
    data = client.download_invoice_response(party, "sent-1", response_id)
    assert b"ApplicationResponse" in data
    exchange = wire.one()
    match = check(
        exchange, method="GET",
        path=PARTY + r"/salesInvoice/(?P<document>[^/]+)/response/(?P<response>[^/]+)/download",
        parties={"party": party}, headers_schema="download",
    )
    assert (match["document"], match["response"]) == ("sent-1", response_id)
    assert exchange.response_headers["Content-Type"].startswith("application/xml")


@pytest.mark.parametrize("party", [OWN, BE_VAT])
def test_download_document_old_path(sim, client, wire, party):
    response_id = sim.inject_invoice_response(party, "sent-2", "AP", shape="old")
    wire.take()
    data = client.download_document(party, response_id)
    assert b"ApplicationResponse" in data
    exchange = wire.one()
    match = check(exchange, method="GET", path=BETA_PARTY + r"/generic/(?P<document>[^/]+)/download",
                  parties={"party": party}, headers_schema="download")
    assert match["document"] == response_id


# -- the event, in both documented shapes -------------------------------------------------------------------
@pytest.mark.parametrize(("shape", "details"), [("new", None), ("new", True), ("old", None), ("old", False)])
def test_invoice_response_event_is_a_documented_shape(sim, client, receiver, shape, details):
    client.put_hook(OWN, {"id": contract.new_hook_id(), "name": "contract", "action": receiver + "#" + SECRET,
                          "topics": contract.hook_topics(False), "isActive": True})
    response_id = sim.inject_invoice_response(
        OWN, "sent-3", "RE", reasons={"REF": "Unknown order"}, actions={"NIN": None}, note="n", shape=shape,
        details=details,
    )
    [delivery] = sim.wait_for_deliveries(1, topic=contract.TOPIC_INVOICE_RESPONSE_RECEIVED)
    assert delivery.ok
    assert_valid("headers#/$defs/webhook", {k.lower(): v for k, v in delivery.headers.items()})
    assert_valid("invoice-response-event", delivery.json(), f"the {shape} InvoiceResponseReceived event")
    assert_valid(f"invoice-response-event#/$defs/{shape}", delivery.json())
    event = webhook.verify_event(SECRET, delivery.body, delivery.signature)
    assert contract.invoice_response_event_ids(event.raw) == (shape, "sent-3", response_id)


def test_invoice_response_event_schema_tells_the_shapes_apart():
    base = {"topic": "InvoiceResponseReceived", "partyId": "NL:KVK:12345678", "hookId": "h",
            "createdOn": "2025-01-01T10:00:00Z", "sentOn": "2025-01-01T10:00:01.1234567+00:00"}
    new = dict(base, documentId="inv-1", responseDocumentId="resp-1", details={"sender": "NL:KVK:87654321"})
    old = dict(base, documentId="resp-2", refToDocumentId="inv-2",
               details={"note": None, "statusCode": "re", "status": "Reject", "reasons": {"ref": "x"},
                        "actions": {"nin": None}})
    assert_valid("invoice-response-event", new)
    assert_valid("invoice-response-event", old)
    assert_invalid("invoice-response-event", dict(base, documentId="x"))  # neither shape
    assert_invalid("invoice-response-event", dict(new, refToDocumentId="inv-1"))  # both at once
    assert_invalid("invoice-response-event", dict(old, details={"statusCode": "zz"}))
    assert_invalid("invoice-response-event", dict(old, details={"statusCode": "re", "reasons": {"xyz": "x"}}))
    assert_invalid("invoice-response-event", dict(new, topic="InvoiceReceived"))
