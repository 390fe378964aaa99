"""Attacks on the e-invoice submission address, performed through Odoo's mail gateway with raw RFC 822 mails."""

import re
import uuid
from datetime import timedelta
from email.message import EmailMessage

from odoo import fields
from odoo.tests import HttpCase, TransactionCase, tagged

from odoo.addons.mail.tests.common import MailCase

from .common import EconnectSimulatorMixin
from .test_attack_company import JsonRpcMixin
from .test_attack_webhook import many_attributes
from .test_mail_submission import UBL_INVOICE, make_pdf
from .users_common import COMPANY_DOMAIN, EconnectUsersMixin


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

    def test_mailed_e_invoice_with_a_new_bank_account_is_held(self):
        """A user forwards a vendor's e-invoice (a PDF or XML that came by mail: anybody may have written it) that
        asks to be paid into another account: the account is proposed on the bill, never added to the vendor."""
        from .simulator import sample_invoice

        vendor = self.env["res.partner"].create({
            "name": "Demo Supplier B.V.", "is_company": True, "vat": "NL001234567B01",
            "peppol_eas": "0106", "peppol_endpoint": "55667788",
        })
        self.env["res.partner.bank"].create({"acc_number": "NL91ABNA0417164300", "partner_id": vendor.id})
        xml = sample_invoice("0106:55667788", "0106:12345678", iban="NL20INGB0001234567")
        bills = self.deliver(self.user.email, attachments=[("invoice.xml", xml, "application", "xml")])
        self.assertEqual(len(bills), 1)
        self.assertEqual(bills.partner_id, vendor)
        self.assertNotIn("NL20INGB0001234567", vendor.bank_ids.mapped("sanitized_acc_number"), "never added silently")
        self.assertEqual(bills.econnect_proposed_bank_account, "NL20INGB0001234567")
        self.assertIn("NL20INGB0001234567", bills.econnect_import_issue)
        self.assertEqual(bills.state, "draft")


@tagged("post_install", "-at_install")
class TestSpoofedSenders(EconnectMailAttackMixin, MailCase, TransactionCase):
    """Mallory writes From headers that Odoo's parsing reads as Alice, a trusted user of the company."""

    ATTACKER = "mallory@evil.example"

    def assertRefusedAndAnswered(self, from_header, reply_to):
        bills = self.deliver(from_header)
        self.assertFalse(bills, f"no bill from {from_header!r}")
        self.assertFalse(self.replies_to(self.user.email), "never an answer to the address it pretends to be")
        if reply_to:
            replies = self.replies_to(reply_to)
            self.assertEqual(len(replies), 1, f"the refusal is answered to {reply_to}")
            self.assertIn("From line must name exactly one sender", replies.body_html)
        else:
            self.assertFalse(self._new_mails.filtered(lambda m: "Dear Sender" in (m.body_html or "")))

    def test_address_as_display_name(self):
        self.assertRefusedAndAnswered(f"{self.user.email} <{self.ATTACKER}>", self.ATTACKER)

    def test_quoted_or_encoded_address_as_display_name(self):
        local, domain = self.user.email.split("@")
        for header in (
            f'"{self.user.email}" <{self.ATTACKER}>',
            f"=?utf-8?q?{local}=40{domain}?= <{self.ATTACKER}>",
            f"{local}\uff20{domain} <{self.ATTACKER}>",
            f"Alice ({self.user.email}) <{self.ATTACKER}>",
        ):
            with self.subTest(header=header):
                self.assertRefusedAndAnswered(header, self.ATTACKER)

    def test_two_mailboxes_in_from(self):
        self.assertRefusedAndAnswered(f"{self.user.email}, {self.ATTACKER}", None)
        self.assertRefusedAndAnswered(f"Alice <{self.user.email}>, Mallory <{self.ATTACKER}>", None)

    def test_two_from_headers(self):
        self.assertRefusedAndAnswered([self.user.email, self.ATTACKER], None)

    def test_comment_before_the_address(self):
        self.assertRefusedAndAnswered(f"({self.user.email}) {self.ATTACKER}", self.ATTACKER)
        self.assertRefusedAndAnswered(f"{self.ATTACKER} ({self.user.email})", self.ATTACKER)

    def test_the_real_sender_still_submits(self):
        for header in (self.user.email, f"Alice <{self.user.email}>", f'"Alice, Accounting" <{self.user.email}>',
                       f"{self.user.email} (Alice)", f'"{self.user.email}" <{self.user.email}>'):
            with self.subTest(header=header):
                self.assertEqual(len(self.deliver(header)), 1)


@tagged("post_install", "-at_install")
class TestSubmissionAddressAttacks(JsonRpcMixin, EconnectMailAttackMixin, MailCase, HttpCase):
    """A user of the company, over JSON-RPC as themselves, tries to make Odoo trust an address that is not theirs."""

    VENDOR = "billing@vendor.example"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mallory = cls.make_user("mallory")
        cls.approver = cls.make_user("approver", groups="account.group_account_manager")
        cls.env.flush_all()

    def open_link(self, login, address):
        self.authenticate(login, login)
        self.env.flush_all()
        response = self.url_open(self.verification_link(address))
        self.env.invalidate_all()
        self.assertEqual(response.status_code, 200)
        return response.text

    def test_main_address_changed_in_preferences_is_trusted_only_once_confirmed(self):
        """Mallory types a vendor's address as her own in Preferences: mail from that address was hers at once."""
        _result, error = self.rpc("mallory", "res.users", "write", [self.mallory.id], {"email": self.VENDOR})
        self.assertFalse(error, error)
        self.assertEqual(self.mallory.email, self.VENDOR)
        self.assertFalse(self.deliver(self.VENDOR), "an address typed in Preferences is not trusted")
        replies = self.replies_to(self.VENDOR)
        self.assertEqual(len(replies), 1)
        self.assertIn("not on the e-mail domain of", replies.body_html)
        # confirming it mails the link to the address itself, which Mallory cannot read: still not trusted
        _result, error = self.rpc("mallory", "res.users", "action_econnect_confirm_main_email", [self.mallory.id])
        self.assertFalse(error, error)
        self.assertTrue(self.verification_mails(self.VENDOR))
        self.assertEqual(self.mallory.with_user(self.mallory).econnect_main_email_state, "pending")
        self.assertFalse(self.deliver(self.VENDOR))

    def test_a_confirmed_main_address_on_another_domain_submits(self):
        """The honest user of the same case: the link opened (by the user, logged in), approved, then trusted."""
        self.env.flush_all()
        own = "alice.home@elsewhere.example"
        _result, error = self.rpc("alice", "res.users", "write", [self.user.id], {"email": own})
        self.assertFalse(error, error)
        _result, error = self.rpc("alice", "res.users", "action_econnect_confirm_main_email", [self.user.id])
        self.assertFalse(error, error)
        self.assertIn("approval", self.open_link("alice", own))
        main = self.user._econnect_main_address()
        self.assertEqual((main.is_main, main.state), (True, "to_approve"))
        _result, error = self.rpc("approver", "econnect.user.email", "action_approve", [main.id])
        self.assertFalse(error, error)
        self.assertEqual(len(self.deliver(own)), 1)
        # the address changes again: the confirmation is gone with it
        self.user.email = "alice.other@elsewhere.example"
        self.assertFalse(self.user._econnect_main_address())
        self.assertFalse(self.deliver("alice.other@elsewhere.example"))

    def test_main_address_on_the_company_domain_is_trusted_at_once(self):
        self.assertEqual(len(self.deliver(self.user.email)), 1)
        self.assertEqual(self.user.with_user(self.user).econnect_main_email_state, "company_domain")

    def verified_address(self, login, user, email):
        address = self.env["econnect.user.email"].with_user(user).create({"email": email})
        self.env.flush_all()
        self.open_link(login, email)
        self.assertEqual(address.state, "verified")
        return address

    def test_fields_of_a_verified_address_cannot_be_rewritten(self):
        """Mallory verifies an address of her own, then points its normal form (or user, company, state) elsewhere."""
        address = self.verified_address("mallory", self.mallory, f"mallory.scanner@{COMPANY_DOMAIN}")
        other_company = self.env["res.company"].create({"name": "Other BV"})
        self.env.flush_all()
        for values in (
            {"email_normalized": self.VENDOR},
            {"email": self.VENDOR},
            {"user_id": self.user.id},
            {"company_id": other_company.id},
            {"state": "pending"},
            {"is_main": True},
            {"link_sent_on": False},
        ):
            with self.subTest(values=values):
                _result, error = self.rpc("mallory", "econnect.user.email", "write", [address.id], values)
                self.assertTrue(error, f"{values} was refused")
                command = {"econnect_email_ids": [(1, address.id, values)]}
                _result, error = self.rpc("mallory", "res.users", "write", [self.mallory.id], command)
                self.assertTrue(error, f"{values} through the user was refused")
        self.assertEqual(
            (address.email_normalized, address.user_id, address.company_id, address.state),
            (f"mallory.scanner@{COMPANY_DOMAIN}", self.mallory, self.company, "verified"),
        )
        self.assertFalse(self.deliver(self.VENDOR), "mail from the vendor is not Mallory's submission")
        # nor can a new address be created with another normal form
        _result, error = self.rpc(
            "mallory", "econnect.user.email", "create",
            [{"email": f"mallory.third@{COMPANY_DOMAIN}", "email_normalized": self.VENDOR}],
        )
        self.assertTrue(error)

    def test_verification_mails_are_rate_limited(self):
        """Mallory adds a victim's address and asks for its link again and again (Odoo mails it in its own name)."""
        victim = "victim@elsewhere.example"
        address = self.env["econnect.user.email"].with_user(self.mallory).create({"email": victim})
        self.env.flush_all()
        errors = [self.rpc("mallory", "econnect.user.email", "action_send_verification", [address.id])[1]
                  for _n in range(5)]
        self.assertEqual(len(self.verification_mails(victim)), 1, "one link per address per few minutes")
        self.assertTrue(all(errors))
        self.assertIn("minutes", errors[0]["data"]["message"])
        # minutes later, one more
        self.env.cr.execute("UPDATE econnect_email_link SET sent_at = sent_at - %s", [timedelta(minutes=6)])
        _result, error = self.rpc("mallory", "econnect.user.email", "action_send_verification", [address.id])
        self.assertFalse(error, error)
        self.assertEqual(len(self.verification_mails(victim)), 2)
        # a day's cap for the user, whatever the addresses
        for n in range(20):
            _result, error = self.rpc(
                "mallory", "econnect.user.email", "create", [{"email": f"victim{n}@elsewhere.example"}]
            )
            if error:
                break
        self.assertIn("24", error["data"]["message"])
        sent = self.env["mail.mail"].sudo().search_count([("email_to", "like", "@elsewhere.example")])
        self.assertEqual(sent, 10, "ten links a day for one user")

    def test_the_new_link_button_of_the_verification_page_is_rate_limited_too(self):
        """The same, through the page's "Send a new link" button (a POST anybody logged in can repeat): the page
        says why no link was sent (it was a bare error page), and the victim gets one link per few minutes."""
        victim = "victim@elsewhere.example"
        address = self.env["econnect.user.email"].with_user(self.mallory).create({"email": victim})
        address._econnect_write({"token_expires": fields.Datetime.now() - timedelta(minutes=1)})
        self.env.flush_all()
        page = self.open_link("mallory", victim)
        self.assertIn("Send a new link", page)
        csrf_token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

        def press():
            self.env.flush_all()
            response = self.url_open(f"/econnect/email/verify/{address.id}/resend", data={"csrf_token": csrf_token})
            self.env.invalidate_all()
            self.assertEqual(response.status_code, 200)
            return response.text

        for _n in range(5):
            page = press()
            self.assertIn("No new link yet", page)
            self.assertIn("minutes", page)
        self.assertEqual(len(self.verification_mails(victim)), 1, "one link per address per few minutes")
        self.env.cr.execute("UPDATE econnect_email_link SET sent_at = sent_at - %s", [timedelta(minutes=6)])
        self.assertIn("A new link is on its way", press())
        self.assertEqual(len(self.verification_mails(victim)), 2)
