from odoo import http
from odoo.exceptions import UserError
from odoo.http import request

from ..models.econnect_user_email import (
    VERIFY_EXPIRED,
    VERIFY_INVALID,
    VERIFY_ROUTE,
    VERIFY_USED,
    VERIFY_WRONG_USER,
)


class EconnectEmailVerification(http.Controller):
    """The page behind the link Odoo mails to a new additional address: confirms the address once."""

    @http.route(
        f"{VERIFY_ROUTE}/<int:address_id>/<string:token>", type="http", auth="user", methods=["GET"], sitemap=False
    )
    def econnect_verify_email(self, address_id, token, **kwargs):
        address = request.env["econnect.user.email"].sudo().browse(address_id).exists()
        result = address._econnect_verify(token, request.env.user) if address else VERIFY_INVALID
        return self._econnect_page(result, address)

    @http.route(f"{VERIFY_ROUTE}/<int:address_id>/resend", type="http", auth="user", methods=["POST"], sitemap=False)
    def econnect_resend_link(self, address_id, **kwargs):
        """The expired-link page's button: mail a new link (only to the address's own user)."""
        address = request.env["econnect.user.email"].sudo().browse(address_id).exists()
        if not address or address.user_id != request.env.user:
            return self._econnect_page(VERIFY_WRONG_USER if address else VERIFY_INVALID, address)
        if address.state != "pending":
            return self._econnect_page(VERIFY_USED, address)
        try:
            address._econnect_send_verification()
        except UserError as error:  # links are counted (one per address per few minutes, a cap a day): say so
            return self._econnect_page("limited", address, message=error.args[0])
        return self._econnect_page("resent", address)

    def _econnect_page(self, result, address, message=None):
        mine = bool(address) and address.user_id == request.env.user
        return request.render(
            "econnect_odoo.email_verification_page",
            {
                "result": result,
                # never show somebody else's address
                "email": address.email if mine else False,
                "address_id": address.id if mine and result == VERIFY_EXPIRED else False,
                "message": message,
            },
        )
