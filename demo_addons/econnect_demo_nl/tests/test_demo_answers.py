from odoo.tests import HttpCase, tagged

from .common import DemoNlMixin


@tagged("post_install", "-at_install")
class TestDemoAnswers(DemoNlMixin, HttpCase):
    """What the README's walkthrough says about answers: the demo customers answer the invoices delivered to them
    (acknowledged, accepted, rejected with a reason, in turn), and the vendors are answered automatically."""

    def test_demo_customers_answer_delivered_invoices(self):
        self.simulator.demo_answer_delay = 0.05
        invoices = self.env["account.move"].browse([
            self.env.ref(f"econnect_demo_nl.invoice_{key}").id for key in ("klant", "groothandel", "client_be")
        ])
        for invoice in invoices:  # one by one: the customers answer in the order of delivery
            invoice.action_econnect_send()
            self.assertEqual(self.wait_for_outcome(invoice), "sent")
        self.wait_for_webhooks(3, "InvoiceResponseReceived")
        self.env["econnect.event"].sudo()._econnect_pull()
        self.env.invalidate_all()
        self.assertEqual(invoices.mapped("econnect_response_status"), ["AB", "AP", "RE"])
        rejected = invoices[2]
        self.assertIn("Prices incorrect", rejected.econnect_response_detail)
        self.assertIn("Issue a new invoice", rejected.econnect_response_detail)
        self.assertTrue(rejected.activity_ids, "the salesperson is asked to act on the rejection")
        for invoice in invoices:
            self.assertEqual(len(invoice.econnect_response_ids), 1)
            self.assertTrue(any("[Demo]" in (m.body or "") for m in invoice.message_ids), "marked as demo")

    def test_vendors_are_acknowledged_and_accepted(self):
        self.company.econnect_set_receive(True)
        bills = self.vendor_invoices_arrive()
        self.env["econnect.invoice.response"]._cron_econnect_send_responses()
        self.env.invalidate_all()
        for bill in bills.values():
            [ack] = bill.econnect_response_ids
            self.assertEqual((ack.status, ack.state, ack.automatic), ("AB", "sent", True))
        clean = next(bill for bill in bills.values() if not bill.econnect_import_issue)
        clean.action_post()
        self.env["econnect.invoice.response"]._cron_econnect_send_responses()
        self.env.invalidate_all()
        self.assertEqual(sorted(clean.econnect_response_ids.mapped("status")), ["AB", "AP"])
        self.assertEqual(set(clean.econnect_response_ids.mapped("state")), {"sent"})
        answered = {r.id for r in self.simulator.invoice_responses}
        self.assertTrue(set(clean.econnect_response_ids.mapped("document_id")) <= answered)
