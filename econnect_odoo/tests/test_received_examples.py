"""The official Peppol BIS Billing 3.0 examples, received through eConnect, become bills that equal them."""

import os
import unittest
from decimal import Decimal

from lxml import etree

from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from .common import EconnectReceiveMixin

RULES_DIR = os.environ.get(
    "PEPPOL_RULES_DIR",
    os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "peppol"),
)
EXAMPLES_DIR = os.path.join(RULES_DIR, "examples", "peppol-bis-3", "examples")
NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
# the sellers of the examples, known to the company as vendors (matched on their Peppol address)
SELLERS = (("0088", "7300010000001", "SubscriptionSeller"), ("0088", "9482348239847239874", "SellerCompany"))


def examples():
    if not os.path.isdir(EXAMPLES_DIR):
        return []
    return sorted(name for name in os.listdir(EXAMPLES_DIR) if name.endswith(".xml"))


def document_amounts(xml):
    """(kind, untaxed, tax, total) as the document states them, read independently of the addon."""
    root = etree.fromstring(xml)
    currency = root.findtext("cbc:DocumentCurrencyCode", namespaces=NS)
    untaxed = Decimal(root.findtext("cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount", namespaces=NS))
    total = Decimal(root.findtext("cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount", namespaces=NS))
    tax = next(
        Decimal(node.text) for node in root.findall("cac:TaxTotal/cbc:TaxAmount", namespaces=NS)
        if node.get("currencyID") == currency
    )
    return etree.QName(root).localname, untaxed, tax, total


@tagged("post_install", "-at_install")
class TestReceivedExamples(EconnectReceiveMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for code in ("EUR", "GBP", "SEK"):
            cls.env.ref(f"base.{code}").active = True
        vendors = {}
        for eas, endpoint, name in SELLERS:
            vendors[endpoint] = cls.env["res.partner"].create({
                "name": name, "is_company": True, "peppol_eas": eas, "peppol_endpoint": endpoint,
            })
        # and the bank accounts they are paid into (an account a vendor does not have makes the bill a check)
        for name in examples():
            with open(os.path.join(EXAMPLES_DIR, name), "rb") as handle:
                root = etree.fromstring(handle.read())
            vendor = vendors.get(root.findtext(
                "cac:AccountingSupplierParty/cac:Party/cbc:EndpointID", namespaces=NS
            ))
            for account in root.findall("cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID", namespaces=NS):
                if vendor and account.text not in vendor.bank_ids.mapped("acc_number"):
                    cls.env["res.partner.bank"].create({"acc_number": account.text, "partner_id": vendor.id})
        cls.env.flush_all()

    def setUp(self):
        super().setUp()
        if not examples():
            raise unittest.SkipTest(f"The official Peppol examples are not in {EXAMPLES_DIR} (set PEPPOL_RULES_DIR).")

    def purchase_taxes(self, *rates):
        """Purchase taxes for these VAT rates (the examples use 25 %, 15 % and 0 %)."""
        Tax = self.env["account.tax"]
        for rate in rates:
            domain = [
                *Tax._check_company_domain(self.company), ("type_tax_use", "=", "purchase"),
                ("amount_type", "=", "percent"), ("amount", "=", rate), ("price_include", "=", False),
            ]
            if not Tax.search(domain):
                Tax.create({"name": f"{rate}% purchase (examples)", "amount": rate, "type_tax_use": "purchase"})

    def remove_purchase_taxes(self, rate):
        self.env["account.tax"].search([
            *self.env["account.tax"]._check_company_domain(self.company), ("type_tax_use", "=", "purchase"),
            ("amount", "=", rate),
        ]).active = False

    def read_example(self, name):
        with open(os.path.join(EXAMPLES_DIR, name), "rb") as handle:
            return handle.read()

    def test_every_official_example_becomes_an_equal_bill(self):
        self.purchase_taxes(25, 15, 0)
        received = {}
        for name in examples():
            received[name] = self.receive_document(self.read_example(name))
        stats = self.pull()
        self.assertEqual(stats["bills"], len(received))
        self.assertEqual(stats["failed"], 0)
        for name, document_id in received.items():
            with self.subTest(example=name):
                bill = self.bill_of(document_id)
                self.assertEqual(len(bill), 1)
                kind, untaxed, tax, total = document_amounts(self.read_example(name))
                # a negative invoice (a correction) becomes a refund with positive amounts, as Odoo does it
                sign = -1 if (kind == "CreditNote") != (bill.move_type == "in_refund") else 1
                self.assertEqual(
                    (Decimal(str(bill.amount_untaxed)), Decimal(str(bill.amount_tax)),
                     Decimal(str(bill.amount_total))),
                    (untaxed * sign, tax * sign, total * sign),
                )
                self.assertFalse(bill.econnect_import_issue, bill.econnect_import_issue)
                self.assertTrue(bill.partner_id)
                self.assertEqual(bill.journal_id, self.receive_journal)

    def test_a_missing_rate_is_flagged_with_both_figures_and_not_posted(self):
        self.purchase_taxes(15, 0)
        self.remove_purchase_taxes(25)
        self.company.autopost_bills = True
        for partner in self.env["res.partner"].search([("peppol_endpoint", "=", "9482348239847239874")]):
            partner.autopost_bills = "always"  # would be posted at once, if it matched
        document_id = self.receive_document(self.read_example("base-example.xml"))
        self.pull()
        bill = self.bill_of(document_id)
        self.assertEqual(bill.state, "draft", "a bill that does not match is never posted automatically")
        issue = bill.econnect_import_issue
        self.assertTrue(issue)
        # both figures: the bill's (VAT dropped) and the document's
        self.assertIn("1,325.00", issue)
        self.assertIn("331.25", issue)
        self.assertIn("1,656.25", issue)
        self.assertIn("0.00", issue)
        self.assertIn("25%", issue, "the missing rate is named")
        responsible = self.receive_journal._econnect_bill_responsible()
        activity = bill.activity_ids.filtered(lambda a: a.user_id == responsible)
        self.assertTrue(activity)
        self.assertIn("331.25", str(activity.note))
        with self.assertRaises(UserError):
            bill.action_post()
