import contextlib
import unittest

from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from .common import EconnectSendMixin
from .peppol_validator import format_failures, validate_batch


@tagged("post_install", "-at_install", "econnect_coexistence")
class TestPeppolCoexistence(EconnectSendMixin, AccountTestInvoicingCommon):
    """With Odoo's own ``account_peppol`` installed too, an invoice leaves through one access point only.

    The test command runs this class in a database where ``account_peppol`` is installed as well.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if "peppol" not in dict(cls.env["res.partner"]._fields["invoice_sending_method"].selection):
            raise unittest.SkipTest("account_peppol is not installed in this database")

    def _send_with_wizard(self, move):
        wizard = self.env["account.move.send.wizard"].with_context(
            active_model="account.move", active_ids=move.ids
        ).create({})
        wizard.action_send_and_print()

    def test_both_sending_methods_are_offered(self):
        methods = dict(self.env["res.partner"]._fields["invoice_sending_method"].selection)
        self.assertIn("econnect", methods)
        self.assertIn("peppol", methods)

    def test_econnect_partner_goes_through_econnect_only(self):
        self.customer.with_company(self.company).invoice_sending_method = "econnect"
        move = self.econnect_invoice()
        self._send_with_wizard(move)
        self.assertEqual(move.econnect_state, "sent")
        self.assertNotIn(move.peppol_move_state, ("to_send", "processing", "done"))
        self.assertFalse(move.peppol_message_uuid)
        self.assertEqual(len(self.requests_to("/salesInvoice/send", method="POST")), 1)

    def test_peppol_partner_never_goes_through_econnect(self):
        self.customer.with_company(self.company).invoice_sending_method = "peppol"
        move = self.econnect_invoice()
        # Odoo's own Peppol flow may refuse (this company is not registered with Odoo's access point):
        # whatever it does, our access point is not asked
        with contextlib.suppress(UserError):
            self._send_with_wizard(move)
        self.assertEqual(move.econnect_state, "not_sent")
        self.assertFalse(self.requests_to("/salesInvoice/send"))

    def test_account_peppol_documents_pass_the_official_rules_with_our_fixes(self):
        """Our fixes to Odoo's BIS 3 builder apply to every document it makes (a deliberate choice, see the README):
        what Odoo's own Peppol sends for a company that does not use eConnect (and what e-mail attaches), invoice
        and credit note, still passes the official rules (XSD + CEN EN 16931 + Peppol BIS 3.0.21)."""
        self.company.econnect_state = "not_connected"  # Odoo's own access point, not ours
        self.customer.with_company(self.company).write({
            "invoice_sending_method": "peppol", "invoice_edi_format": "ubl_bis3",
        })
        invoice = self.econnect_invoice()
        credit_note = invoice._reverse_moves([{"ref": f"Credit of {invoice.name}"}])
        credit_note.action_post()
        documents = {}
        for move in invoice | credit_note:
            # the builder account_peppol (and Send & Print's e-mail attachment) takes: the partner's format's
            builder = move.commercial_partner_id.with_company(move.company_id)._get_edi_builder("ubl_bis3")
            self.assertEqual(builder._name, "account.edi.xml.ubl_bis3")
            self.assertTrue(builder._econnect_fixes_apply(), "the fixes are global for this builder")
            xml, errors = builder._export_invoice(move)
            self.assertFalse(errors, move.name)
            documents[move.name] = xml
        results = validate_batch(documents)
        self.assertEqual(len(results), 2)
        invalid = [result for result in results if not result["valid"]]
        self.assertFalse(invalid, "account_peppol's documents break the official rules:\n" + format_failures(invalid))
