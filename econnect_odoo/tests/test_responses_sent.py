"""Our answers to e-invoices received through eConnect: Accept, Reject (with reasons), Under query and Paid, by hand
and automatically after the company's settings; each reaches eConnect exactly once, with codes and its own document
id, also when eConnect is down mid-send or the worker dies after the call."""

import time
import unittest
from collections import deque
from datetime import timedelta
from unittest.mock import patch

from lxml import etree

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException, _find_executable
from odoo.tools import mute_logger

from ..models.econnect_invoice_response import LEASE
from ..tools.budget import Budget
from .common import PARTY, EconnectReceiveMixin
from .simulator import sample_invoice

SELLER = "0106:55667788"
SELLER_LETTER = "NL:KVK:55667788"


@tagged("post_install", "-at_install")
class TestAnswersSent(EconnectReceiveMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.simulator.add_participant(SELLER, name="Seller BV")
        cls.vendor = cls.env["res.partner"].create({
            "name": "Seller BV", "is_company": True, "peppol_eas": "0106", "peppol_endpoint": "55667788",
        })
        cls.accountant = cls.econnect_user(login="answering_accountant")
        cls.env.ref("base.EUR").active = True
        cls.env.flush_all()

    def setUp(self):
        super().setUp()
        self.Response = self.env["econnect.invoice.response"].sudo()

    # -- helpers -------------------------------------------------------------------------------
    def received_bill(self, number="IN-1", post=False):
        """A bill as the pull makes it: the document waits in our inbox at the simulator."""
        document_id = self.simulator.inject_incoming(
            PARTY, sample_invoice(SELLER, PARTY, number=number), sender_id=SELLER
        )
        bill = self.env["account.move"].create({
            "move_type": "in_invoice",
            "journal_id": self.receive_journal.id,
            "partner_id": self.vendor.id,
            "invoice_date": fields.Date.today(),
            "invoice_line_ids": [fields.Command.create({"name": "Goods", "quantity": 1, "price_unit": 100})],
            "econnect_received_document_id": document_id,
            "econnect_received_sender": SELLER_LETTER,
        })
        if post:
            self.company.econnect_respond_ap = False  # posting here is set-up, not the answer under test
            bill.action_post()
            self.company.econnect_respond_ap = True
        self.env.flush_all()
        self.simulator.clear_log()
        return bill

    def posts(self):
        return [r for r in self.simulator.requests if r.method == "POST" and r.path.endswith("/response")]

    def at_econnect(self, bill):
        """The answers eConnect (the simulator, shared by the tests of this class) holds for ``bill``, by id."""
        return [r.id for r in self.simulator.invoice_responses if r.document_id == bill.econnect_received_document_id]

    def answers(self, bill):
        return self.Response.search([("move_id", "=", bill.id), ("direction", "=", "out")], order="id")

    def run_cron(self):
        self.env.flush_all()
        self.env["econnect.invoice.response"]._cron_econnect_send_responses()
        self.env.invalidate_all()

    def make_due(self, answer):
        """Time passes: the answer's wait (or lease) is over."""
        answer.next_attempt = fields.Datetime.now() - timedelta(seconds=1)
        self.env.flush_all()

    def assertOneCall(self, answer, body):
        """eConnect received exactly one call for ``answer``: with codes, and the answer's own document id."""
        posts = [p for p in self.posts() if p.document_id == answer.document_id]
        self.assertEqual(len(posts), 1, "one call for this answer")
        self.assertEqual(posts[0].json(), body)
        bill = answer.move_id
        self.assertEqual(self.at_econnect(bill).count(answer.document_id), 1, "eConnect has it exactly once")
        self.assertIn(f"/purchaseInvoice/{bill.econnect_received_document_id}/response", posts[-1].path)

    # -- by hand -------------------------------------------------------------------------------
    def test_accept_is_one_call_with_the_code_and_its_document_id(self):
        bill = self.received_bill()
        result = bill.with_user(self.accountant).action_econnect_accept()
        self.assertEqual(result["params"]["type"], "success")
        [answer] = self.answers(bill)
        self.assertEqual((answer.status, answer.state, answer.user_id), ("AP", "sent", self.accountant))
        [post] = self.posts()
        self.assertEqual(post.json(), {"status": "AP"})
        self.assertEqual(post.document_id, answer.document_id)
        self.assertEqual(post.headers.get("X-EConnect-DocumentId"), answer.document_id)
        self.assertEqual(self.at_econnect(bill), [answer.document_id])
        note = bill.message_ids.filtered(lambda m: "Answered through eConnect" in (m.body or ""))
        self.assertTrue(note)
        self.assertIn("Accepted", note.body)
        self.assertIn(self.accountant.name, note.body)
        self.assertIn("Received by eConnect", note.body)
        with self.assertRaisesRegex(UserError, "answered through eConnect already"):
            bill.with_user(self.accountant).action_econnect_accept()
        self.assertEqual(len(self.posts()), 1)

    def test_paid_needs_a_posted_bill_and_is_one_call(self):
        draft = self.received_bill("IN-D")
        with self.assertRaisesRegex(UserError, "posted bill"):
            draft.with_user(self.accountant).action_econnect_paid()
        bill = self.received_bill("IN-P", post=True)
        bill.with_user(self.accountant).action_econnect_paid()
        [answer] = self.answers(bill)
        self.assertEqual((answer.status, answer.state), ("PD", "sent"))
        [post] = self.posts()
        self.assertEqual((post.json(), post.document_id), ({"status": "PD"}, answer.document_id))

    def test_reject_needs_a_reason_then_is_one_call_with_codes(self):
        bill = self.received_bill()
        action = bill.with_user(self.accountant).action_econnect_reject()
        self.assertEqual(action["res_model"], "econnect.response.wizard")
        Wizard = self.env["econnect.response.wizard"].with_user(self.accountant).with_context(**action["context"])
        empty = Wizard.create({})
        self.assertEqual(empty.status, "RE")
        with self.assertRaisesRegex(UserError, "at least one reason"):
            empty.action_send()
        self.assertFalse(self.posts(), "nothing left without a reason")
        self.assertFalse(self.answers(bill))
        wizard = Wizard.create({
            "reason_ids": [
                fields.Command.create({"code": "PRI", "text": "The unit price differs from PO-12"}),
                fields.Command.create({"code": "REF"}),
            ],
            "action_code": "NIN",
            "action_text": "Send a corrected invoice",
            "note": "Call us",
        })
        wizard.action_send()
        [answer] = self.answers(bill)
        self.assertEqual((answer.status, answer.state), ("RE", "sent"))
        [post] = self.posts()
        self.assertEqual(post.json(), {
            "status": "RE",
            "reasons": {"PRI": "The unit price differs from PO-12", "REF": ""},
            "actions": {"NIN": "Send a corrected invoice"},
            "note": "Call us",
        })
        self.assertEqual(post.document_id, answer.document_id)
        self.assertIn("Prices incorrect: The unit price differs from PO-12", answer.summary)
        self.assertIn("Asked: Issue a new invoice: Send a corrected invoice", answer.summary)
        note = bill.message_ids.filtered(lambda m: "Answered through eConnect" in (m.body or ""))
        self.assertIn("Rejected", note.body)
        self.assertIn("Prices incorrect", note.body)
        self.assertFalse(bill.econnect_can_answer, "a rejection is final")
        with self.assertRaisesRegex(UserError, "rejection is final"):
            bill.with_user(self.accountant).action_econnect_accept()

    def test_tour_reject_from_the_bill_with_a_reason(self):
        """In a real headless Chromium: the buttons on the bill, the wizard's required reason in words, the chatter."""
        try:
            _find_executable()
        except OSError as error:
            raise unittest.SkipTest("SKIPPED: no Chromium for the tour (apt-get install chromium)") from error
        bill = self.received_bill("IN-TOUR")
        with mute_logger("odoo.http"):  # the refusal without a reason, shown to the user, is logged by Odoo too
            self.start_tour(
                f"/odoo/action-account.action_move_in_invoice_type/{bill.id}", "econnect_answer_bill_tour",
                login=self.accountant.login,
            )
        [answer] = self.answers(bill)
        self.assertEqual((answer.status, answer.state, answer.user_id), ("RE", "sent", self.accountant))
        [post] = self.posts()
        self.assertEqual(post.json(), {"status": "RE", "reasons": {"PRI": "The unit price differs from PO-12"}})
        self.assertEqual(post.document_id, answer.document_id)

    def test_the_same_reason_twice_is_refused(self):
        bill = self.received_bill()
        wizard = self.env["econnect.response.wizard"].with_user(self.accountant).create({
            "move_id": bill.id, "status": "UQ",
            "reason_ids": [fields.Command.create({"code": "QTY"}), fields.Command.create({"code": "QTY"})],
        })
        with self.assertRaisesRegex(UserError, "each reason once"):
            wizard.action_send()
        self.assertFalse(self.posts())

    def test_under_query_needs_a_reason_then_is_one_call_with_codes(self):
        bill = self.received_bill()
        action = bill.with_user(self.accountant).action_econnect_query()
        Wizard = self.env["econnect.response.wizard"].with_user(self.accountant).with_context(**action["context"])
        with self.assertRaisesRegex(UserError, "at least one reason"):
            Wizard.create({}).action_send()
        self.assertFalse(self.posts(), "nothing left without a reason")
        Wizard.create({
            "reason_ids": [fields.Command.create({"code": "QTY", "text": "We received 8, not 10"})],
            "action_code": "PIN",
            "note": "Delivery note 77",
        }).action_send()
        [answer] = self.answers(bill)
        self.assertEqual((answer.status, answer.state, answer.user_id), ("UQ", "sent", self.accountant))
        [post] = self.posts()
        self.assertEqual(post.json(), {
            "status": "UQ", "reasons": {"QTY": "We received 8, not 10"}, "actions": {"PIN": ""},
            "note": "Delivery note 77",
        })
        self.assertEqual(post.document_id, answer.document_id)
        self.assertEqual(post.headers.get("X-EConnect-DocumentId"), answer.document_id)
        note = bill.message_ids.filtered(lambda m: "Answered through eConnect" in (m.body or ""))
        self.assertIn("Under query", note.body)
        self.assertIn(self.accountant.name, note.body)
        self.assertTrue(bill.econnect_can_answer, "a query is not final")

    def test_cancelling_a_received_bill_offers_the_reject_wizard(self):
        bill = self.received_bill()
        action = bill.with_user(self.accountant).button_cancel()
        self.assertEqual(bill.state, "cancel")
        self.assertEqual(action["res_model"], "econnect.response.wizard")
        self.assertEqual(action["context"]["default_status"], "RE")
        self.assertFalse(self.posts(), "nothing is sent until the user gives the reasons")
        other = self.env["account.move"].create({
            "move_type": "in_invoice", "partner_id": self.vendor.id, "journal_id": self.receive_journal.id,
        })
        self.assertFalse(other.button_cancel(), "a bill that did not come through eConnect: nothing offered")

    def test_only_documents_that_came_through_econnect_can_be_answered(self):
        bill = self.env["account.move"].create({
            "move_type": "in_invoice", "partner_id": self.vendor.id, "journal_id": self.receive_journal.id,
        })
        self.assertFalse(bill.econnect_can_answer)
        with self.assertRaisesRegex(UserError, "Only bills received through eConnect"):
            bill.with_user(self.accountant).action_econnect_accept()
        invoice = self.sent_invoice()
        with self.assertRaisesRegex(UserError, "Only bills received through eConnect"):
            invoice.with_user(self.accountant).action_econnect_reject()
        self.assertFalse(self.posts())

    def test_user_without_econnect_rights_cannot_answer(self):
        bill = self.received_bill()
        employee = new_test_user(self.env, login="plain_employee_answers", groups="base.group_user",
                                 company_id=self.company.id, company_ids=[self.company.id])
        with self.assertRaisesRegex(AccessError, "Only eConnect users"):
            bill.with_user(employee).action_econnect_accept()
        self.assertFalse(self.answers(bill))

    # -- another company's bill: refused, for real over JSON-RPC -----------------------------------
    def test_answer_to_another_companys_bill_is_refused(self):
        bill = self.received_bill()
        other_company = self.env["res.company"].create({"name": "Other answers BV"})
        intruder = new_test_user(
            self.env, login="intruder_answers",
            groups="base.group_user,account.group_account_invoice",
            company_id=other_company.id, company_ids=[other_company.id],
        )
        self.env.flush_all()
        self.authenticate("intruder_answers", "intruder_answers")
        with mute_logger("odoo.http"), self.assertRaises(JsonRpcException) as caught:
            self.make_jsonrpc_request("/web/dataset/call_kw/account.move/action_econnect_accept", {
                "model": "account.move", "method": "action_econnect_accept", "args": [[bill.id]], "kwargs": {},
            })
        self.assertIn("AccessError", str(caught.exception))
        # the wizard route too: a wizard naming the other company's bill
        with mute_logger("odoo.http"), self.assertRaises(JsonRpcException):
            wizard_id = self.make_jsonrpc_request("/web/dataset/call_kw/econnect.response.wizard/create", {
                "model": "econnect.response.wizard", "method": "create",
                "args": [{"move_id": bill.id, "status": "RE", "reason_ids": [[0, 0, {"code": "PRI"}]]}],
                "kwargs": {},
            })
            self.make_jsonrpc_request("/web/dataset/call_kw/econnect.response.wizard/action_send", {
                "model": "econnect.response.wizard", "method": "action_send", "args": [wizard_id], "kwargs": {},
            })
        self.env.invalidate_all()
        self.assertFalse(self.answers(bill), "nothing queued")
        self.assertFalse(self.posts(), "nothing sent")
        # nor retried: an answer of the other company in error, even for an eConnect administrator of his own
        failed = self.env["econnect.invoice.response"]._econnect_queue(bill, "AP")
        failed.write({"state": "error"})
        intruder.groups_id = [(4, self.env.ref("econnect_odoo.group_econnect_admin").id)]
        self.env.flush_all()
        with mute_logger("odoo.http"), self.assertRaises(JsonRpcException) as caught:
            self.make_jsonrpc_request("/web/dataset/call_kw/econnect.invoice.response/action_econnect_retry", {
                "model": "econnect.invoice.response", "method": "action_econnect_retry", "args": [failed.ids],
                "kwargs": {},
            })
        self.assertIn("AccessError", str(caught.exception))
        self.env.invalidate_all()
        self.assertEqual(failed.state, "error")
        self.assertFalse(self.posts(), "nothing sent")

    # -- automatic, after the company's settings ---------------------------------------------------
    def test_acknowledged_on_arrival_and_accepted_on_posting(self):
        document_id = self.receive_document(sample_invoice(SELLER, PARTY, number="AUTO-1"), sender_id=SELLER)
        self.pull()
        bill = self.bill_of(document_id)
        self.assertTrue(bill)
        bill.action_econnect_dismiss_import_issue()  # whatever the import thought of the figures
        [ack] = self.answers(bill)
        self.assertEqual((ack.status, ack.state, ack.automatic), ("AB", "queued", True))
        self.simulator.clear_log()
        self.run_cron()
        self.assertEqual(ack.state, "sent")
        self.assertOneCall(ack, {"status": "AB"})
        bill.write({"invoice_date": fields.Date.today(), "partner_id": self.vendor.id})
        bill.action_post()
        accept = self.answers(bill) - ack
        self.assertEqual((accept.status, accept.state), ("AP", "queued"))
        self.run_cron()
        self.assertEqual(accept.state, "sent")
        self.assertOneCall(accept, {"status": "AP"})
        note = bill.message_ids.filtered(lambda m: "Accepted" in (m.body or "") and "automatic" in (m.body or ""))
        self.assertTrue(note, "the chatter says Odoo answered by itself")
        self.run_cron()
        self.assertEqual(len(self.posts()), 2, "one call each, nothing more")

    def test_settings_defaults_next_to_receiving(self):
        """A new company answers, acknowledges on arrival and accepts on posting, and says paid only when asked;
        the switches sit in the eConnect settings block, right after receiving."""
        fresh = self.env["res.company"].create({"name": "Fresh answers BV"})
        self.assertEqual(
            (fresh.econnect_respond, fresh.econnect_respond_ab, fresh.econnect_respond_ap, fresh.econnect_respond_pd),
            (True, True, True, False),
        )
        arch = etree.fromstring(self.env["res.config.settings"].get_view(view_type="form")["arch"])
        [receive] = arch.xpath("//setting[@id='econnect_receive_setting']")
        [respond] = arch.xpath("//setting[@id='econnect_respond_setting']")
        self.assertIs(receive.getnext(), respond, "right after receiving, in the same block")
        for name in ("econnect_respond", "econnect_respond_ab", "econnect_respond_ap", "econnect_respond_pd"):
            self.assertTrue(respond.xpath(f".//field[@name='{name}']"), name)
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(
            (settings.econnect_respond, settings.econnect_respond_ab, settings.econnect_respond_ap,
             settings.econnect_respond_pd),
            (True, True, True, False), "Settings show the company's switches",
        )

    def test_upgrade_fills_the_stored_answers_in_one_statement(self):
        """Installing or upgrading over existing answers fills the bills' stored answers from the answers table,
        without Odoo computing the field entry by entry over every journal entry."""
        bill = self.received_bill()
        Response = self.env["econnect.invoice.response"]
        Response._econnect_queue(bill, "AB")._econnect_send()
        Response._econnect_queue(bill, "UQ", reasons=[("QTY", None)]).write({"state": "error"})
        Response._econnect_queue(bill, "AP")
        self.env.flush_all()
        self.env.cr.execute("ALTER TABLE account_move DROP COLUMN econnect_answered")
        # the registry's queue of work after the tables, as during an install (dropped here: nothing else changes)
        with patch.object(self.registry, "_post_init_queue", deque(), create=True):
            self.env["account.move"]._auto_init()
        field = self.env["account.move"]._fields["econnect_answered"]
        self.assertFalse(self.env.records_to_compute(field), "nothing left to compute entry by entry")
        self.env.cr.execute("SELECT econnect_answered FROM account_move WHERE id = %s", [bill.id])
        self.assertEqual(self.env.cr.fetchone()[0], "AB,AP", "queued and sent answers; not the one in error")
        # entries without answers stay empty (other tests may have committed bills with answers of their own)
        self.env.cr.execute(
            """SELECT count(*) FROM account_move m WHERE econnect_answered IS NOT NULL AND id != %s
               AND NOT EXISTS (SELECT 1 FROM econnect_invoice_response r WHERE r.move_id = m.id)""", [bill.id]
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0)

    def test_automatic_answers_follow_the_settings(self):
        self.company.write({"econnect_respond_ab": False, "econnect_respond_ap": False})
        bill = self.received_bill()
        bill.action_post()
        self.assertFalse(self.answers(bill), "AP on posting is off")
        self.company.write({"econnect_respond_ap": True})
        self.company.econnect_respond = False
        other = self.received_bill("IN-2")
        other.action_post()
        self.assertFalse(self.answers(other), "answers are off altogether")
        self.assertFalse(other.econnect_can_answer)
        with self.assertRaisesRegex(UserError, "Invoice responses are off"):
            other.with_user(self.accountant).action_econnect_accept()
        self.run_cron()
        self.assertFalse(self.posts())

    def test_paid_when_fully_paid_only_when_asked(self):
        bill = self.received_bill("IN-PAY", post=True)
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=bill.ids
        ).create({})._create_payments()
        self.assertIn(bill.payment_state, ("paid", "in_payment"))
        self.run_cron()
        self.assertFalse(self.answers(bill), "PD when paid is off by default")
        self.company.econnect_respond_pd = True
        self.run_cron()
        [paid] = self.answers(bill)
        self.assertEqual((paid.status, paid.state, paid.automatic), ("PD", "sent", True))
        self.assertOneCall(paid, {"status": "PD"})
        self.run_cron()
        self.assertEqual(len(self.answers(bill)), 1, "paid is said once")

    # -- how it fails for real ---------------------------------------------------------------------
    def test_econnect_down_mid_send_is_retried_with_the_same_id(self):
        bill = self.received_bill()
        self.simulator.faults.fail_next(1, status=503, path_contains="/response")
        result = bill.with_user(self.accountant).action_econnect_accept()
        self.assertEqual(result["params"]["type"], "warning")
        [answer] = self.answers(bill)
        self.assertEqual(answer.state, "queued")
        self.assertIn("same document id", answer.econnect_answer)
        self.assertFalse(self.at_econnect(bill))
        self.run_cron()
        self.assertEqual(answer.state, "queued", "not due yet: nothing sent before its time")
        self.make_due(answer)
        self.run_cron()
        self.assertEqual(answer.state, "sent")
        self.assertEqual([p.status for p in self.posts()], [503, 200])
        self.assertEqual({p.document_id for p in self.posts()}, {answer.document_id})
        self.assertEqual(self.at_econnect(bill), [answer.document_id])

    def test_answer_lost_on_the_line_then_409_counts_as_sent(self):
        """eConnect took the answer but its reply never came: the retry, with the same id, meets 409."""
        bill = self.received_bill()
        self.simulator.faults.lose_answer_next(1, path_contains="/response")
        bill.with_user(self.accountant).action_econnect_accept()
        [answer] = self.answers(bill)
        self.assertEqual(answer.state, "queued")
        self.assertEqual(self.at_econnect(bill), [answer.document_id], "it did reach eConnect")
        self.make_due(answer)
        self.run_cron()
        self.assertEqual(answer.state, "sent")
        self.assertIn("already had this answer", answer.econnect_answer)
        self.assertEqual([p.status for p in self.posts()], [200, 409])
        self.assertEqual({p.document_id for p in self.posts()}, {answer.document_id})
        self.assertEqual(self.at_econnect(bill), [answer.document_id], "exactly once at eConnect")

    def test_worker_dies_after_the_call_then_409_counts_as_sent(self):
        """The run claimed the answer (lease, committed) and made the call, then died before recording it: the
        database is left exactly so. After the lease the scheduled action sends the same id: 409, sent."""
        bill = self.received_bill()
        answer = self.env["econnect.invoice.response"]._econnect_queue(bill, "AP")
        [claimed] = answer._econnect_claim()
        self.assertEqual((claimed.attempts, claimed.state), (1, "queued"))
        self.assertGreater(claimed.next_attempt, fields.Datetime.now() + LEASE - timedelta(minutes=1))
        # what the dead worker did: the call itself
        self.company._econnect_client().send_invoice_response(
            PARTY, bill.econnect_received_document_id, "AP", response_document_id=answer.document_id
        )
        cron = self.env.ref("econnect_odoo.ir_cron_econnect_responses")
        triggers = self.env["ir.cron.trigger"].sudo()
        triggers.search([("cron_id", "=", cron.id)]).unlink()
        self.run_cron()
        self.assertEqual(answer.state, "queued", "leased: no second run takes it while the first may still work")
        self.assertEqual(triggers.search([("cron_id", "=", cron.id)]).mapped("call_at"), [answer.next_attempt],
                         "the cron wakes when the lease ends, not at its next regular run")
        self.make_due(answer)
        self.run_cron()
        self.assertEqual(answer.state, "sent")
        self.assertEqual([p.status for p in self.posts()], [200, 409])
        self.assertEqual(self.at_econnect(bill), [answer.document_id])

    def test_scheduled_action_stops_at_its_time_limit_and_hands_the_rest_back(self):
        Response = self.env["econnect.invoice.response"]
        answers = Response.browse()
        for number in ("IN-T1", "IN-T2"):
            answers |= Response._econnect_queue(self.received_bill(number), "AP")
        self.simulator.clear_log()
        self.simulator.faults.slow_next(1, seconds=1.0, path_contains="/response")
        with patch.object(Budget, "spent", lambda budget: time.time() >= budget.started + 0.3):
            self.run_cron()
        self.assertEqual(sorted(answers.mapped("state")), ["queued", "sent"])
        left = answers.filtered(lambda a: a.state == "queued")
        self.assertEqual(left.attempts, 0, "not tried: the attempt is not counted")
        self.assertLessEqual(left.next_attempt, fields.Datetime.now(), "due at once, not after a lease")
        cron = self.env.ref("econnect_odoo.ir_cron_econnect_responses")
        self.assertTrue(self.env["ir.cron.trigger"].sudo().search([("cron_id", "=", cron.id)]))
        self.run_cron()
        self.assertEqual(answers.mapped("state"), ["sent", "sent"])
        self.assertEqual(len(self.posts()), 2, "one call each")

    def test_answer_refused_by_econnect_is_an_error_with_an_activity(self):
        bill = self.received_bill()
        bill.econnect_received_document_id = "gone-at-econnect"
        bill.with_user(self.accountant).action_econnect_accept()
        [answer] = self.answers(bill)
        self.assertEqual(answer.state, "error")
        self.assertTrue(bill.activity_ids.filtered(lambda a: a.user_id == self.accountant))
        self.assertTrue(bill.message_ids.filtered(lambda m: "could not be sent" in (m.body or "")))
        self.run_cron()
        self.assertEqual(len(self.posts()), 1, "an error is not retried by itself")

    def test_seller_taking_no_invoice_responses_is_not_sent(self):
        self.simulator.add_participant(SELLER, name="Seller BV", invoice_responses=False)
        self.addCleanup(self.simulator.add_participant, SELLER, "Seller BV")
        bill = self.received_bill()
        result = bill.with_user(self.accountant).action_econnect_accept()
        self.assertEqual(result["params"]["type"], "warning")
        [answer] = self.answers(bill)
        self.assertEqual(answer.state, "not_taken")
        self.assertFalse(self.posts(), "not sent to a seller that takes no answers")
        lookups = [r for r in self.simulator.requests if r.path.endswith("/peppol/deliveryOption")]
        self.assertEqual(len(lookups), 1)
        self.assertIn("documentFamily=InvoiceResponse", lookups[0].raw_path)

    # -- the capability -------------------------------------------------------------------------
    def test_turning_responses_on_switches_the_capability(self):
        self.company.econnect_respond = False  # in Odoo only: writes never call eConnect
        self.simulator.set_peppol_config(PARTY, capabilities={"invoiceResponse": "off"})
        settings = self.env["res.config.settings"].create({"econnect_respond": True})
        settings.execute()
        self.assertTrue(self.company.econnect_respond)
        self.assertEqual(
            self.simulator.config_writes[-1]["body"], {"capabilities": {"invoiceResponse": {"state": "on"}}},
            "only what changes",
        )
        self.assertEqual(self.simulator.peppol_config(PARTY)["capabilities"]["invoiceResponse"]["state"], "on")

    def test_capability_refused_leaves_the_switch_and_says_what_to_do(self):
        self.company.econnect_respond = False  # in Odoo only: writes never call eConnect
        self.simulator.set_peppol_config(PARTY, capabilities={"invoiceResponse": "off"})
        self.simulator.refuse_config_changes(PARTY, "API403", "Not allowed for these credentials")
        self.addCleanup(self.simulator.allow_config_changes, PARTY)
        with self.assertRaisesRegex(UserError, "eConnect's platform") as caught:
            self.env["res.config.settings"].create({"econnect_respond": True}).execute()
        self.assertIn("Not allowed for these credentials", str(caught.exception))
        self.assertFalse(self.company.econnect_respond)

    def test_receiving_on_switches_responses_on_too(self):
        self.keep_hook()
        self.company.econnect_set_receive(False)
        self.simulator.set_peppol_config(PARTY, capabilities={"invoiceResponse": "off"})
        self.company.econnect_set_receive(True)
        bodies = [w["body"] for w in self.simulator.config_writes[-2:]]
        self.assertIn({"capabilities": {"invoiceResponse": {"state": "on"}}}, bodies)

    def test_receiving_on_with_responses_refused_leaves_receiving_off(self):
        """eConnect takes receiving (already on there) but refuses invoice responses: Odoo's receiving switch
        stays off, and the message says what to do."""
        self.keep_hook()
        self.company.econnect_set_receive(False)
        self.simulator.set_peppol_config(PARTY, capabilities={"invoices": "on", "invoiceResponse": "off"})
        self.simulator.refuse_config_changes(PARTY, "API403", "Not allowed for these credentials")
        self.addCleanup(self.simulator.allow_config_changes, PARTY)
        with mute_logger("odoo.addons.econnect_odoo.models.res_company_response"), \
                self.assertRaisesRegex(UserError, "Receiving stays off"):
            self.company.econnect_set_receive(True)
        self.assertFalse(self.company.econnect_receive)
        self.assertTrue(self.company.econnect_respond)
