from odoo import api, fields, models
from odoo.exceptions import UserError


class AccountJournal(models.Model):
    _inherit = "account.journal"

    econnect_is_receive_journal = fields.Boolean(
        string="Receives eConnect e-invoices",
        compute="_compute_econnect_is_receive_journal",
        help="Incoming e-invoices of the company become vendor bills in this journal.",
    )
    econnect_is_send_journal = fields.Boolean(
        string="Sends through eConnect",
        compute="_compute_econnect_is_send_journal",
        help="A sales journal of a company active at eConnect: its invoices can be sent through eConnect.",
    )
    econnect_responsible_id = fields.Many2one(
        "res.users",
        string="Checks received e-invoices",
        domain="[('share', '=', False)]",
        help="Gets an activity for each received bill that does not match its e-invoice or whose vendor was not "
        "recognised. Empty: the company's eConnect administrators.",
    )

    @api.depends("company_id.econnect_receive_journal_id", "company_id.econnect_receive")
    def _compute_econnect_is_receive_journal(self):
        for journal in self:
            company = journal.company_id
            journal.econnect_is_receive_journal = bool(
                journal.type == "purchase"
                and company.econnect_receive
                and company.econnect_receive_journal_id == journal
            )

    @api.depends("type", "company_id.econnect_state")
    def _compute_econnect_is_send_journal(self):
        for journal in self:
            journal.econnect_is_send_journal = journal.type == "sale" and journal.company_id.econnect_state == "active"

    def action_econnect_refresh_statuses(self):
        """Ask eConnect now what became of this journal's sent invoices (without waiting for webhooks)."""
        self.ensure_one()
        self.env["res.company"]._econnect_check_access(self, "user")
        if self.company_id.econnect_state != "active":
            raise UserError(self.env._("eConnect is not active for %s.", self.company_id.name))
        moves, changed = self.env["account.move"].sudo()._econnect_poll_statuses(journals=self)
        return self.env["account.move"]._econnect_notification(
            self.env._("eConnect statuses"),
            self.env._(
                "%(asked)s sent invoice(s) checked, %(changed)s updated.", asked=len(moves), changed=len(changed)
            ),
            "success",
        )

    def _econnect_bill_responsible(self):
        """Who checks the received bills of this journal: its responsible, else an eConnect administrator."""
        self.ensure_one()
        if self.econnect_responsible_id.active:
            return self.econnect_responsible_id
        return self.company_id._econnect_administrators(fallback=True)[:1] or self.env.user

    def action_econnect_fetch(self):
        """Run the pull now for this journal's company: incoming e-invoices and status updates."""
        self.ensure_one()
        self.env["res.company"]._econnect_check_access(self, "user")
        company = self.company_id
        if company.econnect_state != "active":
            raise UserError(self.env._("eConnect is not active for %s.", company.name))
        if not self.econnect_is_receive_journal:
            raise UserError(
                self.env._("%(journal)s does not receive e-invoices: turn receiving on for %(company)s and choose "
                           "this journal in the eConnect settings.", journal=self.name, company=company.name)
            )
        stats = self.env["econnect.event"].sudo()._econnect_pull(companies=company)
        if stats["busy"]:
            title, kind = self.env._("eConnect is busy"), "info"
            message = self.env._(
                "eConnect is already being read by the scheduled action; new bills appear in a moment."
            )
        else:
            kind = "warning" if stats["failed"] else "success"
            title = self.env._("Fetched from eConnect")
            message = self.env._(
                "%(bills)s new bill(s), %(updates)s status update(s), %(failed)s event(s) failed, %(left)s left "
                "for later.",
                bills=stats["bills"], updates=stats["updates"], failed=stats["failed"], left=stats["remaining"],
            )
        return self.env["account.move"]._econnect_notification(title, message, kind)
