"""The inbox of eConnect's webhook events, and the scheduled pull that works through it.

The webhook controller only stores events (:meth:`EconnectEvent._econnect_store_webhook_event`). The pull
(:meth:`EconnectEvent._cron_econnect_pull`) downloads received documents and turns them into vendor bills,
applies delivery results and customers' invoice responses to sent invoices, one event at a time, each in
its own savepoint, committed before anything is acknowledged at eConnect.
"""

import hashlib
import json
import logging
from datetime import timedelta

import psycopg2.errors
import psycopg2.extensions
from markupsafe import Markup

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_list

from ..psb import contract
from ..psb.errors import PSBError
from ..psb.retry import BETWEEN_RUNS
from ..tools import received_document
from ..tools.budget import Budget
from ..tools.messages import document_problem, user_message
from ..tools.queue import claim, commit, work_through

_logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 50
DEFAULT_MAX_DOCUMENT_BYTES = received_document.DEFAULT_MAX_BYTES
# one pull at a time per database (the cron and the "Fetch from eConnect" button); the key reads "eConnect"
PULL_LOCK_KEY = 0x65436F6E6E656374
CRON_XMLID = "econnect_odoo.ir_cron_econnect_pull"
PING_TOPIC = "Ping"
# the unique index of received document ids on account.move (account_move_receive.py)
RECEIVED_DOCUMENT_INDEX = "account_move_econnect_received_document_uniq"


class EconnectRetryLater(Exception):
    """A failure that may go away: retry the event later (after the backoff of ``psb/retry.py``)."""


class EconnectPermanentError(Exception):
    """A failure that cannot go away by retrying: stop now and tell the eConnect administrators."""


class EconnectRefusedDocument(EconnectPermanentError):
    """A downloaded document refused unopened (DTD, entities, too large); ``data`` is kept with the event."""

    def __init__(self, message, data):
        super().__init__(message)
        self.data = data


def _receiving_ready(company):
    """Whether documents may be downloaded for ``company``: receiving on, and a journal to put them in."""
    return bool(company.econnect_receive and company.econnect_receive_journal_id)


class EconnectEvent(models.Model):
    _name = "econnect.event"
    _description = "eConnect event"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "received_at desc, id desc"
    _rec_name = "topic"
    # Events are written by the system only (no user may write, create or delete one: what an event says decides
    # what the pull does for its company); administrators read them, comment and close their activities.
    _mail_post_access = "read"

    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True, ondelete="cascade")
    topic = fields.Char(required=True, readonly=True, index=True)
    document_id = fields.Char(string="eConnect document id", readonly=True, index="btree_not_null")
    response_document_id = fields.Char(string="Response document id", readonly=True)
    hook_id = fields.Char(string="Hook id", readonly=True)
    party_id = fields.Char(string="Party id", readonly=True)
    message = fields.Char(string="eConnect message", readonly=True)
    payload = fields.Text(readonly=True, help="The event exactly as eConnect posted it.")
    event_created_on = fields.Datetime(string="Created at eConnect", readonly=True)
    received_at = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now, index=True)
    event_key = fields.Char(
        required=True, readonly=True,
        help="Topic, document id and creation time: the same event posted twice is stored once.",
    )
    state = fields.Selection(
        selection=[("pending", "To process"), ("done", "Done"), ("error", "Failed")],
        required=True,
        default="pending",
        readonly=True,
        index=True,
        help="To process: waiting for the scheduled action (or for a retry). Done: handled. Failed: stopped after "
        "an error that retrying does not fix, or after %s attempts; use Retry once the cause is fixed."
        % BETWEEN_RUNS.tries,
    )
    attempts = fields.Integer(readonly=True)
    next_attempt_at = fields.Datetime(string="Next attempt", readonly=True)
    attempt_started_at = fields.Datetime(
        string="Attempt under way since", readonly=True,
        help="Set while an attempt runs. Still set afterwards: the attempt was stopped (e.g. by a time or memory limit "
        "of Odoo's worker) and the next one waits for a run that has its whole time.",
    )
    last_error = fields.Text(readonly=True)
    result = fields.Char(readonly=True, help="What processing the event did.")
    processed_at = fields.Datetime(readonly=True)
    move_id = fields.Many2one("account.move", string="Invoice / bill", readonly=True, index="btree_not_null")
    waiting_reason = fields.Char(compute="_compute_waiting_reason")

    _sql_constraints = [
        ("event_key_uniq", "unique(company_id, event_key)", "This eConnect event is already stored."),
    ]

    @api.depends("state", "company_id", "topic")
    def _compute_waiting_reason(self):
        for event in self:
            reason = False
            company = event.company_id
            if event.state == "pending":
                if not company.active or company.econnect_state != "active":
                    reason = self.env._("eConnect is not active for %s: the event is kept until it is.", company.name)
                elif event.topic == contract.TOPIC_INVOICE_RECEIVED and not _receiving_ready(company):
                    reason = self.env._(
                        "Receiving is off for %s (or has no purchase journal): the document is downloaded once it "
                        "is on.", company.name,
                    )
            event.waiting_reason = reason

    @api.depends("topic", "document_id")
    def _compute_display_name(self):
        for event in self:
            event.display_name = f"{event.topic} {event.document_id or ''}".strip()

    # ------------------------------------------------------------------------------------------
    # The inbox (called by the webhook controller; nothing else happens there)
    # ------------------------------------------------------------------------------------------
    @api.model
    def _econnect_webhook_target(self, token):
        """``(company, encrypted secret, party id)`` of the company whose webhook token is ``token``, or None.

        One narrow query: the webhook must answer at once, and archived companies count (their events are kept).
        """
        self.env.cr.execute(
            """
            SELECT id, econnect_webhook_secret_encrypted, econnect_party_id
              FROM res_company
             WHERE econnect_webhook_token = %s
             LIMIT 1
            """,
            [token],
        )
        row = self.env.cr.fetchone()
        if row is None:
            return None
        return self.env["res.company"].sudo().browse(row[0]), row[1], row[2]

    @api.model
    def _econnect_event_key(self, topic, document_id, created_on):
        text = "\x1f".join([topic or "", document_id or "", created_on.isoformat() if created_on else ""])
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    @api.model
    def _econnect_store_webhook_event(self, company, event, body):
        """Store a verified webhook event (a ``psb.webhook.WebhookEvent``) of ``company``.

        Idempotent on (company, topic, document id, creation time), also under concurrent posts (one INSERT ...
        ON CONFLICT DO NOTHING against a unique constraint). Triggers the pull when the event is new.
        Returns ``(event id or None, created)``.
        """
        created_on = event.created_on.replace(tzinfo=None) if event.created_on else None
        key = self._econnect_event_key(event.topic, event.document_id, event.created_on)
        is_ping = event.topic == PING_TOPIC
        now = fields.Datetime.now()
        self.env.cr.execute(
            """
            INSERT INTO econnect_event (
                company_id, topic, document_id, response_document_id, hook_id, party_id, message, payload,
                event_created_on, received_at, event_key, state, attempts, result, processed_at,
                create_uid, write_uid, create_date, write_date
            ) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 0, %s, %s, %s, %s, %s, %s)
            ON CONFLICT (company_id, event_key) DO NOTHING
            RETURNING id
            """,
            [
                company.id, event.topic[:100], event.document_id, event.response_document_id, event.hook_id,
                event.party_id, (event.message or "")[:1000] or None, body.decode("utf-8", "replace"),
                created_on, now, key, "done" if is_ping else "pending",
                "Ping: the webhook works." if is_ping else None, now if is_ping else None,
                self.env.uid or SUPERUSER_ID, self.env.uid or SUPERUSER_ID, now, now,
            ],
        )
        row = self.env.cr.fetchone()
        if row is None:
            return None, False
        if not is_ping:
            self.env.ref(CRON_XMLID).sudo()._trigger()
        return row[0], True

    # ------------------------------------------------------------------------------------------
    # The pull
    # ------------------------------------------------------------------------------------------
    @api.model
    def _cron_econnect_pull(self):
        """Scheduled action: process what is ready, within the cron's time limit."""
        stats = self.sudo()._econnect_pull()
        # Continuation is by trigger (a fresh job with a fresh time budget), never by Odoo repeating this call
        # inside the same job: so the progress reports nothing remaining.
        self.env["ir.cron"]._notify_progress(done=stats.get("processed", 0), remaining=0)

    @api.model
    def _econnect_pull(self, companies=None, events=None, batch_size=None):
        """Process ready events (of ``companies`` or only ``events`` when given), in batches, until none is left
        or the time budget is spent. Returns counters: ``processed``, ``failed``, ``bills``, ``remaining``, and
        ``busy`` (True when another pull was running: nothing was done)."""
        stats = {"processed": 0, "failed": 0, "bills": 0, "updates": 0, "remaining": 0, "busy": False}
        if not self._econnect_try_lock():
            stats["busy"] = True
            return stats
        try:
            budget = Budget(self.env)
            batch_size = batch_size or self._econnect_batch_size()
            self._econnect_retry_deletions(companies, budget)

            def ready(exclude):
                return self._econnect_ready_events(companies, events, limit=batch_size, exclude=exclude)

            def process(batch, budget):
                for event in batch:
                    if budget.spent():
                        break
                    if event.attempt_started_at and not budget.whole():
                        continue  # its last attempt was stopped by a limit: it waits for a run with its whole time
                    event._econnect_process_safely(stats)

            work_through(self.env, CRON_XMLID, ready, process, budget=budget)
            stats["remaining"] = self._econnect_ready_events(companies, events, count=True)
            self._econnect_schedule_retry(companies)
            self.env["econnect.notifier"]._econnect_send_digests()
            commit(self.env)
        finally:
            self._econnect_unlock()
        return stats

    def _econnect_try_lock(self):
        self.env.cr.execute("SELECT pg_try_advisory_lock(%s)", [PULL_LOCK_KEY])
        return self.env.cr.fetchone()[0]

    def _econnect_unlock(self):
        # A session lock outlives the transaction, and Odoo pools its connections: it must be released even when
        # the run failed half-way (then on a fresh transaction), or no pull would ever run on this connection again.
        cr = self.env.cr
        connection = getattr(cr, "_cnx", None)
        failed = psycopg2.extensions.TRANSACTION_STATUS_INERROR
        if connection is not None and connection.get_transaction_status() == failed:
            cr.rollback()
        cr.execute("SELECT pg_advisory_unlock(%s)", [PULL_LOCK_KEY])

    @api.model
    def _econnect_int_param(self, key, default, minimum):
        """A whole number from the system parameters (``econnect_odoo.<key>``), at least ``minimum``; ``default`` when
        unset or not a number."""
        value = self.env["ir.config_parameter"].sudo().get_param(f"econnect_odoo.{key}")
        try:
            return max(minimum, int(value)) if value else default
        except ValueError:
            return default

    @api.model
    def _econnect_batch_size(self):
        return self._econnect_int_param("pull_batch_size", DEFAULT_BATCH_SIZE, 1)

    @api.model
    def _econnect_max_document_bytes(self):
        return self._econnect_int_param("max_document_bytes", DEFAULT_MAX_DOCUMENT_BYTES, 1024)

    @api.model
    def _econnect_companies(self, companies=None):
        """(companies whose events may be processed, those of them that receive documents)."""
        domain = [("econnect_state", "=", "active")]
        if companies is not None:
            domain.append(("id", "in", companies.ids))
        active = self.env["res.company"].sudo().search(domain)
        return active, active.filtered(_receiving_ready)

    @api.model
    def _econnect_ready_domain(self, companies=None, events=None):
        active, receiving = self._econnect_companies(companies)
        now = fields.Datetime.now()
        domain = [
            ("state", "=", "pending"),
            ("company_id", "in", active.ids),
            "|", ("next_attempt_at", "=", False), ("next_attempt_at", "<=", now),
            "|", ("topic", "!=", contract.TOPIC_INVOICE_RECEIVED), ("company_id", "in", receiving.ids),
        ]
        if events is not None:
            domain.append(("id", "in", events.ids))
        return domain

    @api.model
    def _econnect_ready_events(self, companies=None, events=None, limit=None, exclude=(), count=False):
        domain = self._econnect_ready_domain(companies, events)
        if exclude:
            domain.append(("id", "not in", list(exclude)))
        if count:
            return self.search_count(domain)
        return self.search(domain, limit=limit, order="event_created_on, id")

    @api.model
    def _econnect_schedule_retry(self, companies=None):
        """Run again when the earliest retry is due (work left now re-triggers the cron at once: ``work_through``)."""
        active, _receiving = self._econnect_companies(companies)
        retry = self.search([
            ("state", "=", "pending"), ("company_id", "in", active.ids),
            ("next_attempt_at", ">", fields.Datetime.now()),
        ], order="next_attempt_at", limit=1)
        if retry:
            self.env.ref(CRON_XMLID).sudo()._trigger(retry.next_attempt_at)

    # ------------------------------------------------------------------------------------------
    # One event
    # ------------------------------------------------------------------------------------------
    def _econnect_process_safely(self, stats):
        """Process one event in its own savepoint; record a failure on the event; commit; then acknowledge."""
        self.ensure_one()
        # notes, warnings and activities in the company's language (the scheduled action runs as OdooBot)
        lang = self.company_id.partner_id.lang or self.env.lang
        event = self.with_company(self.company_id).with_context(lang=lang)
        claimed = claim(
            event, "state = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= %s)",
            [fields.Datetime.now()], lease=lambda claimed: claimed._econnect_lease(),
        )
        if not claimed:
            return  # another run holds it, or did it meanwhile
        if claimed.state != "pending":
            stats["failed"] += 1  # its last attempt had not finished: failed by the lease
            return
        after_commit = None
        try:
            with self.env.cr.savepoint():
                after_commit = event._econnect_process(stats)
        except EconnectRefusedDocument as error:
            event._econnect_keep_refused_file(error.data)
            event._econnect_record_failure(str(error), permanent=True)
            stats["failed"] += 1
        except (EconnectRetryLater, EconnectPermanentError) as error:
            event._econnect_record_failure(str(error), permanent=isinstance(error, EconnectPermanentError))
            stats["failed"] += 1
        except Exception as error:  # a bug or a crash must not stop the other events
            _logger.info("eConnect event %s (%s) failed", self.id, self.topic, exc_info=True)
            event._econnect_record_failure(
                self.env._("Unexpected error: %(error)s", error=str(error) or type(error).__name__)
            )
            stats["failed"] += 1
        else:
            stats["processed"] += 1
        commit(self.env)
        if after_commit:
            after_commit()
            commit(self.env)

    def _econnect_process(self, stats):
        """Do what the event says. Returns a callable to run once the work is committed (or None)."""
        self.ensure_one()
        handler = {
            contract.TOPIC_INVOICE_RECEIVED: self._econnect_process_invoice_received,
            contract.TOPIC_INVOICE_RECEIVED_ERROR: self._econnect_process_received_error,
            contract.TOPIC_INVOICE_SENT: self._econnect_process_delivery,
            contract.TOPIC_INVOICE_SENT_RETRY: self._econnect_process_delivery,
            contract.TOPIC_INVOICE_SENT_ERROR: self._econnect_process_delivery,
            contract.TOPIC_INVOICE_RESPONSE_RECEIVED: self._econnect_process_invoice_response,
        }.get(self.topic)
        if handler is None:
            self._econnect_mark_done(self.env._("Nothing to do for this topic."))
            return None
        return handler(stats)

    def _econnect_mark_done(self, result, move=None):
        values = {
            "state": "done",
            "result": result,
            "processed_at": fields.Datetime.now(),
            "next_attempt_at": False,
            "attempt_started_at": False,
            "last_error": False,
        }
        if move:
            values["move_id"] = move.id
        self.write(values)

    def _econnect_lease(self):
        """Count this attempt before it starts (the claim commits it, ``tools/queue.py``): a run that dies on the event
        (its time or memory limit, a kill) has used an attempt like any failure, and the event waits its backoff
        instead of blocking the events behind it. After its last attempt the event fails now."""
        self.ensure_one()
        if BETWEEN_RUNS.exhausted(self.attempts):
            self._econnect_fail(self.env._(
                "Stopped after %(count)s attempts. The last one did not finish: the process was stopped (its time "
                "or memory limit?). %(error)s",
                count=self.attempts, error=self.last_error or "",
            ).strip())
            return
        attempts = self.attempts + 1
        now = fields.Datetime.now()
        self.write({
            "attempts": attempts,
            # the backoff after this attempt, in case it fails (or never ends); the last one waits as the one before
            "next_attempt_at": BETWEEN_RUNS.next_try(min(attempts, BETWEEN_RUNS.tries - 1), now),
            "attempt_started_at": now,
        })

    def _econnect_record_failure(self, message, permanent=False):
        """A failed attempt (counted by its lease): retry after the backoff, or stop (and tell the administrators)."""
        self.ensure_one()
        if permanent or BETWEEN_RUNS.exhausted(self.attempts):
            self._econnect_fail(message)
        else:
            self.write({"last_error": message, "attempt_started_at": False})
            _logger.info(
                "eConnect event %s (%s %s) attempt %s failed, next at %s: %s",
                self.id, self.topic, self.document_id, self.attempts, self.next_attempt_at, message,
            )

    def _econnect_fail(self, message):
        self.write({"state": "error", "last_error": message, "next_attempt_at": False, "attempt_started_at": False})
        _logger.info("eConnect event %s (%s %s) stopped: %s", self.id, self.topic, self.document_id, message)
        self._econnect_alert_administrators(message)

    def _econnect_alert_administrators(self, message):
        for user in self.company_id._econnect_administrators(fallback=True):
            self.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("eConnect event needs attention"),
                note=self.env._(
                    "The eConnect event %(event)s of %(company)s could not be processed: %(error)s",
                    event=self.display_name, company=self.company_id.name, error=message,
                ),
                user_id=user.id,
            )

    def _econnect_psb_failure(self, error, what):
        """Turn a PSB error into a retry or a permanent failure, with a message for users."""
        text = self.env._("%(what)s: %(error)s", what=what, error=user_message(self.env, error))
        return EconnectRetryLater(text) if error.retryable else EconnectPermanentError(text)

    def _econnect_client_and_party(self):
        company = self.company_id
        try:
            return company._econnect_client(), company._econnect_party()
        except UserError as error:
            raise EconnectRetryLater(str(error.args[0] if error.args else error)) from error

    def _econnect_download(self, document_id, what):
        client, party = self._econnect_client_and_party()
        try:
            return client.download_purchase_invoice(
                party, document_id, max_bytes=self._econnect_max_document_bytes()
            )
        except PSBError as error:
            raise self._econnect_psb_failure(error, what) from error

    # ------------------------------------------------------------------------------------------
    # InvoiceReceived: a vendor bill
    # ------------------------------------------------------------------------------------------
    def _econnect_process_invoice_received(self, stats):
        company = self.company_id
        if not self.document_id:
            raise EconnectPermanentError(self.env._("The event has no document id: there is nothing to download."))
        Move = self.env["account.move"]
        existing = Move._econnect_find_received(company, self.document_id)
        if existing:
            self._econnect_mark_done(
                self.env._("Already in Odoo as %s: nothing downloaded.", existing.display_name), existing
            )
            return existing._econnect_delete_received_action() if existing.econnect_delete_pending else None
        data = self._econnect_download(self.document_id, self.env._("Downloading the document failed"))
        try:
            root = received_document.parse(data, max_bytes=self._econnect_max_document_bytes())
            problem = None
        except received_document.UnsafeDocument as error:
            raise EconnectRefusedDocument(
                self.env._(
                    "The document was refused: %(reason)s The file is attached to this event.",
                    reason=document_problem(self.env, error),
                ),
                data,
            ) from error
        except received_document.UnreadableDocument as error:
            root, problem = None, document_problem(self.env, error)
        try:
            bill = Move._econnect_create_received_bill(self, data, root, problem)
        except psycopg2.errors.UniqueViolation as error:
            if error.diag.constraint_name != RECEIVED_DOCUMENT_INDEX:
                raise
            # another run made the bill at the same moment: the next attempt finds it
            raise EconnectRetryLater(self.env._(
                "A bill for this document was being created at the same moment by another run: tried again shortly."
            )) from error
        stats["bills"] += 1
        self._econnect_mark_done(self.env._("Vendor bill created."), bill)
        self.env["econnect.notifier"]._econnect_notify("received", bill)
        return bill._econnect_delete_received_action() if bill.econnect_delete_pending else None

    def _econnect_keep_refused_file(self, data):
        """Keep a refused document with the event (as an opaque file): nothing received is lost."""
        attachment = self.env["ir.attachment"].sudo().create({
            "name": received_document.file_name(None, self.document_id) + ".refused",
            "raw": data,
            "mimetype": "application/octet-stream",
            "res_model": self._name,
            "res_id": self.id,
        })
        self.with_context(mail_notrack=True)._message_log(
            body=self.env._("The refused document is kept here, unopened."), attachment_ids=attachment.ids
        )

    @api.model
    def _econnect_retry_deletions(self, companies, budget):
        """Delete at eConnect the received documents whose deletion failed after their bill was committed."""
        _active, receiving = self._econnect_companies(companies)
        targets = receiving.filtered("econnect_delete_after_download")
        if not targets:
            return
        moves = self.env["account.move"].sudo().search(
            [("econnect_delete_pending", "=", True), ("company_id", "in", targets.ids)], limit=100
        )
        for move in moves:
            if budget.spent():
                break
            move._econnect_delete_received_action()()
            commit(self.env)

    # ------------------------------------------------------------------------------------------
    # InvoiceReceivedError: a failed upload of ours, else tell the administrators
    # ------------------------------------------------------------------------------------------
    def _econnect_process_received_error(self, stats):
        Move = self.env["account.move"]
        move = Move._econnect_find_sent(self.company_id, self.document_id) if self.document_id else Move
        if contract.received_error_topic(bool(move)):
            # eConnect refused one of our own uploads (its Validate phase): the invoice failed, as InvoiceSentError
            return self._econnect_process_delivery(stats, topic=contract.received_error_topic(True), move=move)
        admins = self.company_id._econnect_administrators(fallback=True)
        body = Markup("<p>%s</p>") % self.env._(
            "eConnect rejected a document sent to %(company)s (document %(document)s): %(message)s",
            company=self.company_id.name, document=self.document_id or "-", message=self.message or "-",
        )
        self.message_post(
            body=body,
            partner_ids=admins.partner_id.ids,
            subtype_xmlid="mail.mt_comment",
            message_type="notification",
        )
        self._econnect_mark_done(
            self.env._("Told the eConnect administrators (%s).", format_list(self.env, admins.mapped("name")) or "-")
        )

    # ------------------------------------------------------------------------------------------
    # InvoiceSent / InvoiceSentRetry / InvoiceSentError: the sent invoice's state
    # ------------------------------------------------------------------------------------------
    def _econnect_process_delivery(self, stats, topic=None, move=None):
        """Apply a delivery result (``topic``: the event's own, unless it means another) to the sent invoice."""
        topic = topic or self.topic
        Move = self.env["account.move"]
        if move is None:
            move = Move._econnect_find_sent(self.company_id, self.document_id) if self.document_id else Move
        if not move:
            self._econnect_mark_done(self.env._("No invoice in Odoo has this eConnect document id."))
            return None
        changed = move._econnect_apply_delivery_event(topic, self.message)
        stats["updates"] += 1
        notifier = self.env["econnect.notifier"]
        if changed and topic == contract.TOPIC_INVOICE_SENT:
            notifier._econnect_notify("sent_delivered", changed)
        elif changed and topic == contract.TOPIC_INVOICE_SENT_ERROR:
            notifier._econnect_notify("sent_failed", changed)
        self._econnect_mark_done(
            self.env._("Status of %s updated.", move.display_name) if changed
            else self.env._("%s already had this status.", move.display_name),
            move,
        )
        return None

    # ------------------------------------------------------------------------------------------
    # InvoiceResponseReceived: the customer's answer
    # ------------------------------------------------------------------------------------------
    def _econnect_process_invoice_response(self, stats):
        """A customer's answer to one of our invoices, in either documented shape of the event (``contract.
        invoice_response_event_ids``): applied to that invoice only when it is one of this company's. The answer
        is read from the event when it carries it, else downloaded from the shape's documented path."""
        raw = self._econnect_payload_data()
        shape, invoice_id, response_id = contract.invoice_response_event_ids(raw)
        if shape is None:
            raise EconnectPermanentError(self.env._(
                "The invoice response event names no response (neither responseDocumentId nor refToDocumentId): "
                "it cannot be told which document is the answer and which the invoice."
            ))
        if not invoice_id:
            raise EconnectPermanentError(self.env._("The invoice response names no invoice: not applied."))
        Move = self.env["account.move"]
        move = Move._econnect_find_sent(self.company_id, invoice_id)
        if not move:
            if Move.sudo()._econnect_find_sent_elsewhere(self.company_id, invoice_id):
                raise EconnectPermanentError(self.env._(
                    "The invoice response names eConnect document %(document)s, an invoice of another company "
                    "than %(company)s: not applied.", document=invoice_id, company=self.company_id.name,
                ))
            raise EconnectPermanentError(self.env._(
                "The invoice response names eConnect document %(document)s, but no invoice of %(company)s was sent "
                "with that id: not applied.", document=invoice_id, company=self.company_id.name,
            ))
        response = self._econnect_response_in_event(raw) or self._econnect_download_response(
            shape, invoice_id, response_id
        )
        if response.status not in Move._econnect_response_codes():
            raise EconnectPermanentError(
                self.env._("The invoice response has an unknown status %s.", response.status)
            )
        if not move._econnect_apply_invoice_response(
            response, self.event_created_on or self.received_at, response_id=response_id
        ):
            self._econnect_mark_done(self.env._("This answer is on %s already.", move.display_name), move)
            return None
        self.env["econnect.notifier"]._econnect_notify("response", move)
        stats["updates"] += 1
        self._econnect_mark_done(self.env._("Customer's answer recorded on %s.", move.display_name), move)
        return None

    def _econnect_payload_data(self):
        try:
            data = json.loads(self.payload or "{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    def _econnect_response_in_event(self, raw):
        """The answer as the event states it (old docs: ``details.statusCode`` and friends), or None."""
        try:
            answer = contract.invoice_response_from_event(raw)
        except ValueError as error:
            raise EconnectPermanentError(
                self.env._("The invoice response in the event cannot be read: %s", error)
            ) from error
        if answer is None:
            return None
        return received_document.InvoiceResponse(
            status=answer["status"], reasons=answer["reasons"], actions=answer["actions"], note=answer["note"]
        )

    def _econnect_download_response(self, shape, invoice_id, response_id):
        """Download the response document from the path its event shape documents, and read it."""
        client, party = self._econnect_client_and_party()
        max_bytes = self._econnect_max_document_bytes()
        try:
            if shape == contract.RESPONSE_EVENT_NEW:
                data = client.download_invoice_response(party, invoice_id, response_id, max_bytes=max_bytes)
            else:
                data = client.download_document(party, response_id, max_bytes=max_bytes)
        except PSBError as error:
            raise self._econnect_psb_failure(error, self.env._("Downloading the invoice response failed")) from error
        try:
            return received_document.invoice_response(received_document.parse(data, max_bytes=max_bytes))
        except received_document.UnsafeDocument as error:
            raise EconnectRefusedDocument(
                self.env._("The invoice response was refused: %s", document_problem(self.env, error)), data
            ) from error
        except received_document.DocumentError as error:
            raise EconnectPermanentError(
                self.env._("The invoice response cannot be read: %s", document_problem(self.env, error))
            ) from error

    # ------------------------------------------------------------------------------------------
    # User actions
    # ------------------------------------------------------------------------------------------
    def action_econnect_retry(self):
        """Try these events again now (from the start: the attempt counter is reset)."""
        self.env["res.company"]._econnect_check_access(self, "admin")
        events = self.filtered(lambda e: e.state in ("pending", "error")).sudo()
        events.write({"state": "pending", "attempts": 0, "next_attempt_at": False})
        stats = self.sudo()._econnect_pull(events=events) if events else {"processed": 0, "failed": 0}
        if stats.get("busy"):
            self.env.ref(CRON_XMLID).sudo()._trigger()
            message = self.env._("eConnect is already being read; these events follow in a moment.")
            kind = "info"
        else:
            message = self.env._(
                "%(done)s event(s) processed, %(failed)s failed.", done=stats["processed"], failed=stats["failed"]
            )
            kind = "warning" if stats["failed"] else "success"
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("eConnect events"),
                "message": message,
                "type": kind,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    @api.autovacuum
    def _gc_econnect_events(self):
        """Done events older than a year go (the bills keep their eConnect document id, so nothing repeats)."""
        limit = fields.Datetime.now() - timedelta(days=365)
        self.sudo().search([("state", "=", "done"), ("received_at", "<", limit)], limit=10000).unlink()
