from odoo import api, models

from .res_partner import ECONNECT_FORMATS


class AccountMoveSend(models.AbstractModel):
    """The ``econnect`` sending method in Odoo 18's Send flow (single and batch).

    Odoo renders the PDF first, its UBL builder embeds it, and then we upload that UBL: the same claim
    (document id committed first) and upload as the "Send via eConnect" button. Never the key ``peppol``:
    with Odoo's own ``account_peppol`` installed too, an invoice leaves through one access point only.
    """

    _inherit = "account.move.send"

    @api.model
    def _is_applicable_to_company(self, method, company):
        if method == "econnect":
            return company.econnect_state == "active" and self._econnect_may_send()
        return super()._is_applicable_to_company(method, company)

    @api.model
    def _econnect_may_send(self):
        """Only eConnect users send through eConnect (and look customers up with the company's credentials)."""
        return self.env.su or self.env.user.has_group("econnect_odoo.group_econnect_user")

    @api.model
    def _is_applicable_to_move(self, method, move):
        if method == "econnect":
            return (
                self._econnect_may_send()
                and move.company_id.econnect_state == "active"
                and move.move_type in ("out_invoice", "out_refund")
                and move.econnect_state == "not_sent"
            )
        return super()._is_applicable_to_move(method, move)

    @api.model
    def _get_default_sending_settings(self, move, from_cron=False, **custom_settings):
        vals = super()._get_default_sending_settings(move, from_cron=from_cron, **custom_settings)
        if "econnect" in vals["sending_methods"] and vals.get("invoice_edi_format") not in ECONNECT_FORMATS:
            vals["invoice_edi_format"] = "ubl_bis3"  # eConnect needs UBL, whatever the partner's default
        return vals

    def _get_alerts(self, moves, moves_data):
        alerts = super()._get_alerts(moves, moves_data)
        econnect_moves = moves.filtered(lambda m: "econnect" in moves_data[m]["sending_methods"])
        if econnect_moves and not self._econnect_may_send():
            alerts["econnect_odoo_rights"] = {
                "message": self.env._(
                    "Only eConnect users send invoices through eConnect: nothing is sent through eConnect."
                ),
                "level": "danger",
            }
        elif econnect_moves:
            problems = econnect_moves._econnect_precheck(lookup=False)  # a compute: stored answers only
            if problems:
                alerts["econnect_odoo_precheck"] = {
                    "message": "\n".join(
                        f"{move.display_name}: {' '.join(issues)}" for move, issues in problems.items()
                    ),
                    "level": "danger" if len(econnect_moves) == 1 else "warning",
                    "action_text": self.env._("View invoice(s)"),
                    "action": self.env["account.move"].concat(*problems)._get_records_action(
                        name=self.env._("Check invoice(s)")
                    ),
                }
            if any(company._econnect_is_demo() for company in econnect_moves.company_id):
                alerts["econnect_odoo_demo"] = {
                    "message": self.env._("eConnect is in demo mode: nothing reaches the Peppol network."),
                    "level": "info",
                }
        return alerts

    def _hook_invoice_document_before_pdf_report_render(self, invoice, invoice_data):
        # EXTENDS account_edi_ubl_cii: Odoo does not rebuild a UBL the invoice already has (e.g. one e-mailed
        # before the customer had its Peppol id). What leaves through eConnect is built now, as the button does,
        # so that it is current, passes the builder's checks and embeds the PDF (added after the PDF render).
        super()._hook_invoice_document_before_pdf_report_render(invoice, invoice_data)
        edi_format = invoice_data.get("invoice_edi_format")
        if (
            "econnect" not in invoice_data["sending_methods"]
            or "ubl_cii_xml_options" in invoice_data
            or invoice_data.get("error")
            or not invoice.ubl_cii_xml_id
            or edi_format not in ECONNECT_FORMATS
            or not self._is_applicable_to_move("econnect", invoice)
        ):
            return
        builder = invoice.partner_id.commercial_partner_id._get_edi_builder(edi_format)
        xml_content, errors = builder._export_invoice(invoice)
        if errors:
            invoice_data["error"] = {
                "error_title": self.env._("This invoice cannot be sent through eConnect:"),
                "errors": sorted(errors),
            }
            invoice_data["error_but_continue"] = True
            return
        invoice_data["ubl_cii_xml_attachment_values"] = {
            "name": builder._export_invoice_filename(invoice),
            "raw": xml_content,
            "mimetype": "application/xml",
            "res_model": invoice._name,
            "res_id": invoice.id,
            "res_field": "ubl_cii_xml_file",
        }
        invoice_data["ubl_cii_xml_options"] = {"ubl_cii_format": edi_format, "builder": builder}

    def _call_web_service_after_invoice_pdf_render(self, invoices_data):
        super()._call_web_service_after_invoice_pdf_render(invoices_data)
        moves = self.env["account.move"]
        documents = {}
        for move, move_data in invoices_data.items():
            if "econnect" not in move_data["sending_methods"] or not self._is_applicable_to_move("econnect", move):
                continue
            values = move_data.get("ubl_cii_xml_attachment_values")
            if values:
                documents[move] = (values["raw"], values["name"], False)
            elif move.ubl_cii_xml_id:
                documents[move] = (move.ubl_cii_xml_id.raw, move.ubl_cii_xml_id.name, True)
            else:
                move_data["error"] = self.env._("No UBL document was generated for eConnect.")
                continue
            moves |= move
        if not moves:
            return
        problems = moves._econnect_precheck()
        for move, issues in problems.items():
            invoices_data[move]["error"] = {
                "error_title": self.env._("This invoice cannot be sent through eConnect:"),
                "errors": issues,
            }
        moves = moves.filtered(lambda m: m not in problems)
        if not moves:
            return
        # Our claim stores the UBL (with the PDF embedded) as the invoice's UBL attachment itself.
        plan = moves._econnect_claim(documents={m: documents[m] for m in moves})
        for move in moves:
            invoices_data[move].pop("ubl_cii_xml_attachment_values", None)
        moves._econnect_upload(plan)
        for move in moves.filtered(lambda m: m.econnect_state == "error"):
            invoices_data[move]["error"] = {
                "error_title": self.env._("eConnect did not accept this invoice:"),
                "errors": [move.econnect_message],
            }
