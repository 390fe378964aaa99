import unittest

from odoo.tests import HttpCase, tagged
from odoo.tests.common import _find_executable

from ..demo_parties import VENDORS
from .common import DemoNlMixin


@tagged("post_install", "-at_install")
class TestWalkthrough(DemoNlMixin, HttpCase):
    """The README's walkthrough of the Dutch demo, clicked in a real headless Chromium as admin."""

    def test_vendor_bills_clean_and_one_that_does_not_match(self):
        self.company.econnect_set_receive(True)
        bills = self.vendor_invoices_arrive()
        for vendor in VENDORS:
            bill = bills[vendor["key"]]
            self.assertEqual(len(bill), 1, vendor["name"])
            self.assertEqual(bill.partner_id, self.env.ref(f"econnect_demo_nl.partner_{vendor['key']}"))
            if vendor["matches"]:
                self.assertFalse(bill.econnect_import_issue, f"{vendor['name']}: {bill.econnect_import_issue}")
            else:
                self.assertIn("does not match", bill.econnect_import_issue)

    def test_walkthrough(self):
        try:
            _find_executable()
        except OSError as error:
            raise unittest.SkipTest("SKIPPED: no Chromium for the tour (apt-get install chromium)") from error
        # 1. first login: the prompt; receiving goes on
        self.start_tour("/odoo", "econnect_demo_first_login_tour", login="admin")
        self.assertTrue(self.company.econnect_receive)
        # the demo vendors' e-invoices arrive (run_demo sends them once receiving is on)
        self.vendor_invoices_arrive()
        # 2. Invoicing > Customers > Invoices: Send via eConnect, Sent
        self.start_tour("/odoo/action-account.action_move_out_invoice_type", "econnect_demo_send_tour",
                        login="admin")
        invoice = self.env.ref("econnect_demo_nl.invoice_klant")
        self.assertEqual(invoice.econnect_state, "sent")
        self.assertEqual(self.wait_for_outcome(invoice), "sent")
        # 3. the dashboard's Refresh eConnect statuses: Delivered
        self.start_tour("/odoo/action-account.open_account_journal_dashboard_kanban", "econnect_demo_delivered_tour",
                        login="admin")
        self.assertEqual(invoice.econnect_state, "delivered")
        # 4. Vendors > Bills: the bill that does not match
        self.start_tour("/odoo/action-account.action_move_in_invoice_type", "econnect_demo_received_bill_tour",
                        login="admin")
        # 5. Settings: receiving off and on again
        self.start_tour("/odoo/action-account.action_account_config", "econnect_demo_settings_tour", login="admin")
        self.assertTrue(self.company.econnect_receive)
