"""The pull: received documents become vendor bills exactly once, statuses reach sent invoices, whatever fails."""

import os
import re
import resource
import time
from datetime import timedelta
from unittest.mock import patch

from odoo import fields, sql_db
from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged
from odoo.tools import config, mute_logger

from ..models.econnect_event import PULL_LOCK_KEY
from ..psb.retry import BETWEEN_RUNS
from ..tools import budget
from ..tools.budget import Budget
from .common import BUYER_PARTY, PARTY, EconnectReceiveMixin
from .simulator import sample_invoice

SELLER = "0106:55667788"
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
         xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:ID>&xxe;</cbc:ID>
</Invoice>"""
BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&lol9;</Invoice>"""


def invoice(number="INV-001", amount="100.00", seller=SELLER, **kwargs):
    return sample_invoice(seller, PARTY, number=number, amount=amount, vat_percent="15", **kwargs)


def stranger_invoice():
    """From a seller no contact matches, without VAT number: Odoo's import cannot create a vendor either."""
    xml = invoice(seller="0106:99887766", sender_name="Unknown Seller B.V.")
    xml = xml.replace(b"<cac:PartyTaxScheme>", b"<!--").replace(b"</cac:PartyTaxScheme>", b"-->")
    return re.sub(rb"<cbc:CompanyID[^>]*>[^<]*</cbc:CompanyID>", b"", xml)


@tagged("post_install", "-at_install")
class TestPull(EconnectReceiveMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.ref("base.EUR").active = True
        if not cls.env["account.tax"].search([
            ("company_id", "=", cls.company.id), ("type_tax_use", "=", "purchase"), ("amount", "=", 15),
            ("amount_type", "=", "percent"), ("price_include", "=", False),
        ]):
            cls.env["account.tax"].create({"name": "15% purchase", "amount": 15, "type_tax_use": "purchase"})
        cls.vendor = cls.env["res.partner"].create({
            "name": "Demo Supplier B.V.", "is_company": True, "peppol_eas": "0106", "peppol_endpoint": "55667788",
        })
        # the account its e-invoices ask to be paid into (one the vendor does not have makes the bill a check)
        cls.env["res.partner.bank"].create({"acc_number": "NL91ABNA0417164300", "partner_id": cls.vendor.id})
        cls.checker = cls.econnect_user(login="bill_checker")
        cls.receive_journal.econnect_responsible_id = cls.checker
        cls.env.flush_all()

    def downloads(self, document_id=None):
        return [r for r in self.requests_to("/download", method="GET") if not document_id or document_id in r.path]

    def deletes(self):
        return self.requests_to("/purchaseInvoice/", method="DELETE")

    def make_due(self, event):
        """Time passes: the event's backoff is over."""
        event.sudo().next_attempt_at = fields.Datetime.now() - timedelta(seconds=1)
        self.env.flush_all()

    # ------------------------------------------------------------------------------------------
    # InvoiceReceived
    # ------------------------------------------------------------------------------------------
    def test_received_invoice_becomes_a_vendor_bill(self):
        document_id = self.receive_document(invoice())
        stats = self.pull()
        self.assertEqual(stats["bills"], 1)
        bill = self.bill_of(document_id)
        self.assertEqual(len(bill), 1)
        self.assertEqual(bill.journal_id, self.receive_journal)
        self.assertEqual(bill.move_type, "in_invoice")
        self.assertEqual(bill.state, "draft")
        self.assertEqual(bill.partner_id, self.vendor)
        self.assertEqual(bill.ref, "INV-001")
        self.assertEqual(bill.currency_id.name, "EUR")
        self.assertEqual((bill.amount_untaxed, bill.amount_tax, bill.amount_total), (100.0, 15.0, 115.0))
        self.assertFalse(bill.econnect_import_issue)
        self.assertEqual(bill.econnect_received_sender, "NL:KVK:55667788")
        # the XML is attached and the chatter says where the bill came from
        attachment = bill.econnect_received_attachment_id
        self.assertEqual(attachment.res_id, bill.id)
        self.assertEqual(attachment.raw, self.simulator.received_documents[document_id].xml)
        self.assertIn(attachment, bill.message_ids.attachment_ids)
        self.assertTrue(any("Received via eConnect" in (m.body or "") for m in bill.message_ids))
        event = self.event_of(document_id)
        self.assertEqual((event.state, event.move_id), ("done", bill))
        self.assertEqual(len(self.downloads(document_id)), 1)
        self.assertFalse(self.deletes(), "the company keeps documents at eConnect unless it says otherwise")

    def test_received_credit_note_becomes_a_refund(self):
        document_id = self.receive_document(invoice(number="CN-1", credit_note=True))
        self.pull()
        bill = self.bill_of(document_id)
        self.assertEqual(bill.move_type, "in_refund")
        self.assertEqual(bill.amount_total, 115.0)
        self.assertFalse(bill.econnect_import_issue)

    def test_delete_at_econnect_only_after_the_bill_is_stored(self):
        self.company.econnect_delete_after_download = True
        document_id = self.receive_document(invoice())
        self.pull()
        bill = self.bill_of(document_id)
        self.assertTrue(bill)
        self.assertFalse(bill.econnect_delete_pending)
        deletes = self.deletes()
        self.assertEqual(len(deletes), 1)
        self.assertIn(document_id, deletes[0].path)
        self.assertLess(self.downloads(document_id)[0].time, deletes[0].time)
        self.assertTrue(self.simulator.received_documents[document_id].deleted)

    def test_failed_deletion_is_retried_by_the_next_run(self):
        document_id = self.receive_document(invoice())
        self.pull()
        bill = self.bill_of(document_id)
        # as if the DELETE that follows the commit had failed (eConnect down right after the download)
        self.company.econnect_delete_after_download = True
        bill.sudo().econnect_delete_pending = True
        self.simulator.faults.fail_next(3, status=503, path_contains="/purchaseInvoice/")
        self.pull()
        self.assertTrue(bill.econnect_delete_pending, "a failed deletion stays pending")
        self.assertFalse(self.simulator.received_documents[document_id].deleted)
        self.simulator.faults.clear()
        self.pull()
        self.assertFalse(bill.econnect_delete_pending)
        self.assertTrue(self.simulator.received_documents[document_id].deleted)
        self.assertEqual(len(self.bill_of(document_id)), 1)

    def test_announced_again_creates_nothing_new(self):
        document_id = self.receive_document(invoice())
        self.pull()
        # eConnect announces the same document again (a new event: another creation time)
        self.env.flush_all()
        self.simulator.emit_event(PARTY, "InvoiceReceived", document_id=document_id, message="again")
        self.wait_for_webhooks(2, topic="InvoiceReceived")
        events = self.event_of(document_id)
        self.assertEqual(len(events), 2)
        self.pull()
        self.assertEqual(len(self.bill_of(document_id)), 1)
        self.assertEqual(len(self.downloads(document_id)), 1, "a document already in Odoo is not downloaded again")
        self.assertEqual(set(events.mapped("state")), {"done"})
        self.assertEqual(events.move_id, self.bill_of(document_id))

    def test_same_document_imported_by_two_workers_gives_one_bill(self):
        document_id = self.receive_document(invoice())
        self.pull()
        bill = self.bill_of(document_id)
        # another worker announced the same document and did not see the bill yet (not committed when it looked)
        self.env.flush_all()
        self.simulator.emit_event(PARTY, "InvoiceReceived", document_id=document_id, message="again")
        self.wait_for_webhooks(2, topic="InvoiceReceived")
        Move = self.registry["account.move"]
        with patch.object(Move, "_econnect_find_received", lambda self, company, doc: self.browse()), \
                mute_logger("odoo.sql_db"):
            stats = self.pull()
        self.assertEqual(stats["bills"], 0)
        self.assertEqual(self.bill_of(document_id), bill, "the database refuses a second bill for the document")
        late = self.event_of(document_id).filtered(lambda e: e.state != "done")
        self.assertEqual((late.state, late.attempts), ("pending", 1))
        self.assertIn("at the same moment", late.last_error)
        self.make_due(late)
        self.pull()
        self.assertEqual((late.state, late.move_id), ("done", bill))
        self.assertEqual(self.bill_of(document_id), bill)

    def test_receiving_off_keeps_the_event_until_it_is_on(self):
        document_id = self.receive_document(invoice())
        self.keep_hook()
        self.company.econnect_receive = False
        self.pull()
        event = self.event_of(document_id)
        self.assertEqual(event.state, "pending")
        self.assertIn("Receiving is off", event.waiting_reason)
        self.assertFalse(self.downloads(), "nothing is downloaded while receiving is off")
        self.company.econnect_receive = True
        self.pull()
        self.assertEqual(event.state, "done")
        self.assertTrue(self.bill_of(document_id))

    def test_events_of_an_inactive_company_are_kept(self):
        document_id = self.receive_document(invoice())
        self.company.sudo().econnect_state = "not_connected"
        self.pull()
        event = self.event_of(document_id)
        self.assertEqual(event.state, "pending")
        self.assertTrue(event.waiting_reason)
        self.assertFalse(self.downloads())
        self.company.sudo().econnect_state = "active"
        self.pull()
        self.assertEqual(event.state, "done")

    # ------------------------------------------------------------------------------------------
    # Failures
    # ------------------------------------------------------------------------------------------
    def test_psb_5xx_leaves_the_event_pending_and_the_next_run_succeeds(self):
        document_id = self.receive_document(invoice())
        self.simulator.faults.fail_next(1, status=503, path_contains="/download")
        stats = self.pull()
        event = self.event_of(document_id)
        self.assertEqual(stats["failed"], 1)
        self.assertEqual((event.state, event.attempts), ("pending", 1))
        self.assertIn("temporarily unavailable", event.last_error)
        self.assertGreater(event.next_attempt_at, fields.Datetime.now(), "retried after a backoff")
        self.assertFalse(self.bill_of(document_id))
        self.pull()
        self.assertEqual(event.attempts, 1, "not retried before the backoff is over")
        self.make_due(event)
        self.pull()
        self.assertEqual(event.state, "done")
        self.assertEqual(len(self.bill_of(document_id)), 1)

    def test_timeout_on_download_leaves_the_event_pending(self):
        document_id = self.receive_document(invoice())
        self.env["ir.config_parameter"].sudo().set_param("econnect_odoo.timeout", "0.3")
        self.simulator.faults.slow_next(1, seconds=1.0, path_contains="/download")
        self.pull()
        event = self.event_of(document_id)
        self.assertEqual((event.state, event.attempts), ("pending", 1))
        self.assertFalse(self.bill_of(document_id))
        time.sleep(0.8)  # let the simulator finish the slow answer nobody waits for
        self.env["ir.config_parameter"].sudo().set_param("econnect_odoo.timeout", "30")
        self.make_due(event)
        self.pull()
        self.assertEqual(len(self.bill_of(document_id)), 1)

    def test_failure_between_download_and_commit_leaves_no_bill(self):
        self.company.econnect_delete_after_download = True
        document_id = self.receive_document(invoice())
        Move = self.registry["account.move"]
        with patch.object(Move, "_econnect_post_received_note", side_effect=RuntimeError("crash before commit")):
            self.pull()
        event = self.event_of(document_id)
        self.assertEqual(len(self.downloads(document_id)), 1, "the document was downloaded")
        self.assertFalse(self.bill_of(document_id), "nothing of the half-made bill is left")
        self.assertFalse(self.env["ir.attachment"].search([("name", "=", "INV-001.xml")]))
        self.assertFalse(self.deletes(), "nothing acknowledged at eConnect")
        self.assertEqual((event.state, event.attempts), ("pending", 1))
        self.assertIn("crash before commit", event.last_error)
        self.make_due(event)
        self.pull()
        self.assertEqual(len(self.bill_of(document_id)), 1)
        self.assertEqual(len(self.deletes()), 1)
        self.assertEqual(event.state, "done")

    def test_the_last_failure_stops_and_tells_the_administrators(self):
        document_id = self.receive_document(invoice())
        admin = self.econnect_admin(login="econnect_admin_receive")
        self.simulator.faults.fail_next(100, status=500, path_contains="/download")
        event = self.event_of(document_id)
        tries = BETWEEN_RUNS.tries  # the one backoff policy (psb/retry.py)
        for attempt in range(1, tries + 1):
            self.pull()
            self.assertEqual(event.attempts, attempt)
            if attempt < tries:
                self.assertEqual(event.state, "pending")
                self.make_due(event)
        self.assertEqual(event.state, "error")
        self.assertFalse(event.next_attempt_at)
        self.assertIn(admin, event.activity_ids.user_id)
        self.pull()
        self.assertEqual(event.attempts, tries, "a failed event is not retried by itself")
        # an administrator fixes the cause and retries
        self.simulator.faults.clear()
        event.with_user(admin).action_econnect_retry()
        self.assertEqual(event.state, "done")
        self.assertEqual(len(self.bill_of(document_id)), 1)

    def test_a_run_killed_on_an_event_counts_an_attempt_and_the_others_go_on(self):
        """A worker killed while it processes an event (time or memory limit, SIGKILL) commits nothing after the
        event's lease: the attempt counts, the event waits its backoff, the events behind it are processed, and
        after the last attempt it fails and the administrators are told. (bench/faults.py kills for real.)"""
        poison = self.receive_document(invoice(number="POISON"))
        healthy = self.receive_document(invoice(number="HEALTHY", amount="50.00"))
        admin = self.econnect_admin(login="econnect_admin_poison")
        Event = self.registry["econnect.event"]
        process = Event._econnect_process

        def killed_on_poison(event, stats):
            if event.document_id == poison:
                raise SystemExit("killed")  # not an exception the pull handles: nothing after the lease survives
            return process(event, stats)

        event = self.event_of(poison)
        with patch.object(Event, "_econnect_process", killed_on_poison):
            for attempt in range(1, BETWEEN_RUNS.tries + 1):
                # not assertRaises: Odoo's rolls back what happened inside it, and the lease must survive
                killed = False
                try:
                    self.pull()
                except SystemExit:
                    killed = True
                self.assertTrue(killed, "the run was killed")
                self.env.invalidate_all()
                self.assertEqual((event.state, event.attempts), ("pending", attempt))
                self.assertGreater(event.next_attempt_at, fields.Datetime.now(), "it waits its backoff")
                self.assertTrue(event.attempt_started_at, "the attempt was stopped under way")
                self.make_due(event)
                if attempt == 1:
                    # the next run is not stuck behind it; without its whole time it leaves it for a fresh run
                    with patch.object(Budget, "whole", lambda budget: False):
                        stats = self.pull()
                    self.assertEqual(self.event_of(healthy).state, "done")
                    self.assertEqual(len(self.bill_of(healthy)), 1)
                    self.assertEqual((event.state, event.attempts, stats["remaining"]), ("pending", 1, 1))
            self.pull()
        self.assertEqual((event.state, event.attempts), ("error", BETWEEN_RUNS.tries))
        self.assertIn("did not finish", event.last_error)
        self.assertIn(admin, event.activity_ids.user_id)
        self.assertFalse(self.bill_of(poison))

    def test_document_with_an_external_entity_is_refused_unexpanded(self):
        document_id = self.receive_document(XXE)
        self.pull()
        event = self.event_of(document_id)
        self.assertEqual(event.state, "error")
        self.assertIn("DTD", event.last_error)
        self.assertFalse(self.bill_of(document_id))
        kept = self.env["ir.attachment"].search([("res_model", "=", "econnect.event"), ("res_id", "=", event.id)])
        self.assertEqual(kept.raw, XXE, "the file is kept as it came, never expanded")
        self.assertNotIn(b"root:", kept.raw)
        self.assertTrue(event.activity_ids, "the administrators are told")

    def test_entity_expansion_bomb_is_refused_unexpanded(self):
        document_id = self.receive_document(BOMB)
        started = time.monotonic()
        self.pull()
        self.assertLess(time.monotonic() - started, 10)
        event = self.event_of(document_id)
        self.assertEqual(event.state, "error")
        self.assertIn("DTD", event.last_error)
        self.assertFalse(self.bill_of(document_id))

    def test_oversized_document_is_refused(self):
        self.env["ir.config_parameter"].sudo().set_param("econnect_odoo.max_document_bytes", "2048")
        document_id = self.receive_document(invoice())
        self.pull()
        event = self.event_of(document_id)
        self.assertEqual(event.state, "error")
        self.assertFalse(self.bill_of(document_id))

    def test_unreadable_document_still_becomes_a_draft_bill(self):
        for payload in (b"this is not XML <", b"<?xml version='1.0'?><Order xmlns='urn:example'/>"):
            document_id = self.receive_document(payload)
            self.pull()
            bill = self.bill_of(document_id)
            self.assertEqual(len(bill), 1)
            self.assertEqual(bill.state, "draft")
            self.assertEqual(bill.econnect_received_attachment_id.raw, payload)
            self.assertTrue(bill.econnect_import_issue)
            self.assertIn(self.checker, bill.activity_ids.user_id)
            self.assertEqual(self.event_of(document_id).state, "done")

    def test_unknown_vendor_is_flagged_and_not_posted(self):
        document_id = self.receive_document(stranger_invoice())
        self.pull()
        bill = self.bill_of(document_id)
        self.assertFalse(bill.partner_id)
        self.assertIn("could not be matched", bill.econnect_import_issue)
        self.assertIn("0106:99887766", bill.econnect_import_issue)
        self.assertEqual(bill.state, "draft")
        self.assertIn(self.checker, bill.activity_ids.user_id)

    def test_vendor_created_by_the_import_is_flagged(self):
        document_id = self.receive_document(invoice(seller="0106:99887711", sender_name="New Seller B.V."))
        self.pull()
        bill = self.bill_of(document_id)
        self.assertTrue(bill.partner_id)
        self.assertIn("was created by the import", bill.econnect_import_issue)

    def test_matching_bill_of_an_autopost_vendor_is_posted(self):
        self.company.autopost_bills = True
        self.vendor.autopost_bills = "always"
        document_id = self.receive_document(invoice())
        self.pull()
        self.assertEqual(self.bill_of(document_id).state, "posted")

    # ------------------------------------------------------------------------------------------
    # Batches, time limit, entry points
    # ------------------------------------------------------------------------------------------
    def test_batches_process_everything_in_one_run(self):
        ids = [self.receive_document(invoice(number=f"B-{n}")) for n in range(5)]
        stats = self.pull(batch_size=2)
        self.assertEqual(stats["bills"], 5)
        self.assertEqual(stats["remaining"], 0)
        self.assertEqual(len(self.env["account.move"].search([("econnect_received_document_id", "in", ids)])), 5)

    def test_stops_before_the_time_limit_and_triggers_itself(self):
        ids = [self.receive_document(invoice(number=f"T-{n}")) for n in range(3)]
        cron = self.env.ref("econnect_odoo.ir_cron_econnect_pull")
        with patch.object(Budget, "spent", lambda self: True):
            stats = self.pull()
        self.assertEqual(stats["processed"], 0)
        self.assertEqual(stats["remaining"], 3)
        triggers = self.env["ir.cron.trigger"].sudo().search([("cron_id", "=", cron.id)])
        self.assertTrue(triggers.filtered(lambda t: t.call_at >= fields.Datetime.now() - timedelta(seconds=2)))
        self.pull()
        self.assertEqual(len(self.env["account.move"].search([("econnect_received_document_id", "in", ids)])), 3)

    def test_one_pull_at_a_time(self):
        document_id = self.receive_document(invoice())
        with sql_db.db_connect(self.env.cr.dbname).cursor() as other:  # another worker, its own connection
            other.execute("SELECT pg_advisory_lock(%s)", [PULL_LOCK_KEY])
            try:
                stats = self.pull()
            finally:
                other.execute("SELECT pg_advisory_unlock(%s)", [PULL_LOCK_KEY])
        self.assertTrue(stats["busy"])
        self.assertFalse(self.bill_of(document_id))
        self.assertEqual(self.pull()["bills"], 1)

    def test_a_failed_run_releases_its_lock(self):
        Event = self.registry["econnect.event"]
        with patch.object(Event, "_econnect_ready_events", side_effect=RuntimeError("broken")), \
                self.assertRaisesRegex(RuntimeError, "broken"):
            self.pull()
        with sql_db.db_connect(self.env.cr.dbname).cursor() as other:
            other.execute("SELECT pg_try_advisory_lock(%s)", [PULL_LOCK_KEY])
            self.assertTrue(other.fetchone()[0], "the next run can take the lock")
            other.execute("SELECT pg_advisory_unlock(%s)", [PULL_LOCK_KEY])

    def test_budget_from_the_configuration(self):
        """A margin before Odoo's limits. A cron job counts from the worker's last sign of life, which in prefork
        comes before its sleep (up to 70 s) or right after its previous job; a button from the request."""
        cron_env = self.env(context=dict(self.env.context, cron_id=1))
        old_process = patch.dict(budget._process_start, {os.getpid(): 0.0})  # started long ago
        with patch.dict(config.options, {"limit_time_real_cron": 300}), patch.dict(budget._passes), \
                patch.dict(budget._last_job_end), old_process:
            # a pass after a sleep of up to 70 s: its sign of life may be that old
            budget.cron_job_starting(pass_cursor := object())
            self.assertAlmostEqual(Budget(cron_env).wall_deadline, time.time() - 70 + 300 - 75, delta=2)
            budget.cron_job_ended()  # the first job of the pass ends, the second starts: the same pass, the same start
            budget.cron_job_starting(pass_cursor)
            self.assertAlmostEqual(Budget(cron_env).wall_deadline, time.time() - 70 + 300 - 75, delta=2)
            budget.cron_job_ended()
            budget.cron_job_starting(object())  # the next pass, woken at once: its sign of life came at the last end
            self.assertAlmostEqual(Budget(cron_env).wall_deadline, time.time() + 300 - 75, delta=2)
        with patch.dict(config.options, {"limit_time_real_cron": -1, "limit_time_real": 120}):
            # a cron job whose pass is unknown (no job of this process started it): up to 70 s may be gone
            with old_process:
                self.assertAlmostEqual(Budget(cron_env).wall_deadline, time.time() - 70 + 120 - 30, delta=2)
            self.assertAlmostEqual(Budget(self.env).wall_deadline, time.time() + 120 - 30, delta=2)
        with patch.dict(config.options, {"limit_time_real_cron": 0, "limit_time_real": 0}):
            self.assertAlmostEqual(Budget(self.env).wall_deadline, time.time() + 3600 - 900, delta=2)
        # prefork: the kernel stops the worker at RLIMIT_CPU, set before each pass to what it used + limit_time_cpu
        soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        used = usage.ru_utime + usage.ru_stime
        resource.setrlimit(resource.RLIMIT_CPU, (int(used) + 1000, hard))
        try:
            with patch.dict(config.options, {"limit_time_cpu": 60}):
                self.assertEqual(Budget(self.env).cpu_deadline, int(used) + 1000 - 15)
                self.assertFalse(Budget(self.env).spent())
        finally:
            resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))

    def test_scheduled_action_runs_the_pull(self):
        document_id = self.receive_document(invoice())
        self.env.ref("econnect_odoo.ir_cron_econnect_pull").method_direct_trigger()
        self.env.invalidate_all()
        self.assertTrue(self.bill_of(document_id))

    def test_fetch_button_on_the_journal(self):
        document_id = self.receive_document(invoice())
        user = self.econnect_user(login="fetcher")
        self.assertTrue(self.receive_journal.econnect_is_receive_journal)
        action = self.receive_journal.with_user(user).action_econnect_fetch()
        self.env.invalidate_all()
        self.assertIn("1 new bill", action["params"]["message"])
        self.assertTrue(self.bill_of(document_id))

    def test_check_again_after_fixing_the_bill(self):
        # the vendor sent it (its Peppol id is the sender) with a document Odoo could not match to it
        document_id = self.receive_document(stranger_invoice(), sender_id=SELLER)
        self.pull()
        bill = self.bill_of(document_id)
        self.assertTrue(bill.econnect_import_issue)
        with self.assertRaisesRegex(UserError, "not match the received e-invoice"):
            bill.action_post()
        bill.partner_id = self.vendor
        bill.action_econnect_check_again()
        self.assertFalse(bill.econnect_import_issue)
        self.assertFalse(bill.activity_ids.filtered(lambda a: a.user_id == self.checker))
        bill.action_post()
        self.assertEqual(bill.state, "posted")

    # ------------------------------------------------------------------------------------------
    # Delivery results and customers' answers
    # ------------------------------------------------------------------------------------------
    def test_delivered_invoice(self):
        move = self.sent_invoice()
        self.wait_for_webhooks(1, topic="InvoiceSent")
        self.pull()
        self.assertEqual(move.econnect_state, "delivered")
        self.assertEqual(self.event_of(move.econnect_uuid).move_id, move)

    def test_delivery_error(self):
        move = self.sent_invoice(receiver="0106:44444444")  # not on the Peppol network
        self.wait_for_webhooks(1, topic="InvoiceSentError")
        self.pull()
        self.assertEqual(move.econnect_state, "error")
        self.assertIn("not registered", move.econnect_message)
        self.assertTrue(move.activity_ids)

    def mails_to(self, user):
        """What ``user`` was e-mailed: eConnect digests and Odoo's "activity assigned to you" notifications."""
        digests = self.env["mail.mail"].sudo().search(
            [("recipient_ids", "in", user.partner_id.id), ("subject", "ilike", "eConnect:")]
        )
        assigned = self.env["mail.message"].sudo().search([
            ("message_type", "=", "user_notification"), ("partner_ids", "in", user.partner_id.id),
            ("subject", "ilike", "assigned to you"),
        ])
        return digests, assigned

    def test_many_events_of_one_pull_make_one_digest(self):
        """Three results arrive in one pull: the responsible who opted in gets one mail, not one per invoice."""
        alice = self.econnect_user(login="alice_digest")
        alice.econnect_notify_sent_delivered = True
        delivered = self.sent_invoice() | self.sent_invoice()
        failed = self.sent_invoice(receiver="0106:44444444")  # not on the Peppol network
        (delivered | failed).invoice_user_id = alice
        self.wait_for_webhooks(2, topic="InvoiceSent")
        self.wait_for_webhooks(1, topic="InvoiceSentError")
        self.pull()
        self.assertEqual(delivered.mapped("econnect_state"), ["delivered", "delivered"])
        self.assertEqual(failed.econnect_state, "error")
        self.assertTrue(failed.activity_ids.filtered(lambda a: a.user_id == alice), "the to-do is still there")
        digests, assigned = self.mails_to(alice)
        self.assertEqual(len(digests), 1, "one digest for the run")
        self.assertIn("(3)", digests.subject)
        for move in delivered | failed:
            self.assertIn(f"res_id={move.id}", digests.body_html)
        self.assertFalse(assigned, "no extra mail per invoice for the failure's activity")

    def test_opted_out_user_gets_no_mail_about_failures(self):
        bob = self.econnect_user(login="bob_no_mail")
        bob.econnect_notify_sent_failed = False
        move = self.sent_invoice(receiver="0106:44444444")
        move.invoice_user_id = bob
        self.wait_for_webhooks(1, topic="InvoiceSentError")
        self.pull()
        self.assertEqual(move.econnect_state, "error")
        self.assertTrue(move.activity_ids.filtered(lambda a: a.user_id == bob), "the failure is on his to-do list")
        digests, assigned = self.mails_to(bob)
        self.assertFalse(digests, "he turned these e-mails off")
        self.assertFalse(assigned, "not even Odoo's activity notification")

    def test_customer_answer_asking_action_mails_only_who_opted_in(self):
        carl = self.econnect_user(login="carl_answers")
        move = self.sent_invoice()
        move.invoice_user_id = carl
        self.wait_for_webhooks(1, topic="InvoiceSent")
        self.simulator.inject_invoice_response(PARTY, move.econnect_uuid, "RE", reasons={"PRI": "Wrong price"})
        self.wait_for_webhooks(1, topic="InvoiceResponseReceived")
        self.pull()
        self.assertEqual(move.econnect_response_status, "RE")
        self.assertTrue(move.activity_ids.filtered(lambda a: a.user_id == carl))
        digests, assigned = self.mails_to(carl)
        self.assertFalse(digests, "answers are off by default")
        self.assertFalse(assigned, "no per-invoice mail through the activity either")

    def test_retry_then_delivered(self):
        self.simulator.set_delivery_outcome(BUYER_PARTY, "retry", retries=1, then="sent")
        self.addCleanup(self.simulator.set_delivery_outcome, BUYER_PARTY, None)
        move = self.sent_invoice()
        self.wait_for_webhooks(1, topic="InvoiceSent")
        self.pull()
        self.assertEqual(move.econnect_state, "delivered")
        self.assertEqual(len(self.event_of(move.econnect_uuid)), 2)

    def test_status_for_an_unknown_invoice_is_done(self):
        self.env.flush_all()
        self.simulator.emit_event(PARTY, "InvoiceSent", document_id="not-ours", message="Delivered.")
        self.wait_for_webhooks(1, topic="InvoiceSent")
        self.pull()
        event = self.event_of("not-ours")
        self.assertEqual(event.state, "done")
        self.assertIn("No invoice", event.result)

    def test_received_error_of_our_upload_fails_the_invoice(self):
        """eConnect's Validate phase refuses one of our uploads after accepting it: an InvoiceReceivedError with
        our document id. It arrives also while receiving is off, and fails that invoice (message, activity)."""
        self.keep_hook()
        self.company.econnect_set_receive(False)
        [hook] = [h for h in self.simulator.hooks if h.id == self.company.sudo().econnect_hook_id]
        self.assertEqual(set(hook.topics) & {"InvoiceReceived", "InvoiceReceivedError"}, {"InvoiceReceivedError"})
        self.simulator.set_delivery_outcome(BUYER_PARTY, "invalid", message="[BR-CO-15] total amount is wrong")
        self.addCleanup(self.simulator.set_delivery_outcome, BUYER_PARTY, None)
        move = self.sent_invoice()
        self.wait_for_webhooks(1, topic="InvoiceReceivedError")
        self.pull()
        event = self.event_of(move.econnect_uuid, topic="InvoiceReceivedError")
        self.assertEqual((event.state, event.move_id), ("done", move))
        self.assertEqual(move.econnect_state, "error")
        self.assertIn("BR-CO-15", move.econnect_message)
        self.assertTrue(move.activity_ids, "the responsible gets an activity")
        self.assertFalse(
            event.message_ids.filtered(lambda m: "rejected a document sent to" in (m.body or "")),
            "not a document rejected for us",
        )

    def test_received_error_tells_the_administrators(self):
        admin = self.econnect_admin(login="econnect_admin_errors")
        self.env.flush_all()
        self.simulator.emit_event(PARTY, "InvoiceReceivedError", document_id="rejected-1",
                                  message="The document failed the Peppol rules.")
        self.wait_for_webhooks(1, topic="InvoiceReceivedError")
        self.pull()
        event = self.event_of("rejected-1")
        self.assertEqual(event.state, "done")
        message = event.message_ids.filtered(lambda m: "failed the Peppol rules" in (m.body or ""))
        self.assertTrue(message)
        self.assertIn(admin.partner_id, message.partner_ids)
