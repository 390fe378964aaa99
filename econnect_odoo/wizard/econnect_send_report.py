from odoo import api, fields, models


class EconnectSendReport(models.TransientModel):
    """What stops some invoices of a batch from being sent, all at once, with what to fix."""

    _name = "econnect.send.report"
    _description = "eConnect: invoices that cannot be sent yet"

    line_ids = fields.One2many("econnect.send.report.line", "report_id", readonly=True)
    ready_move_ids = fields.Many2many("account.move", string="Ready to send")
    ready_count = fields.Integer(compute="_compute_ready_count")

    @api.depends("ready_move_ids")
    def _compute_ready_count(self):
        for report in self:
            report.ready_count = len(report.ready_move_ids)

    @api.model
    def _open_for(self, moves, problems):
        report = self.create({
            "ready_move_ids": [fields.Command.set((moves - self.env["account.move"].concat(*problems)).ids)],
            "line_ids": [
                fields.Command.create({"move_id": move.id, "problems": "\n".join(issues)})
                for move, issues in problems.items()
            ],
        })
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Some invoices cannot be sent through eConnect yet"),
            "res_model": self._name,
            "res_id": report.id,
            "view_mode": "form",
            "views": [(self.env.ref("econnect_odoo.econnect_send_report_view_form").id, "form")],
            "target": "new",
        }

    def action_send_ready(self):
        self.ensure_one()
        return self.ready_move_ids.action_econnect_send()


class EconnectSendReportLine(models.TransientModel):
    _name = "econnect.send.report.line"
    _description = "eConnect: an invoice that cannot be sent yet"

    report_id = fields.Many2one("econnect.send.report", required=True, ondelete="cascade")
    move_id = fields.Many2one("account.move", string="Invoice", readonly=True)
    partner_id = fields.Many2one(related="move_id.partner_id")
    problems = fields.Text(readonly=True)
