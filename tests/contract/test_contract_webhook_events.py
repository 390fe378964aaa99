"""Webhook events on the wire: what the simulator posts is the published event, signed, and the client reads it."""

import uuid

import pytest
from contract_wire import assert_invalid, assert_valid
from psb_support import BUYER, OWN, invoice_xml

from psb import contract, webhook

CLIENT_METHODS = set()  # no client call: the events the addon's webhook reads (psb.webhook)
SECRET = "contract-webhook-secret"


@pytest.mark.parametrize(
    "topic, make",
    [
        ("InvoiceSent", lambda sim, psb: psb.send_invoice(OWN, invoice_xml("W-1"), str(uuid.uuid4()))),
        ("InvoiceSentError", lambda sim, psb: (sim.set_delivery_outcome(BUYER, "error", message="refused"),
                                               psb.send_invoice(OWN, invoice_xml("W-2"), str(uuid.uuid4())))),
        ("InvoiceSentRetry", lambda sim, psb: (sim.set_delivery_outcome(BUYER, "retry", retries=1),
                                               psb.send_invoice(OWN, invoice_xml("W-3"), str(uuid.uuid4())))),
        ("InvoiceReceivedError", lambda sim, psb: (sim.set_delivery_outcome(BUYER, "invalid", message="BR-01"),
                                                   psb.send_invoice(OWN, invoice_xml("W-4"), str(uuid.uuid4())))),
        ("InvoiceReceived", lambda sim, psb: sim.inject_incoming(OWN, invoice_xml("W-5"))),
    ],
)
def test_events_are_the_published_event(sim, client, receiver, topic, make):
    client.put_hook(OWN, {"id": contract.new_hook_id(), "name": "contract", "action": receiver + "#" + SECRET,
                          "topics": contract.hook_topics(True), "isActive": True})
    make(sim, client)
    [delivery] = sim.wait_for_deliveries(1, topic=topic)
    assert delivery.ok
    assert_valid("headers#/$defs/webhook", {k.lower(): v for k, v in delivery.headers.items()})
    assert_valid("webhook-event", delivery.json(), f"the {topic} event")
    event = webhook.verify_event(SECRET, delivery.body, delivery.signature)
    assert (event.topic, event.document_id) == (topic, delivery.json()["documentId"])


def test_event_schema_refuses_what_the_model_refuses():
    good = {"topic": "InvoiceSent", "partyId": "NL:KVK:12345678", "hookId": "h", "documentId": "d", "message": "m",
            "details": {"sender": "NL:KVK:12345678"}, "createdOn": "2025-01-01T10:00:00Z",
            "sentOn": "2025-01-01T10:00:01.1234567+00:00"}
    assert_valid("webhook-event", good)
    assert_invalid("webhook-event", dict(good, topic="Sent"))
    assert_invalid("webhook-event", {k: v for k, v in good.items() if k != "sentOn"})
    assert_invalid("webhook-event", dict(good, createdOn="yesterday"))
