from odoo import models
from odoo.tools import clean_context

from odoo.addons.base.models.res_bank import sanitize_account_number


class AccountEdiCommon(models.AbstractModel):
    _inherit = "account.edi.common"

    def _import_partner_bank(self, invoice, bank_details):
        """EXTENDS account_edi_ubl_cii: Odoo adds a bank account of the document to the vendor when it does not know
        it. For bills made from documents received through eConnect or mailed to a submission address, a new
        account is never added silently: it is proposed on the bill (``econnect_proposed_bank_account``), which
        is flagged, and a person adds it (see ``account_move_supplier.py``)."""
        if invoice.is_inbound() or not invoice._econnect_is_document_bill():
            return super()._import_partner_bank(invoice, bank_details)
        Bank = self.env["res.partner.bank"].with_env(self.env(context=clean_context(self.env.context)))
        numbers = [number for number in bank_details if number]
        sanitized = [sanitize_account_number(number) for number in numbers]
        vendor = invoice.partner_id
        if vendor:
            known = Bank.search([
                ("company_id", "in", [False, invoice.company_id.id]),
                ("partner_id", "=", vendor.id),
                ("sanitized_acc_number", "in", sanitized),
            ], limit=1)
            if known:
                invoice.partner_bank_id = known
                return
        if numbers:
            invoice.econnect_proposed_bank_account = numbers[0]
