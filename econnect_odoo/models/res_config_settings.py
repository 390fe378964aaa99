from odoo import api, fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    econnect_connection_id = fields.Many2one(
        related="company_id.econnect_connection_id", readonly=False, groups="econnect_odoo.group_econnect_admin"
    )
    econnect_party_id = fields.Char(related="company_id.econnect_party_id", readonly=False)
    econnect_state = fields.Selection(related="company_id.econnect_state")
    econnect_state_message = fields.Char(related="company_id.econnect_state_message")
    econnect_environment = fields.Selection(related="company_id.econnect_environment")
    econnect_webhook_url = fields.Char(
        related="company_id.econnect_webhook_url", groups="econnect_odoo.group_econnect_admin"
    )
    econnect_webhook_address = fields.Char(
        related="company_id.econnect_webhook_address", groups="econnect_odoo.group_econnect_admin"
    )
    econnect_webhook_problem = fields.Char(
        related="company_id.econnect_webhook_problem", groups="econnect_odoo.group_econnect_admin"
    )
    # The switches eConnect must follow are not related fields (those are written when the settings record is
    # created, a request before Save): set_values switches them at eConnect first, all or nothing.
    econnect_receive = fields.Boolean(string="Receive e-invoices through eConnect")
    econnect_receive_journal_id = fields.Many2one(related="company_id.econnect_receive_journal_id", readonly=False)
    econnect_delete_after_download = fields.Boolean(
        related="company_id.econnect_delete_after_download", readonly=False
    )
    econnect_respond = fields.Boolean(string="Invoice responses")
    econnect_respond_ab = fields.Boolean(related="company_id.econnect_respond_ab", readonly=False)
    econnect_respond_ap = fields.Boolean(related="company_id.econnect_respond_ap", readonly=False)
    econnect_respond_pd = fields.Boolean(related="company_id.econnect_respond_pd", readonly=False)

    @api.model
    def get_values(self):
        values = super().get_values()
        company = self.env.company.sudo()
        values.update(econnect_receive=company.econnect_receive, econnect_respond=company.econnect_respond)
        return values

    def set_values(self):
        result = super().set_values()
        company = self.company_id
        if (self.econnect_receive, self.econnect_respond) != (company.econnect_receive, company.econnect_respond):
            company._econnect_save_switches(receive=self.econnect_receive, respond=self.econnect_respond)
        return result

    @api.onchange("econnect_receive")
    def _onchange_econnect_receive(self):
        if self.econnect_receive and not self.company_id.econnect_receive:
            return {
                "warning": {
                    "title": self.env._("Receiving costs money"),
                    "message": self.company_id._econnect_cost_note(),
                }
            }
        return None

    def action_econnect_activate(self):
        return self.company_id.action_econnect_activate()

    def action_econnect_deactivate(self):
        return self.company_id.action_econnect_deactivate()
