from odoo import SUPERUSER_ID, api
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged

from .common import ALL_PERMISSIONS, BUYER_PARTY, CLIENT_ID, CLIENT_SECRET, PARTY, PASSWORD, USERNAME
from .simulator import PSBSimulator


@tagged("post_install", "-at_install")
class TestTwoWorkers(TransactionCase):
    """Two transactions (two browser tabs, two workers) send the same invoice: it leaves once.

    Two cursors only see each other's committed data, so this test commits its own records in the main
    company and removes them afterwards.
    """

    def setUp(self):
        super().setUp()
        self.simulator = PSBSimulator()
        self.simulator.start()
        self.addCleanup(self.simulator.stop)
        self.simulator.add_client(CLIENT_ID, CLIENT_SECRET)
        self.simulator.add_user(USERNAME, PASSWORD, parties={PARTY: dict(ALL_PERMISSIONS)})
        self.simulator.add_participant(BUYER_PARTY, name="Buyer BV")
        self.simulator.pause_webhooks()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env["res.company"].create({
                "name": "Two Workers BV", "country_id": env.ref("base.nl").id, "vat": "NL004495445B01",
                "company_registry": "12345678", "street": "Stationsplein 1", "zip": "3511 ED", "city": "Utrecht",
            })
            env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
            env = env(context={"allowed_company_ids": company.ids})
            connection = env["econnect.connection"].create({
                "name": "Two workers", "environment": "custom",
                "api_url": self.simulator.api_url, "identity_url": self.simulator.identity_url,
                "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "username": USERNAME, "password": PASSWORD,
            })
            company.write({"econnect_connection_id": connection.id, "econnect_party_id": PARTY})
            company.partner_id.write({"peppol_eas": "0106", "peppol_endpoint": "12345678"})
            company.sudo().econnect_state = "active"  # activation itself is tested elsewhere
            bank = env["res.partner.bank"].create({
                "acc_number": "NL91ABNA0417164300", "partner_id": company.partner_id.id, "allow_out_payment": True,
            })
            customer = env["res.partner"].create({
                "name": "Buyer BV", "is_company": True, "country_id": env.ref("base.nl").id,
                "street": "Kerkstraat 2", "zip": "1017 GA", "city": "Amsterdam", "vat": "NL123456782B90",
                "peppol_eas": "0106", "peppol_endpoint": "11223344", "ref": "BUYER",
            })
            tax = env["account.tax"].create({"name": "21%", "amount": 21, "company_id": company.id})
            move = env["account.move"].create({
                "move_type": "out_invoice", "partner_id": customer.id, "partner_bank_id": bank.id,
                "company_id": company.id,
                "invoice_line_ids": [(0, 0, {"name": "Work", "price_unit": 100, "tax_ids": [(6, 0, tax.ids)]})],
            })
            move.action_post()
            self.company_id, self.move_id = company.id, move.id
        self.addCleanup(self._remove_committed_records)

    def _remove_committed_records(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"allowed_company_ids": [self.company_id]})
            company = env["res.company"].browse(self.company_id)
            company.sudo().econnect_state = "not_connected"
            company.active = False  # a company with a chart and entries can't be deleted; it stays archived

    def _env(self, cr):
        return api.Environment(cr, SUPERUSER_ID, {"allowed_company_ids": [self.company_id]})

    def test_two_cursors_never_send_twice(self):
        with self.registry.cursor() as cr_a, self.registry.cursor() as cr_b:
            move_a = self._env(cr_a)["account.move"].browse(self.move_id)
            move_b = self._env(cr_b)["account.move"].browse(self.move_id)
            # worker A is sending: it holds the invoice's row lock
            move_a._econnect_lock()
            # worker B tries at the same moment: refused at once, with a message, nothing uploaded
            with self.assertRaisesRegex(UserError, "being sent by another user"):
                move_b.action_econnect_send()
            cr_b.rollback()
            self.assertFalse(self.simulator.requests_to("/salesInvoice/send"))
            # A finishes its send and commits
            documents, problems = move_a._econnect_build_documents()
            self.assertFalse(problems)
            plan = move_a._econnect_claim(documents=documents)
            move_a._econnect_upload(plan)
            cr_a.commit()
            self.assertEqual(move_a.econnect_state, "sent")
            # B tries again: the invoice is sent already, B sends nothing
            move_b.invalidate_recordset()
            with self.assertRaisesRegex(UserError, "sent through eConnect already"):
                move_b.action_econnect_send()
            cr_b.rollback()
        sends = self.simulator.requests_to("/salesInvoice/send", method="POST")
        self.assertEqual(len(sends), 1, "the invoice left exactly once")
