"""Each active company's e-invoice submission address (see ``account_move_mail_submission.py``)."""

from odoo import api, fields, models


class ResCompany(models.Model):
    # The submission concern in its own file (house rule: one concern per file), not in res_company.py.
    _inherit = "res.company"  # pylint: disable=consider-merging-classes-inherited

    econnect_submission_email = fields.Char(
        string="E-invoice submission address",
        compute="_compute_econnect_submission_email",
        help="Users of this company send PDF or XML invoices to this address (from their Odoo e-mail address or a "
        "verified additional address) to get draft vendor bills in the eConnect purchase journal.",
    )

    @api.depends("econnect_state", "econnect_receive_journal_id.alias_email")
    def _compute_econnect_submission_email(self):
        for company in self:
            journal = company.sudo().econnect_receive_journal_id
            active = company.sudo().econnect_state == "active"
            company.econnect_submission_email = (active and journal.alias_email) or False

    def write(self, vals):
        result = super().write(vals)
        if "econnect_state" in vals or vals.get("econnect_receive_journal_id"):
            self._econnect_ensure_submission_alias(assign_journal="econnect_state" in vals)
        return result

    def _econnect_ensure_submission_alias(self, assign_journal=True):
        """Each active company gets a submission alias on its eConnect purchase journal.

        On activation, a company without receiving journal gets its first purchase journal (the journal that
        receiving and the first-login prompt propose too); a journal without alias gets Odoo's standard one.
        An administrator who clears the journal later is not overruled.
        """
        journals = self.env["account.journal"].sudo()
        for company in self.sudo().filtered(lambda c: c.econnect_state == "active"):
            journal = company.econnect_receive_journal_id
            if not journal and assign_journal:
                journal = journals.search([("type", "=", "purchase"), ("company_id", "=", company.id)], limit=1)
                if journal:
                    company.econnect_receive_journal_id = journal  # comes back here to give it an alias
                continue
            if journal and not journal.alias_name:
                alias_name = journal._alias_prepare_alias_name(
                    False, journal.name, journal.code, journal.type, company
                )
                journal.alias_name = journal._ensure_unique_alias(
                    {"alias_name": alias_name, "code": journal.code}, company
                )
