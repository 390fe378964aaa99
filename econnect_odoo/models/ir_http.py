from odoo import models
from odoo.http import request

SESSION_KEY = "econnect_receive_prompt_shown"


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    def session_info(self):
        info = super().session_info()
        user = self.env.user
        # Once per login session, and only for eConnect administrators with undecided active companies.
        ask = bool(
            request
            and request.session.uid
            and not request.session.get(SESSION_KEY)
            and user._is_internal()
            and user._econnect_companies_to_ask()
        )
        info["econnect_receive_prompt"] = ask
        return info
