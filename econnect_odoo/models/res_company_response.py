"""A company's invoice-response settings: whether it answers the e-invoices it receives, which answers are automatic,
and eConnect's ``invoiceResponse`` capability, switched on with them."""

import logging

from odoo import fields, models
from odoo.exceptions import UserError

from ..psb import contract
from ..psb.errors import PSBError
from ..tools.messages import user_message

_logger = logging.getLogger(__name__)


class ResCompany(models.Model):
    # invoice responses are their own concern, apart from activation and receiving
    _inherit = "res.company"  # pylint: disable=consider-merging-classes-inherited

    econnect_respond = fields.Boolean(
        string="Invoice responses",
        default=True,
        help="Answer the e-invoices received through eConnect (accept, reject, under query, paid), and take "
        "customers' answers to the invoices sent. Turning it on in Settings or on the company form (or receiving on, "
        "with it) switches eConnect's invoiceResponse capability on for the company.",
    )
    econnect_respond_ab = fields.Boolean(
        string="Acknowledge on arrival", default=True,
        help="Tell the seller automatically that an e-invoice arrived (AB) when its bill is created.",
    )
    econnect_respond_ap = fields.Boolean(
        string="Accept on posting", default=True,
        help="Tell the seller automatically that the invoice is accepted (AP) when its bill is posted.",
    )
    econnect_respond_pd = fields.Boolean(
        string="Paid when fully paid", default=False,
        help="Tell the seller automatically that the invoice is paid (PD) once its bill is fully paid.",
    )

    def _econnect_switch_response_capability(self, undo_receiving=False):
        """Switch eConnect's ``invoiceResponse`` capability on for this company (the minimal participant write, made
        only when it is not on yet). Raises a UserError that says what to do when eConnect refuses: Odoo's switch
        then stays as it was. With ``undo_receiving`` (receiving was just switched on at eConnect, with responses)
        receiving is switched back off there first, so that nothing changed anywhere."""
        self.ensure_one()
        self._econnect_check_admin()
        client, party = self._econnect_client(), self._econnect_party()
        try:
            client.set_capability(party, contract.CAPABILITY_INVOICE_RESPONSE, True)
        except PSBError as error:
            if undo_receiving:
                try:
                    client.set_receiving(party, False)
                except PSBError as undo_error:
                    _logger.warning(
                        "eConnect receiving of company %s could not be switched back (%s)", self.id, undo_error.kind
                    )
                raise UserError(self.env._(
                    "eConnect did not switch invoice responses on for %(company)s: %(error)s Receiving stays off. "
                    "Ask the administrator of your eConnect account to switch on invoice responses (invoiceResponse) "
                    "for this organisation on eConnect's platform, or turn Invoice responses off here, then turn "
                    "receiving on again.",
                    company=self.name, error=user_message(self.env, error),
                )) from error
            raise UserError(self.env._(
                "eConnect did not switch invoice responses on for %(company)s: %(error)s Some eConnect credentials "
                "may not change this. Ask the administrator of your eConnect account to switch on invoice responses "
                "(invoiceResponse) for this organisation on eConnect's platform, then turn this setting on again.",
                company=self.name, error=user_message(self.env, error),
            )) from error
        self._econnect_connection_note(self.env._("Invoice responses switched on at eConnect for %s.", self.name))
        _logger.info("eConnect invoiceResponse capability on for company %s", self.id)
