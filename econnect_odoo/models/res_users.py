from odoo import fields, models


class ResUsers(models.Model):
    _inherit = "res.users"

    econnect_receive_prompt_disabled = fields.Boolean(
        string="Don't ask me about receiving e-invoices",
        help="Stop the question, shown after login to eConnect administrators, whether active companies "
        "should receive e-invoices through eConnect.",
    )

    @property
    def SELF_READABLE_FIELDS(self):
        return [*super().SELF_READABLE_FIELDS, "econnect_receive_prompt_disabled"]

    @property
    def SELF_WRITEABLE_FIELDS(self):
        return [*super().SELF_WRITEABLE_FIELDS, "econnect_receive_prompt_disabled"]

    def _econnect_companies_to_ask(self):
        """Active companies of this user whose receiving nobody decided yet, if the user is to be asked."""
        self.ensure_one()
        if self.econnect_receive_prompt_disabled or not self.has_group("econnect_odoo.group_econnect_admin"):
            return self.env["res.company"]
        return self.company_ids.sudo().filtered(
            lambda c: c.econnect_state == "active" and not c.econnect_receive_decided
        )
