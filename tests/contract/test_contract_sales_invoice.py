"""Sales invoices on the wire: the receiver lookup, the multipart send with its document id, its status history."""

import uuid

import pytest
from contract_support import BE_VAT
from contract_wire import assert_invalid, assert_valid, check, multipart_parts
from psb_support import BUYER, OWN, invoice_xml

from psb.errors import AlreadySentError

CLIENT_METHODS = {"query_recipient_party", "send_invoice", "get_sent_status"}
PARTY = r"/api/v1/(?P<party>[^/]+)"
# every form a caller may give a party id in, and one with letters in its value
PARTY_FORMS = [OWN, "NL:KVK:12345678", "iso6523-actorid-upis::0106:12345678", BE_VAT]


@pytest.mark.parametrize("party", PARTY_FORMS)
def test_query_recipient_party(client, wire, party):
    client.query_recipient_party(party, [BUYER, "9944:NL123456789B01"])
    exchange = wire.one()
    check(exchange, method="POST", path=PARTY + r"/salesInvoice/queryRecipientParty", parties={"party": party},
          headers_schema="jsonBody", request="recipient-candidates", answer="lookup-party")


@pytest.mark.parametrize("party", PARTY_FORMS)
def test_send_invoice_multipart(client, wire, party):
    document_id = str(uuid.uuid4())
    xml = invoice_xml("C-1")
    client.send_invoice(party, xml, document_id, filename="C-1.xml", receiver_id=BUYER, channel="peppol")
    exchange = wire.one()
    check(exchange, method="POST", path=PARTY + r"/salesInvoice/send", parties={"party": party},
          headers_schema="send", request="multipart", query="send-query", answer="document")
    assert exchange.headers.get("X-EConnect-DocumentId") == document_id
    parts = multipart_parts(exchange)
    assert_valid("send-multipart", [{k: v for k, v in p.items() if not k.startswith("_")} for p in parts])
    assert parts[0]["_payload"] == xml, "the file part carries the document unchanged"
    assert exchange.response_json() == {"id": document_id}


def test_send_invoice_without_receiver_has_no_query(client, wire):
    client.send_invoice(OWN, invoice_xml("C-2"), str(uuid.uuid4()))
    check(wire.one(), method="POST", path=PARTY + r"/salesInvoice/send", parties={"party": OWN},
          headers_schema="send", request="multipart", answer="document")


def test_send_again_is_409_in_the_error_shape(client, wire):
    document_id = str(uuid.uuid4())
    client.send_invoice(OWN, invoice_xml("C-3"), document_id)
    wire.take()
    with pytest.raises(AlreadySentError):
        client.send_invoice(OWN, invoice_xml("C-3"), document_id)
    check(wire.one(), method="POST", path=PARTY + r"/salesInvoice/send", parties={"party": OWN},
          headers_schema="send", request="multipart", status=409)


@pytest.mark.parametrize("form", ["documented", "lower", "upper", "topic"])
@pytest.mark.parametrize("outcome", ["sent", "error", "retry", "invalid"])
def test_sent_status(sim, client, wire, form, outcome):
    sim.status_form = form
    sim.set_delivery_outcome(BUYER, outcome, retries=1, then="error", status="Rejected" if outcome == "error" else None)
    document_id = str(uuid.uuid4())
    client.send_invoice(OWN, invoice_xml("C-4"), document_id)
    sim.wait_idle()
    wire.take()
    history = client.get_sent_status(OWN, document_id)
    assert history
    exchange = wire.one()
    match = check(exchange, method="GET", path=PARTY + r"/salesInvoice/(?P<document>[^/]+)/status",
                  parties={"party": OWN}, headers_schema="noBody", answer="document-status-list")
    assert match["document"] == document_id


def test_sent_status_schema_refuses_names_nobody_documented():
    entry = {"id": "1", "name": "Delivered", "description": None, "createdOn": "2025-01-01T10:00:00.1234567+00:00"}
    assert_valid("document-status-list", [entry])
    for name in ("Sent", "SentError", "Accepted", "ResponseReceived", "Error"):
        assert_invalid("document-status-list", [dict(entry, name=name)])
    assert_invalid("document-status-list", [dict(entry, createdOn=None)])
    assert_invalid("document-status-list", [dict(entry, status="x")])


def test_send_schemas_refuse_what_the_contract_refuses():
    assert_invalid("recipient-candidates", [])
    assert_invalid("recipient-candidates", ["NL:KVK:1 2"])
    assert_invalid("send-query", {"receiverId": "NL:KVK:87654321", "documentId": "x"})
    part = {"name": "file", "filename": "a.xml", "contentType": "application/xml", "size": 10}
    assert_valid("send-multipart", [part])
    assert_invalid("send-multipart", [dict(part, name="document")])
    assert_invalid("send-multipart", [part, dict(part, name="meta")])
    assert_invalid("headers#/$defs/send", {"authorization": "Bearer x", "accept": "application/json",
                                           "content-type": "multipart/form-data; boundary=b"})  # no document id
    assert_invalid("defs#/$defs/urlEncodedPathSegment", "NL:KVK:12345678")
