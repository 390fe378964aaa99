"""Invoice responses (Peppol BIS Invoice Response 3.0) both ways, one record each.

* Our answers to bills received through eConnect (``direction = "out"``) leave exactly once, like invoices: the
  answer's own document id is stored and committed before the call (``X-EConnect-DocumentId``), every retry sends
  that same id, and eConnect's 409 ("that id was answered before") counts as sent. A run that dies after the call
  leaves the answer queued with a lease; the scheduled action sends it again after the lease, with the same id.
* Customers' answers to the invoices we sent (``direction = "in"``) are recorded by the pull (``econnect_event``):
  the invoice shows the latest one and this history.
"""

import logging
import uuid
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.translate import LazyTranslate

from ..psb import contract
from ..psb.errors import AlreadySentError, NotFoundError, PSBError
from ..psb.party import party_or_none
from ..psb.retry import BETWEEN_RUNS
from ..tools.messages import user_message
from ..tools.queue import claim, commit, lease_until, work_through

_lt = LazyTranslate("econnect_odoo")
_logger = logging.getLogger(__name__)

RESPONSE_STATUSES = [
    ("AB", "Acknowledged"),
    ("IP", "In process"),
    ("UQ", "Under query"),
    ("CA", "Conditionally accepted"),
    ("RE", "Rejected"),
    ("AP", "Accepted"),
    ("PD", "Paid"),
]
# customers' answers that ask something of us: the invoice's salesperson gets an activity
RESPONSE_NEEDS_ACTION = ("UQ", "RE", "CA")
RESPONSE_REASONS = {
    "NON": _lt("No issue"),
    "REF": _lt("References incorrect"),
    "LEG": _lt("Legal information incorrect"),
    "REC": _lt("Receiver unknown"),
    "QUA": _lt("Item quality insufficient"),
    "DEL": _lt("Delivery issues"),
    "PRI": _lt("Prices incorrect"),
    "QTY": _lt("Quantity incorrect"),
    "ITM": _lt("Items incorrect"),
    "PAY": _lt("Payment terms incorrect"),
    "UNR": _lt("Not recognized"),
    "FIN": _lt("Finance incorrect"),
    "PPD": _lt("Partially paid"),
    "OTH": _lt("Other"),
}
RESPONSE_ACTIONS = {
    "NOA": _lt("No action required"),
    "PIN": _lt("Provide information"),
    "NIN": _lt("Issue a new invoice"),
    "CNF": _lt("Credit fully"),
    "CNP": _lt("Credit partially"),
    "CNA": _lt("Credit the amount"),
    "OTH": _lt("Other"),
}
# An answer claimed by a user's action that then died is sent again (same id) by the scheduled action after this
# lease; one claimed by the scheduled action is held until Odoo has stopped that run at the latest (tools/queue.py).
LEASE = timedelta(minutes=10)
BATCH_SIZE = 50
CRON_XMLID = "econnect_odoo.ir_cron_econnect_responses"


def response_pairs(values):
    """``[[code, text or None], ...]`` from ``{code: text}``, ``[(code, text)]`` or None (JSON-ready)."""
    if not values:
        return []
    items = values.items() if isinstance(values, dict) else values
    return [[str(code), (str(text).strip() or None) if text not in (None, False) else None] for code, text in items]


class EconnectInvoiceResponse(models.Model):
    _name = "econnect.invoice.response"
    _description = "eConnect invoice response"
    _order = "date desc, id desc"

    move_id = fields.Many2one(
        "account.move", string="Invoice / bill", required=True, readonly=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    direction = fields.Selection(
        selection=[("out", "Our answer"), ("in", "Customer's answer")], required=True, readonly=True, index=True
    )
    status = fields.Selection(selection=RESPONSE_STATUSES, string="Answer", required=True, readonly=True)
    reasons = fields.Json(readonly=True, help="[[code, text], ...] (Peppol clarification reasons).")
    actions = fields.Json(string="Requested actions", readonly=True, help="[[code, text], ...].")
    note = fields.Text(readonly=True)
    summary = fields.Text(string="Reasons and requested actions", compute="_compute_summary")
    document_id = fields.Char(
        string="eConnect document id", readonly=True, copy=False,
        help="Ours: the id the answer is sent with (every attempt sends the same one, so eConnect never takes it "
        "twice). A customer's: the id of their answer at eConnect.",
    )
    state = fields.Selection(
        selection=[
            ("queued", "Queued"),
            ("sent", "Sent"),
            ("not_taken", "Not sent"),
            ("error", "Error"),
            ("received", "Received"),
        ],
        required=True, readonly=True, index=True,
        help="Queued: waiting to go to eConnect (or to be tried again). Sent: eConnect took it. Not sent: the "
        "seller takes no invoice responses through Peppol. Error: eConnect refused it (see its answer).",
    )
    econnect_answer = fields.Char(string="eConnect's answer", readonly=True)
    user_id = fields.Many2one("res.users", string="By", readonly=True, help="Who gave our answer.")
    automatic = fields.Boolean(readonly=True, help="Sent by Odoo after the company's settings.")
    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
    sent_date = fields.Datetime(string="Sent on", readonly=True)
    attempts = fields.Integer(readonly=True)
    next_attempt = fields.Datetime(string="Next attempt", readonly=True, index="btree_not_null")

    _sql_constraints = [
        (
            "document_uniq", "unique(company_id, direction, document_id)",
            "This invoice response is already recorded.",
        ),
    ]

    # ------------------------------------------------------------------------------------------
    # Words
    # ------------------------------------------------------------------------------------------
    @api.depends("reasons", "actions")
    def _compute_summary(self):
        for response in self:
            response.summary = response._econnect_detail_lines(with_note=False) or False

    @api.depends("status", "direction", "move_id")
    def _compute_display_name(self):
        labels = dict(self._fields["status"]._description_selection(self.env))
        for response in self:
            response.display_name = f"{labels.get(response.status, response.status)} ({response.move_id.name})"

    @api.model
    def _econnect_code_words(self, table, code):
        label = table.get(code)
        translate = self.env._  # lazy texts: translated here (their terms are extracted where they are defined)
        return translate(label) if label else code

    def _econnect_status_words(self):
        self.ensure_one()
        return dict(self._fields["status"]._description_selection(self.env)).get(self.status, self.status)

    def _econnect_detail_lines(self, with_note=True):
        """Reasons and requested actions in words, one per line (and the note), as text."""
        self.ensure_one()
        lines = []
        for code, text in self.reasons or []:
            label = self._econnect_code_words(RESPONSE_REASONS, code)
            lines.append(f"{label}: {text}" if text else label)
        for code, text in self.actions or []:
            label = self._econnect_code_words(RESPONSE_ACTIONS, code)
            asked = f"{label}: {text}" if text else label
            lines.append(self.env._("Asked: %s", asked))
        if with_note and self.note:
            lines.append(self.note)
        return "\n".join(lines)

    # ------------------------------------------------------------------------------------------
    # Our answers: queue, send exactly once
    # ------------------------------------------------------------------------------------------
    @api.model
    def _econnect_queue(self, bill, status, reasons=None, actions=None, note=None, automatic=False):
        """Queue our answer to ``bill`` (the caller checked who may). Codes are checked here, before anything is
        stored. Returns the answer (sudo); its document id is committed by the caller before any call."""
        reasons, actions = response_pairs(reasons), response_pairs(actions)
        try:
            contract.invoice_response_body(status, reasons=dict(reasons), actions=dict(actions), note=note)
        except ValueError as error:
            raise UserError(self.env._("This answer cannot be sent: %s", error)) from error
        answer = self.sudo().create({
            "move_id": bill.id,
            "company_id": bill.company_id.id,
            "direction": "out",
            "status": status,
            "reasons": reasons,
            "actions": actions,
            "note": (note or "").strip() or False,
            "document_id": str(uuid.uuid4()),
            "state": "queued",
            "user_id": self.env.user.id,
            "automatic": automatic,
            "next_attempt": fields.Datetime.now(),
        })
        # The bill's row is rewritten now (its stored answers), before any call: a transaction that decided on an
        # older view of this bill's answers (someone else answering it at the same moment) fails to serialize here
        # and is retried by Odoo, then sees this answer, instead of answering twice.
        bill.sudo().flush_recordset(["econnect_answered"])
        return answer

    def _econnect_claim(self, until=None):
        """Claim the due queued answers among these (``tools/queue.py``: skipping those another run holds): count the
        attempt and hold them ``until`` then (LEASE from now by default); commit. Returns the claimed answers."""
        until = until or fields.Datetime.now() + LEASE

        def lease(claimed):
            for response in claimed:
                response.write({"attempts": response.attempts + 1, "next_attempt": until})

        return claim(
            self, "direction = 'out' AND state = 'queued' AND (next_attempt IS NULL OR next_attempt <= %s)",
            [fields.Datetime.now()], lease=lease,
        )

    def _econnect_send(self, budget=None):
        """Send these queued answers now, one by one, each committed before its call and after its outcome. Once
        ``budget`` (tools/budget.py) is spent, the answers not tried yet are handed back to the queue, due at once."""
        claimed = self.sudo()._econnect_claim(lease_until(budget) if budget is not None else None)
        for index, response in enumerate(claimed):
            if budget is not None and budget.spent():
                for left in claimed[index:]:
                    left.write({"attempts": left.attempts - 1, "next_attempt": fields.Datetime.now()})
                commit(self.env)
                break
            response._econnect_send_one()
            commit(self.env)

    def _econnect_send_one(self):
        self.ensure_one()
        bill = self.move_id
        company = bill.company_id
        if company.econnect_state != "active":
            self._econnect_retry_later(self.env._("eConnect is not active for %s.", company.name))
            return
        try:
            client, party = company._econnect_client(), company._econnect_party()
        except UserError as error:
            self._econnect_retry_later(str(error.args[0] if error.args else error))
            return
        try:
            if not self._econnect_seller_takes_responses(client):
                self._econnect_record(
                    "not_taken",
                    self.env._("The seller takes no invoice responses through Peppol (eConnect's delivery options): "
                               "not sent."),
                )
                return
            answer = client.send_invoice_response(
                party,
                bill.econnect_received_document_id,
                self.status,
                reasons=dict(self.reasons or []),
                actions=dict(self.actions or []),
                note=self.note or None,
                response_document_id=self.document_id,
            )
        except AlreadySentError:
            self._econnect_record(
                "sent",
                self.env._("eConnect already had this answer (document id %s): not sent twice.", self.document_id),
            )
        except PSBError as error:
            if error.retryable:
                self._econnect_retry_later(user_message(self.env, error))
            else:
                self._econnect_record("error", user_message(self.env, error))
        except ValueError as error:  # a code eConnect does not know: nothing was sent
            self._econnect_record("error", str(error))
        else:
            self._econnect_record(
                "sent",
                self.env._("Received by eConnect (document id %s).", (answer or {}).get("id") or self.document_id),
            )

    def _econnect_seller_party(self):
        """The seller's Peppol id: as eConnect announced the document, else the vendor's Peppol e-address."""
        bill = self.move_id
        candidates = [bill.econnect_received_sender]
        partner = bill.commercial_partner_id
        if partner.peppol_eas and partner.peppol_endpoint:
            candidates.append(f"{partner.peppol_eas}:{partner.peppol_endpoint}")
        return next(filter(None, map(party_or_none, candidates)), None)

    def _econnect_seller_takes_responses(self, client):
        """Whether eConnect says the seller takes invoice responses (the old docs' advice before answering).
        Unknown seller: eConnect decides on the answer itself."""
        if not contract.CHECK_RESPONSE_DELIVERY_OPTION:
            return True
        seller = self._econnect_seller_party()
        if seller is None:
            return True
        try:
            options = client.get_delivery_options([seller], contract.DOCUMENT_FAMILY_INVOICE_RESPONSE)
        except NotFoundError:
            return False
        return contract.takes_document_family(options)

    def _econnect_retry_later(self, message):
        """A retryable failure (the attempt was counted by the claim): queued again with the same document id after
        the backoff (``psb/retry.py``), or Error after the last attempt."""
        self.ensure_one()
        when = BETWEEN_RUNS.next_try(max(self.attempts, 1), fields.Datetime.now())
        if when is None:
            self._econnect_record(
                "error",
                self.env._("Gave up after %(count)s attempts: %(message)s", count=self.attempts, message=message),
            )
            return
        self.write({
            "econnect_answer": self.env._(
                "Not sent yet: %(message)s Odoo tries again at %(when)s with the same document id.",
                message=message, when=fields.Datetime.to_string(when),
            ),
            "next_attempt": when,
        })
        self.env.ref(CRON_XMLID).sudo()._trigger(when)

    def _econnect_record(self, state, answer):
        """Record the outcome of our answer; the bill's chatter says what was answered, by whom, and eConnect's
        answer. An error gives who answered (else the bill's checker) an activity."""
        self.ensure_one()
        values = {"state": state, "econnect_answer": answer, "next_attempt": False}
        if state == "sent":
            values["sent_date"] = fields.Datetime.now()
        self.write(values)
        bill = self.move_id
        status = self._econnect_status_words()
        by = self.user_id.name if self.user_id and not self.automatic else self.env._("Odoo (automatic)")
        if state == "sent":
            head = self.env._("Answered through eConnect: %(status)s, by %(user)s.", status=status, user=by)
        elif state == "not_taken":
            head = self.env._("Not answered through eConnect: %(status)s, by %(user)s.", status=status, user=by)
        else:
            head = self.env._(
                "The answer %(status)s, by %(user)s, could not be sent through eConnect.", status=status, user=by
            )
        if bill.company_id._econnect_is_demo():
            head = self.env._("[Demo] %s", head)
        body = Markup("<p>%s</p>") % head
        detail = self._econnect_detail_lines()
        if detail:
            body += Markup("<p>%s</p>") % Markup("<br/>").join(detail.split("\n"))
        body += Markup("<p>%s</p>") % self.env._("eConnect: %s", answer)
        author = self.user_id.partner_id if self.user_id and not self.automatic else self.env.user.partner_id
        bill.with_context(mail_notrack=True)._message_log(body=body, author_id=author.id)
        if state == "error":
            user = self.user_id if self.user_id and not self.automatic and self.user_id.active else None
            user = user or bill.journal_id._econnect_bill_responsible()
            bill.with_context(mail_activity_quick_update=True).activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("eConnect could not send the answer %s", status),
                note=answer,
                user_id=user.id,
            )

    def action_econnect_retry(self):
        """Try answers in error again now, with the same document id (eConnect takes each id once)."""
        # an eConnect administrator of the answers' companies, before anything runs as superuser
        self.env["res.company"]._econnect_check_access(self, "admin")
        answers = self.filtered(lambda r: r.direction == "out" and r.state == "error").sudo()
        answers.write({"state": "queued", "attempts": 0, "next_attempt": fields.Datetime.now()})
        commit(self.env)
        answers._econnect_send()
        return True

    # ------------------------------------------------------------------------------------------
    # The scheduled action
    # ------------------------------------------------------------------------------------------
    @api.model
    def _cron_econnect_send_responses(self):
        """Queue the automatic answers for bills paid meanwhile, then send the due answers within the time
        budget; wakes itself again when some are left."""
        self.env["account.move"].sudo()._econnect_queue_paid_answers()
        commit(self.env)

        def due(exclude):
            return self.sudo().search([
                ("direction", "=", "out"), ("state", "=", "queued"), ("next_attempt", "<=", fields.Datetime.now()),
                ("id", "not in", list(exclude)),
            ], limit=BATCH_SIZE, order="next_attempt, id")

        def next_due():  # a retry's backoff, or the lease of a run that was killed under way
            waiting = self.sudo().search([("direction", "=", "out"), ("state", "=", "queued")],
                                         limit=1, order="next_attempt")
            return waiting.next_attempt

        work_through(self.env, CRON_XMLID, due, lambda answers, budget: answers._econnect_send(budget),
                     next_due=next_due)
