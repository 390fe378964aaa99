"""PSB simulator over real HTTP with plain ``requests``: token endpoint, every API route, UBL checks,
demo mode and the command line. Webhooks: ``test_simulator_webhooks.py``; faults, concurrency and
the control API: ``test_simulator_faults.py``."""

import os
import subprocess
import sys
import time
import uuid
from urllib.parse import quote

import pytest
import requests
from lxml import etree

from psb import safexml
from psb_simulator import PERMISSIONS, PSBSimulator, sample_invoice
from psb_simulator import ubl as sim_ubl
from psb_simulator.core import DOCUMENTED_STATUSES

OWN = "0106:12345678"
OWN_LETTER = "NL:KVK:12345678"
LIMITED = "0106:22222222"  # a party of the user without some permissions
SECOND = "0106:33333333"  # another party of the user (full permissions)
CLIENT_PARTY = "0106:44444444"  # a party of the client_credentials token
BUYER = "0106:87654321"
BUYER_LETTER = "NL:KVK:87654321"
STRANGER = "0106:99999999"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEPPOL_XSD = "/work/shared/peppol/ubl-2.1-xsd/maindoc"


def enc(party):
    return quote(party, safe="")


@pytest.fixture
def sim():
    with PSBSimulator(delivery_delay=0.01) as simulator:
        simulator.add_client("cid", "csecret", parties=[CLIENT_PARTY])
        simulator.add_user(
            "user",
            "pw",
            parties={
                OWN: None,
                SECOND: {},
                LIMITED: {"canSendDocument": False, "canReceiveDocument": False, "canManageHook": False},
            },
            names={OWN: "Seller BV"},
        )
        simulator.add_participant(BUYER, name="Buyer BV")
        yield simulator


def get_token(sim, grant="password", **fields):
    data = {"grant_type": grant, "client_id": "cid", "client_secret": "csecret", "scope": "ap"}
    if grant == "password":
        data.update(username="user", password="pw")
    data.update(fields)
    data = {k: v for k, v in data.items() if v is not None}
    return requests.post(sim.identity_url + "/connect/token", data=data, timeout=5)


class Api:
    """A ``requests.Session`` with a bearer token and the simulator's base URL."""

    def __init__(self, sim, token):
        self.sim = sim
        self.session = requests.Session()
        self.session.headers["Authorization"] = "Bearer " + token
        self.session.headers["Accept"] = "application/json"

    def __call__(self, method, path, absolute=False, **kwargs):
        """``path`` after ``/api/v1/``, or from the host's root with ``absolute``."""
        kwargs.setdefault("timeout", 5)
        url = self.sim.api_url + (path if absolute else "/api/v1/" + path)
        return self.session.request(method, url, **kwargs)

    def send(self, party=OWN, xml=None, document_id=None, filename="invoice.xml", params=None, part="file"):
        headers = {"X-EConnect-DocumentId": document_id} if document_id else {}
        files = {part: (filename, sample_invoice(OWN, BUYER) if xml is None else xml, "application/xml")}
        return self("POST", enc(party) + "/salesInvoice/send", files=files, headers=headers, params=params)


@pytest.fixture
def api(sim):
    answer = get_token(sim)
    assert answer.status_code == 200, answer.text
    client = Api(sim, answer.json()["access_token"])
    yield client
    client.session.close()


def assert_error(answer, status, code=None):
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert set(body) >= {"helpLink", "message", "code", "requestId", "dateTime"}
    assert body["message"]
    if code:
        assert body["code"] == code
    return body


def invoice(buyer_scheme="0106", buyer_value="87654321", root="Invoice", extra=""):
    ns = {"Invoice": sim_ubl.NS_INVOICE, "CreditNote": sim_ubl.NS_CREDIT_NOTE}.get(root, "urn:example:other")
    scheme = f' schemeID="{buyer_scheme}"' if buyer_scheme else ""
    endpoint = f"<cbc:EndpointID{scheme}>{buyer_value}</cbc:EndpointID>" if buyer_value is not None else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{extra}<{root} xmlns="{ns}" xmlns:cac="{sim_ubl.NS_CAC}" '
        f'xmlns:cbc="{sim_ubl.NS_CBC}"><cbc:ID>INV-1</cbc:ID><cac:AccountingSupplierParty><cac:Party>'
        f'<cbc:EndpointID schemeID="0106">12345678</cbc:EndpointID></cac:Party></cac:AccountingSupplierParty>'
        f"<cac:AccountingCustomerParty><cac:Party>{endpoint}</cac:Party></cac:AccountingCustomerParty></{root}>"
    ).encode()


# ---------------------------------------------------------------------------------------------
# Token endpoint
# ---------------------------------------------------------------------------------------------
def test_password_grant(sim):
    answer = get_token(sim)
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["access_token"]
    assert answer.headers["Cache-Control"] == "no-store"


def test_client_credentials_grant(sim):
    answer = get_token(sim, "client_credentials")
    assert answer.status_code == 200
    assert answer.json()["token_type"] == "Bearer"


def test_token_lifetime_is_configurable(sim):
    sim.token_lifetime = 120
    assert get_token(sim).json()["expires_in"] == 120


def test_missing_scope_means_ap(sim):
    assert get_token(sim, scope=None).status_code == 200


@pytest.mark.parametrize(
    ("fields", "status", "error"),
    [
        ({"client_secret": "wrong"}, 400, "invalid_client"),
        ({"client_id": "nobody"}, 400, "invalid_client"),
        ({"password": "wrong"}, 400, "invalid_grant"),
        ({"username": "nobody"}, 400, "invalid_grant"),
        ({"grant_type": "authorization_code"}, 400, "unsupported_grant_type"),
        ({"grant_type": None}, 400, "invalid_request"),
        ({"scope": "openid"}, 400, "invalid_scope"),
        ({"scope": "ap openid"}, 400, "invalid_scope"),
    ],
)
def test_token_errors(sim, fields, status, error):
    grant = fields.pop("grant_type", "password")
    answer = get_token(sim, grant, **fields) if grant else _token_without_grant(sim)
    assert answer.status_code == status
    assert answer.json()["error"] == error


def _token_without_grant(sim):
    data = {"client_id": "cid", "client_secret": "csecret", "username": "user", "password": "pw"}
    return requests.post(sim.identity_url + "/connect/token", data=data, timeout=5)


def test_client_credentials_wrong_secret(sim):
    answer = get_token(sim, "client_credentials", client_secret="nope")
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_client"


def test_basic_client_authentication(sim):
    url = sim.identity_url + "/connect/token"
    data = {"grant_type": "client_credentials", "scope": "ap"}
    good = requests.post(url, data=data, auth=("cid", "csecret"), timeout=5)
    assert good.status_code == 200
    bad = requests.post(url, data=data, auth=("cid", "wrong"), timeout=5)
    assert bad.status_code == 401  # RFC 6749 5.2: the client used the Authorization header
    assert bad.json()["error"] == "invalid_client"
    assert bad.headers["WWW-Authenticate"].startswith("Basic")


def test_token_request_must_be_form_encoded(sim):
    answer = requests.post(sim.identity_url + "/connect/token", json={"grant_type": "password"}, timeout=5)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"
    assert requests.get(sim.identity_url + "/connect/token", timeout=5).status_code == 405


def test_token_request_logged_without_secrets(sim):
    get_token(sim)
    entry = sim.requests[-1]
    assert entry.path == "/connect/token"
    assert entry.status == 200
    assert b"csecret" not in entry.body
    assert b"pw" not in entry.body.replace(b"password", b"")
    assert b"username=user" in entry.body


# ---------------------------------------------------------------------------------------------
# Bearer tokens on API calls
# ---------------------------------------------------------------------------------------------
def test_api_without_token(sim):
    answer = requests.get(sim.api_url + "/api/v1/me/party", timeout=5)
    assert_error(answer, 401, "API401")
    assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"]


def test_api_with_bad_token(sim):
    answer = requests.get(sim.api_url + "/api/v1/me/party", headers={"Authorization": "Bearer nope"}, timeout=5)
    assert_error(answer, 401)
    assert answer.headers["WWW-Authenticate"].startswith("Bearer ")
    basic = requests.get(sim.api_url + "/api/v1/me/party", auth=("user", "pw"), timeout=5)
    assert basic.status_code == 401


def test_expired_token(sim):
    sim.token_lifetime = 0.3
    token = get_token(sim).json()["access_token"]
    client = Api(sim, token)
    assert client("GET", "me/party").status_code == 200
    time.sleep(0.4)
    answer = client("GET", "me/party")
    assert_error(answer, 401)
    assert "expired" in answer.headers["WWW-Authenticate"]


def test_expire_tokens(sim, api):
    assert api("GET", "me/party").status_code == 200
    sim.faults.expire_tokens()
    assert api("GET", "me/party").status_code == 401
    fresh = Api(sim, get_token(sim).json()["access_token"])
    assert fresh("GET", "me/party").status_code == 200


def test_authorization_is_redacted_in_log(sim, api):
    api("GET", "me/party")
    entry = sim.requests[-1]
    assert entry.headers["Authorization"] == "Bearer ***"
    assert entry.method == "GET"
    assert entry.path == "/api/v1/me/party"
    assert entry.status == 200
    assert entry.time > 0


# ---------------------------------------------------------------------------------------------
# me/party and party authorisation
# ---------------------------------------------------------------------------------------------
def test_me_party(sim, api):
    answer = api("GET", "me/party")
    assert answer.status_code == 200
    parties = {p["id"]: p for p in answer.json()}
    assert set(parties) == {OWN_LETTER, "NL:KVK:33333333", "NL:KVK:22222222"}
    assert parties[OWN_LETTER]["name"] == "Seller BV"
    assert parties[OWN_LETTER]["permissions"] == dict.fromkeys(PERMISSIONS, True)
    limited = parties["NL:KVK:22222222"]["permissions"]
    assert limited["canSendDocument"] is False
    assert limited["canReceiveDocument"] is False
    assert limited["canRemoveDocument"] is True


def test_client_credentials_parties(sim):
    client = Api(sim, get_token(sim, "client_credentials").json()["access_token"])
    assert [p["id"] for p in client("GET", "me/party").json()] == ["NL:KVK:44444444"]
    assert client("GET", enc(CLIENT_PARTY) + "/hook").status_code == 200
    assert_error(client("GET", enc(OWN) + "/hook"), 403, "API403")


@pytest.mark.parametrize(
    "form", [OWN, OWN_LETTER, "iso6523-actorid-upis::0106:12345678", "nl:kvk:12345678", "NL%3aKVK%3a12345678"]
)
def test_party_id_forms_in_paths(sim, api, form):
    path = (form if "%" in form else enc(form)) + "/hook"
    assert api("GET", path).status_code == 200


@pytest.mark.parametrize("party", [STRANGER, "not-a-party", "9999:1"])
def test_unknown_party_is_403(sim, api, party):
    assert_error(api("GET", enc(party) + "/hook"), 403, "API403")
    assert_error(api.send(party), 403, "API403")


def test_missing_permission_is_403(sim, api):
    body = assert_error(api.send(LIMITED), 403, "API403")
    assert "canSendDocument" in body["message"]
    assert_error(api("GET", enc(LIMITED) + "/hook"), 403, "API403")
    doc = sim.inject_incoming(LIMITED, sample_invoice(BUYER, LIMITED))
    assert_error(api("GET", f"{enc(LIMITED)}/purchaseInvoice/{doc}/download"), 403, "API403")
    assert api("DELETE", f"{enc(LIMITED)}/purchaseInvoice/{doc}").status_code == 200  # canRemoveDocument


def test_unknown_route_and_method(sim, api):
    assert_error(api("GET", "nothing/here/at/all/really"), 404)
    answer = api("GET", enc(OWN) + "/salesInvoice/send")
    assert_error(answer, 405)
    assert "POST" in answer.headers["Allow"]


# ---------------------------------------------------------------------------------------------
# queryRecipientParty
# ---------------------------------------------------------------------------------------------
def test_query_recipient_first_known(sim, api):
    sim.add_participant("0208:0123456749", name="Belgian SA", channel="peppol")
    answer = api(
        "POST", enc(OWN) + "/salesInvoice/queryRecipientParty", json=["0106:00000001", "BE:EN:0123456749", BUYER]
    )
    assert answer.status_code == 200
    assert answer.json() == {"id": "BE:EN:0123456749", "channel": "peppol", "description": "Belgian SA"}


def test_query_recipient_not_found(sim, api):
    answer = api("POST", enc(OWN) + "/salesInvoice/queryRecipientParty", json=["0106:00000001"])
    assert_error(answer, 404, "API404")


def test_query_recipient_bad_body(sim, api):
    assert_error(api("POST", enc(OWN) + "/salesInvoice/queryRecipientParty", json={"id": BUYER}), 400)
    assert_error(api("POST", enc(OWN) + "/salesInvoice/queryRecipientParty", json=[]), 400)
    assert_error(api("POST", enc(OWN) + "/salesInvoice/queryRecipientParty", data=b"{nope"), 400)


def test_query_recipient_needs_send_permission(sim, api):
    assert_error(api("POST", enc(LIMITED) + "/salesInvoice/queryRecipientParty", json=[BUYER]), 403, "API403")


# ---------------------------------------------------------------------------------------------
# Send
# ---------------------------------------------------------------------------------------------
def test_send_and_deliver(sim, api):
    xml = sample_invoice(OWN, BUYER, number="F-1")
    answer = api.send(xml=xml, document_id="doc-1", filename="F-1.xml")
    assert answer.status_code == 200
    assert answer.json() == {"id": "doc-1"}
    doc = sim.sent_document("doc-1")
    assert doc.xml == xml
    assert doc.filename == "F-1.xml"
    assert doc.party == OWN
    assert doc.receiver == BUYER
    assert doc.info.number == "F-1"
    assert sim.requests[-1].document_id == "doc-1"
    sim.wait_idle()
    history = api("GET", enc(OWN) + "/salesInvoice/doc-1/status").json()
    assert [h["name"] for h in history] == ["Pending", "Validated", "Routed", "Delivered"]
    assert set(history[0]) == {"id", "name", "description", "createdOn"}
    [event] = [e for e in sim.events if e.document_id == "doc-1"]
    assert event.topic == "InvoiceSent"
    assert event.details["sender"] == OWN_LETTER
    assert event.details["recipient"] == BUYER_LETTER
    assert event.details["sourceDocumentTypeId"].endswith("poacc:billing:3.0::2.1")
    assert event.details["attempt"] == 1


def test_send_credit_note(sim, api):
    assert api.send(xml=sample_invoice(OWN, BUYER, credit_note=True)).status_code == 200


def test_send_without_document_id_generates_one(sim, api):
    answer = api.send()
    assert answer.status_code == 200
    document_id = answer.json()["id"]
    assert uuid.UUID(document_id).version == 4
    assert document_id in sim.sent_documents


def test_send_repeated_document_id_is_409(sim, api):
    assert api.send(document_id="dup").status_code == 200
    body = assert_error(api.send(document_id="dup"), 409, "API409")
    assert "dup" in body["message"]
    assert len([d for d in sim.sent_documents if d == "dup"]) == 1


def test_send_document_id_too_long(sim, api):
    assert_error(api.send(document_id="x" * 257), 400)


def test_send_receiver_id_and_channel(sim, api):
    sim.add_participant("0208:0123456749", name="BE")
    answer = api.send(document_id="d", params={"receiverId": "BE:EN:0123456749", "channel": "peppol"})
    assert answer.status_code == 200
    doc = sim.sent_document("d")
    assert doc.receiver == "0208:0123456749"
    assert doc.channel == "peppol"
    assert sim.requests[-1].query == {"receiverId": "BE:EN:0123456749", "channel": "peppol"}
    assert_error(api.send(document_id="e", params={"receiverId": "garbage"}), 400)


def test_send_to_unknown_receiver_fails_delivery(sim, api):
    api.send(xml=sample_invoice(OWN, "0106:55555555"), document_id="lost")
    sim.wait_idle()
    doc = sim.sent_document("lost")
    assert doc.status == "Failed"
    [event] = [e for e in sim.events if e.document_id == "lost"]
    assert event.topic == "InvoiceSentError"
    assert "not registered" in event.message


def test_delivery_outcome_retry_then_sent(sim, api):
    sim.set_delivery_outcome(BUYER, "retry", message="receiver AP down", retries=2)
    api.send(document_id="r")
    sim.wait_idle()
    events = [e for e in sim.events if e.document_id == "r"]
    assert [e.topic for e in events] == ["InvoiceSentRetry", "InvoiceSentRetry", "InvoiceSent"]
    assert [e.details["attempt"] for e in events] == [1, 2, 3]
    assert events[0].message == "receiver AP down"
    assert [h.name for h in sim.sent_document("r").history] == ["Pending", "Validated", "Routed", "Routed", "Delivered"]


def test_delivery_outcome_error_and_reset(sim, api):
    sim.set_delivery_outcome(BUYER, "error", message="Receiver refused the document")
    api.send(document_id="e1")
    sim.wait_idle()
    [event] = [e for e in sim.events if e.document_id == "e1"]
    assert (event.topic, event.message) == ("InvoiceSentError", "Receiver refused the document")
    sim.set_delivery_outcome(BUYER, None)
    api.send(document_id="e2")
    sim.wait_idle()
    assert sim.sent_document("e2").status == "Delivered"
    with pytest.raises(ValueError):
        sim.set_delivery_outcome(BUYER, "maybe")


def test_delivery_outcome_rejected_status(sim, api):
    sim.set_delivery_outcome(BUYER, "error", message="Refused by the receiver", status="Rejected")
    api.send(document_id="rj")
    sim.wait_idle()
    assert [h.name for h in sim.sent_document("rj").history] == ["Pending", "Validated", "Routed", "Rejected"]
    with pytest.raises(ValueError):
        sim.set_delivery_outcome(BUYER, "error", status="SentError")  # not a documented name


def test_delivery_outcome_invalid_is_a_received_error_for_the_sender(sim, api):
    """The PSB's Validate phase refuses an accepted upload: Rejected, and InvoiceReceivedError to the sender."""
    sim.set_delivery_outcome(BUYER, "invalid", message="BR-CO-15 failed")
    api.send(document_id="inv-1")
    sim.wait_idle()
    assert [h.name for h in sim.sent_document("inv-1").history] == ["Pending", "Rejected"]
    [event] = [e for e in sim.events if e.document_id == "inv-1"]
    assert (event.topic, event.party, event.message) == ("InvoiceReceivedError", OWN, "BR-CO-15 failed")


def test_retries_shaped_as_topics(sim, api):
    sim.status_form = "topic"
    sim.set_delivery_outcome(BUYER, "retry", retries=1, then="error")
    api.send(document_id="rt")
    sim.wait_idle()
    assert [h.name for h in sim.sent_document("rt").history] == [
        "Pending", "Validated", "InvoiceSentRetry", "InvoiceSentError"
    ]


@pytest.mark.parametrize(
    "form, names",
    [
        ("lower", ["pending", "validated", "routed", "delivered"]),
        ("upper", ["PENDING", "VALIDATED", "ROUTED", "DELIVERED"]),
        ("topic", ["Pending", "Validated", "Routed", "InvoiceSent"]),
    ],
)
def test_status_forms(sim, api, form, names):
    sim.status_form = form
    api.send(document_id="f-" + form)
    sim.wait_idle()
    history = api("GET", enc(OWN) + "/salesInvoice/f-%s/status" % form).json()
    assert [h["name"] for h in history] == names
    with pytest.raises(ValueError):
        sim.status_form = "shouting"


def test_send_status_unknown_or_foreign_is_404(sim, api):
    assert_error(api("GET", enc(OWN) + "/salesInvoice/nope/status"), 404, "API404")
    api.send(document_id="mine")
    assert_error(api("GET", enc(SECOND) + "/salesInvoice/mine/status"), 404, "API404")


# -- UBL checks on send -------------------------------------------------------------------------
def test_send_without_file_part(sim, api):
    body = assert_error(api.send(part="document"), 400)
    assert "'file'" in body["message"]


def test_send_not_multipart(sim, api):
    answer = api(
        "POST",
        enc(OWN) + "/salesInvoice/send",
        data=sample_invoice(OWN, BUYER),
        headers={"Content-Type": "application/xml"},
    )
    assert_error(answer, 400)


@pytest.mark.parametrize(
    ("xml", "fragment"),
    [
        (b"this is not xml", "well-formed"),
        (b"<Invoice><unclosed></Invoice>", "well-formed"),
        (b"", "empty"),
        (invoice(root="Order"), "not a UBL 2.1 Invoice or CreditNote"),
        (invoice(buyer_value=None), "EndpointID"),
        (invoice(buyer_value="  "), "EndpointID"),
        (invoice(buyer_scheme=None), "schemeID"),
    ],
)
def test_send_refuses_bad_documents(sim, api, xml, fragment):
    body = assert_error(api.send(xml=xml), 400, "API400")
    assert fragment in body["message"]
    assert not sim.sent_documents


def test_send_refuses_cii(sim, api):
    cii = b'<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"/>'
    assert_error(api.send(xml=cii), 400)


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&xxe;</Invoice>"""

BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&lol9;</Invoice>"""


@pytest.mark.parametrize(
    "xml",
    [
        XXE,
        BOMB,
        BOMB.decode().replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>').encode("utf-16"),
    ],
    ids=["xxe", "billion-laughs", "utf16-doctype"],
)
def test_send_refuses_dtds_without_expanding(sim, api, xml):
    started = time.monotonic()
    body = assert_error(api.send(xml=xml), 400, "API400")
    assert time.monotonic() - started < 2
    assert "DTD" in body["message"] or "DOCTYPE" in body["message"]
    assert "root:" not in body["message"]  # nothing of /etc/passwd


def test_parser_itself_never_resolves_entities():
    # Even past the DOCTYPE pre-check, the parser must neither resolve entities nor fetch anything.
    parser = safexml.parser()
    root = etree.fromstring(XXE, parser=parser)
    assert "root:" not in etree.tostring(root).decode()


def test_send_upload_size_cap(sim, api):
    sim.max_upload_bytes = 500
    body = assert_error(api.send(), 400)
    assert "limit" in body["message"]
    sim.max_request_bytes = 300
    assert_error(api.send(), 413)


# ---------------------------------------------------------------------------------------------
# Purchase invoices (incoming) and invoice responses
# ---------------------------------------------------------------------------------------------
def test_inject_and_download(sim, api):
    xml = sample_invoice(BUYER, OWN, number="IN-1")
    document_id = sim.inject_incoming(OWN, xml)
    [event] = [e for e in sim.events if e.document_id == document_id]
    assert event.topic == "InvoiceReceived"
    assert event.party == OWN
    assert event.details["sender"] == BUYER_LETTER
    assert event.details["recipient"] == OWN_LETTER
    answer = api("GET", f"{enc(OWN_LETTER)}/purchaseInvoice/{document_id}/download")
    assert answer.status_code == 200
    assert answer.content == xml
    assert answer.headers["Content-Type"] == "application/xml"
    for param in ("targetFormat", "targetDocumentTypeId"):
        again = api("GET", f"{enc(OWN)}/purchaseInvoice/{document_id}/download", params={param: "whatever"})
        assert again.content == xml
    assert sim.received_documents[document_id].downloads == 3


def test_inject_with_explicit_ids_and_broken_xml(sim, api):
    document_id = sim.inject_incoming(OWN, b"<broken", document_id="in-7", sender_id="NL:KVK:55555555")
    assert document_id == "in-7"
    assert sim.events[-1].details["sender"] == "NL:KVK:55555555"
    assert api("GET", f"{enc(OWN)}/purchaseInvoice/in-7/download").content == b"<broken"
    with pytest.raises(ValueError):
        sim.inject_incoming(OWN, b"<x/>", document_id="in-7")


def test_download_unknown_or_foreign_is_404(sim, api):
    assert_error(api("GET", f"{enc(OWN)}/purchaseInvoice/nope/download"), 404, "API404")
    document_id = sim.inject_incoming(SECOND, sample_invoice(BUYER, SECOND))
    assert_error(api("GET", f"{enc(OWN)}/purchaseInvoice/{document_id}/download"), 404, "API404")
    assert api("GET", f"{enc(SECOND)}/purchaseInvoice/{document_id}/download").status_code == 200


def test_delete_purchase_invoice(sim, api):
    document_id = sim.inject_incoming(OWN, sample_invoice(BUYER, OWN))
    answer = api("DELETE", f"{enc(OWN)}/purchaseInvoice/{document_id}")
    assert answer.status_code == 200
    assert answer.content == b""
    assert_error(api("GET", f"{enc(OWN)}/purchaseInvoice/{document_id}/download"), 404)
    assert_error(api("DELETE", f"{enc(OWN)}/purchaseInvoice/{document_id}"), 404)
    assert sim.received_documents[document_id].deleted


@pytest.mark.parametrize("code", ["AB", "AP", "RE", "UQ", "PD"])
def test_post_invoice_response(sim, api, code):
    document_id = sim.inject_incoming(OWN, sample_invoice(BUYER, OWN, number="IN-9"))
    body = {
        "status": code,
        "reasons": {"REF": "Wrong PO"},
        "actions": {"NIN": "please"},
        "note": "see PO 42",
    }
    path = f"{enc(OWN)}/purchaseInvoice/{document_id}/response"
    answer = api("POST", path, json=body, headers={"X-EConnect-DocumentId": "resp-" + code})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"id": "resp-" + code}
    [stored] = sim.invoice_responses
    assert stored.id == "resp-" + code
    assert (stored.status, stored.reasons, stored.actions, stored.note) == (
        code,
        {"REF": "Wrong PO"},
        {"NIN": "please"},
        "see PO 42",
    )
    assert stored.body == body
    root = etree.fromstring(stored.xml)
    assert etree.QName(root).localname == "ApplicationResponse"
    assert root.findtext(".//cbc:ResponseCode", namespaces=sim_ubl.NSMAP) == code
    assert root.findtext(".//cac:DocumentReference/cbc:ID", namespaces=sim_ubl.NSMAP) == "IN-9"


@pytest.mark.parametrize(
    "body",
    [
        {"status": "Accept"},
        {"status": "Reject", "reasons": {"REF": "x"}},
        {"status": "ap"},
        {"status": "RE", "reasons": {"ReferencesIncorrect": "x"}},
        {"status": "RE", "reasons": {"ref": "x"}},
        {"status": "AP", "actions": {"IssueNewInvoice": "x"}},
        {"status": "RE", "reasons": {"CNF": "an action, not a reason"}},
    ],
)
def test_invoice_response_names_are_refused(sim, api, body):
    document_id = sim.inject_incoming(OWN, sample_invoice(BUYER, OWN))
    path = f"{enc(OWN)}/purchaseInvoice/{document_id}/response"
    assert_error(api("POST", path, json=body, headers={"X-EConnect-DocumentId": "r-1"}), 400)
    assert sim.invoice_responses == []


def test_invoice_response_errors(sim, api):
    document_id = sim.inject_incoming(OWN, sample_invoice(BUYER, OWN))
    path = f"{enc(OWN)}/purchaseInvoice/{document_id}/response"
    ids = {"X-EConnect-DocumentId": "resp-0"}
    assert_error(api("POST", path, json={"status": "XX"}, headers=ids), 400)
    assert_error(api("POST", path, json={}, headers=ids), 400)
    assert_error(api("POST", path, json={"status": "RE", "reasons": {"NOPE": "x"}}, headers=ids), 400)
    assert_error(api("POST", path, json={"status": "AP", "note": 5}, headers=ids), 400)
    assert_error(api("POST", path, json=["AP"], headers=ids), 400)
    assert_error(api("POST", path, data=b"not json", headers=ids), 400)
    for needs_reason in ("RE", "UQ", "CA"):
        answer = api("POST", path, json={"status": needs_reason}, headers=ids)
        assert_error(answer, 400)
        assert "reason" in answer.json()["message"]
    # the response's own id is required: without it, a retry could not be told from a second answer
    answer = api("POST", path, json={"status": "AP"})
    assert_error(answer, 400)
    assert "X-EConnect-DocumentId" in answer.json()["message"]
    assert_error(api("POST", f"{enc(OWN)}/purchaseInvoice/nope/response", json={"status": "AP"}, headers=ids), 404)
    assert sim.invoice_responses == []
    assert api("POST", path, json={"status": "AB"}, headers={"X-EConnect-DocumentId": "resp-1"}).json() == {
        "id": "resp-1"
    }
    assert_error(api("POST", path, json={"status": "AP"}, headers={"X-EConnect-DocumentId": "resp-1"}), 409)
    assert [r.status for r in sim.invoice_responses] == ["AB"]


def test_inject_invoice_response_new_shape(sim, api):
    api.send(xml=sample_invoice(OWN, BUYER, number="F-77"), document_id="sent-1")
    sim.wait_idle()
    response_id = sim.inject_invoice_response(OWN, "sent-1", "RE", reasons={"REF": "Unknown order"})
    event = sim.events[-1]
    assert event.topic == "InvoiceResponseReceived"
    assert event.document_id == "sent-1"
    assert event.response_document_id == response_id
    assert event.ref_to_document_id is None
    assert event.details["sender"] == BUYER_LETTER
    assert "statusCode" not in event.details  # the new docs show no answer in the event: it is downloaded
    xml = api("GET", f"{enc(OWN)}/salesInvoice/sent-1/response/{response_id}/download").content
    root = etree.fromstring(xml)
    assert etree.QName(root).localname == "ApplicationResponse"
    assert root.findtext(".//cbc:ResponseCode", namespaces=sim_ubl.NSMAP) == "RE"
    assert root.findtext(".//cbc:StatusReasonCode", namespaces=sim_ubl.NSMAP) == "REF"
    assert root.findtext(".//cac:DocumentReference/cbc:ID", namespaces=sim_ubl.NSMAP) == "F-77"
    # only under the invoice it answers; never through the purchase-invoice path (not documented for responses)
    assert_error(api("GET", f"{enc(OWN)}/salesInvoice/other/response/{response_id}/download"), 404, "API404")
    assert_error(api("GET", f"{enc(OWN)}/purchaseInvoice/{response_id}/download"), 404, "API404")
    assert_error(api("DELETE", f"{enc(OWN)}/purchaseInvoice/{response_id}"), 404, "API404")
    history = api("GET", f"{enc(OWN)}/salesInvoice/sent-1/status").json()
    assert {h["name"] for h in history} <= set(DOCUMENTED_STATUSES), "a response is not a status of its own"
    assert sim.sent_document("sent-1").responses == [response_id]
    with pytest.raises(ValueError):
        sim.inject_invoice_response(OWN, "sent-1", "bogus")
    with pytest.raises(ValueError):
        sim.inject_invoice_response(OWN, "sent-1", "RE", reasons={"NOPE": "x"})


def test_inject_invoice_response_old_shape(sim, api):
    sim.response_event_shape = "old"
    response_id = sim.inject_invoice_response(
        OWN, "sent-2", "RE", reasons={"REF": "Unknown order"}, actions={"NIN": None}, note="See PO"
    )
    event = sim.events[-1]
    payload = event.payload("hook-1", "2025-01-01T00:00:00+00:00")
    assert payload["documentId"] == response_id
    assert payload["refToDocumentId"] == "sent-2"
    assert "responseDocumentId" not in payload
    details = payload["details"]
    assert (details["statusCode"], details["status"], details["note"]) == ("re", "Reject", "See PO")
    assert details["reasons"] == {"ref": "Unknown order"}
    assert details["actions"] == {"nin": None}
    answer = api("GET", f"/api/v1-beta/{enc(OWN)}/generic/{response_id}/download", absolute=True)
    assert answer.status_code == 200, answer.text
    root = etree.fromstring(answer.content)
    assert root.findtext(".//cbc:ResponseCode", namespaces=sim_ubl.NSMAP) == "RE"
    assert_error(api("GET", f"/api/v1-beta/{enc(SECOND)}/generic/{response_id}/download", absolute=True), 404)
    # per call, whatever the default; and without the answer in the event
    other_id = sim.inject_invoice_response(OWN, "sent-2", "AP", shape="new", details=False)
    assert sim.events[-1].response_document_id == other_id
    old_bare = sim.inject_invoice_response(OWN, "sent-2", "AP", shape="old", details=False)
    assert sim.events[-1].document_id == old_bare
    assert "statusCode" not in sim.events[-1].details
    with pytest.raises(ValueError):
        sim.inject_invoice_response(OWN, "sent-2", "AP", shape="newest")


def test_delivery_options(sim, api):
    sim.add_participant("0106:99887766", name="No answers BV", invoice_responses=False)
    options = api("GET", "peppol/deliveryOption", params={"partyIds": BUYER, "documentFamily": "InvoiceResponse"})
    assert options.status_code == 200, options.text
    [option] = options.json()
    assert (option["partyId"], option["family"]) == (BUYER_LETTER, "InvoiceResponse")
    assert option["documentTypeId"] == sim_ubl.IMR_DOCUMENT_TYPE
    no = api("GET", "peppol/deliveryOption", params={"partyIds": "0106:99887766", "documentFamily": "invoiceResponse"})
    assert no.json() == []
    several = api(
        "GET", "peppol/deliveryOption", params=[("partyIds", "0106:13572468"), ("partyIds", BUYER)]
    ).json()
    assert several[0]["family"] == "Invoice"
    assert_error(api("GET", "peppol/deliveryOption", params={"partyIds": "0106:13572468"}), 404, "API404")
    assert_error(api("GET", "peppol/deliveryOption"), 400)
    assert_error(api("GET", "peppol/deliveryOption", params={"partyIds": BUYER, "documentFamily": "Nope"}), 400)
    # one of our own parties takes responses once its invoiceResponse capability is on
    sim.set_peppol_config(OWN, capabilities={"invoiceResponse": {"state": "off"}})
    own = {"partyIds": OWN, "documentFamily": "InvoiceResponse"}
    assert api("GET", "peppol/deliveryOption", params=own).json() == []
    sim.set_peppol_config(OWN, capabilities={"invoiceResponse": {"state": "on"}})
    assert len(api("GET", "peppol/deliveryOption", params=own).json()) == 1


# ---------------------------------------------------------------------------------------------
# Peppol participant configuration
# ---------------------------------------------------------------------------------------------
def test_config_never_configured_is_inherited(sim, api):
    answer = api("GET", "peppol/config/party/" + enc(OWN))
    assert answer.status_code == 200
    config = answer.json()
    assert config["capabilities"]["invoices"]["state"] == "inherited => on"
    assert config["capabilities"]["invoiceResponse"]["state"] == "inherited => off"
    assert config["businessCard"]["names"]["value"] == "Seller BV"
    sim.inherited_format = "inherited"
    assert api("GET", "peppol/config/party/" + enc(OWN)).json()["capabilities"]["invoices"]["state"] == "inherited"


def test_config_put_merges_and_roundtrips(sim, api):
    path = "peppol/config/party/" + enc(OWN)
    answer = api(
        "PUT",
        path,
        json={
            "capabilities": {"invoiceResponse": {"state": "on"}},
            "businessCard": {"names": {"state": "on", "value": "Seller"}},
        },
    )
    assert answer.status_code == 200
    config = answer.json()
    assert config["capabilities"]["invoiceResponse"]["state"] == "on"
    assert config["capabilities"]["invoices"]["state"] == "inherited => on"
    assert config["businessCard"]["names"]["value"] == "Seller"
    # only what changes: the rest stays as it was
    config = api("PUT", path, json={"capabilities": {"invoices": {"state": "off"}}}).json()
    assert config["capabilities"]["invoices"]["state"] == "off"
    assert config["capabilities"]["invoiceResponse"]["state"] == "on"
    assert sim.peppol_config(OWN)["capabilities"]["invoices"]["state"] == "off"
    assert len(sim.config_writes) == 2
    assert sim.config_writes[0]["partyId"] == OWN_LETTER


@pytest.mark.parametrize(
    "body",
    [
        ["on"],
        {"capabilities": "on"},
        {"capabilities": {"invoices": "on"}},  # the model: name -> {state, description}
        {"capabilities": {"invoices": {"state": "maybe"}}},
        {"capabilities": {"invoices": {"state": "ON"}}},
        {"capabilities": {"invoices": {"state": "inherited => on"}}},  # computed: a read echoed back
        {"capabilities": {"invoices": {"state": "on", "enabled": True}}},
        {"id": "NL:KVK:12345678", "capabilities": {"invoices": {"state": "on"}}},
        {"createdOn": "2025-01-01T00:00:00+00:00"},
        {"changedOn": "2025-01-01T00:00:00+00:00"},
        {"businessCard": {"names": {"state": "inherited => on", "value": "X"}}},
        {"businessCard": {"name": "X"}},  # not a business card property of the model
        {"businessCard": {"names": {"value": 7}}},
        {"verification": {"notes": ""}},
        {"invoices": {"state": "on"}},  # the new docs' form without the capabilities wrapper
    ],
)
def test_config_put_refuses_what_the_model_refuses(sim, api, body):
    path = "peppol/config/party/" + enc(OWN)
    error = assert_error(api("PUT", path, json=body), 400, "API400")
    assert set(error) == {"helpLink", "message", "code", "requestId", "dateTime"}
    assert not sim.config_writes


def test_config_put_refuses_a_read_echoed_back(sim, api):
    path = "peppol/config/party/" + enc(OWN)
    error = assert_error(api("PUT", path, json=api("GET", path).json()), 400, "API400")
    assert "Read-only" in error["message"]
    assert_error(api("PUT", "peppol/config/party/" + enc(STRANGER), json={}), 403, "API403")
    full = {
        "capabilities": {"invoices": {"state": "inherited", "description": "ignored"}},
        "businessCard": {"state": "on", "names": {"state": "on", "value": "Seller"}},
        "verification": {"notes": "Contract C1", "verifiedOn": "2025-01-01T00:00:00+00:00"},
        "migration": {"key": "k"},
    }
    assert api("PUT", path, json=full).status_code == 200


def test_config_refusal(sim, api):
    sim.refuse_config_changes(OWN, "API403", "Receiving is not allowed for this party")
    body = assert_error(api("PUT", "peppol/config/party/" + enc(OWN), json={}), 403, "API403")
    assert body["message"] == "Receiving is not allowed for this party"
    sim.refuse_config_changes(OWN, "PSB-CONFIG-1", "nope")
    assert_error(api("PUT", "peppol/config/party/" + enc(OWN), json={}), 400, "PSB-CONFIG-1")
    sim.allow_config_changes(OWN)
    assert api("PUT", "peppol/config/party/" + enc(OWN), json={}).status_code == 200


def test_receiving_off_unlists_participant(sim, api):
    api("PUT", "peppol/config/party/" + enc(OWN_LETTER), json={"capabilities": {"invoices": {"state": "on"}}})
    assert sim.participants[OWN].receiving
    sim.set_peppol_config(BUYER, capabilities={"invoices": "off"})
    assert_error(api("POST", enc(OWN) + "/salesInvoice/queryRecipientParty", json=[BUYER]), 404)
    api.send(document_id="to-off")
    sim.wait_idle()
    assert sim.sent_document("to-off").status == "Rejected"
    sim.set_peppol_config(BUYER, capabilities={"invoices": "on"})
    assert api("POST", enc(OWN) + "/salesInvoice/queryRecipientParty", json=[BUYER]).status_code == 200


def test_config_delete_unregisters(sim, api):
    path = "peppol/config/party/" + enc(OWN)
    api("PUT", path, json={"capabilities": {"invoices": {"state": "on"}}})
    assert api("GET", "peppol/config/party").json() == [{"id": OWN_LETTER}]
    answer = api("DELETE", path)
    assert answer.status_code == 200
    [deletion] = sim.config_deletions
    assert deletion["partyId"] == OWN_LETTER
    assert deletion["subject"] == "user"
    assert_error(api("GET", path), 404, "API404")
    assert not sim.participants[OWN].receiving
    assert api("PUT", path, json={"capabilities": {"invoices": {"state": "on"}}}).status_code == 200
    assert api("GET", path).status_code == 200
    assert sim.participants[OWN].receiving


# ---------------------------------------------------------------------------------------------
# Demo mode
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def demo():
    with PSBSimulator(demo=True, delivery_delay=0.01) as simulator:
        yield simulator


def test_demo_accepts_any_credentials(demo):
    url = demo.identity_url + "/connect/token"
    for data in (
        {"grant_type": "password", "username": "anyone", "password": "x", "client_id": "c", "client_secret": "s"},
        {"grant_type": "client_credentials", "client_id": "whatever", "client_secret": ""},
    ):
        assert requests.post(url, data=dict(data, scope="ap"), timeout=5).status_code == 200
    bad_scope = {"grant_type": "client_credentials", "client_id": "c", "client_secret": "s", "scope": "other"}
    assert requests.post(url, data=bad_scope, timeout=5).json()["error"] == "invalid_scope"


def test_demo_parties_and_permissions(demo):
    demo.add_demo_party("0106:12345678", "My Demo Company")
    token = requests.post(
        demo.token_url, data={"grant_type": "client_credentials", "client_id": "c", "client_secret": "s"}, timeout=5
    ).json()["access_token"]
    client = Api(demo, token)
    assert [p["id"] for p in client("GET", "me/party").json()] == [OWN_LETTER]
    assert client("GET", enc("0106:77777777") + "/hook").status_code == 200
    parties = client("GET", "me/party").json()
    assert [p["id"] for p in parties] == [OWN_LETTER, "NL:KVK:77777777"]
    assert parties[0]["name"] == "My Demo Company"
    assert all(all(p["permissions"].values()) for p in parties)


def test_demo_participants_and_delivery(demo):
    token = requests.post(
        demo.token_url, data={"grant_type": "client_credentials", "client_id": "c", "client_secret": "s"}, timeout=5
    ).json()["access_token"]
    client = Api(demo, token)
    for party in ("0106:87654321", "0208:0123456749", "0190:00000001234567890000"):
        assert party in demo.participants
    found = client("POST", enc(OWN) + "/salesInvoice/queryRecipientParty", json=["BE:EN:0123456749"]).json()
    assert found["id"] == "BE:EN:0123456749"
    assert found["description"] == "Demo Client SA"
    # any syntactically valid receiver is delivered; an invalid one is not
    client.send(xml=sample_invoice(OWN, "0106:13572468"), document_id="ok")
    client.send(xml=sample_invoice(OWN, "0106:123"), document_id="bad")
    demo.wait_idle()
    assert "Delivered" in [h.name for h in demo.sent_document("ok").history]
    assert demo.sent_document("bad").status == "Failed"


def test_demo_loopback_between_own_parties(demo):
    token = requests.post(
        demo.token_url, data={"grant_type": "client_credentials", "client_id": "c", "client_secret": "s"}, timeout=5
    ).json()["access_token"]
    client = Api(demo, token)
    other = "0106:24681357"
    client("GET", enc(other) + "/hook")  # the second company shows up
    client.send(xml=sample_invoice(OWN, other), document_id="loop-1")
    demo.wait_idle()
    received = [e for e in demo.events if e.topic == "InvoiceReceived"]
    assert [(e.party, e.document_id) for e in received] == [(other, "loop-1")]
    assert client("GET", f"{enc(other)}/purchaseInvoice/loop-1/download").status_code == 200
    answer = client(
        "POST", f"{enc(other)}/purchaseInvoice/loop-1/response", json={"status": "AP"},
        headers={"X-EConnect-DocumentId": "answer-1"},
    )
    assert answer.status_code == 200
    demo.wait_idle()
    [response_event] = [e for e in demo.events if e.topic == "InvoiceResponseReceived"]
    assert (response_event.party, response_event.document_id) == (OWN, "loop-1")


def test_demo_customers_answer_delivered_invoices(demo):
    """Demo customers answer in turn: acknowledged, accepted, rejected with a reason, none."""
    demo.demo_answer_delay = 0.01
    token = requests.post(
        demo.token_url, data={"grant_type": "client_credentials", "client_id": "c", "client_secret": "s"}, timeout=5
    ).json()["access_token"]
    client = Api(demo, token)
    for number in range(5):
        client.send(xml=sample_invoice(OWN, "0106:87654321"), document_id=f"d-{number}")
        demo.wait_idle()
    answers = [e for e in demo.events if e.topic == "InvoiceResponseReceived"]
    assert [(e.document_id, e.party) for e in answers] == [("d-0", OWN), ("d-1", OWN), ("d-2", OWN), ("d-4", OWN)]
    codes = []
    for event in answers:
        path = f"{enc(OWN)}/salesInvoice/{event.document_id}/response/{event.response_document_id}/download"
        xml = client("GET", path)
        root = etree.fromstring(xml.content)
        codes.append(root.findtext(".//cbc:ResponseCode", namespaces=sim_ubl.NSMAP))
    assert codes == ["AB", "AP", "RE", "AB"]
    rejected = demo.received_documents[answers[2].response_document_id].xml
    assert b"OPStatusReason" in rejected and b"PRI" in rejected
    demo.demo_answers = False
    client.send(xml=sample_invoice(OWN, "0106:87654321"), document_id="d-quiet")
    demo.wait_idle()
    assert len([e for e in demo.events if e.topic == "InvoiceResponseReceived"]) == 4


def test_non_demo_has_no_demo_participants(sim):
    assert "0208:0123456749" not in sim.participants


# ---------------------------------------------------------------------------------------------
# Sample documents, lifecycle, command line
# ---------------------------------------------------------------------------------------------
@pytest.mark.skipif(not os.path.isdir(PEPPOL_XSD), reason="UBL XSDs not available")
@pytest.mark.parametrize("credit_note", [False, True])
def test_sample_invoice_is_xsd_valid(credit_note):
    xml = sample_invoice(OWN, "0208:0123456749", credit_note=credit_note)
    root = etree.fromstring(xml)
    name = "CreditNote" if credit_note else "Invoice"
    schema = etree.XMLSchema(etree.parse(f"{PEPPOL_XSD}/UBL-{name}-2.1.xsd"))
    assert schema.validate(root), schema.error_log
    info = sim_ubl.inspect_sent(xml)
    assert (info.buyer_id, info.seller_id) == ("0208:0123456749", OWN)


def test_urls_and_restart():
    simulator = PSBSimulator()
    simulator.start()
    try:
        assert simulator.api_url.startswith("http://127.0.0.1:")
        assert simulator.identity_url == simulator.api_url
        assert simulator.token_url == simulator.identity_url + "/connect/token"
        assert requests.get(simulator.control_url + "/health", timeout=5).json()["ok"] is True
    finally:
        simulator.stop()
    simulator.stop()  # idempotent
    with pytest.raises(requests.ConnectionError):
        requests.get(simulator.control_url + "/health", timeout=2)


def test_stop_cuts_keep_alive_connections():
    simulator = PSBSimulator().start()
    session = requests.Session()
    assert session.get(simulator.control_url + "/health", timeout=5).status_code == 200
    simulator.stop()
    with pytest.raises(requests.ConnectionError):
        session.get(simulator.control_url + "/health", timeout=2)


def _run_cli(args):
    env = dict(os.environ, PYTHONPATH=REPO)
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)  # noqa: S603
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if "Ctrl-C" in line:
                break
        api_line = next(x for x in lines if "API URL" in x)
        url = api_line.split()[-1]
        assert requests.get(url + "/_sim/health", timeout=5).json()["ok"] is True
        return url, lines
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_cli_module():
    _url, lines = _run_cli(
        [
            sys.executable,
            "-m",
            "psb_simulator",
            "--port",
            "0",
            "--demo",
            "--latency",
            "0.01",
            "--party",
            "0106:12345678=Mine",
        ]
    )
    assert any("demo mode" in line for line in lines)


def test_cli_wrapper_script():
    script = os.path.join(REPO, "bin", "psb-simulator")
    assert os.access(script, os.X_OK)
    url, _lines = _run_cli(
        [
            sys.executable,
            script,
            "--port",
            "0",
            "--client",
            "cid:sec",
            "--user",
            "u:p",
            "--party",
            OWN,
            "--participant",
            BUYER + "=Buyer",
        ]
    )
    assert url.startswith("http://127.0.0.1:")
