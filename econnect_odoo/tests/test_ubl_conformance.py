"""Every invoice we send passes the official Peppol rules (XSD + CEN EN 16931 + Peppol BIS 3.0.21), or is
stopped before it leaves with a message saying what to fix and where.

A Dutch company, active at eConnect (the PSB simulator, over real HTTP), sends a varied matrix of invoices with
"Send via eConnect"; the UBL documents the simulator received are validated at once by the official rules, in
ONE subprocess (``peppol_validator.validate_batch``: saxonche must never load inside the Odoo process). Skips
with a message when the rules folder (``PEPPOL_RULES_DIR``) or saxonche is absent.
"""

import os

from lxml import etree

from odoo import Command, fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from .common import EconnectSendMixin
from .peppol_validator import format_failures, validate_batch

INVOICE_DATE = fields.Date.from_string("2025-03-10")
NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
}


@tagged("post_install", "-at_install")
class TestUblConformance(EconnectSendMixin, AccountTestInvoicingCommon):
    country_code = "NL"
    chart_template = "generic_coa"  # the matrix must not depend on l10n_nl being installed

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        nl = cls.env.ref("base.nl")
        cls.company = cls.env.company
        cls.change_company_country(cls.company, nl)
        cls.company.write({
            "name": "Fietsenmakerij De Spaak BV",
            "street": "Kerkstraat 1",
            "zip": "1011 AB",
            "city": "Amsterdam",
            "country_id": nl.id,
            "vat": "NL000099998B57",
            "company_registry": "12345678",
            "email": "facturen@despaak.example",
        })
        cls.company.partner_id.write({"peppol_eas": "0106", "peppol_endpoint": "12345678"})  # our eConnect party
        cls.env["decimal.precision"].search([("name", "=", "Product Price")]).digits = 4
        cls.env["decimal.precision"].search([("name", "=", "Product Unit of Measure")]).digits = 4

        tax_group = cls.env["account.tax.group"].create({
            "name": "BTW", "company_id": cls.company.id, "country_id": nl.id,
        })

        def tax(name, amount):
            return cls.env["account.tax"].create({
                "name": name, "amount": amount, "amount_type": "percent", "type_tax_use": "sale",
                "company_id": cls.company.id, "country_id": nl.id, "tax_group_id": tax_group.id,
            })

        cls.tax_21 = tax("21% BTW", 21.0)
        cls.tax_9 = tax("9% BTW", 9.0)
        cls.tax_0 = tax("0% BTW", 0.0)
        cls.tax_0_eu = tax("0% BTW EU", 0.0)
        cls.tax_0_export = tax("0% BTW export", 0.0)
        cls.tax_0_reverse = tax("0% BTW verlegd", 0.0)
        cls.tax_0_reverse.econnect_ubl_tax_category = "AE"

        def partner(name, country, **values):
            return cls.env["res.partner"].create({
                "name": name,
                "is_company": True,
                "country_id": cls.env.ref(f"base.{country}").id,
                "invoice_edi_format": "ubl_bis3",
                **values,
            })

        cls.nl_buyer = partner(
            "Bakkerij Van Dam BV", "nl", street="Dorpsstraat 12", zip="3512 JE", city="Utrecht",
            vat="NL123456782B90", peppol_eas="0106", peppol_endpoint="11223344", ref="PO-2025-001",
            email="inkoop@vandam.example",
        )
        cls.nl_buyer_nlcius = partner(
            "Gemeente Voorbeeld", "nl", street="Stadhuisplein 1", zip="2511 BT", city="Den Haag",
            vat="NL001234567B01", peppol_eas="0106", peppol_endpoint="87654321", ref="NLCIUS-REF",
            invoice_edi_format="nlcius",
        )
        cls.be_buyer = partner(
            "Brouwerij Sint-Arnold NV", "be", street="Grote Markt 5", zip="1000", city="Brussel",
            vat="BE0477472701", peppol_eas="0208", peppol_endpoint="0477472701", ref="BE-ORDER-7",
        )
        cls.de_buyer = partner(
            "Fahrradwerk Berlin GmbH", "de", street="Alexanderplatz 3", zip="10178", city="Berlin",
            vat="DE123456788", peppol_eas="9930", peppol_endpoint="DE123456788", ref="DE-4711",
        )
        cls.us_buyer = partner(
            "Bike Shop Inc.", "us", street="1 Main Street", zip="10001", city="New York",
            peppol_eas="0088", peppol_endpoint="5790000435951", ref="US-PO-9",
        )
        cls.nl_buyer_no_vat = partner(
            "Stichting Fietsplezier", "nl", street="Laan 4", zip="6811 AA", city="Arnhem",
            peppol_eas="0106", peppol_endpoint="55667788", ref="SF-1",
        )
        cls.nl_buyer_no_endpoint = partner(
            "Kapsalon Knip", "nl", street="Markt 2", zip="5611 AA", city="Eindhoven",
            vat="NL987654321B01", ref="KK-1",
        )
        cls.nl_buyer_no_endpoint.write({"peppol_eas": "0106", "peppol_endpoint": False})
        cls.nl_buyer_with_bank = partner(
            "Drukkerij Letterzetter BV", "nl", street="Havenweg 8", zip="9711 AA", city="Groningen",
            vat="NL112233445B01", peppol_eas="0106", peppol_endpoint="99887766", ref="DL-3",
            bank_ids=[Command.create({"acc_number": "NL02RABO0123456789"})],
        )
        cls.cash_rounding_line = cls.env["account.cash.rounding"].create({
            "name": "0.05 line", "rounding": 0.05, "strategy": "add_invoice_line", "rounding_method": "HALF-UP",
            "profit_account_id": cls.company_data["default_account_revenue"].id,
            "loss_account_id": cls.company_data["default_account_expense"].id,
        })
        cls.cash_rounding_tax = cls.env["account.cash.rounding"].create({
            "name": "0.05 tax", "rounding": 0.05, "strategy": "biggest_tax", "rounding_method": "HALF-UP",
        })
        cls.usd = cls.setup_other_currency("USD", rates=[("2025-01-01", 1.0843)])
        for buyer in (cls.nl_buyer, cls.nl_buyer_nlcius, cls.be_buyer, cls.de_buyer, cls.us_buyer, cls.nl_buyer_no_vat,
                      cls.nl_buyer_with_bank):
            cls.simulator.add_participant(f"{buyer.peppol_eas}:{buyer.peppol_endpoint}", name=buyer.name)
        cls.tax_21_included = tax("21% BTW incl.", 21.0)
        cls.tax_21_included.price_include_override = "tax_included"
        cls.tax_fixed = cls.env["account.tax"].create({
            "name": "Verwijderingsbijdrage", "amount": 1.5, "amount_type": "fixed", "type_tax_use": "sale",
            "include_base_amount": True, "sequence": 0, "company_id": cls.company.id, "country_id": nl.id,
            "tax_group_id": tax_group.id,
        })
        cls.tax_fixed_after = cls.tax_fixed.copy({"name": "Statiegeld", "sequence": 20, "include_base_amount": False})
        cls.epd_term = cls.env["account.payment.term"].create({
            "name": "2% 10 dagen, 30 dagen netto",
            "early_discount": True, "discount_percentage": 2.0, "discount_days": 10,
            "early_pay_discount_computation": "mixed",
            "line_ids": [Command.create({"value": "percent", "value_amount": 100.0, "nb_days": 30})],
        })
        cls.nl_contact = cls.env["res.partner"].create({
            "name": "Jan de Vries", "type": "invoice", "parent_id": cls.nl_buyer.id, "email": "jan@vandam.example",
        })
        cls.nl_delivery = cls.env["res.partner"].create({
            "name": "Magazijn", "type": "delivery", "parent_id": cls.de_buyer.id, "street": "Hafenstr. 9",
            "zip": "20457", "city": "Hamburg", "country_id": cls.env.ref("base.de").id,
        })
        cls.us_buyer.state_id = cls.env.ref("base.state_us_27")

    # ------------------------------------------------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------------------------------------------------
    @classmethod
    def _invoice(cls, partner, lines, move_type="out_invoice", post=True, **values):
        move = cls.env["account.move"].create({
            "move_type": move_type,
            "partner_id": partner.id,
            "invoice_date": INVOICE_DATE,
            "invoice_line_ids": [
                Command.create({
                    "name": line.get("name", "Fietsonderhoud"),
                    "quantity": line.get("quantity", 1.0),
                    "price_unit": line["price_unit"],
                    "discount": line.get("discount", 0.0),
                    "tax_ids": [Command.set(line["taxes"].ids)],
                    **({"product_uom_id": line["product_uom_id"]} if "product_uom_id" in line else {}),
                })
                for line in lines
            ],
            **values,
        })
        if post:
            move.action_post()
        return move

    @classmethod
    def _reverse(cls, move, reason="Teruggave"):
        wizard = cls.env["account.move.reversal"].with_context(
            active_model="account.move", active_ids=move.ids,
        ).create({"reason": reason, "journal_id": move.journal_id.id, "date": INVOICE_DATE})
        action = wizard.refund_moves()
        refund = cls.env["account.move"].browse(action["res_id"])
        refund.action_post()
        return refund

    def _econnect_ubl(self, move, send=True):
        """The UBL we send for ``move``: ``(xml bytes, [why it was refused])``. The one place the tests get their
        documents from.

        ``send``: "Send via eConnect" to the simulator; the document is what the simulator received. When the
        send flow refuses the invoice, the list holds its message, then the builder's own errors, and the xml is
        what the builder would have written (for the test to show it breaks the rule the check guards).
        ``send=False``: the builder alone (``_export_invoice``, as Odoo's Send & Print), for what the send flow
        checks more strictly than the Peppol rules.
        """
        builder = move._econnect_builder()
        if not send:
            xml, errors = builder._export_invoice(move)
            return xml, sorted(errors)
        try:
            move.action_econnect_send()
        except UserError as error:
            xml, errors = builder._export_invoice(move)
            return xml, [error.args[0], *sorted(errors)]
        self.assertEqual(move.econnect_state, "sent", move.econnect_message)
        return self.sent_xml(move), []

    # ------------------------------------------------------------------------------------------------------
    # the matrix
    # ------------------------------------------------------------------------------------------------------
    def _matrix(self):
        c = type(self)
        cases = {}
        cases["nl_21"] = c._invoice(self.nl_buyer, [
            {"name": "Fiets", "price_unit": 899.0, "taxes": self.tax_21},
            {"name": "Slot", "quantity": 2, "price_unit": 34.95, "taxes": self.tax_21},
        ])
        cases["nl_9"] = c._invoice(self.nl_buyer, [
            {"name": "Boek", "quantity": 3, "price_unit": 19.99, "taxes": self.tax_9},
        ])
        cases["nl_mixed"] = c._invoice(self.nl_buyer, [
            {"name": "Fiets", "price_unit": 499.0, "taxes": self.tax_21},
            {"name": "Boek", "quantity": 2, "price_unit": 12.5, "taxes": self.tax_9},
            {"name": "Cursus (vrijgesteld)", "price_unit": 150.0, "taxes": self.tax_0},
        ])
        cases["be_reverse_charge"] = c._invoice(self.be_buyer, [
            {"name": "Advies (verlegd)", "quantity": 8, "price_unit": 95.0, "taxes": self.tax_0_reverse},
        ])
        cases["nl_domestic_reverse_charge"] = c._invoice(self.nl_buyer, [
            {"name": "Onderaanneming bouw", "quantity": 40, "price_unit": 55.0, "taxes": self.tax_0_reverse},
        ])
        cases["de_intra_eu_goods"] = c._invoice(self.de_buyer, [
            {"name": "Fahrradrahmen", "quantity": 10, "price_unit": 120.0, "taxes": self.tax_0_eu},
        ])
        cases["us_export"] = c._invoice(self.us_buyer, [
            {"name": "Bicycle", "quantity": 4, "price_unit": 650.0, "taxes": self.tax_0_export},
        ])
        cases["nl_exempt"] = c._invoice(self.nl_buyer, [
            {"name": "Medische keuring", "price_unit": 75.0, "taxes": self.tax_0},
        ])
        cases["nl_discounts"] = c._invoice(self.nl_buyer, [
            {"name": "Band", "quantity": 4, "price_unit": 29.95, "discount": 10.0, "taxes": self.tax_21},
            {"name": "Ketting", "quantity": 3, "price_unit": 17.49, "discount": 33.33, "taxes": self.tax_21},
            {"name": "Bel (gratis)", "quantity": 1, "price_unit": 5.0, "discount": 100.0, "taxes": self.tax_21},
        ])
        cases["nl_100_lines"] = c._invoice(self.nl_buyer, [
            {
                "name": f"Onderdeel {i}",
                "quantity": round(1 + i * 0.3337, 4),
                "price_unit": round(0.1234 + i * 1.0071, 4),
                "discount": 5.0 if i % 7 == 0 else 0.0,
                "taxes": self.tax_9 if i % 3 == 0 else self.tax_21,
            }
            for i in range(100)
        ])
        cases["nl_foreign_currency"] = c._invoice(self.nl_buyer, [
            {"name": "Fiets", "price_unit": 1234.56, "taxes": self.tax_21},
        ], currency_id=self.usd.id)
        cases["nl_bank_payment_ref"] = c._invoice(self.nl_buyer, [
            {"name": "Fiets", "price_unit": 600.0, "taxes": self.tax_21},
        ], partner_bank_id=self.company_bank.id, payment_reference="RF18539007547034")
        cases["nl_credit_note"] = c._reverse(cases["nl_21"])
        cases["nl_credit_note_customer_bank"] = c._reverse(c._invoice(self.nl_buyer_with_bank, [
            {"name": "Fiets", "price_unit": 300.0, "taxes": self.tax_21},
        ]))
        # more variants
        cases["nl_tax_included_prices"] = c._invoice(self.nl_buyer, [
            {"name": "Fiets", "quantity": 3, "price_unit": 121.0, "taxes": self.tax_21_included},
            {"name": "Bel", "quantity": 7, "price_unit": 3.99, "taxes": self.tax_21_included},
        ])
        cases["nl_negative_lines"] = c._invoice(self.nl_buyer, [
            {"name": "Fiets", "price_unit": 800.0, "taxes": self.tax_21},
            {"name": "Retour bel", "quantity": -1, "price_unit": 9.95, "taxes": self.tax_21},
            {"name": "Korting", "price_unit": -50.0, "taxes": self.tax_21},
        ])
        sections = c._invoice(self.nl_buyer, [
            {"name": "Fiets", "price_unit": 800.0, "taxes": self.tax_21},
        ], post=False, narration="<p>Bedankt voor uw bestelling &amp; tot ziens!</p>")
        sections.invoice_line_ids = [
            Command.create({"display_type": "line_section", "name": "Onderdelen"}),
            Command.create({"display_type": "line_note", "name": "Levering in week 12"}),
        ]
        sections.action_post()
        cases["nl_sections_notes_narration"] = sections
        cases["nl_invoice_contact_without_address"] = c._invoice(self.nl_contact, [
            {"name": "Fiets <Deluxe> & \"Co\" ëéü", "price_unit": 800.0, "taxes": self.tax_21},
        ])
        cases["de_delivery_address"] = c._invoice(self.de_buyer, [
            {"name": "Rahmen", "quantity": 2, "price_unit": 120.0, "taxes": self.tax_0_eu},
        ], partner_shipping_id=self.nl_delivery.id)
        cases["nl_early_payment_discount"] = c._invoice(self.nl_buyer, [
            {"name": "Fiets", "price_unit": 800.0, "taxes": self.tax_21},
            {"name": "Boek", "price_unit": 25.0, "taxes": self.tax_9},
        ], invoice_payment_term_id=self.epd_term.id)
        cases["nl_fixed_tax_in_vat_base"] = c._invoice(self.nl_buyer, [
            {"name": "Koelkast", "quantity": 2, "price_unit": 400.0, "taxes": self.tax_fixed | self.tax_21},
        ])
        cases["us_export_with_state"] = c._invoice(self.us_buyer, [
            {"name": "Bicycle", "price_unit": 650.0, "taxes": self.tax_0_export},
        ])
        cases["nl_foreign_currency_credit_note"] = c._reverse(cases["nl_foreign_currency"])
        cases["nl_partially_paid"] = c._invoice(self.nl_buyer, [
            {"name": "Fiets", "price_unit": 1000.0, "taxes": self.tax_21},
        ], partner_bank_id=self.company_bank.id)
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=cases["nl_partially_paid"].ids,
        ).create({"amount": 500.0, "payment_date": INVOICE_DATE})._create_payments()
        cases["nl_installments_payment_terms"] = c._invoice(self.nl_buyer, [
            {"name": "Fiets", "price_unit": 1500.0, "taxes": self.tax_21},
        ], invoice_payment_term_id=self.pay_terms_b.id)
        cases["be_standard_rated"] = c._invoice(self.be_buyer, [
            {"name": "Fiets", "price_unit": 700.0, "taxes": self.tax_21},
        ])
        cases["nl_units_of_measure"] = c._invoice(self.nl_buyer, [
            {"name": "Spaken", "quantity": 2.5, "price_unit": 12.0, "taxes": self.tax_21,
             "product_uom_id": self.env.ref("uom.product_uom_dozen").id},
            {"name": "Montage", "quantity": 1.75, "price_unit": 60.0, "taxes": self.tax_21,
             "product_uom_id": self.env.ref("uom.product_uom_hour").id},
        ])
        # the five failures of Odoo's own export (issue 4) that our builder now writes correctly
        cases["br61_credit_note_customer_without_bank"] = c._reverse(c._invoice(self.nl_buyer, [
            {"name": "Fiets", "price_unit": 250.0, "taxes": self.tax_21},
        ]))
        cases["brco15_cash_rounding_line"] = c._invoice(self.nl_buyer, [
            {"name": "Lampje", "quantity": 3, "price_unit": 3.33, "taxes": self.tax_21},
        ], invoice_cash_rounding_id=self.cash_rounding_line.id)
        cases["brco15_cash_rounding_tax"] = c._invoice(self.nl_buyer, [
            {"name": "Lampje", "quantity": 3, "price_unit": 3.33, "taxes": self.tax_21},
        ], invoice_cash_rounding_id=self.cash_rounding_tax.id)
        cases["ublsr53_buyer_without_vat"] = c._invoice(self.nl_buyer_no_vat, [
            {"name": "Fiets", "price_unit": 450.0, "taxes": self.tax_21},
        ])
        cases["nlr001_credit_note_with_typed_reference"] = c._invoice(self.nl_buyer, [
            {"name": "Fiets", "price_unit": 100.0, "taxes": self.tax_21},
        ], move_type="out_refund", ref="INV/2024/00042")
        # Dutch NLCIUS when the partner's e-invoice format says so
        cases["nlcius_invoice"] = c._invoice(self.nl_buyer_nlcius, [
            {"name": "Fiets", "price_unit": 899.0, "taxes": self.tax_21},
            {"name": "Boek", "price_unit": 20.0, "taxes": self.tax_9},
        ], partner_bank_id=self.company_bank.id)
        cases["nlcius_credit_note"] = c._reverse(cases["nlcius_invoice"])
        return cases

    def _blocked(self):
        """Cases our checks stop before sending: ``{name: (move, rule the document would break, message part)}``."""
        c = type(self)
        no_bank = c._invoice(self.nl_buyer, [{"name": "Fiets", "price_unit": 100.0, "taxes": self.tax_21}], post=False)
        no_bank.partner_bank_id = False
        no_bank.action_post()
        bad_endpoint = self.be_buyer.copy({"name": "Typo NV", "peppol_endpoint": "0477472702"})
        return {
            "r010_buyer_without_endpoint": (
                c._invoice(self.nl_buyer_no_endpoint, [
                    {"name": "Knipbeurt", "price_unit": 35.0, "taxes": self.tax_21},
                ]),
                "PEPPOL-EN16931-R010",
                "Set the Peppol endpoint of Kapsalon Knip: Contacts > Kapsalon Knip > Invoicing tab",
            ),
            "ublsr53_r010_buyer_without_vat_nor_endpoint": (
                c._invoice(self.nl_buyer_no_vat.copy({"name": "Vereniging Zonder", "peppol_endpoint": False}), [
                    {"name": "Contributie", "price_unit": 35.0, "taxes": self.tax_21},
                ]),
                "PEPPOL-EN16931-R010",
                "Set the Peppol endpoint of Vereniging Zonder",
            ),
            "invalid_buyer_endpoint": (
                c._invoice(bad_endpoint, [{"name": "Advies", "price_unit": 100.0, "taxes": self.tax_0_eu}]),
                "PEPPOL-COMMON-R043",
                "The Peppol endpoint 0477472702 of Typo NV is not a valid 0208 identifier (wrong check digit)",
            ),
            "nlr001_credit_note_without_reference": (
                c._invoice(self.nl_buyer, [{"name": "Fiets", "price_unit": 100.0, "taxes": self.tax_21}],
                           move_type="out_refund"),
                "NL-R-001",
                "does not say which invoice it corrects: create it from the invoice (Credit Note button), or enter "
                "the corrected invoice's number as its Customer Reference (Other Info tab)",
            ),
            "br61_invoice_without_bank_account": (
                no_bank,
                "BR-61",
                "has no bank account to be paid on: set its Recipient Bank (Other Info tab), or add a bank account "
                "to Fietsenmakerij De Spaak BV",
            ),
            "brs08_fixed_tax_outside_vat_base": (
                c._invoice(self.nl_buyer, [
                    {"name": "Krat", "quantity": 2, "price_unit": 10.0, "taxes": self.tax_21 | self.tax_fixed_after},
                ]),
                "BR-S-08",
                "the fixed amount of tax Statiegeld is not subject to the line's VAT",
            ),
        }

    def test_matrix_passes_the_official_rules(self):
        """Every case of the matrix gives a document with 0 fatal errors (XSD + CEN + Peppol 3.0.21), and every
        blocked case is stopped by our checks with its message, its document indeed breaking the rule."""
        valid_cases = self._matrix()
        blocked = self._blocked()
        # The send flow wants a credit note made from its invoice; Odoo's builder (and the Peppol rules) also
        # accept the corrected invoice's number typed as the credit note's reference.
        builder_only = {"nlr001_credit_note_with_typed_reference"}
        produced = {name: self._econnect_ubl(move, send=name not in builder_only) for name, move in valid_cases.items()}
        produced.update({name: self._econnect_ubl(case[0]) for name, case in blocked.items()})
        # PEPPOL-EN16931-R020: without Peppol fields on the company's partner, the seller is our eConnect party
        self.company.partner_id.peppol_endpoint = False
        produced["nl_seller_endpoint_from_econnect_party"] = self._econnect_ubl(valid_cases["nl_9"], send=False)
        self.assertIn(b'<cbc:EndpointID schemeID="0106">12345678</cbc:EndpointID>',
                      produced["nl_seller_endpoint_from_econnect_party"][0])
        valid_names = [*valid_cases, "nl_seller_endpoint_from_econnect_party"]

        results = {r["name"]: r for r in validate_batch({name: xml for name, (xml, _errors) in produced.items()})}
        dump_dir = os.environ.get("ECONNECT_UBL_DUMP_DIR")  # to look at the documents: set it to a folder
        if dump_dir:
            for name, (xml, _errors) in produced.items():
                with open(os.path.join(dump_dir, f"{name}.xml"), "wb") as handle:
                    handle.write(xml)

        self.assertEqual(len(results), len(valid_names) + len(blocked))
        invalid = [results[name] for name in valid_names if not results[name]["valid"]]
        self.assertFalse(invalid, "Documents breaking the official Peppol rules:\n" + format_failures(invalid))
        for name in valid_names:
            self.assertEqual(produced[name][1], [], f"{name}: the builder must not refuse a valid document")
        for name, (_move, rule, message) in blocked.items():
            with self.subTest(case=name):
                errors = produced[name][1]
                self.assertTrue(any(message in error for error in errors), f"{name}: {errors}")
                self.assertIn(rule, results[name]["fatal"], f"{name}: the check guards against {rule}")
        # NLCIUS when the partner's format says so
        self.assertEqual(results["nlcius_invoice"]["profile"], "nlcius")
        self.assertEqual(results["nl_21"]["profile"], "peppol-bis3")

    # ------------------------------------------------------------------------------------------------------
    # what the fixed documents say (no validator needed)
    # ------------------------------------------------------------------------------------------------------
    def _tree(self, move):
        xml, errors = self._econnect_ubl(move)
        self.assertEqual(errors, [])
        return etree.fromstring(xml)

    def _texts(self, tree, xpath):
        return [node.text for node in tree.xpath(xpath, namespaces=NS)]

    def test_credit_note_references_its_invoice_and_pays_back_only_to_a_known_account(self):
        invoice = type(self)._invoice(self.nl_buyer, [{"name": "Fiets", "price_unit": 250.0, "taxes": self.tax_21}],
                                      ref="PO-777")
        tree = self._tree(type(self)._reverse(invoice))
        self.assertEqual(self._texts(tree, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID"), [invoice.name])
        self.assertEqual(self._texts(tree, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:IssueDate"),
                         ["2025-03-10"])
        self.assertEqual(self._texts(tree, "cac:OrderReference/cbc:ID"), ["PO-777"])
        self.assertEqual(tree.xpath("cac:PaymentMeans", namespaces=NS), [], "no account known: no payment means")

        invoice = type(self)._invoice(self.nl_buyer_with_bank, [
            {"name": "Fiets", "price_unit": 300.0, "taxes": self.tax_21},
        ])
        tree = self._tree(type(self)._reverse(invoice))
        self.assertEqual(self._texts(tree, "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID"),
                         ["NL02RABO0123456789"])

    def test_cash_rounding_is_written_as_booked(self):
        lines = [{"name": "Lampje", "quantity": 3, "price_unit": 3.33, "taxes": self.tax_21}]
        move = type(self)._invoice(self.nl_buyer, lines, invoice_cash_rounding_id=self.cash_rounding_line.id)
        tree = self._tree(move)
        total = "cac:LegalMonetaryTotal/cbc:"
        self.assertEqual(self._texts(tree, total + "TaxInclusiveAmount"), ["12.09"])
        self.assertEqual(self._texts(tree, total + "PayableRoundingAmount"), ["0.01"])
        self.assertEqual(self._texts(tree, total + "PayableAmount"), ["12.10"])
        self.assertEqual(move.amount_total, 12.10)

        move = type(self)._invoice(self.nl_buyer, lines, invoice_cash_rounding_id=self.cash_rounding_tax.id)
        tree = self._tree(move)
        self.assertEqual(move.amount_tax, 2.11)
        self.assertEqual(self._texts(tree, "cac:TaxTotal/cbc:TaxAmount"), ["2.11"])
        self.assertEqual(self._texts(tree, "cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount"), ["2.11"])
        self.assertEqual(self._texts(tree, total + "TaxInclusiveAmount"), ["12.10"])
        self.assertEqual(self._texts(tree, total + "PayableRoundingAmount"), [])

    def test_parties_as_peppol_expects_them(self):
        tree = self._tree(type(self)._invoice(self.nl_buyer_no_vat, [
            {"name": "Fiets", "price_unit": 450.0, "taxes": self.tax_21},
        ]))
        customer = "cac:AccountingCustomerParty/cac:Party/"
        self.assertEqual(tree.xpath(customer + "cac:PartyTaxScheme", namespaces=NS), [], "no VAT, no tax scheme")
        self.assertEqual(self._texts(tree, customer + "cbc:EndpointID"), ["55667788"])

        tree = self._tree(type(self)._invoice(self.nl_contact, [
            {"name": "Fiets", "price_unit": 450.0, "taxes": self.tax_21},
        ]))
        self.assertEqual(self._texts(tree, customer + "cac:PostalAddress/cbc:CityName"), ["Utrecht"])
        self.assertEqual(self._texts(tree, customer + "cac:Contact/cbc:Name"), ["Jan de Vries"])

    def test_reverse_charge_category(self):
        tree = self._tree(type(self)._invoice(self.be_buyer, [
            {"name": "Advies", "price_unit": 950.0, "taxes": self.tax_0_reverse},
        ]))
        category = "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:"
        self.assertEqual(self._texts(tree, category + "ID"), ["AE"])
        self.assertEqual(self._texts(tree, category + "TaxExemptionReasonCode"), ["VATEX-EU-AE"])
        self.assertEqual(self._texts(tree, "cac:InvoiceLine/cac:Item/cac:ClassifiedTaxCategory/cbc:ID"), ["AE"])
        # without a category, Odoo's guess from the countries stays
        tree = self._tree(type(self)._invoice(self.be_buyer, [
            {"name": "Onderdelen", "price_unit": 950.0, "taxes": self.tax_0_eu},
        ]))
        self.assertEqual(self._texts(tree, category + "ID"), ["K"])
        with self.assertRaisesRegex(ValidationError, "only a 0% tax can have a Peppol VAT category"):
            self.tax_21.econnect_ubl_tax_category = "AE"

    def test_builder_follows_the_partner_format_and_its_errors_stop_the_send(self):
        nlcius = type(self)._invoice(self.nl_buyer_nlcius, [{"name": "Fiets", "price_unit": 9.0, "taxes": self.tax_21}])
        self.assertEqual(nlcius._econnect_builder()._name, "account.edi.xml.ubl_nl")
        self.assertIn(b"urn:fdc:nen.nl:nlcius:v1.0", self._econnect_ubl(nlcius)[0])
        bis3 = type(self)._invoice(self.us_buyer, [{"name": "Bike", "price_unit": 9.0, "taxes": self.tax_0_export}])
        self.assertEqual(bis3._econnect_builder()._name, "account.edi.xml.ubl_bis3")

        # what only the builder checks stops "Send via eConnect" too, with the builder's message
        no_bank = type(self)._invoice(self.nl_buyer, [{"name": "Fiets", "price_unit": 9.0, "taxes": self.tax_21}],
                                      post=False)
        no_bank.partner_bank_id = False
        no_bank.action_post()
        sent_before = len(self.simulator.sent_documents)
        with self.assertRaisesRegex(UserError, "has no bank account to be paid on"):
            no_bank.action_econnect_send()
        self.assertEqual(no_bank.econnect_state, "not_sent")
        self.assertEqual(len(self.simulator.sent_documents), sent_before, "nothing left")

        # every problem of an invoice, in one list
        blocked = type(self)._invoice(self.nl_buyer_no_endpoint, [
            {"name": "Knipbeurt", "price_unit": 35.0, "taxes": self.tax_21},
        ], move_type="out_refund")
        _xml, errors = self._econnect_ubl(blocked, send=False)
        self.assertEqual(len(errors), 2, errors)
        self.assertIn("Set the Peppol endpoint of Kapsalon Knip", errors[1] + errors[0])
        self.assertIn("does not say which invoice it corrects", errors[1] + errors[0])

    def test_other_formats_and_companies_keep_odoo_behaviour(self):
        """Our fixes are for the formats eConnect sends; Odoo's other BIS 3 derivatives keep their output (e.g.
        XRechnung wants payment means on a credit note too), and a company that does not use eConnect can still
        make a UBL file without Peppol endpoints (Odoo tolerates it for e-mail)."""
        refund = type(self)._reverse(type(self)._invoice(self.nl_buyer, [
            {"name": "Fiets", "price_unit": 250.0, "taxes": self.tax_21},
        ]))
        xml, _errors = self.env["account.edi.xml.ubl_de"]._export_invoice(refund)
        self.assertIn(b"PaymentMeans", xml)
        xml, _errors = self._econnect_ubl(refund, send=False)
        self.assertNotIn(b"PaymentMeans", xml)

        move = type(self)._invoice(self.nl_buyer_no_endpoint, [
            {"name": "Knipbeurt", "price_unit": 35.0, "taxes": self.tax_21},
        ])
        self.assertTrue(any("Set the Peppol endpoint" in e for e in self._econnect_ubl(move, send=False)[1]))
        self.company.econnect_state = "not_connected"
        self.assertEqual(self._econnect_ubl(move, send=False)[1], [])

    def test_line_prices_are_the_typed_ones(self):
        move = type(self)._invoice(self.nl_buyer, [
            {"name": "Spaak", "quantity": 1.3337, "price_unit": 1.1305, "taxes": self.tax_21},
            {"name": "Band", "quantity": 7.25, "price_unit": 19.9999, "discount": 12.5, "taxes": self.tax_21},
            {"name": "Bel", "quantity": 3, "price_unit": 3.99, "taxes": self.tax_21_included},
        ])
        tree = self._tree(move)
        line = "cac:InvoiceLine[{}]/".format
        self.assertEqual(self._texts(tree, line(1) + "cac:Price/cbc:PriceAmount"), ["1.1305"])
        self.assertEqual(self._texts(tree, line(2) + "cac:Price/cbc:PriceAmount"), ["19.9999"])
        band = move.invoice_line_ids[1]
        self.assertEqual(self._texts(tree, line(2) + "cbc:LineExtensionAmount"), [f"{band.price_subtotal:.2f}"])
        # 7.25 x 19.9999 = 145.00 typed gross, less the line amount: the discount
        self.assertEqual(self._texts(tree, line(2) + "cac:AllowanceCharge/cbc:Amount"),
                         [f"{145.0 - band.price_subtotal:.2f}"])
        # a price including VAT has no exact price without VAT: Odoo's derived one stays
        self.assertNotEqual(self._texts(tree, line(3) + "cac:Price/cbc:PriceAmount"), ["3.99"])
