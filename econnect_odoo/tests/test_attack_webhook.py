"""Attacks on the webhook and on the XML of documents, performed for real against the Odoo test server."""

import json
import logging
import socket
import time
import urllib.parse

from odoo.tests import HttpCase, tagged

from ..psb.webhook import SIGNATURE_HEADER, sign_body
from .common import PARTY, EconnectReceiveMixin
from .test_webhook_inbox import event_body

LOGGER = "odoo.addons.econnect_odoo.controllers.webhook"
# (numeric: Odoo's test log level names its own level 25 "INFO")


def many_attributes(xml, count):
    """``xml`` (a UBL invoice) with ``count`` attributes on its Note: a document Odoo reads, if it reads it."""
    attributes = " ".join(f'a{n}="1"' for n in range(count))
    note = f"<cbc:Note {attributes}>x</cbc:Note><cbc:CustomizationID>".encode()
    return xml.replace(b"<cbc:CustomizationID>", note, 1)


@tagged("post_install", "-at_install")
class TestWebhookAttacks(EconnectReceiveMixin, HttpCase):
    def events(self):
        return self.env["econnect.event"].sudo().search([("company_id", "=", self.company.id)])

    def test_chunked_body_is_read_no_further_than_the_limit(self):
        """A known token, a body without Content-Length (chunked) and no end: the server answers 413 after the limit
        plus one byte, while the client is still sending (it used to read the whole body first)."""
        self.env.flush_all()
        url = urllib.parse.urlsplit(self.base_url())
        token = self.company.sudo().econnect_webhook_token
        chunk = b"x" * 65536
        with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
            sock.sendall(
                f"POST /econnect/webhook/{token} HTTP/1.1\r\nHost: {url.netloc}\r\n"
                f"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                f"{SIGNATURE_HEADER}: sha256={'0' * 64}\r\n\r\n".encode()
            )
            for _n in range(40):  # 2.5 MB, never terminated: a body that only ends when the server says so
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            answer = b""
            try:
                while b"\r\n\r\n" not in answer:
                    received = sock.recv(65536)
                    if not received:
                        break
                    answer += received
            except TimeoutError:
                self.fail("the server waited for the end of the body: it reads a chunked body whole")
        self.env.invalidate_all()
        self.assertEqual(int(answer.split(b" ", 2)[1]), 413, answer[:200])
        self.assertFalse(self.events())

    def test_signed_malformed_events_answer_400_and_store_nothing(self):
        """Events signed with the company's secret (a leaked secret, or a bug at the sender) that are no events."""
        nested = json.loads(event_body())

        def with_details(raw):
            return json.dumps({**nested, "details": "@@"}).encode().replace(b'"@@"', raw)

        bodies = {
            "sentOn 1e300": json.dumps({**nested, "sentOn": 1e300}).encode(),
            "sentOn year 9999 with an offset": json.dumps({**nested, "sentOn": "9999-12-31T23:59:59-05:00"}).encode(),
            "createdOn year 1 with an offset": json.dumps(
                {**nested, "createdOn": "0001-01-01T00:00:00+05:00"}
            ).encode(),
            "sentOn NaN": json.dumps({**nested, "sentOn": float("nan")}).encode(),
            "details nested 50,000 deep": with_details(b'{"a": ' + b"[" * 50000 + b"]" * 50000 + b"}"),
            "details nested 100 deep": with_details(b'{"a": ' + b"[" * 100 + b"]" * 100 + b"}"),
            "NUL in the topic": json.dumps({**nested, "topic": "Invoice\u0000Received"}).encode(),
            "NUL in the document id": json.dumps({**nested, "documentId": "doc\u0000"}).encode(),
            "NUL in a key": json.dumps({**nested, "details": {"send\u0000er": "x"}}).encode(),
            "lone surrogate in the message": json.dumps({**nested, "message": "\ud800"}).encode(),
        }
        secret = self.company._econnect_webhook_secret()
        token = self.company.sudo().econnect_webhook_token
        for name, body in bodies.items():
            with self.subTest(name):
                self.env.flush_all()
                response = self.url_open(
                    f"/econnect/webhook/{token}", data=body,
                    headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign_body(secret, body)},
                )
                self.env.invalidate_all()
                self.assertEqual(response.status_code, 400, response.text[:300])
                self.assertEqual(response.json()["status"], "refused")
                self.assertFalse(self.events(), "a refused call stores nothing")

    def test_token_from_the_url_cannot_forge_log_lines(self):
        forged = "abc\n2026-01-01 00:00:00,000 1 INFO db odoo.addons.base: forged"
        for token in (forged, "A" * 200 + "\r\nforged"):
            with self.subTest(token=token[:8]), self.assertLogs(LOGGER, logging.INFO) as captured:
                self.env.flush_all()
                response = self.url_open(
                    f"/econnect/webhook/{urllib.parse.quote(token, safe='')}", data=event_body(),
                    headers={"Content-Type": "application/json"},
                )
                self.assertEqual(response.status_code, 404)
            for line in captured.output:
                self.assertNotIn("\n", line)
                self.assertNotIn("\r", line)
        with self.assertLogs(LOGGER, logging.INFO) as captured:
            self.url_open(
                f"/econnect/webhook/{'B' * 43}", data=event_body(), headers={"Content-Type": "application/json"}
            )
        self.assertIn("BBBBBB...", captured.output[0], "a well-formed token: its start only")
        self.assertNotIn("B" * 7, captured.output[0])

    def test_received_document_with_200000_attributes_is_refused_unread(self):
        """2.3 MB, 200,000 attributes on one element: minutes of CPU for the lxml Odoo 18 pins, if it parsed it."""
        xml = many_attributes(self.invoice(), 200_000)
        document_id = self.receive_document(xml, sender_id="0106:55667788")
        started = time.monotonic()
        self.pull()
        self.assertLess(time.monotonic() - started, 30)
        event = self.event_of(document_id)
        self.assertEqual(event.state, "error")
        self.assertIn("more elements, or more attributes", event.last_error)
        self.assertFalse(self.bill_of(document_id))
        kept = self.env["ir.attachment"].search([("res_model", "=", "econnect.event"), ("res_id", "=", event.id)])
        self.assertEqual(kept.raw, xml, "the file is kept as it came")

    def test_received_document_with_many_attributes_is_never_parsed(self):
        """The same attack, small enough for a quick run of the code before the fix: it was read into a bill."""
        document_id = self.receive_document(many_attributes(self.invoice(), 5000), sender_id="0106:55667788")
        self.pull()
        self.assertEqual(self.event_of(document_id).state, "error")
        self.assertFalse(self.bill_of(document_id))

    def invoice(self):
        from .simulator import sample_invoice

        return sample_invoice("0106:55667788", PARTY, number="ATTACK-1", amount="100.00", vat_percent="21")
