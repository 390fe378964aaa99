from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged

from ..demo_parties import COMPANY, CUSTOMERS, VENDORS
from .common import DemoNlMixin


@tagged("post_install", "-at_install")
class TestDemoData(DemoNlMixin, TransactionCase):
    """The Dutch demo is what the README says, and everything in it can be sent."""

    def test_company(self):
        company = self.company
        self.assertEqual(company.chart_template, "nl")
        self.assertEqual(company.currency_id, self.env.ref("base.EUR"))
        self.assertEqual((company.company_registry, company.vat), (COMPANY["company_registry"], COMPANY["vat"]))
        self.assertEqual(company.econnect_party_id, COMPANY["party"])
        self.assertEqual(company.econnect_state, "active")
        self.assertIn(COMPANY["iban"], company.partner_id.bank_ids.mapped("sanitized_acc_number"))
        rates = set(self.env["account.tax"].search(
            [("company_id", "=", company.id), ("type_tax_use", "=", "sale"), ("amount_type", "=", "percent")]
        ).mapped("amount"))
        self.assertTrue({21.0, 9.0, 0.0} <= rates)
        admin = self.env.ref("base.user_admin")
        self.assertEqual(admin.company_id, company, "admin logs in to the Dutch company")

    def test_customers_and_vendors(self):
        for data in CUSTOMERS + VENDORS:
            partner = self.env.ref(f"econnect_demo_nl.partner_{data['key']}")
            self.assertEqual(f"{partner.peppol_eas}:{partner.peppol_endpoint}", data["peppol"])
        schemes = sorted(data["peppol"].split(":")[0] for data in CUSTOMERS)
        self.assertEqual(schemes, ["0106", "0106", "0190", "0208"])
        for data in CUSTOMERS:
            partner = self.env.ref(f"econnect_demo_nl.partner_{data['key']}").with_company(self.company)
            self.assertEqual(partner.invoice_sending_method, "econnect")

    def test_posted_invoices_and_credit_note_are_sent_and_delivered(self):
        moves = self.env["account.move"].browse([
            self.env.ref(f"econnect_demo_nl.invoice_{data['key']}").id for data in CUSTOMERS
        ] + [self.env.ref("econnect_demo_nl.credit_note_klant").id])
        self.assertEqual(set(moves.mapped("state")), {"posted"})
        self.assertEqual(moves[-1].move_type, "out_refund")
        moves.action_econnect_send()
        self.assertEqual(set(moves.mapped("econnect_state")), {"sent"}, moves.mapped("econnect_message"))
        for move in moves:
            self.assertEqual(self.wait_for_outcome(move), "sent", move.display_name)

    def test_new_invoice_for_each_customer_with_any_saleable_product(self):
        """A newcomer's own invoice: any demo customer, every saleable demo product, sent at once."""
        products = self.env["product.product"].search(
            [("sale_ok", "=", True), ("company_id", "in", (False, self.company.id))]
        )
        self.assertGreater(len(products), 10)
        bank = self.company.partner_id.bank_ids[:1]
        moves = self.env["account.move"]
        for data in CUSTOMERS:
            move = self.env["account.move"].create({
                "move_type": "out_invoice",
                "partner_id": self.env.ref(f"econnect_demo_nl.partner_{data['key']}").id,
                "ref": data.get("order_reference") or False,
                "invoice_line_ids": [(0, 0, {"product_id": product.id, "quantity": 1, "price_unit": 10.0})
                                     for product in products],
            })
            self.assertEqual(move.partner_bank_id, bank, "the company's bank account is proposed")
            self.assertTrue(all(line.tax_ids for line in move.invoice_line_ids), "every product has a tax")
            move.action_post()
            moves |= move
        moves.action_econnect_send()
        self.assertEqual(set(moves.mapped("econnect_state")), {"sent"}, moves.mapped("econnect_message"))

    def test_government_invoice_needs_the_order_reference(self):
        gemeente = self.env.ref("econnect_demo_nl.partner_gemeente")
        move = self.env["account.move"].create({
            "move_type": "out_invoice", "partner_id": gemeente.id,
            "invoice_line_ids": [(0, 0, {"product_id": self.env.ref("product.product_product_4").id})],
        })
        move.action_post()
        with self.assertRaisesRegex(UserError, "purchase order number"):
            move.action_econnect_send()
        self.assertEqual(move.econnect_state, "not_sent")

    def test_batch_reports_the_invoice_without_order_number_on_purpose(self):
        without = self.env.ref("econnect_demo_nl.invoice_gemeente_without_order_reference")
        batch = without | self.env.ref("econnect_demo_nl.invoice_groothandel")
        action = batch.action_econnect_send()
        self.assertEqual(action["res_model"], "econnect.send.report")
        report = self.env["econnect.send.report"].browse(action["res_id"])
        self.assertIn("purchase order number", " ".join(report.line_ids.mapped("problems")))
        self.assertEqual(set(batch.mapped("econnect_state")), {"not_sent"}, "nothing leaves before the report")
