"""Our extension of Odoo's Peppol BIS Billing 3.0 builder: what Odoo 18.0's export gets wrong against the
official Peppol rules (XSD + CEN EN 16931 + Peppol BIS 3.0.21), fixed here, or stopped before sending by a
constraint that says what to fix and where.

The fixes apply to BIS 3 and to the Dutch NLCIUS builder (``account.edi.xml.ubl_nl``, which inherits this model):
the formats eConnect sends (``ECONNECT_BUILDERS``). The send flow picks the builder
(``account.move._econnect_builder()``) and refuses an invoice whose ``_export_invoice`` returns errors: these
constraints are part of its checks, and of Odoo's own Send & Print. The endpoint checks apply to companies where
eConnect is active (Odoo itself tolerates a file without endpoints for e-mail).

Fixed in the document:

- BR-61: a credit note has no payment means when no bank account is known (Odoo wrote "credit transfer"
  without an account, taking the customer's account, and failed when the customer had none).
- BR-CO-15: cash rounding is written as Odoo booked it, in the VAT of the biggest tax or as
  ``PayableRoundingAmount`` (Odoo put the rounded total in ``TaxInclusiveAmount``, which then differs from
  the amount without VAT plus the VAT).
- NL-R-001 / BillingReference: a credit note made from an invoice references that invoice (number and date)
  instead of the free text of its reference ("Reversal of: ..."), for every supplier country.
- UBL-SR-53: no ``PartyTaxScheme`` for a party without VAT number (Odoo wrote one holding the Peppol EAS code
  as tax scheme and the endpoint as "VAT number").
- BR-10: an invoice contact without an address of its own is written with its company's address.
- Line prices: the unit price the user typed where it adds up to the line amount (Odoo writes the line amount
  divided by the quantity, with 10 decimals), and the discount from it.
- VAT category: the Peppol VAT category chosen on a 0% tax (``account.tax.econnect_ubl_tax_category``, e.g.
  reverse charge AE) wins over Odoo's guess from the countries.
- PEPPOL-EN16931-R020: without Peppol fields on the company's partner, the seller's endpoint is the company's
  eConnect party id (the identity the document leaves from).

Stopped by constraints (``_export_invoice_constraints``): no buyer endpoint or an invalid one
(PEPPOL-EN16931-R010), no seller endpoint (R020), an invoice without bank account (BR-61, NL-R-007), a credit
note that says nothing about the invoice it corrects (NL-R-001), a fixed tax outside the VAT base (BR-S-08).
"""

from odoo import api, models

from ..psb.party import InvalidPartyId, PartyId
from ..tools.messages import party_reason

NL_LEGAL_SCHEMES = ("0106", "0190")  # NL-R-003 / NL-R-005: KvK or OIN
#: The builders of the formats eConnect sends (checked by the conformance matrix). Odoo's other BIS 3 derivatives
#: (XRechnung, A-NZ, SG, PINT, CIUS-RO, ...) have rules of their own (XRechnung wants payment means on every
#: document, for one) and keep Odoo's output.
ECONNECT_BUILDERS = ("account.edi.xml.ubl_bis3", "account.edi.xml.ubl_nl")


class AccountEdiXmlUBLBIS3(models.AbstractModel):
    _inherit = "account.edi.xml.ubl_bis3"

    # ------------------------------------------------------------------------------------------------------
    # Document values
    # ------------------------------------------------------------------------------------------------------
    def _econnect_fixes_apply(self):
        return self._name in ECONNECT_BUILDERS

    def _export_invoice_vals(self, invoice):
        # EXTENDS account.edi.xml.ubl_bis3
        vals = super()._export_invoice_vals(invoice)
        if not self._econnect_fixes_apply():
            return vals
        vals["MonetaryTotalType_template"] = "econnect_odoo.ubl_bis3_MonetaryTotalType"
        document = vals["vals"]

        origin = invoice.reversed_entry_id if invoice.move_type == "out_refund" else invoice.browse()
        if origin:
            # The invoice this credit note corrects (BT-25/BT-26), not the free text of its reference.
            document["billing_reference_vals"] = {"id": origin.name, "issue_date": origin.invoice_date}
            if origin.ref:
                # The customer's order reference is the one of the corrected invoice.
                document["order_reference"] = origin.ref

        self._econnect_fill_seller_endpoint(invoice, document["accounting_supplier_party_vals"]["party_vals"])
        self._econnect_write_cash_rounding(invoice, vals)
        return vals

    def _econnect_write_cash_rounding(self, invoice, vals):
        """BR-CO-15: Odoo writes the rounded total as TaxInclusiveAmount, which then differs from the amount
        without VAT plus the VAT. Write the rounding as Odoo booked it: in the VAT of the biggest tax
        (strategy "biggest tax"), else as PayableRoundingAmount (BT-114; PayableAmount is unchanged, BR-CO-16)."""
        if not invoice.invoice_cash_rounding_id:
            return
        currency = invoice.currency_id
        monetary = vals["vals"]["monetary_total_vals"]
        tax_total = vals["vals"]["tax_total_vals"][0]
        difference = currency.round(
            monetary["tax_inclusive_amount"] - monetary["tax_exclusive_amount"] - tax_total["tax_amount"]
        )
        if currency.is_zero(difference):
            return
        rounding_tax = invoice.line_ids.filtered(lambda line: line.display_type == "rounding").tax_line_id[:1]
        if invoice.invoice_cash_rounding_id.strategy == "biggest_tax" and rounding_tax:
            category = self._get_tax_category_list(vals["customer"].commercial_partner_id, vals["supplier"],
                                                   rounding_tax)[0]
            subtotal = next((
                sub for sub in tax_total["tax_subtotal_vals"]
                if sub["tax_category_vals"]["id"] == category["id"]
                and sub["tax_category_vals"].get("percent") == category["percent"]
            ), None)
            if subtotal:
                subtotal["tax_amount"] += difference
                tax_total["tax_amount"] += difference
                return
        monetary["tax_inclusive_amount"] -= difference
        monetary["payable_rounding_amount"] = difference

    def _econnect_fill_seller_endpoint(self, invoice, party_vals):
        """Without Peppol fields on the company's partner, the seller is the company's eConnect party."""
        if party_vals.get("endpoint_id"):
            return
        party = self._econnect_company_party(invoice.company_id)
        if not party:
            return
        party_vals["endpoint_id"] = party.value
        party_vals["endpoint_id_attrs"] = {"schemeID": party.scheme}
        if invoice.company_id.partner_id.country_code == "NL" and party.scheme in NL_LEGAL_SCHEMES:
            for legal_vals in party_vals["party_legal_entity_vals"]:
                if not legal_vals.get("company_id"):
                    legal_vals["company_id"] = party.value
                    legal_vals["company_id_attrs"] = {"schemeID": party.scheme}
            identifications = [v for v in party_vals["party_identification_vals"] if v.get("id")]
            party_vals["party_identification_vals"] = identifications or [{"id": party.value}]

    @api.model
    def _econnect_company_party(self, company):
        if "econnect_party_id" not in company._fields or not company.econnect_party_id:
            return None
        try:
            return PartyId.parse(company.econnect_party_id)
        except InvalidPartyId:
            return None

    def _get_partner_party_vals(self, partner, role):
        # EXTENDS account.edi.xml.ubl_bis3
        vals = super()._get_partner_party_vals(partner, role)
        if not self._econnect_fixes_apply():
            return vals
        commercial = partner.commercial_partner_id
        if role == "customer" and partner != commercial and not partner.country_id and commercial.country_id:
            # BR-10: an invoice contact without an address of its own gets its company's address.
            vals["postal_address_vals"] = self._get_partner_address_vals(commercial)
        return vals

    def _get_partner_party_tax_scheme_vals_list(self, partner, role):
        # EXTENDS account.edi.xml.ubl_bis3
        vals_list = super()._get_partner_party_tax_scheme_vals_list(partner, role)
        if self._econnect_fixes_apply() and not partner.vat:
            # UBL-SR-53: Odoo writes the Peppol EAS code as tax scheme and the endpoint as VAT number: a party
            # without VAT number has no PartyTaxScheme (BT-31/BT-48 absent).
            return []
        return vals_list

    def _get_tax_unece_codes(self, customer, supplier, tax):
        # EXTENDS account.edi.common: the Peppol VAT category chosen on a 0% tax wins over Odoo's guess.
        category = tax[:1].econnect_ubl_tax_category if tax and self._econnect_fixes_apply() else False
        if not category:
            return super()._get_tax_unece_codes(customer, supplier, tax)
        reason_code, reason = {
            "AE": ("VATEX-EU-AE", self.env._("Reverse charge")),
            "K": ("VATEX-EU-IC", self.env._("Intra-Community supply")),
            "G": ("VATEX-EU-G", self.env._("Export outside the EU")),
            "E": (None, self.env._("Exempt from tax")),
            "Z": (None, None),  # BR-Z-10: no exemption reason
        }[category]
        return {
            "tax_category_code": category,
            "tax_exemption_reason_code": reason_code,
            "tax_exemption_reason": reason,
        }

    def _econnect_exact_price(self, line):
        """The unit price (before discount) the user typed, when the UBL can carry it as is: the price excludes
        VAT, no fixed tax becomes a line charge, and quantity x price (less the discount) gives the line amount.
        Odoo writes instead the line amount divided by the quantity (``1.1321886481`` for a typed ``1.1305``),
        which is valid but not the price on the PDF."""
        taxes = line.tax_ids.flatten_taxes_hierarchy()
        if (
            not self._econnect_fixes_apply()
            or not line.quantity
            or line.discount == 100.0
            or any(tax.price_include or tax.amount_type == "fixed" for tax in taxes)
        ):
            return None
        currency = line.currency_id
        net = line.quantity * line.price_unit * (1.0 - (line.discount or 0.0) / 100.0)
        if currency.compare_amounts(currency.round(net), line.price_subtotal):
            return None
        return line.price_unit

    def _get_invoice_line_price_vals(self, line):
        # EXTENDS account.edi.xml.ubl_20: the typed unit price where it adds up (PEPPOL-EN16931-R120)
        vals = super()._get_invoice_line_price_vals(line)
        price = self._econnect_exact_price(line)
        if price is not None:
            vals["price_amount"] = price
        return vals

    def _get_invoice_line_allowance_vals_list(self, line, tax_values_list=None):
        # EXTENDS account.edi.xml.ubl_bis3: with the typed unit price, the discount is the typed gross amount
        # less the line amount (Odoo derives the gross amount from the line amount).
        vals_list = super()._get_invoice_line_allowance_vals_list(line, tax_values_list=tax_values_list)
        price = self._econnect_exact_price(line) if line.discount else None
        if price is not None:
            currency = line.currency_id
            for vals in vals_list:
                if vals.get("charge_indicator") == "false" and vals.get("allowance_charge_reason_code") == 95:
                    vals["amount"] = currency.round(line.quantity * price) - line.price_subtotal
        return vals_list

    def _get_invoice_payment_means_vals_list(self, invoice):
        # EXTENDS account.edi.xml.ubl_bis3
        vals_list = super()._get_invoice_payment_means_vals_list(invoice)
        if self._econnect_fixes_apply() and invoice.move_type == "out_refund" and not invoice.partner_bank_id:
            # BR-61: "credit transfer" needs an account; a credit note needs no payment means (NL-R-007 asks
            # them only when the customer pays).
            return []
        return vals_list

    # ------------------------------------------------------------------------------------------------------
    # Constraints: what must be fixed by the user before the document can leave
    # ------------------------------------------------------------------------------------------------------
    def _invoice_constraints_cen_en16931_ubl(self, invoice, vals):
        # EXTENDS account.edi.xml.ubl_bis3: Odoo reads the first payment means unconditionally.
        if not vals["vals"]["payment_means_vals_list"]:
            vals = {**vals, "vals": {**vals["vals"], "payment_means_vals_list": [{"payment_means_code": None}]}}
        return super()._invoice_constraints_cen_en16931_ubl(invoice, vals)

    def _export_invoice_constraints(self, invoice, vals):
        # EXTENDS account.edi.xml.ubl_bis3
        constraints = super()._export_invoice_constraints(invoice, vals)
        if not self._econnect_fixes_apply():
            return constraints
        document = vals["vals"]
        is_refund = invoice.move_type == "out_refund"

        # Odoo's messages ("The field 'Recipient Bank' is required on ...") replaced by ours, which say where.
        bank_message = None
        if not is_refund and not invoice.partner_bank_id and any(
            means.get("payment_means_code") in (30, 58) for means in document["payment_means_vals_list"]
        ):
            bank_message = self.env._(
                "Invoice %(invoice)s has no bank account to be paid on: set its Recipient Bank (Other Info tab), "
                "or add a bank account to %(company)s (Contacts > %(company)s > Invoicing tab > Bank Accounts).",
                invoice=invoice.name, company=invoice.company_id.partner_id.display_name,
            )
        constraints["cen_en16931_payment_account_identifier"] = bank_message
        if "nl_r_007" in constraints:
            constraints["nl_r_007"] = None  # same fix as above; a credit note needs no payment means
        if "nl_r_001" in constraints:
            constraints["nl_r_001"] = None
            prechecked = self.env.context.get("econnect_prechecked")  # our send checks said it already
            if is_refund and not prechecked and not (document.get("billing_reference_vals") or {}).get("id"):
                constraints["nl_r_001"] = self.env._(
                    "Credit note %(credit_note)s does not say which invoice it corrects: create it from the "
                    "invoice (Credit Note button), or enter the corrected invoice's number as its Customer "
                    "Reference (Other Info tab).",
                    credit_note=invoice.name,
                )

        constraints["econnect_fixed_tax_outside_vat_base"] = self._econnect_fixed_tax_error(invoice, vals)
        if invoice.company_id.econnect_state != "active" or self.env.context.get("econnect_prechecked"):
            return constraints
        customer = invoice.partner_id.commercial_partner_id
        constraints["econnect_buyer_endpoint"] = self._econnect_endpoint_error(
            customer,
            document["accounting_customer_party_vals"]["party_vals"],
            self.env._(
                "Set the Peppol endpoint of %(partner)s: Contacts > %(partner)s > Invoicing tab, fields "
                "Peppol e-address (EAS) and Peppol Endpoint (they show with an e-invoice format such as "
                "BIS Billing 3.0).",
                partner=customer.display_name,
            ),
        )
        company = invoice.company_id
        constraints["econnect_seller_endpoint"] = self._econnect_endpoint_error(
            company.partner_id,
            document["accounting_supplier_party_vals"]["party_vals"],
            self.env._(
                "Set the eConnect party id of %(company)s (Settings > Invoicing > eConnect), or the Peppol "
                "endpoint of its partner (Contacts > %(company)s > Invoicing tab).",
                company=company.name,
            ),
        )
        return constraints

    def _econnect_fixed_tax_error(self, invoice, vals):
        """BR-S-08 & co: a fixed tax becomes a charge on its line, and so part of the line's VAT base. When Odoo
        does not include it in the VAT base, the document's VAT breakdown can't add up."""
        currency = invoice.currency_id
        outside = self.env["account.tax"]
        for line, line_taxes in vals["taxes_vals"]["tax_details_per_record"].items():
            details = line_taxes["tax_details"]
            fixed = sum(d["tax_amount_currency"] for key, d in details.items() if key["tax_amount_type"] == "fixed")
            if currency.is_zero(fixed):
                continue
            expected_base = abs(line.price_subtotal + fixed)
            if any(
                currency.compare_amounts(abs(d["base_amount_currency"]), expected_base)
                for key, d in details.items() if key["tax_amount_type"] != "fixed"
            ):
                outside |= line.tax_ids.flatten_taxes_hierarchy().filtered(lambda t: t.amount_type == "fixed")
        if not outside:
            return None
        return self.env._(
            "On %(invoice)s, the fixed amount of tax %(taxes)s is not subject to the line's VAT, which a Peppol "
            "invoice can't express: in Invoicing > Configuration > Taxes, tick 'Affect Base of Subsequent Taxes' "
            "on it and give it a lower sequence than the VAT, or invoice that amount on a line of its own.",
            invoice=invoice.name, taxes=", ".join(outside.mapped("name")),
        )

    def _econnect_endpoint_error(self, partner, party_vals, missing_message):
        """The message for a party whose EndpointID is missing or not valid for its scheme, or None."""
        endpoint = party_vals.get("endpoint_id")
        scheme = (party_vals.get("endpoint_id_attrs") or {}).get("schemeID")
        if not endpoint or not scheme:
            return missing_message
        try:
            PartyId(scheme, endpoint).validate()
        except InvalidPartyId as error:
            return self.env._(
                "The Peppol endpoint %(endpoint)s of %(partner)s is not a valid %(scheme)s identifier (%(reason)s). "
                "Correct it in Contacts > %(partner)s > Invoicing tab.",
                endpoint=endpoint, partner=partner.display_name, scheme=scheme,
                reason=party_reason(self.env, error),
            )
        return None
