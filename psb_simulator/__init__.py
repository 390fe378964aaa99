"""PSB simulator: a real HTTP server implementing eConnect's PSB REST API contract.

Used by every test (plain pytest and Odoo tests), by the benchmarks, and as the "demo" environment
that lets a newcomer try the addon without eConnect credentials::

    from psb_simulator import PSBSimulator

    with PSBSimulator() as sim:
        sim.add_client("client", "secret")
        sim.add_user("user", "pw", parties=["0106:12345678"], names={"0106:12345678": "My Company B.V."})
        sim.add_participant("0106:87654321", name="Customer B.V.")
        ...  # point the client at sim.api_url / sim.identity_url

Command line: ``python3 -m psb_simulator --port 8070 --demo`` (or ``bin/psb-simulator``).

One server answers everything: the token endpoint ``{identity_url}/connect/token``, the API under
``/api/v1/`` and the loopback-only control API under ``/_sim/`` (see :mod:`.control`; Python
wrapper for a simulator in another process: :class:`.remote.RemoteSimulator`).

Interpretations of the contract (PSB-API.md) made here:

* Token endpoint: client authentication failures are 400 ``invalid_client`` when the client sent its
  credentials in the form (IdentityServer's behaviour), 401 with ``WWW-Authenticate: Basic`` when it
  used HTTP Basic (RFC 6749 section 5.2). API calls without a valid token: 401 with
  ``WWW-Authenticate: Bearer error="invalid_token"`` and an eConnect error body (code ``API401``).
* Party ids in paths are parsed with ``PartyId.parse(validate=False)`` in any form (numeric,
  letter, iso6523, url-encoded); an unparseable or unauthorised party is 403 ``API403``. Answers
  show ids in letter form (``NL:KVK:12345678``).
* Permissions: send and queryRecipientParty need ``canSendDocument``; download
  ``canReceiveDocument``; DELETE of a purchase invoice ``canRemoveDocument``; invoice responses
  ``canChangeDocumentStatus``; party hooks ``canManageHook``. Sent status and Peppol configuration
  need access to the party only. Environment hooks: client tokens, or users with ``canManageHook``
  on some party.
* ``salesInvoice/send`` without ``X-EConnect-DocumentId``: the simulator generates a uuid4 and
  returns it as ``{"id"}``. Longer than 256 characters: 400. Repeated id: 409 ``API409``. Uploads are
  checked (400 ``API400`` with the reason): part ``file`` present, size cap, no DTD/entities, well
  formed, UBL 2.1 ``Invoice``/``CreditNote`` root, buyer ``cbc:EndpointID`` with ``schemeID``. The
  receiver is ``receiverId`` when given, else the buyer ``EndpointID``. CII is refused.
* Sent status history names are the documented ones: ``Pending`` and ``Validated`` on upload, ``Routed`` when
  it reaches the receiver's side (also on each retry), then ``Delivered``, ``Failed`` (not deliverable) or
  ``Rejected`` (the receiver does not accept it); ``sim.status_form`` writes them in lower or upper case, or
  shaped as topics (``InvoiceSent``, ``InvoiceSentError``): which forms eConnect shows is unconfirmed.
* Delivery result (after ``sim.delivery_delay``): override from ``set_delivery_outcome``; else a
  registered participant whose ``invoices`` capability is on gets ``InvoiceSent``; a participant
  (or configured party) with receiving off, or an unknown receiver, ``InvoiceSentError``.
  In demo mode any valid party id (``PartyId.validate()``) is delivered.
* Invoice responses received: ``inject_invoice_response`` puts an ``ApplicationResponse`` (Peppol
  Invoice Response 3) in the party's inbox and fires ``InvoiceResponseReceived`` in one of the two
  documented shapes (``sim.response_event_shape``, or per call): ``"new"`` (``documentId`` = the sent
  invoice, ``responseDocumentId`` = the response; download
  ``GET /api/v1/{party}/salesInvoice/{documentId}/response/{responseDocumentId}/download``) or ``"old"``
  (``documentId`` = the response, ``refToDocumentId`` = the sent invoice, ``details`` = the answer with
  lower-case codes and null texts; download ``GET /api/v1-beta/{party}/generic/{documentId}/download``).
  ``purchaseInvoice/{id}/download`` is for received invoices only (404 for a response).
* Responses our parties post (``purchaseInvoice/{id}/response``) take codes only (``"RE"``, reasons
  ``{"REF": ..}``, actions ``{"NIN": ..}``; a name such as ``"Reject"`` is 400), need a reason for ``UQ``,
  ``CA`` and ``RE``, and need ``X-EConnect-DocumentId`` (400 without; 409 when that id answered before);
  answer ``{"id"}``. ``GET /api/v1/peppol/deliveryOption?partyIds=..&documentFamily=InvoiceResponse`` tells
  whether a participant takes responses (``add_participant(..., invoice_responses=False)``: it does not).
* Demo answers: in demo mode the customers answer the invoices delivered to them, in turn: acknowledged,
  accepted, rejected with a reason (unit price) and an action (new invoice), none; ``demo_answers=False``
  stops it.
* Events: ``details.attempt`` is the PSB's delivery attempt of the document (1 for non-send
  events); ``sentOn`` is renewed and the body re-signed on each webhook retry. Timestamps are ISO
  8601 UTC with offset (``2025-01-01T12:00:00.123456+00:00``).
* Hooks: ``PUT`` is add-or-update by the ``id`` the client chose (an unknown id creates the hook; ids are per
  scope: a party's or the environment's). The published Hook model is enforced: ``id`` required (1-64
  characters of ``[A-Za-z0-9-=]``), ``name`` and ``action`` required, no unknown field; anything else is a 400
  ``API400`` (nothing is made up for the client). Answers carry ``createdOn``/``changedOn``. Topics match
  case-insensitively with ``*`` wildcards; a hook without topics gets no events. ``GET .../hook/ping`` sends a
  ``Ping`` event (no topic filter) to the active hooks of that scope only (party or environment) and answers
  ``{"id": party}``. ``$token$`` in an action is replaced by a random token. Deletes answer 200 with an empty
  body.
* Peppol configuration: never-configured parties read as ``"inherited => on"`` (invoices) / ``"inherited =>
  off"`` (invoiceResponse, orders), as eConnect shows it. ``PUT`` follows the published write model
  (``capabilities`` name -> ``{state, description}``, ``businessCard``, ``verification``, ``migration``): a
  write with read-only fields (``id``, ``createdOn``, ``changedOn``), a computed state (``"inherited =>
  on"``), a state other than ``on``/``off``/``inherited`` or an unknown field is a 400 ``API400`` (a read
  echoed back is refused). It merges what it is given and answers the full configuration. The ``invoices``
  state also (un)lists the party as a receiver in the participant registry. ``DELETE`` unregisters (recorded
  in ``sim.config_deletions``; a later ``GET`` is 404 until a ``PUT``).
* Download ignores ``targetFormat`` / ``targetDocumentTypeId`` and returns the original XML.

Demo mode (``demo=True``): any client id/secret and any username/password get a token; any party
id used is permitted with all permissions; ``me/party`` lists the parties added with
``add_demo_party`` / ``add_user`` and those used so far; sending to any valid party id succeeds;
``loopback`` is on (a document sent to a party this simulator hosts also lands in its inbox).
Pre-registered demo participants:

* ``0106:87654321`` (NL:KVK) Demo Klant B.V.
* ``0106:11223344`` (NL:KVK) Voorbeeld Groothandel B.V.
* ``0208:0123456749`` (BE:EN) Demo Client SA
* ``9925:BE0123456749`` (BE:VAT) Demo Client SA (VAT)
* ``0190:00000001234567890000`` (NL:OINO, Dutch government OIN) Gemeente Demodorp
"""

from . import _psb
from .core import DEMO_PARTICIPANTS, PSBSimulator
from .faults import Faults
from .reqlog import LoggedRequest
from .state import PERMISSIONS
from .ubl import application_response, sample_invoice
from .webhooks import Event, WebhookDelivery

__all__ = [
    "DEMO_PARTICIPANTS",
    "PERMISSIONS",
    "Event",
    "Faults",
    "LoggedRequest",
    "PSBSimulator",
    "WebhookDelivery",
    "application_response",
    "sample_invoice",
]
