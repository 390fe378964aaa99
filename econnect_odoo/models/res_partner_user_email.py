from odoo import models


class ResPartner(models.Model):
    """A user's main e-mail lives on their contact: changed there (the contact form, an import), it obeys the same
    rule as on the user form: it may not be another user's additional address."""

    _inherit = "res.partner"

    def write(self, vals):
        if vals.get("email"):
            users = self.sudo().user_ids
            if users:
                users._econnect_check_main_email(vals["email"])
        return super().write(vals)
