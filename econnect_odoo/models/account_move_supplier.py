"""Who really sent a received bill, and where it asks to be paid (supplier impersonation, "changed bank details").

Odoo's importer matches the vendor by the name or VAT number written *inside* the document: whatever its sender
chose. So a received bill is flagged (the "does not match" warning and activity; never posted automatically)

* when eConnect's Peppol sender is not the vendor's Peppol id (normal forms compared; a vendor without a Peppol id
  is flagged too, and Check again or Mark as checked stores the sender's as its Peppol id), and
* when the document asks to be paid into a bank account the vendor does not have: that account is never added to
  the vendor by the import (``account_edi_common.py``), only proposed on the bill, and a person adds it.
"""

from odoo import fields, models
from odoo.exceptions import UserError

from odoo.addons.base.models.res_bank import sanitize_account_number

from ..psb.party import party_or_none


class AccountMove(models.Model):
    _inherit = "account.move"  # pylint: disable=consider-merging-classes-inherited

    econnect_proposed_bank_account = fields.Char(
        string="Bank account proposed by the e-invoice",
        copy=False,
        readonly=True,
        help="The e-invoice asks to be paid into this account, which the vendor does not have in Odoo. It was not "
        "added: check it with the vendor (by a known phone number), then add it with the button.",
    )

    def _econnect_is_document_bill(self):
        """A vendor bill made from a document of outside through eConnect: received, or mailed to a submission
        address."""
        self.ensure_one()
        return self.move_type in ("in_invoice", "in_refund") and bool(
            self.econnect_received_document_id or self.journal_id._econnect_submission_company()
        )

    def _econnect_check_sender(self):
        """Sentences when eConnect's Peppol sender of this received bill is not its vendor's Peppol id."""
        self.ensure_one()
        vendor = self.partner_id.commercial_partner_id
        if not self.econnect_received_document_id or not vendor:
            return []  # not received through eConnect, or no vendor at all (flagged as such)
        sender = party_or_none(self.econnect_received_sender)
        if sender is None:
            return [self.env._(
                "eConnect did not say which Peppol participant sent this e-invoice, so Odoo cannot check that it "
                "comes from %(vendor)s. Check it with %(vendor)s by a known phone number before paying.",
                vendor=vendor.display_name,
            )]
        known = party_or_none(
            vendor.peppol_eas and vendor.peppol_endpoint and f"{vendor.peppol_eas}:{vendor.peppol_endpoint}"
        )
        if known is None:
            return [self.env._(
                "%(vendor)s has no Peppol id in Odoo, so Odoo cannot check that this e-invoice, sent by Peppol "
                "participant %(sender)s, comes from them (the name and VAT number in an e-invoice are whatever its "
                "sender writes). Check it with %(vendor)s by a known phone number; Check again or Mark as checked "
                "then stores %(sender)s as their Peppol id.",
                vendor=vendor.display_name, sender=sender,
            )]
        if known != sender:
            return [self.env._(
                "This e-invoice was sent by Peppol participant %(sender)s, but the Peppol id of %(vendor)s in Odoo is "
                "%(known)s: somebody may be posing as %(vendor)s (the name and VAT number in an e-invoice are "
                "whatever its sender writes). Check with %(vendor)s by a known phone number before paying, and "
                "choose the right vendor.",
                vendor=vendor.display_name, sender=sender, known=known,
            )]
        return []

    def _econnect_check_bank(self):
        """Sentences when the document asked to be paid into an account the vendor does not have."""
        self.ensure_one()
        account = self.econnect_proposed_bank_account
        if not account:
            return []
        vendor = self.partner_id.commercial_partner_id
        known = vendor.bank_ids.filtered(lambda b: b.sanitized_acc_number == sanitize_account_number(account))
        if vendor and known:  # the vendor (chosen since, or given the account by a person) has it: pay it there
            self.write({"partner_bank_id": known[0].id, "econnect_proposed_bank_account": False})
            return []
        others = self.env["res.partner.bank"].sudo().search([
            ("sanitized_acc_number", "=", sanitize_account_number(account)),
            ("partner_id.commercial_partner_id", "!=", vendor.id),
        ])
        text = self.env._(
            "The e-invoice asks to be paid into bank account %(account)s, which %(vendor)s does not have in Odoo. It "
            "was not added to the vendor: a changed bank account is the classic invoice fraud. Confirm it with "
            "%(vendor)s by a known phone number (not with the details on the invoice), then use Add bank account.",
            account=account, vendor=vendor.display_name or self.env._("the vendor"),
        )
        if others:
            text += " " + self.env._(
                "Odoo knows this account as one of %s.", ", ".join(others.partner_id.mapped("display_name"))
            )
        return [text]

    def _econnect_store_vendor_peppol_id(self):
        """A person checked the bill: a vendor without a Peppol id gets the received document's sender's (with the
        person's own right to edit contacts: vendor data is not changed for somebody who may not change it)."""
        self.ensure_one()
        vendor = self.partner_id.commercial_partner_id
        sender = party_or_none(self.econnect_received_sender)
        if not self.econnect_received_document_id or not vendor or sender is None:
            return
        if vendor.peppol_eas and vendor.peppol_endpoint:
            return
        if not vendor.has_access("write"):
            self._econnect_log(self.env._(
                "%(sender)s was not stored as the Peppol id of %(vendor)s: %(user)s may not edit contacts.",
                sender=sender, vendor=vendor.display_name, user=self.env.user.name,
            ))
            return
        vendor.write({"peppol_eas": sender.scheme, "peppol_endpoint": sender.value})
        self._econnect_log(self.env._(
            "%(user)s checked the bill: %(sender)s is now the Peppol id of %(vendor)s.",
            user=self.env.user.name, sender=sender, vendor=vendor.display_name,
        ))

    def action_econnect_add_proposed_bank(self):
        """A person confirmed the bank account the e-invoice asks to be paid into: add it to the vendor (with the
        person's own right to create bank accounts: Contacts' "Contact Creation") and pay the bill there."""
        self.ensure_one()
        self.env["res.company"]._econnect_check_access(self, "user")
        account = self.econnect_proposed_bank_account
        vendor = self.partner_id.commercial_partner_id
        if not account or not vendor:
            raise UserError(self.env._("Choose the vendor of this bill first."))
        Bank = self.env["res.partner.bank"]
        bank = Bank.search([
            ("partner_id", "=", vendor.id), ("sanitized_acc_number", "=", sanitize_account_number(account)),
        ], limit=1) or Bank.create({"acc_number": account, "partner_id": vendor.id})
        self.write({"partner_bank_id": bank.id, "econnect_proposed_bank_account": False})
        self._econnect_log(self.env._(
            "%(user)s added bank account %(account)s to %(vendor)s, as proposed by the e-invoice.",
            user=self.env.user.name, account=account, vendor=vendor.display_name,
        ))
        return True

