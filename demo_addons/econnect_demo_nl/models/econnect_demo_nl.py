"""The Dutch demo: l10n_nl's demo company becomes "Demo Bedrijf B.V.", connected to eConnect's demo environment,
with Dutch, Belgian and government customers, vendors, and invoices and a credit note ready to send."""

import datetime

from odoo import api, models

from ..demo_parties import COMPANY, CUSTOMERS, VENDORS

# (customer key, [(product xml id, quantity, price, tax xml id of the Dutch chart)]): posted, ready to send.
# The customer's fiscal position maps the taxes (the Belgian company: intra-community supply).
INVOICES = (
    ("klant", [("product.product_product_4", 2, 750.0, "btw_21"), ("product.product_product_6", 10, 12.5, "btw_9")]),
    ("groothandel", [("product.product_product_8", 1, 1299.0, "btw_21")]),
    ("client_be", [("product.product_product_5", 3, 145.0, "btw_21")]),
    ("gemeente", [("product.product_product_20", 4, 95.0, "btw_21")]),
)
# A credit note for part of the first invoice (one of its two desks).
CREDIT_NOTE = ("klant", "product.product_product_4", 1)
# On purpose: an invoice to the municipality without its purchase order number. Sent in a batch with others, the
# report says what it lacks and sends the rest.
WITHOUT_ORDER_REFERENCE = ("gemeente", "product.product_product_20", 2, 95.0, "btw_21")


class EconnectDemoNl(models.AbstractModel):
    _name = "econnect.demo.nl"
    _description = "eConnect Dutch demo (development tooling)"

    @api.model
    def _company(self):
        return self.env.ref("base.demo_company_nl", raise_if_not_found=False)

    @api.model
    def _setup(self):
        company = self._company()
        if not company or self.env.ref("econnect_demo_nl.partner_klant", raise_if_not_found=False):
            return  # no l10n_nl demo company, or set up already (an update of the module)
        chart = self.env["account.chart.template"].with_company(company)
        self._setup_company(company)
        self._setup_products(company, chart)
        customers = self._setup_partners(company)
        self._setup_invoices(company, chart, customers)

    @api.model
    def _setup_company(self, company):
        connection = self.env.ref("econnect_odoo.econnect_connection_demo")
        main = self.env.ref("base.main_company")
        if main != company and main.econnect_party_id == COMPANY["party"]:
            # one company acts for the demo party id: the Dutch one
            main.write({"econnect_connection_id": False, "econnect_party_id": False})
        company.write({
            "name": COMPANY["name"],
            "company_registry": COMPANY["company_registry"],
            "vat": COMPANY["vat"],
            "email": COMPANY["email"],
            "currency_id": self.env.ref("base.EUR").id,
            "econnect_connection_id": connection.id,
            "econnect_party_id": COMPANY["party"],
        })
        company.partner_id.write({"peppol_eas": "0106", "peppol_endpoint": COMPANY["company_registry"]})
        bank = company.partner_id.bank_ids.filtered(lambda b: b.sanitized_acc_number == COMPANY["iban"])
        if not bank:
            bank = self.env["res.partner.bank"].create({
                "acc_number": COMPANY["iban"], "partner_id": company.partner_id.id, "company_id": company.id,
            })
        bank.allow_out_payment = True
        self.env["ir.config_parameter"].sudo().set_param("econnect_demo_nl.company_id", company.id)
        for user in self.env.ref("base.user_admin") | self.env.ref("base.user_root"):
            user.write({"company_ids": [(4, company.id)], "company_id": company.id})
        receive_journal = self.env["account.journal"].search(
            [("company_id", "=", company.id), ("type", "=", "purchase")], limit=1
        )
        company.econnect_receive_journal_id = receive_journal

    @api.model
    def _setup_products(self, company, chart):
        """Every saleable product gets the Dutch 21 % (sale) and 21 % (purchase) taxes of the demo company."""
        sale, purchase = chart.ref("btw_21"), chart.ref("btw_21_buy")
        products = self.env["product.template"].with_company(company).search(
            [("sale_ok", "=", True), ("company_id", "in", (False, company.id))]
        )
        for product in products.sudo():
            if not product.taxes_id.filtered(lambda t: t.company_id == company):
                product.taxes_id = [(4, sale.id)]
            if product.purchase_ok and not product.supplier_taxes_id.filtered(lambda t: t.company_id == company):
                product.supplier_taxes_id = [(4, purchase.id)]

    @api.model
    def _setup_partners(self, company):
        partners = {}
        for data in CUSTOMERS + VENDORS:
            scheme, endpoint = data["peppol"].split(":", 1)
            values = {
                "name": data["name"],
                "is_company": True,
                "country_id": self.env.ref(f"base.{data.get('country', 'nl')}").id,
                "vat": data["vat"],
                "company_registry": data.get("company_registry") or False,
                "street": data.get("street") or False,
                "zip": data.get("zip") or False,
                "city": data.get("city") or False,
                "email": data.get("email") or False,
                # the buyer reference Peppol asks of every invoice (rule R003)
                "ref": data.get("buyer_reference") or False,
                "peppol_eas": scheme,
                "peppol_endpoint": endpoint,
                "company_id": company.id,
            }
            partner = self.env["res.partner"].create(values)
            self._xmlid(f"partner_{data['key']}", partner)
            if data.get("iban"):  # the account its e-invoices ask to be paid into: known, so they are not flagged
                self.env["res.partner.bank"].create({"acc_number": data["iban"], "partner_id": partner.id})
            if data in CUSTOMERS:
                partner.with_company(company).invoice_sending_method = "econnect"
            partners[data["key"]] = partner
        return partners

    @api.model
    def _setup_invoices(self, company, chart, customers):
        journal = self.env["account.journal"].search([("company_id", "=", company.id), ("type", "=", "sale")], limit=1)
        bank = company.partner_id.bank_ids.filtered(lambda b: b.sanitized_acc_number == COMPANY["iban"])
        today = datetime.date.today()
        by_key = {data["key"]: data for data in CUSTOMERS}
        moves = {}
        for index, (key, lines) in enumerate(INVOICES):
            move = self.env["account.move"].with_company(company).create({
                "move_type": "out_invoice",
                "partner_id": customers[key].id,
                "journal_id": journal.id,
                "company_id": company.id,
                "invoice_date": today - datetime.timedelta(days=len(INVOICES) + 1 - index),
                "ref": by_key[key].get("order_reference") or False,
                "partner_bank_id": bank.id,
                "invoice_line_ids": [
                    (0, 0, {"product_id": self.env.ref(product).id, "quantity": quantity, "price_unit": price})
                    for product, quantity, price, _tax in lines
                ],
            })
            for line, (_product, _quantity, _price, tax) in zip(move.invoice_line_ids, lines, strict=True):
                line.tax_ids = move.fiscal_position_id.map_tax(chart.ref(tax))
            move.action_post()
            moves.setdefault(key, move)
            self._xmlid(f"invoice_{key}", move)
        key, product, quantity, price, tax = WITHOUT_ORDER_REFERENCE
        move = self.env["account.move"].with_company(company).create({
            "move_type": "out_invoice", "partner_id": customers[key].id, "journal_id": journal.id,
            "company_id": company.id, "invoice_date": today, "partner_bank_id": bank.id,
            "invoice_line_ids": [(0, 0, {"product_id": self.env.ref(product).id, "quantity": quantity,
                                         "price_unit": price, "tax_ids": [(6, 0, chart.ref(tax).ids)]})],
        })
        move.action_post()
        self._xmlid(f"invoice_{key}_without_order_reference", move)
        key, product, quantity = CREDIT_NOTE
        invoice = moves[key]
        line = invoice.invoice_line_ids.filtered(lambda item: item.product_id == self.env.ref(product))[:1]
        # a credit note of its own (not reconciled with the invoice)
        credit_note = self.env["account.move"].with_company(company).create({
            "move_type": "out_refund", "partner_id": invoice.partner_id.id, "journal_id": journal.id,
            "company_id": company.id, "invoice_date": today, "partner_bank_id": bank.id,
            # its Customer Reference names the invoice it corrects (reversed_entry_id would make Odoo reconcile
            # the two, and the invoice show as partly paid)
            "ref": invoice.name,
            "invoice_line_ids": [(0, 0, {"product_id": line.product_id.id, "quantity": quantity,
                                         "price_unit": line.price_unit, "tax_ids": [(6, 0, line.tax_ids.ids)]})],
        })
        credit_note.action_post()
        self._xmlid(f"credit_note_{key}", credit_note)

    @api.model
    def _xmlid(self, name, record):
        self.env["ir.model.data"]._update_xmlids([
            {"xml_id": f"econnect_demo_nl.{name}", "record": record, "noupdate": True},
        ])
