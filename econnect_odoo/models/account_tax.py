"""The Peppol VAT category of a 0% tax, for what Odoo can't guess from the countries: reverse charge of services
to an EU business looks like an intra-community supply of goods to Odoo, and domestic reverse charge (btw verlegd)
like an exemption. Used by our BIS 3 builder (``_get_tax_unece_codes``)."""

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class AccountTax(models.Model):
    _inherit = "account.tax"

    econnect_ubl_tax_category = fields.Selection(
        selection=[
            ("AE", "Reverse charge (AE)"),
            ("K", "Intra-community supply (K)"),
            ("G", "Export outside the EU (G)"),
            ("E", "Exempt (E)"),
            ("Z", "Zero rated (Z)"),
        ],
        string="Peppol VAT category",
        help="The VAT category of this 0% tax on Peppol e-invoices. Empty: guessed from the countries "
        "(exempt at home, intra-community supply within the EU, export outside). Choose 'Reverse charge' for "
        "reverse-charged services to EU businesses and for domestic reverse charge (btw verlegd).",
    )

    @api.constrains("econnect_ubl_tax_category", "amount", "amount_type")
    def _check_econnect_ubl_tax_category(self):
        for tax in self:
            if tax.econnect_ubl_tax_category and (tax.amount_type != "percent" or tax.amount):
                raise ValidationError(self.env._(
                    "Tax %(tax)s: only a 0%% tax can have a Peppol VAT category; a tax with an amount is "
                    "standard rated.", tax=tax.name,
                ))
