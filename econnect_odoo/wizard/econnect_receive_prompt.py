from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.http import request

from ..models.ir_http import SESSION_KEY


class EconnectReceivePrompt(models.TransientModel):
    """The one-time question after login: should these companies receive e-invoices?"""

    _name = "econnect.receive.prompt"
    _description = "eConnect: receive e-invoices?"

    line_ids = fields.One2many("econnect.receive.prompt.line", "prompt_id", string="Companies")
    dont_ask_again = fields.Boolean(string="Don't ask me again")
    cost_note = fields.Char(compute="_compute_cost_note")

    def _compute_cost_note(self):
        for prompt in self:
            prompt.cost_note = self.env.company._econnect_cost_note()

    @api.model
    def action_open(self):
        """The prompt's window action, or False when there is nothing to ask (called by the web client)."""
        if request and request.session:
            request.session[SESSION_KEY] = True
        companies = self.env.user._econnect_companies_to_ask()
        if not companies:
            return False
        prompt = self.create({
            "line_ids": [
                fields.Command.create({
                    "company_id": company.id,
                    # sudo: the companies asked about need not be among those selected in the switcher
                    "journal_id": company.econnect_receive_journal_id.id
                    or self.env["account.journal"].sudo().search(
                        [("type", "=", "purchase"), ("company_id", "=", company.id)], limit=1
                    ).id,
                })
                for company in companies
            ],
        })
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Receive e-invoices through eConnect?"),
            "res_model": self._name,
            "res_id": prompt.id,
            "view_mode": "form",
            "views": [(self.env.ref("econnect_odoo.econnect_receive_prompt_view_form").id, "form")],
            "target": "new",
        }

    def action_save(self):
        """Apply every choice through the same path as the settings, and remember the decision."""
        self.ensure_one()
        # Companies someone else decided meanwhile are left as they are.
        lines = self.line_ids.filtered(lambda line: not line.company_id.econnect_receive_decided)
        for line in lines.filtered(lambda line: line.receive and not line.journal_id):
            raise UserError(self.env._("Choose the purchase journal for %s.", line.company_id.name))
        # One decision for all of them: when eConnect refuses one company, none changes, there or in Odoo.
        self.env["res.company"]._econnect_decide_receiving(
            [(line.company_id, line.receive, line.journal_id if line.receive else None) for line in lines]
        )
        self._save_dont_ask_again()
        return {"type": "ir.actions.act_window_close"}

    def action_later(self):
        self.ensure_one()
        self._save_dont_ask_again()
        return {"type": "ir.actions.act_window_close"}

    def _save_dont_ask_again(self):
        if self.dont_ask_again:
            self.env.user.econnect_receive_prompt_disabled = True


class EconnectReceivePromptLine(models.TransientModel):
    _name = "econnect.receive.prompt.line"
    _description = "eConnect: receive e-invoices? (one company)"

    prompt_id = fields.Many2one("econnect.receive.prompt", required=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    party_id = fields.Char(related="company_id.econnect_party_id", string="Party id")
    receive = fields.Boolean(string="Receive e-invoices")
    journal_id = fields.Many2one(
        "account.journal",
        string="Into journal",
        domain="[('type', '=', 'purchase'), ('company_id', '=', company_id)]",
    )
