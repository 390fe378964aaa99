"""Attacks on the e-invoice submission address, performed through Odoo's mail gateway with raw RFC 822 mails."""

import uuid
from email.message import EmailMessage

from odoo.tests import TransactionCase, tagged

from odoo.addons.mail.tests.common import MailCase

from .common import EconnectSimulatorMixin
from .test_attack_webhook import many_attributes
from .test_mail_submission import UBL_INVOICE, make_pdf
from .users_common import EconnectUsersMixin


class EconnectMailAttackMixin(EconnectUsersMixin, EconnectSimulatorMixin):
    """An active company with a submission address, an eConnect user of it, and a way to mail raw messages."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alias_domain = cls.env["mail.alias.domain"].create({"name": "bills.econnect-company.example"})
        cls.company.alias_domain_id = cls.alias_domain
        cls.company.econnect_receive_journal_id = False
        cls.company.action_econnect_activate()
        cls.journal = cls.company.econnect_receive_journal_id
        cls.journal.alias_domain_id = cls.alias_domain
        cls.user = cls.make_user("alice")

    def bills(self):
        return self.env["account.move"].search(
            [("journal_id", "=", self.journal.id), ("move_type", "in", ("in_invoice", "in_refund"))]
        )

    def raw_mail(self, from_header, attachments=None, extra_headers=()):
        """The bytes of a mail to the submission address whose From header is ``from_header``, exactly as given
        (the email package would rewrite it)."""
        if attachments is None:
            attachments = [("invoice.pdf", make_pdf(), "application", "pdf")]
        message = EmailMessage()
        message["From"] = "placeholder@placeholder.example"
        message["To"] = self.journal.alias_email
        message["Subject"] = "Invoice 2025-042"
        message["Message-Id"] = f"<{uuid.uuid4()}@sender.example>"
        message.set_content("Please find the invoice attached.")
        for name, content, maintype, subtype in attachments:
            message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
        raw = message.as_bytes()
        head, sep, body = raw.partition(b"\n\n")
        lines = [line for line in head.split(b"\n") if not line.startswith(b"From:")]
        froms = [from_header] if isinstance(from_header, str) else list(from_header)
        lines = [f"From: {value}".encode() for value in froms] + [h.encode() for h in extra_headers] + lines
        return b"\n".join(lines) + sep + body

    def deliver(self, from_header, attachments=None, extra_headers=()):
        """Deliver a raw mail through Odoo's mail gateway; returns the bills it created."""
        before = self.bills()
        with self.mock_mail_gateway():
            self.env["mail.thread"].message_process(None, self.raw_mail(from_header, attachments, extra_headers))
        return self.bills() - before

    def replies_to(self, address):
        return self._new_mails.filtered(lambda m: address in (m.email_to or ""))


@tagged("post_install", "-at_install")
class TestMailXmlAttacks(EconnectMailAttackMixin, MailCase, TransactionCase):
    def test_mailed_xml_with_many_attributes_is_kept_unread(self):
        """A trusted user forwards an XML (from a vendor) with thousands of attributes on one element: the bill is
        made with the file attached, and the XML is never parsed (it used to go straight to Odoo's importer)."""
        xml = many_attributes(UBL_INVOICE.format(currency="EUR", customer=self.company.name).encode(), 5000)
        bills = self.deliver(self.user.email, attachments=[("invoice.xml", xml, "application", "xml")])
        self.assertEqual(len(bills), 1)
        self.assertEqual(bills.state, "draft")
        self.assertFalse(bills.invoice_line_ids, "the XML was not read")
        self.assertNotEqual(bills.ref, "SUP-2025-042")
        self.assertIn("invoice.xml", bills.attachment_ids.mapped("name"))
