"""Supplier impersonation ("changed bank details" fraud), performed for real: a Peppol participant sends, through the
simulator's signed webhook and the pull, an e-invoice that names an existing vendor and brings its own bank account."""

from odoo.tests import HttpCase, new_test_user, tagged

from .common import PARTY, EconnectReceiveMixin
from .simulator import sample_invoice
from .test_attack_company import JsonRpcMixin

VENDOR_PARTY = "0106:55667788"
IMPOSTOR_PARTY = "0106:99887766"
VENDOR_IBAN = "NL91ABNA0417164300"
IMPOSTOR_IBAN = "NL20INGB0001234567"


@tagged("post_install", "-at_install")
class TestSupplierImpersonation(JsonRpcMixin, EconnectReceiveMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.ref("base.EUR").active = True
        if not cls.env["account.tax"].search([
            ("company_id", "=", cls.company.id), ("type_tax_use", "=", "purchase"), ("amount", "=", 21),
            ("amount_type", "=", "percent"), ("price_include", "=", False),
        ]):
            cls.env["account.tax"].create({"name": "21% purchase", "amount": 21, "type_tax_use": "purchase"})
        cls.company.autopost_bills = True
        # the vendor as the company knows it: its Peppol id, its VAT number (what the sample invoice writes) and the
        # bank account it is paid into; its bills are posted automatically when they match
        cls.vendor = cls.env["res.partner"].create({
            "name": "Demo Supplier B.V.", "is_company": True, "vat": "NL001234567B01",
            "peppol_eas": "0106", "peppol_endpoint": "55667788", "autopost_bills": "always",
        })
        cls.vendor_bank = cls.env["res.partner.bank"].create({"acc_number": VENDOR_IBAN, "partner_id": cls.vendor.id})
        # an accountant who may edit contacts (vendor data: Peppol id, bank accounts)
        cls.checker = new_test_user(
            cls.env, login="bill_checker_sup",
            groups="base.group_user,base.group_partner_manager,account.group_account_manager",
            company_id=cls.company.id, company_ids=[(6, 0, cls.company.ids)],
        )
        cls.receive_journal.econnect_responsible_id = cls.checker
        cls.env.flush_all()

    def receive(self, seller_in_document, peppol_sender, iban, number="INV-777"):
        xml = sample_invoice(seller_in_document, PARTY, number=number, amount="100.00", vat_percent="21", iban=iban)
        document_id = self.receive_document(xml, sender_id=peppol_sender)
        self.pull()
        return self.bill_of(document_id)

    def assertHeldForAPerson(self, bill, *fragments):
        self.assertEqual(bill.state, "draft", "never posted automatically")
        for fragment in fragments:
            self.assertIn(fragment, bill.econnect_import_issue)
        self.assertIn(self.checker, bill.activity_ids.user_id)

    def test_impostor_naming_a_vendor_with_its_own_iban_is_held(self):
        """A stranger's Peppol id sends an e-invoice that says it is Demo Supplier (its Peppol id in the document,
        its VAT number) and asks to be paid into the stranger's account."""
        bill = self.receive(VENDOR_PARTY, IMPOSTOR_PARTY, IMPOSTOR_IBAN)
        self.assertEqual(bill.partner_id, self.vendor, "Odoo's importer matched the vendor the document names")
        self.assertNotIn(IMPOSTOR_IBAN, self.vendor.bank_ids.mapped("sanitized_acc_number"), "no account added")
        self.assertHeldForAPerson(bill, IMPOSTOR_PARTY, "0106:55667788", IMPOSTOR_IBAN)
        self.assertEqual(bill.partner_bank_id, self.vendor_bank, "the bill keeps the vendor's known account")
        self.assertEqual(bill.econnect_proposed_bank_account, IMPOSTOR_IBAN)

    def test_impostor_naming_a_vendor_by_vat_only(self):
        bill = self.receive(IMPOSTOR_PARTY, IMPOSTOR_PARTY, IMPOSTOR_IBAN)
        self.assertEqual(bill.partner_id, self.vendor, "matched by the VAT number written in the document")
        self.assertHeldForAPerson(bill, IMPOSTOR_PARTY, IMPOSTOR_IBAN)
        self.assertNotIn(IMPOSTOR_IBAN, self.vendor.bank_ids.mapped("sanitized_acc_number"))

    def test_the_real_vendor_with_its_known_account_is_posted(self):
        bill = self.receive(VENDOR_PARTY, VENDOR_PARTY, VENDOR_IBAN)
        self.assertFalse(bill.econnect_import_issue)
        self.assertEqual(bill.state, "posted")

    def test_a_new_account_of_the_real_vendor_is_proposed_and_added_by_a_person(self):
        bill = self.receive(VENDOR_PARTY, VENDOR_PARTY, IMPOSTOR_IBAN)
        self.assertHeldForAPerson(bill, IMPOSTOR_IBAN)
        self.assertNotIn(IMPOSTOR_IBAN, self.vendor.bank_ids.mapped("sanitized_acc_number"))
        # the checker confirmed it by phone and adds it (over JSON-RPC, as the web client's button does)
        _result, error = self.rpc("bill_checker_sup", "account.move", "action_econnect_add_proposed_bank", [bill.id])
        self.assertFalse(error, error)
        self.assertIn(IMPOSTOR_IBAN, self.vendor.bank_ids.mapped("sanitized_acc_number"))
        self.assertEqual(bill.partner_bank_id.sanitized_acc_number, IMPOSTOR_IBAN)
        self.assertFalse(bill.econnect_proposed_bank_account)
        _result, error = self.rpc("bill_checker_sup", "account.move", "action_econnect_check_again", [bill.id])
        self.assertFalse(error, error)
        self.assertFalse(bill.econnect_import_issue)

    def test_posting_a_flagged_bill_is_refused(self):
        bill = self.receive(VENDOR_PARTY, IMPOSTOR_PARTY, IMPOSTOR_IBAN)
        _result, error = self.rpc("bill_checker_sup", "account.move", "action_post", [bill.id])
        self.assertRefused(error, kind="odoo.exceptions.UserError")
        self.assertEqual(bill.state, "draft")

    def test_vendor_without_peppol_id_is_flagged_and_the_check_stores_it(self):
        self.vendor.write({"peppol_eas": False, "peppol_endpoint": False})
        bill = self.receive(VENDOR_PARTY, VENDOR_PARTY, VENDOR_IBAN)
        self.assertHeldForAPerson(bill, "no Peppol id")
        _result, error = self.rpc(
            "bill_checker_sup", "account.move", "action_econnect_dismiss_import_issue", [bill.id]
        )
        self.assertFalse(error, error)
        self.assertEqual((self.vendor.peppol_eas, self.vendor.peppol_endpoint), ("0106", "55667788"))
        # from now on the vendor's e-invoices are checked against it
        self.assertEqual(self.receive(VENDOR_PARTY, VENDOR_PARTY, VENDOR_IBAN, number="INV-778").state, "posted")
        self.assertHeldForAPerson(self.receive(VENDOR_PARTY, IMPOSTOR_PARTY, VENDOR_IBAN, number="INV-779"))

    def test_check_again_stores_the_peppol_id_only_when_the_bill_then_passes(self):
        self.vendor.write({"peppol_eas": False, "peppol_endpoint": False})
        bill = self.receive(VENDOR_PARTY, VENDOR_PARTY, IMPOSTOR_IBAN)
        _result, error = self.rpc("bill_checker_sup", "account.move", "action_econnect_check_again", [bill.id])
        self.assertRefused(error, kind="odoo.exceptions.UserError", words=IMPOSTOR_IBAN)
        self.assertFalse(self.vendor.peppol_endpoint, "a refused check changes nothing")
        bill.sudo().econnect_proposed_bank_account = False  # (say the checker removed the odd account)
        self.env.flush_all()
        _result, error = self.rpc("bill_checker_sup", "account.move", "action_econnect_check_again", [bill.id])
        self.assertFalse(error, error)
        self.assertEqual(self.vendor.peppol_endpoint, "55667788")
