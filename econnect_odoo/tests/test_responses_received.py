"""Customers' answers (Peppol invoice responses) to invoices we sent, in both documented event shapes, read from
the event when it carries them and downloaded from the shape's documented path otherwise; answers that name no
invoice of this company are never applied."""

import json

from odoo.tests import HttpCase, tagged

from .common import PARTY, EconnectReceiveMixin


@tagged("post_install", "-at_install")
class TestCustomersAnswers(EconnectReceiveMixin, HttpCase):
    def setUp(self):
        super().setUp()
        self.addCleanup(setattr, self.simulator, "response_event_shape", "new")
        self.addCleanup(setattr, self.simulator, "response_event_details", None)

    def answer(self, move_or_id, status, **kwargs):
        """The customer answers; the event reaches Odoo over HTTP and is pulled. Returns the response id."""
        document_id = move_or_id if isinstance(move_or_id, str) else move_or_id.econnect_uuid
        self.env.flush_all()
        before = len(self.simulator.dispatcher.final_deliveries("InvoiceResponseReceived"))
        response_id = self.simulator.inject_invoice_response(PARTY, document_id, status, **kwargs)
        self.wait_for_webhooks(before + 1, topic="InvoiceResponseReceived")
        self.simulator.clear_log()
        self.pull()
        return response_id

    def response_event(self, response_id):
        return self.env["econnect.event"].sudo().search([
            ("company_id", "=", self.company.id), ("topic", "=", "InvoiceResponseReceived"),
            "|", ("document_id", "=", response_id), ("response_document_id", "=", response_id),
        ])

    def downloads(self):
        return [r for r in self.simulator.requests if r.path.endswith("/download")]

    # -- the new docs' shape: documentId = our invoice, responseDocumentId = the answer, downloaded ------------
    def test_new_shape_is_downloaded_from_the_sales_invoice_path(self):
        move = self.sent_invoice()
        response_id = self.answer(
            move, "RE", reasons={"PRI": "Unit price is wrong"}, actions={"NIN": "Please send a new invoice"},
            note="See our order 42", shape="new",
        )
        self.assertEqual(move.econnect_response_status, "RE")
        self.assertIn("Prices incorrect: Unit price is wrong", move.econnect_response_detail)
        self.assertIn("Issue a new invoice: Please send a new invoice", move.econnect_response_detail)
        self.assertIn("See our order 42", move.econnect_response_detail)
        [download] = self.downloads()
        self.assertIn(f"/salesInvoice/{move.econnect_uuid}/response/{response_id}/download", download.path)
        self.assertEqual(self.response_event(response_id).state, "done")
        self.assertTrue(move.activity_ids.filtered(lambda a: "Rejected" in (a.summary or "")))
        self.assertTrue(any("Rejected" in (m.body or "") for m in move.message_ids))

    # -- the old docs' shape: documentId = the answer, refToDocumentId = our invoice, details = the answer -----
    def test_old_shape_with_details_is_read_from_the_event(self):
        move = self.sent_invoice()
        response_id = self.answer(
            move, "RE", reasons={"REF": "Unknown order number"}, actions={"NIN": None}, shape="old", details=True
        )
        event = self.response_event(response_id)
        payload = json.loads(event.payload)
        self.assertEqual((payload["documentId"], payload["refToDocumentId"]), (response_id, move.econnect_uuid))
        self.assertEqual(payload["details"]["statusCode"], "re", "lower-case codes, as the old docs show")
        self.assertEqual(event.state, "done")
        self.assertEqual(event.move_id, move)
        self.assertEqual(move.econnect_response_status, "RE")
        self.assertIn("References incorrect: Unknown order number", move.econnect_response_detail)
        self.assertIn("Issue a new invoice", move.econnect_response_detail)
        self.assertFalse(self.downloads(), "the event said it all: nothing downloaded")

    def test_old_shape_without_details_is_downloaded_from_the_generic_path(self):
        move = self.sent_invoice()
        response_id = self.answer(move, "AP", shape="old", details=False)
        self.assertEqual(move.econnect_response_status, "AP")
        [download] = self.downloads()
        self.assertIn("/api/v1-beta/", download.path)
        self.assertIn(f"/generic/{response_id}/download", download.path)

    def test_customer_rejects_then_pays(self):
        move = self.sent_invoice()
        self.answer(move, "RE", reasons={"PRI": "Unit price is wrong"}, shape="old")
        self.assertEqual(move.econnect_response_status, "RE")
        self.answer(move, "PD", shape="new")
        self.assertEqual(move.econnect_response_status, "PD")

    def test_customer_acknowledges(self):
        move = self.sent_invoice()
        self.answer(move, "AB")
        self.assertEqual(move.econnect_response_status, "AB")
        self.assertFalse(move.econnect_response_detail)
        self.assertFalse(move.activity_ids, "an acknowledgement asks nothing of us")

    def test_under_query_and_rejection_ask_the_salesperson(self):
        salesperson = self.econnect_user(login="salesperson_answers")
        for status in ("UQ", "RE"):
            move = self.sent_invoice()
            move.invoice_user_id = salesperson
            self.answer(move, status, reasons={"QTY": "8, not 10"}, shape="new")
            [activity] = move.activity_ids
            self.assertEqual(activity.user_id, salesperson, "the invoice's salesperson, not who pulled")
            words = dict(move._fields["econnect_response_status"]._description_selection(self.env))[status]
            self.assertIn(words, activity.summary)
            self.assertIn("Quantity incorrect: 8, not 10", activity.note)

    def test_customers_words_are_text_never_markup(self):
        """An answer comes from outside: its reasons and note are shown as text in the chatter, the activity and
        the history, never run as markup."""
        move = self.sent_invoice()
        attack = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
        self.answer(move, "RE", reasons={"PRI": attack}, actions={"NIN": attack}, note=attack, shape="old",
                    details=True)
        self.assertEqual(move.econnect_response_status, "RE")
        message = move.message_ids.filtered(lambda m: "The customer answered" in (m.body or ""))
        [activity] = move.activity_ids
        for html in (message.body, activity.note):
            self.assertNotIn("<img", html)
            self.assertNotIn("<script", html)
            self.assertIn("&lt;img", html)
        [answer] = move.econnect_response_ids
        self.assertEqual(answer.note, attack, "kept as the customer wrote it, as text")
        self.assertIn(f"Prices incorrect: {attack}", answer.summary)

    # -- answers that are not ours to apply ----------------------------------------------------------------
    def test_answer_naming_no_invoice_of_ours_fails_and_is_not_applied(self):
        admin = self.econnect_admin(login="econnect_admin_answers")
        for shape in ("new", "old"):
            response_id = self.answer("never-sent-" + shape, "RE", reasons={"PRI": "x"}, shape=shape)
            event = self.response_event(response_id)
            self.assertEqual(event.state, "error")
            self.assertIn("never-sent-" + shape, event.last_error)
            self.assertIn("no invoice", event.last_error)
            self.assertFalse(event.move_id)
            self.assertTrue(event.activity_ids.filtered(lambda a: a.user_id == admin))
        self.assertFalse(self.downloads(), "nothing is downloaded for an invoice that is not ours")

    def test_answer_naming_another_companys_invoice_fails_and_is_not_applied(self):
        other_company = self.env["res.company"].create({"name": "Other Company BV"})
        partner = self.env["res.partner"].create({"name": "Their customer", "company_id": other_company.id})
        journal = self.env["account.journal"].create({
            "name": "Their sales", "code": "THS", "type": "sale", "company_id": other_company.id,
        })
        theirs = self.env["account.move"].with_company(other_company).create({
            "move_type": "out_invoice", "partner_id": partner.id, "journal_id": journal.id,
        })
        theirs.write({"econnect_state": "sent", "econnect_uuid": "their-invoice-1"})
        response_id = self.answer("their-invoice-1", "RE", reasons={"PRI": "x"}, shape="old", details=True)
        event = self.response_event(response_id)
        self.assertEqual(event.state, "error")
        self.assertIn("another company", event.last_error)
        self.assertNotIn("Other Company BV", event.last_error, "the other company is not named")
        self.assertFalse(theirs.econnect_response_status)
        self.assertFalse(event.move_id)

    def test_event_without_response_id_fails(self):
        move = self.sent_invoice()
        self.env.flush_all()
        self.simulator.emit_event(PARTY, "InvoiceResponseReceived", document_id=move.econnect_uuid)
        self.wait_for_webhooks(1, topic="InvoiceResponseReceived")
        self.pull()
        event = self.event_of(move.econnect_uuid, topic="InvoiceResponseReceived")
        self.assertEqual(event.state, "error")
        self.assertIn("responseDocumentId", event.last_error)
        self.assertFalse(move.econnect_response_status)

    def test_unreadable_answer_in_the_event_fails(self):
        move = self.sent_invoice()
        self.env.flush_all()
        self.simulator.emit_event(
            PARTY, "InvoiceResponseReceived", document_id="resp-bad", ref_to_document_id=move.econnect_uuid,
            details={"statusCode": "zz"},
        )
        self.wait_for_webhooks(1, topic="InvoiceResponseReceived")
        self.pull()
        event = self.event_of("resp-bad")
        self.assertEqual(event.state, "error")
        self.assertIn("zz", event.last_error)
        self.assertFalse(move.econnect_response_status)

    # -- the invoice's history of answers --------------------------------------------------------------------
    def test_history_keeps_every_answer_in_words(self):
        move = self.sent_invoice()
        self.answer(move, "AB", shape="new")
        self.answer(move, "RE", reasons={"PRI": "Unit price is wrong"}, actions={"CNF": None}, note="Order 42",
                    shape="old", details=True)
        self.answer(move, "PD", shape="old", details=False)
        history = move.econnect_response_ids.sorted("id")
        self.assertEqual(history.mapped("status"), ["AB", "RE", "PD"])
        self.assertEqual(set(history.mapped("direction")), {"in"})
        self.assertEqual(set(history.mapped("state")), {"received"})
        rejected = history[1]
        self.assertEqual(rejected.summary, "Prices incorrect: Unit price is wrong\nAsked: Credit fully")
        self.assertEqual(rejected.note, "Order 42")
        self.assertTrue(all(history.mapped("document_id")))
        self.assertEqual(move.econnect_response_status, "PD", "the latest answer shows")

    def test_the_same_answer_announced_twice_is_recorded_once(self):
        move = self.sent_invoice()
        response_id = self.answer(move, "AP", shape="new")
        self.env.flush_all()
        # eConnect announces it again (another creation time: another event)
        self.simulator.emit_event(
            PARTY, "InvoiceResponseReceived", document_id=move.econnect_uuid, response_document_id=response_id
        )
        self.wait_for_webhooks(2, topic="InvoiceResponseReceived")
        self.pull()
        events = self.response_event(response_id)
        self.assertEqual(len(events), 2)
        self.assertEqual(set(events.mapped("state")), {"done"})
        self.assertEqual(len(move.econnect_response_ids), 1)

    def test_invoices_are_filtered_and_grouped_by_customer_answer(self):
        accepted, rejected = self.sent_invoice(), self.sent_invoice()
        self.answer(accepted, "AP")
        self.answer(rejected, "RE", reasons={"QTY": "8, not 10"})
        Move = self.env["account.move"]
        groups = Move.read_group(
            [("id", "in", (accepted | rejected).ids)], ["econnect_response_status"], ["econnect_response_status"]
        )
        self.assertEqual({g["econnect_response_status"]: g["econnect_response_status_count"] for g in groups},
                         {"AP": 1, "RE": 1})
        self.assertEqual(Move.search([("id", "in", (accepted | rejected).ids),
                                      ("econnect_response_status", "in", ("RE", "UQ"))]), rejected)
        search_view = self.env.ref("econnect_odoo.view_account_invoice_filter_econnect_response")
        self.assertIn("group_econnect_response_status", search_view.arch)
