"""The webhook inbox: the simulator (and the test) post real HTTP calls to the Odoo test server."""

import datetime as dt
import json
import socket
import threading
import urllib.parse
import uuid

import requests

from odoo.tests import HttpCase, tagged

from ..psb.party import PartyId
from ..psb.webhook import SIGNATURE_HEADER, sign_body
from .common import OTHER_PARTY, PARTY, EconnectReceiveMixin
from .simulator import sample_invoice, simulator_ids

SELLER = "0106:55667788"


def event_body(topic="InvoiceReceived", document_id=None, party=PARTY, created_on=None, sent_on=None, **extra):
    now = dt.datetime.now(dt.UTC)
    data = {
        "topic": topic,
        "partyId": PartyId.parse(party, validate=False).letter,
        "hookId": "hook-1",
        "documentId": document_id or str(uuid.uuid4()),
        "message": "A document was received.",
        "details": {"sender": "NL:KVK:55667788", "recipient": PartyId.parse(party, validate=False).letter},
        "createdOn": (created_on or now).isoformat(),
        "sentOn": (sent_on or now).isoformat(),
        **extra,
    }
    return json.dumps(data).encode()


@tagged("post_install", "-at_install")
class TestWebhookInbox(EconnectReceiveMixin, HttpCase):
    def events(self):
        return self.env["econnect.event"].sudo().search([("company_id", "=", self.company.id)])

    def triggers(self):
        cron = self.env.ref("econnect_odoo.ir_cron_econnect_pull")
        return self.env["ir.cron.trigger"].sudo().search([("cron_id", "=", cron.id)])

    # ------------------------------------------------------------------------------------------
    # Accepted
    # ------------------------------------------------------------------------------------------
    def test_simulator_event_is_stored_and_nothing_else_happens(self):
        triggers_before = len(self.triggers())
        self.simulator.clear_log()
        document_id = self.receive_document(sample_invoice(SELLER, PARTY))
        event = self.event_of(document_id)
        self.assertEqual(len(event), 1)
        self.assertEqual(event.topic, "InvoiceReceived")
        self.assertEqual(event.state, "pending")
        self.assertEqual(event.hook_id, self.company.sudo().econnect_hook_id)
        self.assertEqual(event.party_id, "NL:KVK:12345678")
        self.assertTrue(event.event_created_on)
        self.assertEqual(json.loads(event.payload)["documentId"], document_id)
        # the controller did no other work: no download, no bill, no call to eConnect
        self.assertFalse(self.bill_of(document_id))
        self.assertFalse(self.simulator.requests, "the webhook answer must not call eConnect")
        # ... but it woke the pull up
        self.assertEqual(len(self.triggers()), triggers_before + 1)
        delivery = self.simulator.webhook_deliveries[-1]
        self.assertEqual(delivery.status, 200)
        self.assertEqual(json.loads(delivery.response_body)["status"], "accepted")

    def test_replayed_event_creates_nothing_new(self):
        document_id = self.receive_document(sample_invoice(SELLER, PARTY))
        delivery = self.simulator.webhook_deliveries[-1]
        data = json.loads(delivery.body)
        data["sentOn"] = dt.datetime.now(dt.UTC).isoformat()  # eConnect renews sentOn on every attempt
        triggers_before = len(self.triggers())
        response = self.signed_post(json.dumps(data).encode())
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["status"], "duplicate")
        self.assertEqual(len(self.event_of(document_id)), 1)
        self.assertEqual(len(self.triggers()), triggers_before, "a duplicate does not wake the pull")

    def test_same_document_other_creation_time_is_a_new_event(self):
        document_id = str(uuid.uuid4())
        first = event_body(document_id=document_id, created_on=dt.datetime(2025, 1, 1, 12, 0, 0, 1, tzinfo=dt.UTC))
        second = event_body(document_id=document_id, created_on=dt.datetime(2025, 1, 1, 12, 0, 0, 2, tzinfo=dt.UTC))
        self.assertEqual(self.signed_post(first).status_code, 200)
        self.assertEqual(self.signed_post(second).status_code, 200)
        self.assertEqual(len(self.event_of(document_id)), 2)

    def test_two_identical_posts_at_once(self):
        body = event_body()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign_body(self.company._econnect_webhook_secret(), body),
        }
        url = f"{self.base_url()}/econnect/webhook/{self.company.sudo().econnect_webhook_token}"
        answers = []
        barrier = threading.Barrier(2)

        def post():
            barrier.wait()
            answers.append(requests.post(url, data=body, headers=headers, timeout=20))

        self.env.flush_all()
        threads = [threading.Thread(target=post) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.env.invalidate_all()
        self.assertEqual(sorted(a.status_code for a in answers), [200, 200])
        self.assertEqual(sorted(a.json()["status"] for a in answers), ["accepted", "duplicate"])
        self.assertEqual(len(self.event_of(json.loads(body)["documentId"])), 1)

    def test_ping_is_kept_as_done(self):
        self.env.flush_all()
        self.simulator.ping(simulator_ids().require_key(PARTY))
        self.wait_for_webhooks(1, topic="Ping")
        ping = self.events().filtered(lambda e: e.topic == "Ping")
        self.assertEqual(len(ping), 1)
        self.assertEqual(ping.state, "done")

    # ------------------------------------------------------------------------------------------
    # Refused: a 4xx and nothing stored
    # ------------------------------------------------------------------------------------------
    def assertRefused(self, response, status, reason=None):
        self.assertEqual(response.status_code, status, response.text)
        if reason:
            self.assertIn(reason, response.json()["reason"])
        self.assertFalse(self.events(), "a refused call stores nothing")

    def test_wrong_signature_is_refused(self):
        self.assertRefused(self.signed_post(event_body(), secret="not-the-secret"), 401, "signature")

    def test_missing_signature_is_refused(self):
        self.env.flush_all()
        response = self.url_open(
            f"/econnect/webhook/{self.company.sudo().econnect_webhook_token}",
            data=event_body(), headers={"Content-Type": "application/json"},
        )
        self.assertRefused(response, 401)

    def test_body_changed_after_signing_is_refused(self):
        body = event_body()
        signature = sign_body(self.company._econnect_webhook_secret(), body)
        tampered = body.replace(b"InvoiceReceived", b"InvoiceSentError")
        self.assertRefused(self.signed_post(tampered, headers={SIGNATURE_HEADER: signature}), 401)

    def test_stale_sent_on_is_refused(self):
        old = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=6)
        self.assertRefused(self.signed_post(event_body(sent_on=old)), 400, "stale")
        ahead = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=6)
        self.assertRefused(self.signed_post(event_body(sent_on=ahead)), 400, "stale")

    def test_foreign_party_is_refused(self):
        self.assertRefused(self.signed_post(event_body(party=OTHER_PARTY)), 403, "party")

    def test_party_in_another_form_is_the_same_party(self):
        data = json.loads(event_body())
        data["partyId"] = "iso6523-actorid-upis::0106:12345678"
        self.assertEqual(self.signed_post(json.dumps(data).encode()).status_code, 200)

    def test_oversized_body_is_refused(self):
        data = json.loads(event_body())
        data["message"] = "x" * (1024 * 1024)
        self.assertRefused(self.signed_post(json.dumps(data).encode()), 413)

    def post_announcing(self, length, content_type, sent=b"a=1&"):
        """POST headers announcing a ``length``-byte body, send only ``sent``, and read the answer: a server that
        waited for the whole body would never answer (the socket times out)."""
        self.env.flush_all()
        url = urllib.parse.urlsplit(self.base_url())
        token = self.company.sudo().econnect_webhook_token
        with socket.create_connection((url.hostname, url.port), timeout=5) as sock:
            sock.sendall(
                f"POST /econnect/webhook/{token} HTTP/1.1\r\nHost: {url.netloc}\r\n"
                f"Content-Type: {content_type}\r\nContent-Length: {length}\r\n"
                f"{SIGNATURE_HEADER}: sha256={'0' * 64}\r\nConnection: close\r\n\r\n".encode() + sent
            )
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
                if b"\r\n\r\n" in answer:
                    break
        self.env.invalidate_all()
        return int(answer.split(b" ", 2)[1])

    def test_oversized_body_is_refused_before_it_is_read(self):
        # whatever the content type says (Odoo itself parses forms before any controller runs)
        types = ("application/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x")
        for content_type in types:
            with self.subTest(content_type=content_type):
                self.assertEqual(self.post_announcing(50 * 1024 * 1024, content_type), 413)
        self.assertFalse(self.events(), "a refused call stores nothing")

    def chunked_post(self, body, content_type="application/json"):
        """POST ``body`` signed, in chunked transfer encoding (no Content-Length), as some HTTP clients send."""
        token = self.company.sudo().econnect_webhook_token
        headers = {
            "Content-Type": content_type,
            SIGNATURE_HEADER: sign_body(self.company._econnect_webhook_secret(), body),
        }
        self.env.flush_all()
        response = self.url_open(
            f"/econnect/webhook/{token}", data=(body[i:i + 4096] for i in range(0, len(body), 4096)), headers=headers
        )
        self.env.invalidate_all()
        return response

    def test_chunked_event_is_accepted_and_a_chunked_giant_refused(self):
        """eConnect's documentation does not say whether events come with a Content-Length: a chunked event is
        stored like any other; a chunked body over 1 MB is refused and stores nothing."""
        response = self.chunked_post(event_body())
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(len(self.events()), 1)
        data = json.loads(event_body(document_id=str(uuid.uuid4())))
        data["message"] = "x" * (2 * 1024 * 1024)
        response = self.chunked_post(json.dumps(data).encode())
        self.assertEqual(response.status_code, 413, response.text)
        self.assertEqual(len(self.events()), 1, "a refused call stores nothing")
        response = self.chunked_post(b"a=1&b=2", content_type="application/x-www-form-urlencoded")
        self.assertEqual(response.status_code, 411, response.text)

    def test_unknown_token_is_refused(self):
        self.assertRefused(self.signed_post(event_body(), token="A" * 43), 404)
        self.assertRefused(self.signed_post(event_body(), token="bad token!"), 404)

    def test_not_an_event_is_refused(self):
        self.assertRefused(self.signed_post(b"not json"), 400, "invalid")
        self.assertRefused(self.signed_post(b'{"no": "topic"}'), 400, "invalid")
        self.assertRefused(self.signed_post(b"[1, 2]"), 400, "invalid")

    def test_get_is_not_allowed(self):
        self.env.flush_all()
        response = self.url_open(f"/econnect/webhook/{self.company.sudo().econnect_webhook_token}")
        self.assertIn(response.status_code, (404, 405))
        self.assertFalse(self.events())

    def test_deactivated_company_refuses_events(self):
        token = self.company.sudo().econnect_webhook_token
        secret = self.company._econnect_webhook_secret()
        self.keep_hook()
        self.company.action_econnect_deactivate()
        self.assertRefused(self.signed_post(event_body(), token=token, secret=secret), 401)
