"""The small wizard of an answer that needs words: Reject and Under query ask at least one reason (the Peppol code
list, in words), and take a requested action and a note."""

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..models.econnect_invoice_response import RESPONSE_ACTIONS, RESPONSE_REASONS, RESPONSE_STATUSES
from ..psb import contract


class EconnectResponseWizard(models.TransientModel):
    _name = "econnect.response.wizard"
    _description = "Answer an e-invoice through eConnect"

    move_id = fields.Many2one("account.move", string="Bill", required=True, readonly=True, ondelete="cascade")
    status = fields.Selection(selection=RESPONSE_STATUSES, string="Answer", required=True, readonly=True)
    reason_ids = fields.One2many("econnect.response.wizard.reason", "wizard_id", string="Reasons")
    needs_reason = fields.Boolean(string="Needs a reason", compute="_compute_needs_reason")
    action_code = fields.Selection(
        selection="_selection_actions", string="Requested action",
        help="What the seller is asked to do (optional).",
    )
    action_text = fields.Char(string="Action details")
    note = fields.Text(help="Free text for the seller (optional).")

    @api.model
    def _selection_actions(self):
        translate = self.env._  # lazy texts: translated here (their terms are extracted where they are defined)
        return [(code, translate(label)) for code, label in RESPONSE_ACTIONS.items()]

    @api.depends("status")
    def _compute_needs_reason(self):
        for wizard in self:
            wizard.needs_reason = wizard.status in contract.INVOICE_RESPONSE_REASON_REQUIRED

    def action_send(self):
        self.ensure_one()
        if self.needs_reason and not self.reason_ids:
            raise UserError(self.env._(
                "Give at least one reason: the seller must learn why (Peppol requires a reason for this answer)."
            ))
        codes = self.reason_ids.mapped("code")
        if len(codes) != len(set(codes)):
            raise UserError(self.env._("Give each reason once (add its explanation to that line)."))
        reasons = [(line.code, line.text or None) for line in self.reason_ids]
        actions = [(self.action_code, self.action_text or None)] if self.action_code else []
        return self.move_id._econnect_answer_now(self.status, reasons, actions, self.note)


class EconnectResponseWizardReason(models.TransientModel):
    _name = "econnect.response.wizard.reason"
    _description = "Reason of an answer through eConnect"

    wizard_id = fields.Many2one("econnect.response.wizard", string="Answer", required=True, ondelete="cascade")
    code = fields.Selection(selection="_selection_reasons", string="Reason", required=True)
    text = fields.Char(string="Explanation")

    @api.model
    def _selection_reasons(self):
        translate = self.env._  # lazy texts: translated here (their terms are extracted where they are defined)
        return [(code, translate(label)) for code, label in RESPONSE_REASONS.items()]
