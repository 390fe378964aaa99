"""Trusted PDF submission: the e-mail alias of each active company's eConnect purchase journal.

Odoo already turns mail sent to a purchase journal's alias into draft vendor bills (``account.move``'s
``message_new``, then the attachments' import in ``_message_post_after_hook``). For the journal that receives
eConnect e-invoices of an *active* company, that alias only accepts mail from:

* the main e-mail address of an internal eConnect user allowed in that company, when it is on the company's own
  e-mail domain, or
* a verified (and, when on another domain, approved) address of such a user (``econnect.user.email``): an
  additional address, or the user's main address confirmed the same way.

The sender is judged on the raw ``From`` header as it arrived (``tools/mail_sender.py``): exactly one mailbox,
the address in angle brackets, no address in the display name. Every refusal is answered to that real address,
never to the one the mail pretends to come from (and not at all when it names no single address).

Mail from anyone else, or without a PDF or XML attachment, creates nothing: the mail gateway's bounce tells the
sender why (in their language when Odoo knows them). Accepted mail goes through Odoo's standard import; each
bill it creates gets a note naming the submitting user.

Like every mail gateway check, this trusts the From header the mail server accepted: keep SPF/DKIM/DMARC
checks on the inbound mail server.
"""

import logging

from markupsafe import Markup

from odoo import api, models
from odoo.tools import email_normalize

from odoo.addons.mail.tools.alias_error import AliasError

from ..tools import mail_sender
from .econnect_user_email import email_domain

_logger = logging.getLogger(__name__)

# Attachments that can become a bill: Odoo imports PDF (and embedded or UBL/CII XML) invoices.
DOCUMENT_EXTENSIONS = (".pdf", ".xml")
# message_dict key carrying our refusal from the route check to the bounce (popped there, never posted).
REFUSAL_KEY = "econnect_submission_refusal"
# message_dict key: the address the refusal is answered to (the real one of the raw From header, or None).
REPLY_KEY = "econnect_submission_reply_to"

REFUSE_UNKNOWN = "unknown"
REFUSE_PENDING = "pending"
REFUSE_TO_APPROVE = "to_approve"
REFUSE_REFUSED = "refused"
REFUSE_NO_DOCUMENT = "no_document"
REFUSE_SENDER = "sender"  # the raw From header names no single sender, or an address in a display name
REFUSE_MAIN_UNCONFIRMED = "main_unconfirmed"  # a main address on another domain, not confirmed


def is_document(attachment):
    """Whether a parsed mail attachment (fname, content, info) is a PDF or XML file."""
    name = (attachment[0] or "").lower()
    if name.endswith(DOCUMENT_EXTENSIONS):
        return True
    content = attachment[1]
    head = content[:5] if isinstance(content, (bytes, str)) else ""
    return head in (b"%PDF-", "%PDF-")


class AccountJournal(models.Model):
    # submission by e-mail is its own concern, apart from the journal's eConnect buttons (account_journal.py)
    _inherit = "account.journal"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _econnect_journal_of_alias(self, alias):
        """The journal whose alias is ``alias``, or an empty recordset."""
        if not alias:
            return self.browse()
        return self.sudo().with_context(active_test=False).search([("alias_id", "=", alias.id)], limit=1)

    def _econnect_submission_company(self):
        """The active company whose eConnect purchase journal this is (its alias is a submission alias)."""
        self.ensure_one()
        company = self.sudo().company_id
        if self.type == "purchase" and company.econnect_state == "active" and (
            company.econnect_receive_journal_id == self
        ):
            return company
        return self.env["res.company"]

    def _econnect_submitter(self, email_from):
        """Who submits mail from ``email_from`` (the address judged on the raw From header) to this journal's alias:
        ``(user, refusal)``.

        ``user`` is the trusted user (an empty recordset when refused); ``refusal`` one of the REFUSE_* codes.
        """
        self.ensure_one()
        company = self._econnect_submission_company()
        users = self.env["res.users"].sudo()
        normalized = email_normalize(email_from or "", strict=False)
        if not normalized or not company:
            return users, REFUSE_UNKNOWN

        def trusted(user):
            return (
                user.active
                and not user.share
                and company in user.company_ids
                and user.has_group("econnect_odoo.group_econnect_user")
            )

        address = self.env["econnect.user.email"]._econnect_find(normalized)
        if address.is_main and address.email_normalized != address.user_id.sudo().email_normalized:
            address = address.browse()  # the confirmation of an address its user no longer has
        if address and trusted(address.user_id.sudo()):
            if address.state == "verified":
                return address.user_id.sudo(), None
            return users, {
                "pending": REFUSE_PENDING,
                "to_approve": REFUSE_TO_APPROVE,
            }.get(address.state, REFUSE_REFUSED)
        # Odoo does not keep main addresses unique: the oldest trusted user with that address submits. A main
        # address is anybody's to type in their Preferences: trusted as it is on the company's own mail domain only.
        primary = users.search([("email_normalized", "=", normalized), ("share", "=", False)], order="id")
        primary = primary.filtered(trusted)
        if not primary:
            return users, REFUSE_UNKNOWN
        own_domain = email_domain(company.email)
        if own_domain and email_domain(normalized) == own_domain:
            return primary[0], None
        return users, REFUSE_MAIN_UNCONFIRMED

    def _econnect_check_alias_mail(self, message, message_dict, new_document):
        """The AliasError refusing a mail to this journal's alias, or False to let Odoo process it."""
        self.ensure_one()
        if not self._econnect_submission_company():
            return False
        # The raw From header as it arrived: Odoo's parsing may have read "alice@x <mallory@y>" as Alice's.
        address, refusal = mail_sender.judge(mail_sender.raw_from_headers(message))
        user = self.env["res.users"]
        if refusal:
            refusal = REFUSE_SENDER
        else:
            user, refusal = self._econnect_submitter(address)
        if not refusal and new_document and not any(is_document(a) for a in message_dict.get("attachments") or ()):
            refusal = REFUSE_NO_DOCUMENT
        if refusal:
            message_dict[REFUSAL_KEY] = refusal
            message_dict[REPLY_KEY] = address
            return AliasError(f"econnect_submission_{refusal}", f"eConnect submission refused ({refusal})")
        # the submitting user is the author of the mail, also when it came from an additional address
        message_dict["author_id"] = user.partner_id.id
        return False

    def _econnect_refusal_text(self, refusal, email_from):
        """What the sender is told (in the current language) when their mail was refused."""
        self.ensure_one()
        company = self.sudo().company_id.name
        address = email_normalize(email_from or "", strict=False) or email_from
        if refusal == REFUSE_SENDER:
            return self.env._(
                "Your message was not accepted: its From line must name exactly one sender, without an e-mail "
                "address in the sender's name. Nothing was created for %(company)s. Send the invoice again from your "
                "own mailbox as it is.",
                company=company,
            )
        if refusal == REFUSE_MAIN_UNCONFIRMED:
            return self.env._(
                "%(address)s is the e-mail address of your Odoo user, but it is not on the e-mail domain of "
                "%(company)s, so nothing was created. Confirm it first (in Odoo: Preferences > eConnect > Confirm "
                "my address; Odoo mails a link to it), then send your invoice again.",
                address=address, company=company,
            )
        if refusal == REFUSE_NO_DOCUMENT:
            return self.env._(
                "Your message has no PDF or XML attachment, so no vendor bill was created for %(company)s. "
                "Attach the invoice as a PDF or XML file and send it again.",
                company=company,
            )
        if refusal == REFUSE_PENDING:
            return self.env._(
                "%(address)s is not verified yet, so nothing was created for %(company)s. Open the link in the "
                "confirmation e-mail Odoo sent to this address (or send a new one from your Preferences in Odoo), "
                "then send your invoice again.",
                address=address, company=company,
            )
        if refusal == REFUSE_TO_APPROVE:
            return self.env._(
                "%(address)s is waiting for the approval of an eConnect administrator of %(company)s, so nothing "
                "was created. Send your invoice again once it is approved.",
                address=address, company=company,
            )
        if refusal == REFUSE_REFUSED:
            return self.env._(
                "An eConnect administrator of %(company)s did not approve %(address)s for submitting invoices, so "
                "nothing was created. Send it from your Odoo e-mail address instead.",
                address=address, company=company,
            )
        return self.env._(
            "Only users of %(company)s may submit invoices to this address, from their Odoo e-mail address or an "
            "additional address they verified in Odoo. Nothing was created from your message.",
            company=company,
        )


class AccountMove(models.Model):
    # The submission concern in its own file (house rule: one concern per file), not in account_move.py.
    _inherit = "account.move"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _routing_check_route(self, message, message_dict, route, raise_exception=True):
        """New mail to the submission alias: our rule first (Odoo's own checks would answer a stranger
        without attachment that the attachment is missing, not that they may not submit)."""
        alias = route[4] if len(route) > 4 else None
        if route[0] == "account.move" and alias and not route[1]:
            journal = self.env["account.journal"]._econnect_journal_of_alias(alias)
            error = journal._econnect_check_alias_mail(message, message_dict, new_document=True) if journal else False
            if error:
                _logger.info(
                    "Mail with Message-Id %s to %s refused: %s",
                    message_dict.get("message_id"), alias.display_name, error.message,
                )
                alias._alias_bounce_incoming_email(message, message_dict, set_invalid=False)
                return False
        return super()._routing_check_route(message, message_dict, route, raise_exception=raise_exception)

    def _alias_get_error(self, message, message_dict, alias):
        """Replies to a bill sent to the submission alias: only trusted senders (no attachment needed)."""
        error = super()._alias_get_error(message, message_dict, alias)
        if error or not self.ids:
            return error
        journal = self.env["account.journal"]._econnect_journal_of_alias(alias)
        return journal._econnect_check_alias_mail(message, message_dict, new_document=False) if journal else False

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        # The mail gateway posts the mail on the record this returns: mark it as new, so that only the mail
        # that created bills (not a later reply) notes who submitted them.
        move = super().message_new(msg_dict, custom_values=custom_values)
        return move.with_context(econnect_new_from_mail=True)

    def _message_post_after_hook(self, new_message, message_values):
        attachments = new_message.attachment_ids
        result = super()._message_post_after_hook(new_message, message_values)
        if self.env.context.get("econnect_new_from_mail") and len(self) == 1 and new_message.message_type == "email":
            self._econnect_note_submitter(new_message, attachments)
        return result

    def _econnect_note_submitter(self, message, attachments):
        """On every bill created from a submission mail: who submitted it, from which address."""
        journal = self.sudo().journal_id
        if not journal or not journal._econnect_submission_company():
            return
        user, refusal = journal._econnect_submitter(message.email_from)
        if refusal:
            return
        bills = self | self.browse(
            {a.res_id for a in attachments.sudo().exists() if a.res_model == "account.move" and a.res_id}
        )
        address = email_normalize(message.email_from or "", strict=False)
        for bill in bills.sudo().exists().filtered(lambda m: m.move_type in ("in_invoice", "in_refund")):
            bill._message_log(
                body=Markup("<p>%s</p>")
                % self.env._(
                    "Submitted by %(user)s from %(address)s through the e-invoice submission address.",
                    user=user.name, address=address,
                )
            )
            # a bank account the document brought is proposed, never added: the bill says so (account_move_supplier)
            issues = bill._econnect_check_bank()
            if issues and not bill.econnect_import_issue:
                bill._econnect_flag_import(issues)


class MailAlias(models.Model):
    _inherit = "mail.alias"

    def _alias_bounce_incoming_email(self, message, message_dict, set_invalid=True):
        """Our refusals are answered to the address the raw From header really names (never to Return-Path or to
        the address Odoo's parsing read, which a forged header chooses), and not at all when it names none."""
        if REFUSAL_KEY not in message_dict or not self.env["account.journal"]._econnect_journal_of_alias(self):
            return super()._alias_bounce_incoming_email(message, message_dict, set_invalid=set_invalid)
        self.ensure_one()
        reply_to = message_dict.pop(REPLY_KEY, None)
        if not reply_to:
            message_dict.pop(REFUSAL_KEY, None)
            _logger.info(
                "Mail with Message-Id %s to %s refused without a reply: its From header names no single address",
                message_dict.get("message_id"), self.display_name,
            )
            return
        # (not in the language of the partner the forged From named)
        author = message_dict.get("author_id") if message_dict[REFUSAL_KEY] != REFUSE_SENDER else False
        body = self._get_alias_bounced_body({**message_dict, "email_from": reply_to, "author_id": author})
        message_dict.pop(REFUSAL_KEY, None)
        self.env["mail.thread"]._routing_create_bounce_email(
            reply_to, body, message,
            references=message_dict["message_id"],
            email_to=reply_to,
            recipient_ids=self.create_uid.partner_id.ids if self.create_uid.active else [],
        )

    def _get_alias_bounced_body(self, message_dict):
        refusal = message_dict.pop(REFUSAL_KEY, None)
        journal = self.env["account.journal"]._econnect_journal_of_alias(self)
        if not refusal or not journal:
            return super()._get_alias_bounced_body(message_dict)
        author = self.env["res.partner"].sudo().browse(message_dict.get("author_id") or [])
        lang = author.lang or journal.company_id.partner_id.lang or self.env.lang
        journal = journal.with_context(lang=lang)
        text = journal._econnect_refusal_text(refusal, message_dict.get("email_from"))
        body = Markup("<p>%(header)s,<br/><br/>%(text)s<br/><br/>%(regards)s</p>") % {
            "header": journal.env._("Dear Sender"),
            "text": text,
            "regards": journal.env._("Kind Regards"),
        }
        return self.env["ir.qweb"].with_context(lang=lang)._render(
            "mail.mail_bounce_alias_security", {"body": body, "message": message_dict}, minimal_qcontext=True
        )
