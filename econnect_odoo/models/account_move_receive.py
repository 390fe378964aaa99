"""The receiving side of account.move: vendor bills made from received e-invoices, held against their document.
(Invoice responses, both ways: ``account_move_response.py``.)"""

import json
import logging

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_list, formatLang

from ..psb.errors import NotFoundError, PSBError
from ..tools import received_document
from ..tools.messages import document_problem

_logger = logging.getLogger(__name__)


class AccountMove(models.Model):
    # receiving is its own concern, apart from sending (account_move.py)
    _inherit = "account.move"  # pylint: disable=consider-merging-classes-inherited

    # -- received bills ----------------------------------------------------------------------
    econnect_received_document_id = fields.Char(
        string="eConnect document id (received)",
        copy=False,
        readonly=True,
        help="The id under which eConnect delivered this e-invoice. Each received document becomes one bill only.",
    )
    econnect_received_sender = fields.Char(string="Received from (Peppol id)", copy=False, readonly=True)
    econnect_received_date = fields.Datetime(string="Received through eConnect on", copy=False, readonly=True)
    econnect_received_attachment_id = fields.Many2one("ir.attachment", string="Received e-invoice", copy=False,
                                                      readonly=True)
    econnect_delete_pending = fields.Boolean(
        string="To delete at eConnect",
        copy=False, readonly=True,
        help="The document is to be deleted at eConnect (the company's setting) and that has not succeeded yet.",
    )
    econnect_import_issue = fields.Text(
        string="eConnect import warning",
        copy=False,
        readonly=True,
        help="What does not match between this bill and the e-invoice it was made from. Such a bill is never "
        "posted automatically.",
    )

    def init(self):
        res = super().init()
        # One bill per received document and company, whatever runs at the same time.
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS account_move_econnect_received_document_uniq
                ON account_move (company_id, econnect_received_document_id)
             WHERE econnect_received_document_id IS NOT NULL
            """
        )
        return res

    # ------------------------------------------------------------------------------------------
    # Received bills
    # ------------------------------------------------------------------------------------------
    @api.model
    def _econnect_find_received(self, company, document_id):
        return self.sudo().search(
            [("company_id", "=", company.id), ("econnect_received_document_id", "=", document_id)], limit=1
        )

    @api.model
    def _econnect_create_received_bill(self, event, data, root, problem):
        """Turn a downloaded document into a draft vendor bill in the company's eConnect journal.

        ``root`` is the safely parsed XML (None when it could not be parsed: ``problem`` says why). The bill is
        made by Odoo's own importer (account_edi_ubl_cii) from the attached file, then held against the
        document's own figures; a bill that does not match, or whose vendor was not recognised, is flagged and
        never posted automatically. Nothing is dropped: an unreadable document still becomes a draft bill with
        the file attached and a note saying what was wrong.
        """
        company = event.company_id
        journal = company.econnect_receive_journal_id
        figures = received_document.figures(root) if root is not None else None
        sender = (event.payload and self._econnect_event_sender(event)) or False
        attachment = self.env["ir.attachment"].create({
            "name": received_document.file_name(figures and figures.number, event.document_id),
            "raw": data,
            "mimetype": "application/xml",
            "res_model": "account.move",
        })
        Move = self.with_company(company).with_context(
            default_move_type="in_invoice", default_journal_id=journal.id, skip_is_manually_modified=True
        )
        move = Move.create({
            "journal_id": journal.id,
            "move_type": "in_invoice",
            "econnect_received_document_id": event.document_id,
            "econnect_received_sender": sender,
            "econnect_received_date": fields.Datetime.now(),
            "econnect_received_attachment_id": attachment.id,
            "econnect_delete_pending": company.econnect_delete_after_download,
        })
        self.env.cr.execute("SELECT max(id) FROM res_partner")
        last_partner_id = self.env.cr.fetchone()[0] or 0
        imported = False
        if root is not None:
            decoded = move._extend_with_attachments(attachment, new=True)
            imported = attachment in decoded
        attachment.write({"res_id": move.id})
        move._econnect_post_received_note(event, attachment, sender)
        move._econnect_answer_automatically("AB")  # queued with the bill, sent once it is committed

        issues = []
        if problem:
            issues.append(self.env._(
                "eConnect delivered a document Odoo cannot read: %(problem)s The file is attached: enter this bill "
                "by hand.", problem=problem,
            ))
        elif not imported or figures is None:
            issues.append(self.env._(
                "Odoo could not import this document as an e-invoice (it is not a UBL or CII invoice Odoo "
                "understands). The file is attached: complete this bill by hand."
            ))
        else:
            issues += move._econnect_compare_with_document(figures)
            issues += move._econnect_check_vendor(figures, last_partner_id)
        # who really sent it, and where it asks to be paid (account_move_supplier.py)
        issues += move._econnect_check_sender() + move._econnect_check_bank()
        if issues:
            move._econnect_flag_import(issues)
        else:
            move._autopost_bill()
        return move

    @api.model
    def _econnect_event_sender(self, event):
        try:
            data = json.loads(event.payload)
        except (TypeError, ValueError):
            return False
        details = (data.get("details") if isinstance(data, dict) else None) or {}
        sender = details.get("sender") if isinstance(details, dict) else None
        return str(sender)[:100] if sender else False

    def _econnect_post_received_note(self, event, attachment, sender):
        self.ensure_one()
        body = self.env._(
            "Received via eConnect from %(sender)s (eConnect document %(document)s).",
            sender=sender or self.env._("an unknown sender"), document=event.document_id,
        )
        if self.company_id._econnect_is_demo():
            body = self.env._("[Demo] %s", body)
        self.with_context(no_new_invoice=True, account_predictive_bills_disable_prediction=True).message_post(
            body=Markup("<p>%s</p>") % body,
            attachment_ids=attachment.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )

    def _econnect_format(self, amount):
        return formatLang(self.env, float(amount), currency_obj=self.currency_id)

    def _econnect_compare_with_document(self, figures):
        """Sentences about the figures in which the bill differs from its document (none when they match)."""
        self.ensure_one()
        if figures.currency and figures.currency != self.currency_id.name:
            return [self.env._(
                "The e-invoice is in %(document)s but the bill is in %(bill)s (is the currency active?). "
                "Check the currency and the amounts.",
                document=figures.currency, bill=self.currency_id.name,
            )]
        sign = -1 if (figures.kind == received_document.CREDIT_NOTE) != (self.move_type == "in_refund") else 1
        rows = [
            (self.env._("Untaxed amount"), self.amount_untaxed, figures.untaxed),
            (self.env._("Tax"), self.amount_tax, figures.tax),
            (self.env._("Total"), self.amount_total, figures.total),
        ]
        compared = [
            (label, ours, None if theirs is None else float(theirs) * sign) for label, ours, theirs in rows
        ]
        if not any(
            theirs is not None and self.currency_id.compare_amounts(ours, theirs) != 0
            for _label, ours, theirs in compared
        ):
            return []
        template = self.env._("%(figure)s: %(bill)s on the bill, %(document)s in the e-invoice%(mark)s")
        lines = [
            template % {
                "figure": label,
                "bill": self._econnect_format(ours),
                "document": self._econnect_format(theirs) if theirs is not None else "-",
                "mark": " ≠" if theirs is not None and self.currency_id.compare_amounts(ours, theirs) else "",
            }
            for label, ours, theirs in compared
        ]
        text = self.env._("The bill does not match the e-invoice:") + "\n" + "\n".join(lines)
        missing = self._econnect_missing_tax_rates(figures.tax_rates)
        if missing:
            text += "\n" + self.env._(
                "This company has no purchase tax for these VAT rates of the e-invoice: %(rates)s. Odoo's import "
                "left them out. Add the taxes, correct the bill's lines, and use Check again.",
                rates=format_list(self.env, [f"{rate:g}%" for rate in missing]),
            )
        else:
            text += "\n" + self.env._("Correct the bill's lines and taxes, then use Check again.")
        return [text]

    def _econnect_missing_tax_rates(self, rates):
        wanted = sorted({float(rate) for rate in rates or []})
        if not wanted:
            return []
        taxes = self.env["account.tax"].sudo().search([
            *self.env["account.tax"]._check_company_domain(self.company_id),
            ("type_tax_use", "=", "purchase"),
            ("amount_type", "=", "percent"),
            ("amount", "in", wanted),
        ])
        present = set(taxes.mapped("amount"))
        return [rate for rate in wanted if not any(abs(rate - amount) < 1e-6 for amount in present)]

    def _econnect_check_vendor(self, figures, last_partner_id):
        """A sentence when the vendor was not recognised (none found, or one created by the import)."""
        self.ensure_one()
        seller = ", ".join(
            part for part in (
                figures.seller_name,
                figures.seller_endpoint and self.env._("Peppol id %s", figures.seller_endpoint),
                figures.seller_vat and self.env._("VAT %s", figures.seller_vat),
            ) if part
        ) or self.env._("no name or number")
        if not self.partner_id:
            return [self.env._(
                "The vendor could not be matched: the e-invoice's seller is %(seller)s. Choose the vendor.",
                seller=seller,
            )]
        if self.partner_id.id > last_partner_id:
            return [self.env._(
                "The vendor %(vendor)s was created by the import: no existing contact matched the e-invoice's "
                "seller (%(seller)s). Check the new contact, and its bank account, before paying.",
                vendor=self.partner_id.display_name, seller=seller,
            )]
        return []

    def _econnect_flag_import(self, issues):
        """Show the issues on the bill (warning banner + chatter) and give its journal's responsible an activity."""
        self.ensure_one()
        text = "\n\n".join(issues)
        self.econnect_import_issue = text
        self.with_context(mail_notrack=True)._message_log(
            body=Markup("<p><strong>%s</strong></p><p>%s</p>") % (
                self.env._("Check this bill before posting it:"),
                Markup("<br/>").join(text.split("\n")),
            )
        )
        responsible = self.journal_id._econnect_bill_responsible()
        # The to-do shows on the bill and in the responsible's activities; mails about arrivals are the digest's.
        self.with_context(mail_activity_quick_update=True).activity_schedule(
            "mail.mail_activity_data_todo",
            summary=self.env._("Check this e-invoice before posting"),
            note=Markup("<br/>").join(text.split("\n")),
            user_id=responsible.id,
        )

    def _econnect_received_figures(self):
        self.ensure_one()
        attachment = self.econnect_received_attachment_id.sudo()
        if not attachment:
            raise UserError(self.env._("The received e-invoice of this bill is no longer attached."))
        max_bytes = self.env["econnect.event"]._econnect_max_document_bytes()
        try:
            figures = received_document.figures(received_document.parse(attachment.raw, max_bytes=max_bytes))
        except received_document.DocumentError as error:
            raise UserError(document_problem(self.env, error)) from error
        if figures is None:
            raise UserError(self.env._("The received document is not an e-invoice Odoo can compare with."))
        return figures

    def action_econnect_check_again(self):
        """Hold the bill against its e-invoice again (after correcting it); clear the warning when it matches."""
        self.env["res.company"]._econnect_check_access(self, "user")
        for move in self.filtered("econnect_import_issue"):
            issues = []
            if move.econnect_received_attachment_id:
                figures = move._econnect_received_figures()
                issues += move._econnect_compare_with_document(figures)
                if not move.partner_id:
                    issues += move._econnect_check_vendor(figures, 0)
            # (kept only when the bill then passes: a refusal rolls the whole check back)
            move._econnect_store_vendor_peppol_id()
            issues += move._econnect_check_sender() + move._econnect_check_bank()
            if issues:
                raise UserError("\n\n".join(issues))
            move.econnect_import_issue = False
            move._econnect_close_check_activities()
            move._econnect_log(self.env._("The bill now matches its e-invoice."))
        return True

    def action_econnect_dismiss_import_issue(self):
        """The user checked the bill and accepts it as it is."""
        self.env["res.company"]._econnect_check_access(self, "user")
        for move in self.filtered("econnect_import_issue"):
            move._econnect_log(
                self.env._("%(user)s checked the bill and dismissed the eConnect warning: %(issue)s",
                           user=self.env.user.name, issue=move.econnect_import_issue)
            )
            move._econnect_store_vendor_peppol_id()
            move.econnect_import_issue = False
            move._econnect_close_check_activities()
        return True

    def _econnect_close_check_activities(self):
        summary = self.env._("Check this e-invoice before posting")
        self.activity_ids.filtered(lambda a: a.summary == summary).action_feedback(
            feedback=self.env._("Checked.")
        )

    def _econnect_delete_received_action(self):
        """A callable that deletes the received document at eConnect (to run once the bill is committed)."""
        self.ensure_one()
        move = self

        def delete():
            company = move.company_id
            try:
                company._econnect_client().delete_purchase_invoice(
                    company._econnect_party(), move.econnect_received_document_id
                )
            except NotFoundError:
                _logger.debug("eConnect: received document %s was already deleted", move.econnect_received_document_id)
            except (PSBError, UserError) as error:
                _logger.info(
                    "eConnect: deleting received document %s failed, retried next run: %s",
                    move.econnect_received_document_id, error,
                )
                return
            move.sudo().econnect_delete_pending = False

        return delete

    def action_post(self):
        flagged = self.filtered("econnect_import_issue")
        if flagged:
            raise UserError(self.env._(
                "%(bills)s do(es) not match the received e-invoice (see the warning on the bill). Correct the bill "
                "and use Check again, or use Mark as checked, before posting.",
                bills=format_list(self.env, flagged.mapped("display_name")),
            ))
        return super().action_post()
