import json
import time
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from ..models import account_move as account_move_module
from ..psb.retry import BETWEEN_RUNS
from ..tools.budget import Budget
from .common import BUYER_PARTY, EconnectSendMixin


@tagged("post_install", "-at_install")
class TestSend(EconnectSendMixin, AccountTestInvoicingCommon):
    def _past(self, moves):
        """Make retries due now."""
        moves.write({"econnect_next_attempt": "2000-01-01 00:00:00"})

    def test_send_one_invoice(self):
        move = self.econnect_invoice()
        self.assertTrue(move.econnect_can_send)
        move.action_econnect_send()
        self.assertEqual(move.econnect_state, "sent")
        self.assertTrue(move.econnect_uuid)
        self.assertEqual(move.econnect_document_id, move.econnect_uuid)
        document = self.simulator.sent_document(move.econnect_uuid)
        self.assertTrue(document, "eConnect received it under our document id")
        self.assertEqual(document.receiver, BUYER_PARTY)
        self.assertEqual(move.ubl_cii_xml_id.raw, document.xml, "the UBL that was sent is kept as an attachment")
        self.assertIn(b"<cbc:EndpointID schemeID=\"0106\">11223344</cbc:EndpointID>", document.xml)
        self.assertIn("Sent to eConnect", move.message_ids[0].body)
        self.assertFalse(move.econnect_can_send)

    def test_delivery_status_by_polling(self):
        move = self.econnect_invoice()
        move.action_econnect_send()
        self.wait_for_outcome(move)
        self.env["account.move"]._cron_econnect_poll_statuses()
        self.assertEqual(move.econnect_state, "sent", "the fallback waits 15 minutes for the webhook")
        move.econnect_sent_date = "2000-01-01 00:00:00"
        self.env["account.move"]._cron_econnect_poll_statuses()
        self.assertEqual(move.econnect_state, "delivered")
        self.assertIn("Delivered", move.message_ids[0].body)

    def test_polling_understands_every_documented_status_form(self):
        """The status history's names as documented (Delivered, Failed, Rejected), in any case, or shaped as topics:
        a delivery failure found only by polling puts the invoice in Error."""
        self.addCleanup(setattr, self.simulator, "status_form", "documented")
        self.addCleanup(self.simulator.set_delivery_outcome, BUYER_PARTY, None)
        for form, outcome, status, expected in (
            ("lower", "sent", None, "delivered"),
            ("upper", "error", "Rejected", "error"),
            ("topic", "error", "Failed", "error"),
            ("documented", "error", "Rejected", "error"),
        ):
            with self.subTest(form=form, status=status):
                self.simulator.status_form = form
                self.simulator.set_delivery_outcome(BUYER_PARTY, outcome, message="Refused by the receiver",
                                                    status=status)
                move = self.econnect_invoice()
                move.action_econnect_send()
                self.wait_for_outcome(move)
                move.econnect_sent_date = "2000-01-01 00:00:00"
                self.env["account.move"]._cron_econnect_poll_statuses()
                self.assertEqual(move.econnect_state, expected)
                if expected == "error":
                    self.assertIn("Refused by the receiver", move.econnect_message)
                    self.assertTrue(move.activity_ids)

    def test_delivery_error_by_polling_gets_activity(self):
        self.simulator.set_delivery_outcome(BUYER_PARTY, "error", message="Receiver refused the document")
        self.addCleanup(self.simulator.set_delivery_outcome, BUYER_PARTY, None)
        move = self.econnect_invoice()
        move.action_econnect_send()
        self.wait_for_outcome(move)
        action = move.journal_id.action_econnect_refresh_statuses()  # the journal's button: now
        self.assertIn("1 updated", action["params"]["message"])
        self.assertEqual(move.econnect_state, "error")
        self.assertIn("Receiver refused the document", move.econnect_message)
        self.assertTrue(move.activity_ids, "the responsible gets an activity")
        self.assertTrue(move.econnect_can_resend)

    def test_delivery_error_found_by_the_scheduled_action_goes_to_who_sent_it(self):
        """Without a salesperson on the invoice, the activity of an error found by the scheduled action (run as
        OdooBot) goes to the user who sent the invoice, not to OdooBot."""
        self.simulator.set_delivery_outcome(BUYER_PARTY, "error", message="Receiver refused the document")
        self.addCleanup(self.simulator.set_delivery_outcome, BUYER_PARTY, None)
        sender = self.econnect_user(login="econnect_sender")
        move = self.econnect_invoice(invoice_user_id=False)
        move.with_user(sender).action_econnect_send()
        self.assertEqual(move.econnect_state, "sent")
        self.wait_for_outcome(move)
        move.econnect_sent_date = "2000-01-01 00:00:00"
        odoobot = self.env.ref("base.user_root")
        self.env["account.move"].with_user(odoobot)._cron_econnect_poll_statuses()
        self.assertEqual(move.econnect_state, "error")
        self.assertEqual(move.activity_ids.user_id, sender)

    def test_409_means_already_sent(self):
        move = self.econnect_invoice()
        # eConnect already has this document id (e.g. our earlier upload landed, then Odoo crashed)
        move.econnect_uuid = "11111111-2222-4333-8444-555555555555"
        documents, _problems = move._econnect_build_documents()
        xml, _filename, _stored = documents[move]
        self.company._econnect_client().send_invoice(self.company._econnect_party(), xml, move.econnect_uuid)
        move.action_econnect_send()
        self.assertEqual(move.econnect_state, "sent")
        self.assertIn("already had", move.message_ids[0].body)
        self.assertEqual(len([d for d in self.simulator.sent_documents if d == move.econnect_uuid]), 1)

    def test_crash_after_upload_resends_same_id(self):
        """A worker killed after the upload but before recording it: the cron finds it queued, resends with the
        same document id, eConnect answers 409, and the invoice is sent once."""
        move = self.econnect_invoice()
        documents, _problems = move._econnect_build_documents()
        move._econnect_claim(documents=documents)
        self.company._econnect_client().send_invoice(
            self.company._econnect_party(), move.ubl_cii_xml_id.raw, move.econnect_uuid
        )
        self.assertEqual(move.econnect_state, "queued")
        self._past(move)
        self.env["account.move"]._cron_econnect_send()
        self.assertEqual(move.econnect_state, "sent")
        sends = self.requests_to("/salesInvoice/send", method="POST")
        self.assertEqual({r.document_id for r in sends}, {move.econnect_uuid})
        self.assertEqual([r.status for r in sends], [200, 409])

    def test_a_run_killed_during_the_upload_counts_a_try(self):
        """The scheduled action claims its invoices and counts their try before the upload (tools/queue.py, committed
        in production): a run killed under way leaves them held until Odoo has certainly stopped it (no other run
        uploads them meanwhile); then they are uploaded again with the same id; after the last try was killed, they
        are in error."""
        move = self.econnect_invoice()
        documents, _problems = move._econnect_build_documents()
        move._econnect_claim(documents=documents, background=True)
        self.assertEqual((move.econnect_state, move.econnect_retry_count), ("queued", 0))
        Move = self.registry["account.move"]
        killed = False
        with patch.object(Move, "_econnect_upload", side_effect=SystemExit("killed")):
            try:  # not assertRaises: Odoo's rolls back what happened inside it, and the lease must survive
                self.env["account.move"]._cron_econnect_send()
            except SystemExit:
                killed = True
        self.assertTrue(killed)
        self.env.invalidate_all()
        self.assertEqual((move.econnect_state, move.econnect_retry_count), ("queued", 1), "the try counts")
        limit = Budget(self.env).stopped_at - time.time()
        self.assertGreater(move.econnect_next_attempt, fields.Datetime.now() + timedelta(seconds=min(limit, 60) - 5))
        cron = self.env.ref("econnect_odoo.ir_cron_econnect_send")
        triggers = self.env["ir.cron.trigger"].sudo()
        triggers.search([("cron_id", "=", cron.id)]).unlink()
        self.env["account.move"]._cron_econnect_send()
        self.env["account.move"]._cron_econnect_send()
        self.assertFalse(self.requests_to("/salesInvoice/send"), "held by its lease")
        self.assertEqual(
            triggers.search([("cron_id", "=", cron.id)]).mapped("call_at"), [move.econnect_next_attempt],
            "the run after the killed one wakes the cron when the lease ends (once), not at its next regular run",
        )
        self._past(move)
        self.env["account.move"]._cron_econnect_send()
        self.assertEqual((move.econnect_state, move.econnect_retry_count), ("sent", 2), "the same invoice, once")
        self.assertEqual(len(self.requests_to("/salesInvoice/send", method="POST")), 1)

    def test_an_invoice_whose_last_try_was_killed_is_in_error(self):
        move = self.econnect_invoice()
        documents, _problems = move._econnect_build_documents()
        move._econnect_claim(documents=documents, background=True)
        move._econnect_write({"econnect_retry_count": BETWEEN_RUNS.tries})  # its tries all begun, none finished
        self._past(move)
        self.env["account.move"]._cron_econnect_send()
        self.assertEqual(move.econnect_state, "error")
        self.assertIn("did not finish", move.econnect_message)
        self.assertTrue(move.activity_ids)
        self.assertFalse(self.requests_to("/salesInvoice/send"))

    def test_timeout_puts_invoice_in_retrying_then_cron_sends_same_id(self):
        self.env["ir.config_parameter"].set_param("econnect_odoo.timeout", "0.3")
        self.simulator.faults.slow_next(1, seconds=1.0, path_contains="/salesInvoice/send")
        move = self.econnect_invoice()
        move.action_econnect_send()
        self.assertEqual(move.econnect_state, "retrying")
        self.assertEqual(move.econnect_retry_count, 1)
        self.assertTrue(move.econnect_next_attempt)
        first_uuid = move.econnect_uuid
        self._past(move)
        self.env["account.move"]._cron_econnect_send()
        self.assertEqual(move.econnect_state, "sent")
        self.assertEqual(move.econnect_uuid, first_uuid)
        self.assertTrue(self.simulator.sent_document(first_uuid))

    def test_429_is_temporary(self):
        self.simulator.faults.rate_limit_next(1, retry_after=30, path_contains="/salesInvoice/send")
        move = self.econnect_invoice()
        move.action_econnect_send()
        self.assertEqual(move.econnect_state, "retrying")
        self.assertIn("temporarily", move.econnect_message)

    def test_psb_down_mid_batch(self):
        moves = self.econnect_invoice() | self.econnect_invoice() | self.econnect_invoice() | self.econnect_invoice()
        self.simulator.faults.fail_next(2, status=503, path_contains="/salesInvoice/send")
        moves.action_econnect_send()
        states = sorted(moves.mapped("econnect_state"))
        self.assertEqual(states, ["retrying", "retrying", "sent", "sent"], "each invoice is its own unit")
        retrying = moves.filtered(lambda m: m.econnect_state == "retrying")
        self._past(retrying)
        self.env["account.move"]._cron_econnect_send()
        self.assertEqual(set(moves.mapped("econnect_state")), {"sent"})
        self.assertEqual(len({m.econnect_uuid for m in moves}), 4)

    def test_rejected_upload_is_an_error_with_activity(self):
        self.simulator.faults.fail_next(1, status=400, path_contains="/salesInvoice/send")
        move = self.econnect_invoice()
        move.action_econnect_send()
        self.assertEqual(move.econnect_state, "error")
        self.assertTrue(move.activity_ids)

    def test_gives_up_after_the_last_retry(self):
        move = self.econnect_invoice()
        self.simulator.faults.fail_next(100, status=503, path_contains="/salesInvoice/send")
        move.action_econnect_send()
        for _attempt in range(BETWEEN_RUNS.tries - 1):  # the first try was the click
            self._past(move)
            self.env["account.move"]._cron_econnect_send()
        self.assertEqual(move.econnect_state, "error")
        self.assertIn("Gave up", move.econnect_message)

    def test_resend_after_error_starts_over(self):
        self.simulator.faults.fail_next(1, status=400, path_contains="/salesInvoice/send")
        move = self.econnect_invoice()
        move.action_econnect_send()
        old_uuid = move.econnect_uuid
        move.action_econnect_resend()
        self.assertEqual(move.econnect_state, "sent")
        self.assertNotEqual(move.econnect_uuid, old_uuid)

    def test_second_click_sends_nothing(self):
        move = self.econnect_invoice()
        move.action_econnect_send()
        with self.assertRaisesRegex(UserError, "sent through eConnect already"):
            move.action_econnect_send()
        self.assertEqual(len(self.requests_to("/salesInvoice/send", method="POST")), 1)

    def test_checks_report_every_problem_of_a_batch(self):
        good = self.econnect_invoice()
        no_endpoint = self.env["res.partner"].create({
            "name": "No Peppol BV", "country_id": self.env.ref("base.nl").id, "company_registry": "87654321",
            "ref": "X",
        })
        no_ref = self.customer.copy({"ref": False})
        bad1 = self.econnect_invoice(partner=no_endpoint)
        bad2 = self.econnect_invoice(partner=no_ref)
        action = (good | bad1 | bad2).action_econnect_send()
        self.assertEqual(action["res_model"], "econnect.send.report")
        report = self.env["econnect.send.report"].browse(action["res_id"])
        self.assertEqual(report.line_ids.move_id, bad1 | bad2)
        text = {line.move_id: line.problems for line in report.line_ids}
        self.assertIn("Peppol id", text[bad1])
        self.assertIn("0106:87654321", text[bad1], "the proposal from the KvK number is shown")
        self.assertIn("R003", text[bad2])
        self.assertEqual(good.econnect_state, "not_sent", "nothing sent before the user decides")
        self.assertFalse(self.requests_to("/salesInvoice/send"))
        report.action_send_ready()
        self.assertEqual(good.econnect_state, "sent")
        self.assertEqual((bad1 | bad2).mapped("econnect_state"), ["not_sent", "not_sent"])

    def test_single_invoice_problem_raises_with_the_fix(self):
        move = self.econnect_invoice(ref=False, partner=self.customer.copy({"ref": False}))
        with self.assertRaisesRegex(UserError, "Customer Reference"):
            move.action_econnect_send()

    def test_every_problem_of_an_invoice_at_once(self):
        """An invoice our checks refuse also gets the builder's errors in the same message (no second refusal
        after fixing the first problems), without saying the same thing twice."""
        no_ref = self.customer.copy({"ref": False})
        move = self.econnect_invoice(partner=no_ref, partner_bank_id=False)
        with self.assertRaises(UserError) as caught:
            move.action_econnect_send()
        message = caught.exception.args[0]
        self.assertIn("Customer Reference", message)
        self.assertIn("has no bank account to be paid on", message)

        no_endpoint = self.customer.copy({"peppol_endpoint": False, "ref": False})
        refund = self.econnect_invoice(partner=no_endpoint, move_type="out_refund")
        with self.assertRaises(UserError) as caught:
            refund.action_econnect_send()
        message = caught.exception.args[0]
        self.assertIn("no valid Peppol id", message)
        self.assertIn("credit note must name the invoice", message)
        self.assertNotIn("Set the Peppol endpoint", message, "said once")
        self.assertNotIn("does not say which invoice it corrects", message, "said once")

    def test_credit_note_needs_its_invoice(self):
        refund = self.econnect_invoice(move_type="out_refund")
        with self.assertRaisesRegex(UserError, "credit note must name the invoice"):
            refund.action_econnect_send()
        invoice = self.econnect_invoice()
        reversal = invoice._reverse_moves([{"ref": f"Reversal of: {invoice.name}"}])
        reversal.action_post()
        reversal.action_econnect_send()
        self.assertEqual(reversal.econnect_state, "sent")
        self.assertIn(b"InvoiceDocumentReference", self.sent_xml(reversal))

    def test_government_receiver_needs_order_reference(self):
        government = self.customer.copy({
            "name": "Ministerie", "peppol_eas": "0190", "peppol_endpoint": "00000001234567890000",
        })
        self.simulator.add_participant("0190:00000001234567890000", name="Ministerie")
        move = self.econnect_invoice(partner=government)
        with self.assertRaisesRegex(UserError, "purchase order number"):
            move.action_econnect_send()
        move.ref = "4500012345"
        move.action_econnect_send()
        self.assertEqual(move.econnect_state, "sent")

    def test_inactive_company_is_refused(self):
        move = self.econnect_invoice()
        self.company.action_econnect_deactivate()
        with self.assertRaisesRegex(UserError, "not active"):
            move.action_econnect_send()

    def test_receiver_not_on_peppol(self):
        stranger = self.customer.copy({"peppol_endpoint": "99887766"})
        move = self.econnect_invoice(partner=stranger)
        with self.assertRaisesRegex(UserError, "cannot find"):
            move.action_econnect_send()
        self.assertEqual(stranger.econnect_lookup_state, "not_found")

    def test_receiver_lookup_is_cached_a_week(self):
        self.econnect_invoice().action_econnect_send()
        self.econnect_invoice().action_econnect_send()
        self.assertEqual(len(self.requests_to("queryRecipientParty")), 1)
        self.assertEqual(self.customer.econnect_lookup_state, "reachable")
        self.customer.econnect_lookup_date = "2000-01-01 00:00:00"
        self.econnect_invoice().action_econnect_send()
        self.assertEqual(len(self.requests_to("queryRecipientParty")), 2)
        self.customer.action_econnect_lookup()
        self.assertEqual(len(self.requests_to("queryRecipientParty")), 3, "refreshed on demand")

    def test_endpoint_proposal_needs_confirmation(self):
        partner = self.env["res.partner"].create({
            "name": "KvK Only BV", "country_id": self.env.ref("base.nl").id, "company_registry": "87654321",
        })
        self.assertEqual(partner.econnect_endpoint_proposal, "0106:87654321")
        self.assertFalse(partner.peppol_endpoint, "never filled silently")
        partner.action_econnect_use_proposed_endpoint()
        self.assertEqual((partner.peppol_eas, partner.peppol_endpoint), ("0106", "87654321"))
        belgian = self.env["res.partner"].create({
            "name": "BE NV", "country_id": self.env.ref("base.be").id, "vat": "BE0477472701",
        })
        self.assertEqual(belgian.econnect_endpoint_proposal, "0208:0477472701")

    def test_large_batch_runs_in_the_background(self):
        moves = self.econnect_invoice() | self.econnect_invoice() | self.econnect_invoice()
        with patch.object(account_move_module, "SYNC_LIMIT", 2):
            action = moves.action_econnect_send()
        self.assertEqual(action["params"]["type"], "info")
        self.assertEqual(set(moves.mapped("econnect_state")), {"queued"})
        self.assertFalse(self.requests_to("/salesInvoice/send"), "nothing uploaded in the request")
        self.env["account.move"]._cron_econnect_send()
        self.assertEqual(set(moves.mapped("econnect_state")), {"sent"})

    def test_large_batch_lists_the_builders_errors_before_queuing(self):
        """A batch too large to upload while the user waits is still checked whole, Odoo's builder included: the
        report lists the invoice the builder refuses, nothing is queued before the user decides, and the UBL built
        for the check is the one the scheduled action uploads."""
        good = self.econnect_invoice() | self.econnect_invoice()
        no_bank = self.econnect_invoice(partner_bank_id=False)
        with patch.object(account_move_module, "SYNC_LIMIT", 1):
            action = (good | no_bank).action_econnect_send()
            self.assertEqual(action["res_model"], "econnect.send.report")
            report = self.env["econnect.send.report"].browse(action["res_id"])
            self.assertEqual(report.line_ids.move_id, no_bank)
            self.assertIn("has no bank account to be paid on", report.line_ids.problems)
            self.assertEqual(set((good | no_bank).mapped("econnect_state")), {"not_sent"})
            report.action_send_ready()
        self.assertEqual(set(good.mapped("econnect_state")), {"queued"})
        built = {move: move.ubl_cii_xml_id for move in good}
        self.assertTrue(all(built.values()), "the UBL built for the check is kept for the upload")
        self.env["account.move"]._cron_econnect_send()
        self.assertEqual(set(good.mapped("econnect_state")), {"sent"})
        for move in good:
            self.assertEqual(move.ubl_cii_xml_id, built[move], "uploaded as built, not built twice")
            self.assertEqual(self.sent_xml(move), built[move].raw)
        self.assertEqual(no_bank.econnect_state, "not_sent")

    def test_background_batch_reports_when_done(self):
        """The user who queued a background batch is told what became of it: the invoices not sent yet are not
        reported as sent."""
        moves = self.econnect_invoice() | self.econnect_invoice() | self.econnect_invoice()
        with patch.object(account_move_module, "SYNC_LIMIT", 2):
            moves.action_econnect_send()
        self.simulator.faults.fail_next(1, status=503, path_contains="/salesInvoice/send")
        self.env["account.move"]._cron_econnect_send()
        retrying = moves.filtered(lambda m: m.econnect_state == "retrying")
        self.assertEqual(len(retrying), 1)
        notifications = [
            json.loads(values["message"])["payload"]
            for values in self.env.cr.precommit.data.get("bus.bus.values", [])
            if json.loads(values["message"])["type"] == "account_notification"
        ]
        reported = {n["title"]: set(n["action_button"]["res_ids"]) for n in notifications}
        self.assertEqual(reported.get("eConnect: invoices sent"), set((moves - retrying).ids))
        self.assertEqual(reported.get("eConnect: not sent yet, Odoo retries"), set(retrying.ids))

    def test_send_wizard_with_econnect_sending_method(self):
        self.customer.with_company(self.company).invoice_sending_method = "econnect"
        move = self.econnect_invoice()
        wizard = self.env["account.move.send.wizard"].with_context(
            active_model="account.move", active_ids=move.ids
        ).create({})
        self.assertIn("econnect", wizard.sending_methods)
        wizard.action_send_and_print()
        self.assertEqual(move.econnect_state, "sent")
        document = self.simulator.sent_document(move.econnect_uuid)
        self.assertIn(b"EmbeddedDocumentBinaryObject", document.xml, "the PDF is embedded in the UBL")
        ubl_attachments = self.env["ir.attachment"].search_count([
            ("res_model", "=", "account.move"), ("res_id", "=", move.id), ("res_field", "=", "ubl_cii_xml_file"),
        ])
        self.assertEqual(ubl_attachments, 1, "one UBL attachment, not one of Odoo's and one of ours")
        self.assertEqual(move.ubl_cii_xml_id.raw, document.xml)

    def test_send_wizard_alerts_read_stored_answers_only(self):
        """The Send dialog computes its alerts while the user looks at it: no call to eConnect, no write; what eConnect
        answered before (cached on the customer) is shown."""
        self.customer.with_company(self.company).invoice_sending_method = "econnect"
        self.customer.econnect_lookup_date = False  # never asked
        move = self.econnect_invoice()
        self.simulator.clear_log()

        def alerts():
            wizard = self.env["account.move.send.wizard"].with_context(
                active_model="account.move", active_ids=move.ids
            ).create({})
            return str(wizard.alerts)

        self.assertNotIn("cannot find", alerts())
        self.assertFalse(self.simulator.requests, "no lookup from the dialog")
        self.assertFalse(self.customer.econnect_lookup_date, "nothing written")
        self.customer.write({
            "econnect_lookup_state": "not_found", "econnect_lookup_date": fields.Datetime.now(),
            "econnect_lookup_endpoint": str(self.customer._econnect_party()),
        })
        self.assertIn("cannot find", alerts())
        self.assertFalse(self.simulator.requests)

    def test_send_wizard_sends_a_fresh_ubl_not_an_older_one(self):
        """A UBL stored earlier (e-mailed before the customer had its Peppol id) is not what leaves through
        eConnect: the Send wizard builds it again, with the buyer's endpoint and the PDF embedded."""
        move = self.econnect_invoice()
        endpoint = self.customer.peppol_endpoint
        self.customer.peppol_endpoint = False
        old_xml, _errors = move._econnect_builder()._export_invoice(move)
        self.customer.peppol_endpoint = endpoint
        old = self.env["ir.attachment"].create({
            "name": "old.xml", "raw": old_xml, "mimetype": "application/xml",
            "res_model": "account.move", "res_id": move.id, "res_field": "ubl_cii_xml_file",
        })
        move.invalidate_recordset(["ubl_cii_xml_id"])
        self.assertEqual(move.ubl_cii_xml_id, old)
        self.assertNotIn(b"11223344", old_xml)

        self.customer.with_company(self.company).invoice_sending_method = "econnect"
        self.env["account.move.send.wizard"].with_context(
            active_model="account.move", active_ids=move.ids
        ).create({}).action_send_and_print()
        self.assertEqual(move.econnect_state, "sent")
        document = self.simulator.sent_document(move.econnect_uuid)
        self.assertIn(b"<cbc:EndpointID schemeID=\"0106\">11223344</cbc:EndpointID>", document.xml)
        self.assertIn(b"EmbeddedDocumentBinaryObject", document.xml, "the PDF is embedded in the UBL")
        self.assertEqual(move.ubl_cii_xml_id.raw, document.xml, "the UBL kept is the one that was sent")
        self.assertFalse(old.exists())

    def test_send_wizard_batch_in_the_background(self):
        """Odoo's batch sending: several invoices of "by eConnect" customers leave from the background job, each
        with its PDF embedded; one that fails our checks is not sent and does not stop the others."""
        self.customer.with_company(self.company).invoice_sending_method = "econnect"
        no_ref = self.customer.copy({"ref": False})
        no_ref.with_company(self.company).invoice_sending_method = "econnect"
        good = self.econnect_invoice() | self.econnect_invoice()
        bad = self.econnect_invoice(partner=no_ref)
        wizard = self.env["account.move.send.batch.wizard"].with_context(
            active_model="account.move", active_ids=(good | bad).ids
        ).create({})
        wizard.action_send_and_print()
        self.assertEqual(set((good | bad).mapped("econnect_state")), {"not_sent"}, "sent in the background")
        self.env["account.move"]._cron_account_move_send()
        self.assertEqual(good.mapped("econnect_state"), ["sent", "sent"])
        for move in good:
            self.assertIn(b"EmbeddedDocumentBinaryObject", self.sent_xml(move), "the PDF is embedded in the UBL")
        self.assertEqual(bad.econnect_state, "not_sent")
        self.assertIn("R003", bad.message_ids[0].body, "the problem is noted on the invoice")
        self.assertEqual(len(self.requests_to("/salesInvoice/send", method="POST")), 2)

    def test_demo_environment_says_so(self):
        self.start_demo_simulator()
        demo = self.env["econnect.connection"].create({"name": "Demo", "environment": "demo"})
        self.company.action_econnect_deactivate()
        self.company.econnect_connection_id = demo
        self.company.action_econnect_activate()
        move = self.econnect_invoice()
        move.action_econnect_send()
        self.assertEqual(move.econnect_state, "sent")
        self.assertIn("[Demo]", move.message_ids[0].body)
