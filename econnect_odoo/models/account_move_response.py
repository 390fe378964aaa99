"""Invoice responses on account.move, both ways: the accountant's answers to bills received through eConnect (and
the automatic ones the company's settings ask for), and customers' answers to the invoices we sent."""

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import sql

from ..psb import contract
from ..tools.queue import commit
from .econnect_invoice_response import CRON_XMLID, RESPONSE_NEEDS_ACTION, RESPONSE_STATUSES

RECEIVED_BILL_TYPES = ("in_invoice", "in_refund")
# the company setting that makes each answer automatic
AUTOMATIC_SETTINGS = {"AB": "econnect_respond_ab", "AP": "econnect_respond_ap", "PD": "econnect_respond_pd"}
# answers given once per bill (a query may be asked again)
ONCE = ("AB", "AP", "PD", "RE")


class AccountMove(models.Model):
    # invoice responses are their own concern, apart from sending and receiving documents
    _inherit = "account.move"  # pylint: disable=consider-merging-classes-inherited

    econnect_response_ids = fields.One2many(
        "econnect.invoice.response", "move_id", string="eConnect answers", readonly=True
    )
    econnect_can_answer = fields.Boolean(
        string="Can be answered through eConnect", compute="_compute_econnect_can_answer",
        help="A bill received through eConnect, of a company that sends invoice responses, not rejected yet.",
    )
    # Stored: every answer queued for a bill rewrites the bill's row (see _econnect_queue), so that two transactions
    # answering the same bill at once cannot both go ahead (the later one fails to serialize and is retried, then
    # sees the first answer).
    econnect_answered = fields.Char(
        string="Answered through eConnect", compute="_compute_econnect_answered", store=True, copy=False,
        help="The codes of the answers given to this bill (queued or sent).",
    )
    # -- the customer's latest answer to an invoice we sent (the history: econnect_response_ids) -------------
    econnect_response_status = fields.Selection(
        selection=RESPONSE_STATUSES, string="Customer's answer", copy=False, readonly=True, tracking=True,
        index="btree_not_null",
        help="What the customer answered through Peppol (invoice response) about this invoice, last.",
    )
    econnect_response_date = fields.Datetime(string="Answered on", copy=False, readonly=True)
    econnect_response_detail = fields.Text(string="Customer's reasons", copy=False, readonly=True)

    @api.depends("econnect_response_ids.state", "econnect_response_ids.status", "econnect_response_ids.direction")
    def _compute_econnect_answered(self):
        for move in self:
            given = move.sudo()._econnect_given_answers()
            move.econnect_answered = ",".join(sorted(set(given.mapped("status")))) or False

    @api.depends(
        "move_type", "state", "econnect_received_document_id", "company_id.econnect_state",
        "company_id.econnect_respond", "econnect_answered",
    )
    def _compute_econnect_can_answer(self):
        for move in self:
            move.econnect_can_answer = bool(
                move.move_type in RECEIVED_BILL_TYPES
                and move.econnect_received_document_id
                and move.company_id.econnect_state == "active"
                and move.company_id.econnect_respond
                and "RE" not in (move.econnect_answered or "").split(",")
            )

    def _econnect_given_answers(self):
        self.ensure_one()
        return self.econnect_response_ids.filtered(lambda r: r.direction == "out" and r.state in ("queued", "sent"))

    def _auto_init(self):
        """The stored answers' column is made and filled here in one statement, so that Odoo does not compute it
        move by move over every journal entry of the database when the module is installed or upgraded."""
        cr = self.env.cr
        if not sql.column_exists(cr, "account_move", "econnect_answered"):
            sql.create_column(cr, "account_move", "econnect_answered", "varchar")
            if sql.table_exists(cr, "econnect_invoice_response"):
                cr.execute("""
                    UPDATE account_move move SET econnect_answered = given.codes
                      FROM (SELECT move_id, string_agg(DISTINCT status, ',' ORDER BY status) AS codes
                              FROM econnect_invoice_response
                             WHERE direction = 'out' AND state IN ('queued', 'sent')
                             GROUP BY move_id) AS given
                     WHERE given.move_id = move.id
                """)
        return super()._auto_init()

    # ------------------------------------------------------------------------------------------
    # Answering a received bill
    # ------------------------------------------------------------------------------------------
    def _econnect_answer_problem(self, status):
        """Why this bill cannot be answered ``status`` now (a sentence), or None."""
        self.ensure_one()
        company = self.company_id
        if self.move_type not in RECEIVED_BILL_TYPES or not self.econnect_received_document_id:
            return self.env._("Only bills received through eConnect can be answered through eConnect.")
        if company.econnect_state != "active":
            return self.env._("eConnect is not active for %s.", company.name)
        if not company.econnect_respond:
            return self.env._(
                "Invoice responses are off for %s: an eConnect administrator switches them on in Settings > "
                "Invoicing > eConnect.", company.name,
            )
        given = self.sudo()._econnect_given_answers()
        if "RE" in given.mapped("status"):
            return self.env._("This bill was rejected through eConnect: a rejection is final.")
        done = given.filtered(lambda r: r.status == status and status in ONCE)
        if done or (status == "AB" and given):
            return self.env._(
                "This bill was answered through eConnect already: %s.",
                ", ".join(r._econnect_status_words() for r in given),
            )
        if status == "PD" and self.state != "posted":
            return self.env._("Only a posted bill can be reported as paid.")
        if status == "AP" and self.state == "cancel":
            return self.env._("A cancelled bill cannot be accepted: reject it instead.")
        return None

    def _econnect_check_answer_rights(self):
        """Whoever answers must be an eConnect user working in the bill's company, allowed to edit the bill (checked
        before anything runs as superuser)."""
        self.env["res.company"]._econnect_check_access(self, "user")
        self.check_access("write")

    def action_econnect_accept(self):
        """Accept the received invoice (AP), through eConnect, now."""
        return self._econnect_answer_now("AP")

    def action_econnect_paid(self):
        """Tell the seller the invoice is paid (PD), through eConnect, now."""
        return self._econnect_answer_now("PD")

    def action_econnect_reject(self):
        """Reject the received invoice (RE): a wizard asks the reasons."""
        return self._econnect_answer_wizard("RE")

    def action_econnect_query(self):
        """Put the received invoice under query (UQ): a wizard asks the reasons."""
        return self._econnect_answer_wizard("UQ")

    def _econnect_answer_wizard(self, status):
        self.ensure_one()
        self._econnect_check_answer_rights()
        problem = self._econnect_answer_problem(status)
        if problem:
            raise UserError(problem)
        labels = dict(self._fields["econnect_response_status"]._description_selection(self.env))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Answer through eConnect: %s", labels[status]),
            "res_model": "econnect.response.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_move_id": self.id, "default_status": status},
        }

    def _econnect_answer_now(self, status, reasons=None, actions=None, note=None):
        """Give our answer: stored with its own document id, committed, then sent (retried by the scheduled action
        when eConnect cannot take it now). Returns a notification saying what became of it."""
        self.ensure_one()
        self._econnect_check_answer_rights()
        problem = self._econnect_answer_problem(status)
        if problem:
            raise UserError(problem)
        if status in contract.INVOICE_RESPONSE_REASON_REQUIRED and not reasons:
            raise UserError(self.env._("Give at least one reason for this answer."))
        Response = self.env["econnect.invoice.response"]
        answer = Response._econnect_queue(self, status, reasons, actions, note)
        commit(answer.env)  # the answer's document id is stored before any call
        answer._econnect_send()
        answer.invalidate_recordset()
        status_words = answer._econnect_status_words()
        if answer.state == "sent":
            message, kind = self.env._("Answer sent to eConnect: %s.", status_words), "success"
        elif answer.state == "queued":
            message, kind = answer.econnect_answer, "warning"
        else:
            message, kind = answer.econnect_answer, "danger" if answer.state == "error" else "warning"
        return self._econnect_notification(self.env._("eConnect"), message, kind, sticky=kind == "danger")

    def _econnect_answer_automatically(self, status):
        """Queue the answer ``status`` where the company's settings make it automatic (AB on arrival, AP on posting,
        PD once paid) and the bill has not had it; the scheduled action sends it at once."""
        setting = AUTOMATIC_SETTINGS[status]
        Response = self.env["econnect.invoice.response"]
        queued = Response
        for move in self:
            company = move.company_id.sudo()
            if not (company.econnect_respond and company[setting]) or move._econnect_answer_problem(status):
                continue
            queued |= Response._econnect_queue(move, status, automatic=True)
        if queued:
            self.env.ref(CRON_XMLID).sudo()._trigger()
        return queued

    @api.model
    def _econnect_queue_paid_answers(self, limit=200):
        """Automatic "paid" answers (PD) for received bills fully paid meanwhile (where the company wants them)."""
        companies = self.env["res.company"].sudo().search([
            ("econnect_state", "=", "active"), ("econnect_respond", "=", True), ("econnect_respond_pd", "=", True),
        ])
        if not companies:
            return self.browse()
        bills = self.search([
            ("company_id", "in", companies.ids),
            ("move_type", "=", "in_invoice"),
            ("econnect_received_document_id", "!=", False),
            ("state", "=", "posted"),
            ("payment_state", "in", ("paid", "in_payment")),
            ("econnect_response_ids", "not any", [("direction", "=", "out"), ("status", "=", "PD")]),
        ], limit=limit)
        return bills._econnect_answer_automatically("PD")

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted.filtered(
            lambda m: m.move_type in RECEIVED_BILL_TYPES and m.econnect_received_document_id
        )._econnect_answer_automatically("AP")
        return posted

    def button_cancel(self):
        """Cancelling a bill received through eConnect offers to reject it there too."""
        offer = (
            len(self) == 1
            and not self.env.context.get("econnect_no_reject_offer")
            and self.move_type in RECEIVED_BILL_TYPES
            and self.econnect_received_document_id
            and self.env.user.has_group("econnect_odoo.group_econnect_user")
        )
        result = super().button_cancel()
        if offer and not self._econnect_answer_problem("RE"):
            return self._econnect_answer_wizard("RE")
        return result

    # ------------------------------------------------------------------------------------------
    # The customer's answer to an invoice we sent
    # ------------------------------------------------------------------------------------------
    @api.model
    def _econnect_response_codes(self):
        return [code for code, _label in RESPONSE_STATUSES]

    def _econnect_apply_invoice_response(self, response, when, response_id=None):
        """Record a customer's invoice response (``received_document.InvoiceResponse``) given at ``when``, known at
        eConnect as ``response_id``: kept in the invoice's history; shown as the latest answer unless an answer of
        later date is shown already. Returns True when it was new."""
        self.ensure_one()
        Response = self.env["econnect.invoice.response"].sudo()
        if response_id and Response.search_count([
            ("company_id", "=", self.company_id.id), ("direction", "=", "in"), ("document_id", "=", response_id),
        ], limit=1):
            return False
        when = when or fields.Datetime.now()
        record = Response.create({
            "move_id": self.id,
            "company_id": self.company_id.id,
            "direction": "in",
            "status": response.status,
            "reasons": [list(pair) for pair in response.reasons],
            "actions": [list(pair) for pair in response.actions],
            "note": response.note or False,
            "document_id": response_id or False,
            "state": "received",
            "date": when,
        })
        detail = record._econnect_detail_lines() or False
        if not self.econnect_response_date or when >= self.econnect_response_date:
            self.sudo().write({
                "econnect_response_status": response.status,
                "econnect_response_date": when,
                "econnect_response_detail": detail,
            })
        status = record._econnect_status_words()
        body = self.env._("The customer answered through Peppol: %s.", status)
        if self.company_id._econnect_is_demo():
            body = self.env._("[Demo] %s", body)
        body = Markup("<p>%s</p>") % body
        if detail:
            body += Markup("<p>%s</p>") % Markup("<br/>").join(detail.split("\n"))
        self.with_context(mail_notrack=True)._message_log(body=body)
        if response.status in RESPONSE_NEEDS_ACTION:
            # no "assigned to you" mail: the e-mail about an answer is the user's digest, if they want it
            self.with_context(mail_activity_quick_update=True).activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("The customer answered: %s", status),
                note=Markup("<br/>").join((detail or status).split("\n")),
                user_id=(self.invoice_user_id or self.env.user).id,
            )
        return True
