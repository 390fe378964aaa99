"""Two users (two browser tabs, two workers) answer the same received bill at the same moment: the answer reaches
eConnect once. The later transaction fails to serialize on the bill's row before any call, and Odoo's retry of it
then sees the first answer."""

from psycopg2.errors import SerializationFailure

from odoo import SUPERUSER_ID, api, fields
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from .common import ALL_PERMISSIONS, CLIENT_ID, CLIENT_SECRET, PARTY, PASSWORD, USERNAME
from .simulator import PSBSimulator, sample_invoice

SELLER = "0106:55667788"


@tagged("post_install", "-at_install")
class TestTwoAnswersAtOnce(TransactionCase):
    """Two cursors only see each other's committed data, so this test commits its own records in a company of its
    own and archives that company afterwards."""

    def setUp(self):
        super().setUp()
        self.simulator = PSBSimulator()
        self.simulator.start()
        self.addCleanup(self.simulator.stop)
        self.simulator.add_client(CLIENT_ID, CLIENT_SECRET)
        self.simulator.add_user(USERNAME, PASSWORD, parties={PARTY: dict(ALL_PERMISSIONS)})
        self.simulator.add_participant(SELLER, name="Seller BV")
        self.simulator.pause_webhooks()
        document_id = self.simulator.inject_incoming(
            PARTY, sample_invoice(SELLER, PARTY, number="RACE-1"), sender_id=SELLER
        )
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env["res.company"].create({
                "name": f"Two Answers BV ({self._testMethodName})", "country_id": env.ref("base.nl").id,
                "company_registry": "12345678",
            })
            env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
            env = env(context={"allowed_company_ids": company.ids})
            connection = env["econnect.connection"].create({
                "name": "Two answers", "environment": "custom",
                "api_url": self.simulator.api_url, "identity_url": self.simulator.identity_url,
                "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "username": USERNAME, "password": PASSWORD,
            })
            company.write({
                "econnect_connection_id": connection.id, "econnect_party_id": PARTY,
                # the automatic answers are not under test here
                "econnect_respond_ab": False, "econnect_respond_ap": False,
            })
            company.sudo().econnect_state = "active"  # activation itself is tested elsewhere
            vendor = env["res.partner"].create({
                "name": "Seller BV", "is_company": True, "peppol_eas": "0106", "peppol_endpoint": "55667788",
            })
            bill = env["account.move"].create({
                "move_type": "in_invoice", "partner_id": vendor.id, "company_id": company.id,
                "invoice_date": fields.Date.today(),
                "invoice_line_ids": [fields.Command.create({"name": "Goods", "quantity": 1, "price_unit": 100})],
                "econnect_received_document_id": document_id,
                "econnect_received_sender": "NL:KVK:55667788",
            })
            self.company_id, self.bill_id = company.id, bill.id
        self.addCleanup(self._remove_committed_records)

    def _remove_committed_records(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"allowed_company_ids": [self.company_id]})
            company = env["res.company"].browse(self.company_id)
            company.sudo().econnect_state = "not_connected"
            # the connection's keys go (they are encrypted under this run's master key, which other tests change)
            company.sudo().econnect_connection_id.unlink()
            company.active = False  # a company with a chart and entries can't be deleted; it stays archived

    def _bill(self, cr):
        env = api.Environment(cr, SUPERUSER_ID, {"allowed_company_ids": [self.company_id]})
        return env["account.move"].browse(self.bill_id)

    def posts(self):
        return [r for r in self.simulator.requests if r.method == "POST" and r.path.endswith("/response")]

    def test_two_accepts_at_once_reach_econnect_once(self):
        with self.registry.cursor() as cr_a, self.registry.cursor() as cr_b:
            bill_a, bill_b = self._bill(cr_a), self._bill(cr_b)
            # B has the bill open and sees no answer yet (its transaction's view is taken)
            self.assertTrue(bill_b.econnect_can_answer)
            # A accepts, and its answer is committed
            bill_a.action_econnect_accept()
            cr_a.commit()
            self.assertEqual(len(self.posts()), 1)
            # B accepts at the same moment, on its older view: it fails before any call
            with mute_logger("odoo.sql_db"), self.assertRaises(SerializationFailure):
                bill_b.action_econnect_accept()
            cr_b.rollback()
            self.assertEqual(len(self.posts()), 1, "nothing sent by B")
            # Odoo retries B's request: it sees A's answer now
            bill_b.invalidate_recordset()
            bill_b.econnect_response_ids.invalidate_recordset()
            with self.assertRaisesRegex(UserError, "answered through eConnect already"):
                bill_b.action_econnect_accept()
            cr_b.rollback()
        self.assertEqual(len(self.posts()), 1, "the answer left exactly once")
        self.assertEqual(len(self.simulator.invoice_responses), 1)

    def test_reject_racing_an_accept_is_not_sent_after_it(self):
        """A rejection is final and an acceptance is given once: answers of different codes given at the same
        moment are decided one after the other too."""
        with self.registry.cursor() as cr_a, self.registry.cursor() as cr_b:
            bill_a, bill_b = self._bill(cr_a), self._bill(cr_b)
            self.assertTrue(bill_b.econnect_can_answer)
            bill_a._econnect_answer_now("RE", reasons=[("PRI", "Price differs")])
            cr_a.commit()
            with mute_logger("odoo.sql_db"), self.assertRaises(SerializationFailure):
                bill_b.action_econnect_accept()
            cr_b.rollback()
            bill_b.invalidate_recordset()
            bill_b.econnect_response_ids.invalidate_recordset()
            with self.assertRaisesRegex(UserError, "rejection is final"):
                bill_b.action_econnect_accept()
            cr_b.rollback()
        self.assertEqual([p.json()["status"] for p in self.posts()], ["RE"])
