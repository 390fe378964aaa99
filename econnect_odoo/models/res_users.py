from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import email_normalize

from .econnect_user_email import email_domain

# The preference (boolean field on res.users) that decides whether a user gets e-mails of each
# notification kind (see econnect_notifier.NOTIFICATION_KINDS).
NOTIFICATION_PREFERENCES = {
    "sent_delivered": "econnect_notify_sent_delivered",
    "sent_failed": "econnect_notify_sent_failed",
    "received": "econnect_notify_received",
    "response": "econnect_notify_response",
}
# What a user reads and changes about eConnect on their own user (the Preferences dialog).
ECONNECT_SELF_WRITEABLE = [
    *NOTIFICATION_PREFERENCES.values(),
    "econnect_receive_prompt_disabled",
    "econnect_email_ids",
]
ECONNECT_SELF_READABLE = [*ECONNECT_SELF_WRITEABLE, "econnect_submission_emails", "econnect_main_email_state"]


class ResUsers(models.Model):
    _inherit = "res.users"

    econnect_notify_sent_delivered = fields.Boolean(
        string="An invoice I sent was delivered",
        default=False,
        help="E-mail me when an invoice I sent (or am responsible for) reached the customer's Peppol access point.",
    )
    econnect_notify_sent_failed = fields.Boolean(
        string="An invoice I sent failed",
        default=True,
        help="E-mail me when eConnect could not deliver an invoice I sent (or am responsible for).",
    )
    econnect_notify_received = fields.Boolean(
        string="An e-invoice arrived for one of my companies",
        default=False,
        help="E-mail me when a vendor's e-invoice arrived through eConnect for a company I work in.",
    )
    econnect_notify_response = fields.Boolean(
        string="A customer answered an invoice",
        default=False,
        help="E-mail me when a customer accepted, rejected or paid an invoice I sent (or am responsible for).",
    )
    econnect_receive_prompt_disabled = fields.Boolean(
        string="Don't ask me about receiving e-invoices",
        help="Stop the question, shown after login to eConnect administrators, whether active companies "
        "should receive e-invoices through eConnect.",
    )
    econnect_email_ids = fields.One2many(
        "econnect.user.email",
        "user_id",
        domain=[("is_main", "=", False)],
        string="Additional e-mail addresses",
        help="Other addresses of yours that may submit invoices by e-mail, once verified (and, when they are on "
        "another domain than your company's, approved by an eConnect administrator).",
    )
    econnect_main_email_state = fields.Selection(
        selection=[
            ("company_domain", "Trusted: on your company's e-mail domain"),
            ("unconfirmed", "Not confirmed"),
            ("pending", "Awaiting confirmation"),
            ("to_approve", "Awaiting approval"),
            ("verified", "Confirmed"),
            ("refused", "Refused"),
        ],
        string="Your Odoo address for invoices",
        compute="_compute_econnect_main_email_state",
        help="Invoices mailed from your Odoo e-mail address are trusted at once when it is on your company's e-mail "
        "domain; from any other address only once you confirmed it with the link Odoo mails to it.",
    )
    econnect_submission_emails = fields.Char(
        string="Submit invoices to",
        compute="_compute_econnect_submission_emails",
        help="The e-mail addresses that turn your PDF or XML invoices into draft vendor bills of your companies.",
    )

    @property
    def SELF_READABLE_FIELDS(self):
        return [*super().SELF_READABLE_FIELDS, *ECONNECT_SELF_READABLE]

    @property
    def SELF_WRITEABLE_FIELDS(self):
        return [*super().SELF_WRITEABLE_FIELDS, *ECONNECT_SELF_WRITEABLE]

    @api.depends("email", "company_id.email")
    def _compute_econnect_main_email_state(self):
        for user in self:
            normalized = user.email_normalized
            main = user._econnect_main_address().filtered(lambda a, n=normalized: a.email_normalized == n)
            if main:
                user.econnect_main_email_state = main[0].state
            elif normalized and email_domain(normalized) == email_domain(user.sudo().company_id.email):
                user.econnect_main_email_state = "company_domain"
            else:
                user.econnect_main_email_state = "unconfirmed"

    def action_econnect_confirm_main_email(self):
        """Preferences button: mail the confirmation link to the user's own Odoo address (a new one when one was
        sent before: the previous link stops working)."""
        self.ensure_one()
        self.env["res.company"]._econnect_check_access(None, "user")
        if self != self.env.user and not self.env.su:
            raise AccessError(self.env._("You can only confirm your own e-mail address."))
        Address = self.env["econnect.user.email"].sudo()
        main = self._econnect_main_address()
        if main and main.email_normalized != self.email_normalized:
            main.unlink()  # an address the user no longer has
            main = Address
        if main:
            main.action_send_verification()
        else:
            if not self.email:
                raise UserError(self.env._("Enter your e-mail address first."))
            Address.with_user(self).sudo().create({"email": self.email, "user_id": self.id, "is_main": True})
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._("A confirmation link was sent to %s.", self.email),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _econnect_forget_main_email(self):
        """The user's address changed: a confirmation of the old one means nothing any more."""
        self._econnect_main_address().unlink()

    def _econnect_main_address(self):
        """The confirmation records of these users' own Odoo addresses (``econnect.user.email`` with is_main)."""
        return self.env["econnect.user.email"].sudo().search([("user_id", "in", self.ids), ("is_main", "=", True)])

    def _compute_econnect_submission_emails(self):
        for user in self:
            companies = user.sudo().company_ids.filtered("econnect_submission_email")
            user.econnect_submission_emails = ", ".join(companies.mapped("econnect_submission_email")) or False

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("email"):
                self.browse()._econnect_check_main_email(vals["email"])
        return super().create(vals_list)

    def write(self, vals):
        if "econnect_email_ids" in vals:
            self._econnect_check_email_commands(vals["econnect_email_ids"])
        return super().write(vals)  # a new e-mail is checked where it is stored: res_partner.py

    def _econnect_check_main_email(self, email):
        """An address belongs to one user only: not the main address of a user while another user's additional
        address (it would submit invoices for both)."""
        normalized = email_normalize(email, strict=False)
        if not normalized:
            return
        taken = self.env["econnect.user.email"].sudo().search(
            [("email_normalized", "=", normalized), ("user_id", "not in", self.ids)], limit=1
        )
        if taken:
            raise ValidationError(
                self.env._("%s belongs to another user: an address can belong to one user only.", email)
            )

    def _econnect_check_email_commands(self, commands):
        """Users change their addresses through their own user record, which Odoo writes as superuser:
        refuse commands that would touch the addresses of somebody else."""
        own_ids = set(self.sudo().econnect_email_ids.ids)
        for command in commands or ():
            if not isinstance(command, (list, tuple)) or not command:
                continue
            if command[0] in (fields.Command.CREATE, fields.Command.CLEAR):
                continue  # a new address always starts awaiting verification; CLEAR removes only own ones
            ids = set(command[2] or ()) if command[0] == fields.Command.SET else {command[1]}
            if ids - own_ids:  # UPDATE, DELETE, UNLINK, LINK or SET of an address this user does not have
                raise AccessError(self.env._("You can only change your own e-mail addresses."))

    def _econnect_companies_to_ask(self):
        """Active companies of this user whose receiving nobody decided yet, if the user is to be asked."""
        self.ensure_one()
        if self.econnect_receive_prompt_disabled or not self.has_group("econnect_odoo.group_econnect_admin"):
            return self.env["res.company"]
        return self.company_ids.sudo().filtered(
            lambda c: c.econnect_state == "active" and not c.econnect_receive_decided
        )

    def _econnect_wants(self, kind):
        """Whether this user opted in for e-mails of notification ``kind``."""
        self.ensure_one()
        return bool(self[NOTIFICATION_PREFERENCES[kind]])

    @api.model
    def _econnect_preference_field(self, kind):
        return NOTIFICATION_PREFERENCES[kind]
