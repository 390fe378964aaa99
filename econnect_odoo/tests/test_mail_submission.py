import io
import uuid
from email.message import EmailMessage

from reportlab.pdfgen import canvas

from odoo.tests import TransactionCase, tagged

from odoo.addons.mail.tests.common import MailCase

from .common import EconnectSimulatorMixin
from .users_common import COMPANY_DOMAIN, EconnectUsersMixin

UBL_INVOICE = """<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
         xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
         xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0</cbc:CustomizationID>
  <cbc:ProfileID>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0</cbc:ProfileID>
  <cbc:ID>SUP-2025-042</cbc:ID>
  <cbc:IssueDate>2025-03-01</cbc:IssueDate>
  <cbc:DueDate>2025-03-31</cbc:DueDate>
  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
  <cbc:DocumentCurrencyCode>{currency}</cbc:DocumentCurrencyCode>
  <cac:AccountingSupplierParty>
    <cac:Party>
      <cac:PartyName><cbc:Name>Paper Supplies BV</cbc:Name></cac:PartyName>
      <cac:PartyLegalEntity><cbc:RegistrationName>Paper Supplies BV</cbc:RegistrationName></cac:PartyLegalEntity>
    </cac:Party>
  </cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty>
    <cac:Party>
      <cac:PartyLegalEntity><cbc:RegistrationName>{customer}</cbc:RegistrationName></cac:PartyLegalEntity>
    </cac:Party>
  </cac:AccountingCustomerParty>
  <cac:LegalMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="{currency}">100.00</cbc:LineExtensionAmount>
    <cbc:TaxExclusiveAmount currencyID="{currency}">100.00</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="{currency}">100.00</cbc:TaxInclusiveAmount>
    <cbc:PayableAmount currencyID="{currency}">100.00</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
  <cac:InvoiceLine>
    <cbc:ID>1</cbc:ID>
    <cbc:InvoicedQuantity unitCode="C62">10</cbc:InvoicedQuantity>
    <cbc:LineExtensionAmount currencyID="{currency}">100.00</cbc:LineExtensionAmount>
    <cac:Item><cbc:Name>Printer paper</cbc:Name></cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="{currency}">10.00</cbc:PriceAmount></cac:Price>
  </cac:InvoiceLine>
</Invoice>
"""


def make_pdf(text="Invoice 2025-042"):
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.drawString(72, 720, text)
    pdf.save()
    return buffer.getvalue()


@tagged("post_install", "-at_install")
class TestMailSubmission(EconnectUsersMixin, EconnectSimulatorMixin, MailCase, TransactionCase):
    """Mail to the submission alias of an active company: trusted senders get draft bills, others a reply."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alias_domain = cls.env["mail.alias.domain"].create({"name": "bills.econnect-company.example"})
        cls.company.alias_domain_id = cls.alias_domain
        cls.company.econnect_receive_journal_id = False
        cls.company.action_econnect_activate()
        cls.journal = cls.company.econnect_receive_journal_id
        cls.journal.alias_domain_id = cls.alias_domain
        cls.user = cls.make_user("sofie")
        cls.other_company = cls.env["res.company"].create({"name": "Elsewhere BV"})
        cls.outsider = cls.make_user("otto", company=cls.other_company)
        cls.stranger = "someone@stranger.example"

    def bills(self):
        return self.env["account.move"].search(
            [("journal_id", "=", self.journal.id), ("move_type", "=", "in_invoice")]
        )

    def deliver(self, sender, attachments=None, subject="Invoice 2025-042", in_reply_to=None):
        """Deliver a mail to the alias through Odoo's mail gateway; returns its Message-Id."""
        if attachments is None:
            attachments = [("invoice.pdf", make_pdf(), "application", "pdf")]
        message = EmailMessage()
        message["From"] = sender
        message["To"] = self.journal.alias_email
        message["Subject"] = subject
        message["Message-Id"] = message_id = f"<{uuid.uuid4()}@sender.example>"
        if in_reply_to:
            message["In-Reply-To"] = message["References"] = in_reply_to
        message.set_content("Please find the invoice attached.")
        for name, content, maintype, subtype in attachments:
            message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
        with self.mock_mail_gateway():
            self.env["mail.thread"].message_process(None, message.as_bytes())
        return message_id

    def submit(self, sender, attachments=None, subject="Invoice 2025-042"):
        """Deliver a mail to the alias; returns the bills it created."""
        before = self.bills()
        self.deliver(sender, attachments=attachments, subject=subject)
        return self.bills() - before

    def replies_to(self, address):
        return self._new_mails.filtered(lambda m: address in (m.email_to or ""))

    def add_address(self, email, user=None):
        user = user or self.user
        return self.env["econnect.user.email"].with_user(user).create({"email": email})

    def verify(self, address):
        token = self.verification_link(address.email).rsplit("/", 1)[1]
        return address._econnect_verify(token, address.user_id)

    # ------------------------------------------------------------------------------------------
    # The alias
    # ------------------------------------------------------------------------------------------
    def test_each_active_company_gets_a_submission_alias(self):
        self.assertEqual(self.journal.type, "purchase")
        self.assertTrue(self.journal.alias_email)
        self.assertEqual(self.company.econnect_submission_email, self.journal.alias_email)
        self.assertIn(self.journal.alias_email, self.user.with_user(self.user).econnect_submission_emails)
        self.assertFalse(self.other_company.econnect_submission_email, "not active: no submission address")

    def test_alias_without_name_gets_one_on_activation(self):
        self.company.action_econnect_deactivate()
        self.journal.alias_name = False
        self.company.action_econnect_activate()
        self.assertTrue(self.journal.alias_name)
        self.assertTrue(self.company.econnect_submission_email)

    # ------------------------------------------------------------------------------------------
    # Trusted senders
    # ------------------------------------------------------------------------------------------
    def test_primary_address_pdf_becomes_a_draft_bill(self):
        bills = self.submit(f"Sofie <{self.user.email}>")
        self.assertEqual(len(bills), 1)
        self.assertEqual(bills.state, "draft")
        self.assertEqual(bills.company_id, self.company)
        self.assertEqual(bills.message_main_attachment_id.name, "invoice.pdf")
        notes = bills.message_ids.mapped("body")
        self.assertTrue(any("Submitted by sofie" in (body or "") for body in notes), notes)
        incoming = bills.message_ids.filtered(lambda m: m.message_type == "email")
        self.assertEqual(incoming.author_id, self.user.partner_id)
        self.assertFalse(self.replies_to(self.user.email), "no refusal")

    def test_verified_additional_address(self):
        address = self.add_address(f"sofie.scanner@{COMPANY_DOMAIN}")
        self.assertEqual(self.verify(address), "verified")
        bills = self.submit(address.email)
        self.assertEqual(len(bills), 1)
        note = "".join(bills.message_ids.mapped("body"))
        self.assertIn(f"Submitted by {self.user.name} from sofie.scanner@{COMPANY_DOMAIN}", note)
        incoming = bills.message_ids.filtered(lambda m: m.message_type == "email")
        self.assertEqual(incoming.author_id, self.user.partner_id, "the submitting user is the author")

    def test_ubl_xml_is_imported(self):
        xml = UBL_INVOICE.format(currency=self.company.currency_id.name, customer=self.company.name)
        bills = self.submit(self.user.email, attachments=[("invoice.xml", xml.encode(), "application", "xml")])
        self.assertEqual(len(bills), 1)
        self.assertEqual(bills.ref, "SUP-2025-042")
        self.assertEqual(bills.invoice_line_ids.mapped("name"), ["Printer paper"])
        self.assertEqual(bills.amount_untaxed, 100.0)

    def test_broken_or_hostile_xml_is_kept_not_lost(self):
        """A broken XML, or one with an external entity, from a trusted sender still becomes a draft bill with the
        file attached (nothing is dropped) and nothing of the entity's target is read."""
        broken = b"<Invoice><cbc:ID>unclosed"
        hostile = (
            b'<?xml version="1.0"?><!DOCTYPE Invoice [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
            b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><ID>&secret;</ID></Invoice>'
        )
        for name, content in (("broken.xml", broken), ("hostile.xml", hostile)):
            bills = self.submit(self.user.email, attachments=[(name, content, "application", "xml")])
            self.assertEqual(len(bills), 1, name)
            self.assertEqual(bills.state, "draft")
            self.assertIn(name, bills.attachment_ids.mapped("name"))
            values = bills.read(["ref", "name", "narration", "payment_reference"])[0].values()
            text = " ".join(str(value) for value in values)
            self.assertNotIn("root:", text, "the entity's target was never read")

    def test_two_pdfs_two_bills_both_noted(self):
        bills = self.submit(self.user.email, attachments=[
            ("first.pdf", make_pdf("first"), "application", "pdf"),
            ("second.pdf", make_pdf("second"), "application", "pdf"),
        ])
        self.assertEqual(len(bills), 2)
        for bill in bills:
            self.assertIn("Submitted by sofie", "".join(bill.message_ids.mapped("body")))

    # ------------------------------------------------------------------------------------------
    # Everybody else: nothing created, the sender is told why
    # ------------------------------------------------------------------------------------------
    def test_stranger_is_refused_and_told(self):
        self.assertFalse(self.submit(self.stranger))
        reply = self.replies_to(self.stranger)
        self.assertEqual(len(reply), 1)
        self.assertIn("Only users of", reply.body_html)
        self.assertIn(self.company.name, reply.body_html)
        self.assertIn("Nothing was created", reply.body_html)

    def test_user_of_another_company_is_refused(self):
        self.assertFalse(self.submit(self.outsider.email))
        self.assertIn("Only users of", self.replies_to(self.outsider.email).body_html)

    def test_employee_without_econnect_role_is_refused(self):
        employee = self.make_user("emil", groups="base.group_user")
        self.assertFalse(self.submit(employee.email))
        self.assertTrue(self.replies_to(employee.email))

    def test_unverified_address_is_refused(self):
        address = self.add_address(f"sofie.scanner@{COMPANY_DOMAIN}")
        self.assertFalse(self.submit(address.email))
        self.assertIn("is not verified yet", self.replies_to(address.email).body_html)

    def test_address_awaiting_approval_then_approved(self):
        address = self.add_address("sofie@gmail.example")
        self.assertEqual(self.verify(address), "needs_approval")
        self.assertFalse(self.submit(address.email))
        self.assertIn("waiting for the approval", self.replies_to(address.email).body_html)
        admin = self.econnect_admin()
        address.with_user(admin).action_approve()
        self.assertEqual(len(self.submit(address.email, subject="Invoice again")), 1)

    def test_refused_address(self):
        address = self.add_address("sofie@gmail.example")
        self.verify(address)
        address.with_user(self.econnect_admin()).action_refuse()
        self.assertFalse(self.submit(address.email))
        self.assertIn("did not approve", self.replies_to(address.email).body_html)

    def test_removed_address_is_refused_at_once(self):
        address = self.add_address(f"sofie.scanner@{COMPANY_DOMAIN}")
        self.verify(address)
        email = address.email
        address.with_user(self.user).unlink()
        self.assertFalse(self.submit(email))
        self.assertIn("Only users of", self.replies_to(email).body_html)

    def test_mail_without_document_is_refused(self):
        self.assertFalse(self.submit(self.user.email, attachments=[]))
        self.assertIn("no PDF or XML attachment", self.replies_to(self.user.email).body_html)
        notes = [("notes.txt", b"just text", "text", "plain")]
        self.assertFalse(self.submit(self.user.email, attachments=notes, subject="Notes"))

    def test_replies_to_a_submitted_bill(self):
        """Replies reach the bill only from trusted senders, and do not count as a new submission."""
        bills = self.submit(self.user.email)
        original = bills.message_ids.filtered(lambda m: m.message_type == "email").message_id
        messages, all_bills = bills.message_ids, self.bills()

        self.deliver(self.stranger, attachments=[], subject="Re: Invoice", in_reply_to=original)
        self.assertEqual(bills.message_ids, messages, "nothing from a stranger reaches the bill")
        self.assertIn("Only users of", self.replies_to(self.stranger).body_html)

        self.deliver(self.user.email, attachments=[], subject="Re: Invoice", in_reply_to=original)
        new = bills.message_ids - messages
        self.assertEqual(len(new), 1, "the trusted reply is posted on the bill")
        self.assertNotIn("Submitted by", new.body)
        self.assertEqual(self.bills(), all_bills, "a reply creates no bill")

    def test_other_aliases_are_left_alone(self):
        """Only the eConnect purchase journal of an active company is restricted."""
        self.company.action_econnect_deactivate()
        self.assertEqual(len(self.submit(self.stranger)), 1, "Odoo's standard journal alias again")
