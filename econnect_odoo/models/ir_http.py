import werkzeug.exceptions

from odoo import models
from odoo.http import request

SESSION_KEY = "econnect_receive_prompt_shown"


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _pre_dispatch(cls, rule, args):
        # the webhook refuses a body too large before Odoo's dispatcher reads it (it parses forms of any size)
        refuse = rule.endpoint.routing.get("econnect_refuse_unread")
        refusal = refuse(request.httprequest, args) if refuse else None
        if refusal is not None:
            werkzeug.exceptions.abort(refusal)
        return super()._pre_dispatch(rule, args)

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
