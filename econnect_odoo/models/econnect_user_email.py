"""Additional e-mail addresses of users, verified by a one-time link, that may submit invoices by e-mail.

Life of an address::

    added ──► pending ──(link opened by its user within 24 h)──► verified
                                     └──(domain differs from the company's)──► to_approve ──► verified
                                                                                     └──────► refused

What "company" means here: an address belongs to a *user*, not to a company. Its ``company_id`` is the
user's main company (``res.users.company_id``, kept in sync): the company whose e-mail domain decides whether
an eConnect administrator must approve the address, and whose eConnect administrators see and approve it.
Whether an address may submit invoices *to a given company* is decided when the mail arrives: its user must
be allowed in that company (see ``account_move_mail_submission.py``).

A user's *main* Odoo address is trusted for submissions at once only on the e-mail domain of the company the mail
goes to; on any other domain it is confirmed the same way, as a record with ``is_main`` (created from the user's
Preferences, removed when the user's address changes).

Every link mailed is counted (``econnect.email.link``): one per address per few minutes, a daily cap per user.
"""

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import email_normalize, email_split

TOKEN_VALIDITY = timedelta(hours=24)
VERIFY_ROUTE = "/econnect/email/verify"
# An address as people type it: one local part, one @, a domain with at least one dot, no spaces.
ADDRESS_SHAPE = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;.]+$")

# What opening a verification link did (the controller shows one page per result).
VERIFY_OK = "verified"
VERIFY_NEEDS_APPROVAL = "needs_approval"
VERIFY_EXPIRED = "expired"
VERIFY_USED = "used"
VERIFY_INVALID = "invalid"
VERIFY_WRONG_USER = "wrong_user"

# Fields that change only through the verification link or an administrator's decision: all that say which
# address it is, whose, and whether it may submit.
PROTECTED_FIELDS = (
    "email", "email_normalized", "user_id", "company_id", "is_main", "state", "verified_on", "link_sent_on",
    "token_hash", "token_expires", "decided_by_id",
)


def hash_token(token):
    """How a verification token is stored: its sha256 (the token itself is only in the e-mail)."""
    return hashlib.sha256(token.encode()).hexdigest()


def email_domain(address):
    """The domain of an e-mail address, lower case ('' when there is none)."""
    normalized = email_normalize(address or "", strict=False) or ""
    return normalized.rpartition("@")[2]


class EconnectUserEmail(models.Model):
    _name = "econnect.user.email"
    _description = "eConnect: additional e-mail address of a user"
    _order = "user_id, email_normalized"
    _rec_name = "email"

    user_id = fields.Many2one(
        "res.users",
        required=True,
        ondelete="cascade",
        index=True,
        default=lambda self: self.env.user,
    )
    email = fields.Char(string="E-mail address", required=True)
    email_normalized = fields.Char(compute="_compute_email_normalized", store=True, index=True)
    is_main = fields.Boolean(
        string="Odoo address", readonly=True,
        help="The user's own Odoo e-mail address, confirmed for submitting invoices (needed when it is not on the "
        "e-mail domain of the company the invoices go to).",
    )
    state = fields.Selection(
        selection=[
            ("pending", "Awaiting verification"),
            ("verified", "Verified"),
            ("to_approve", "Awaiting approval"),
            ("refused", "Refused"),
        ],
        string="Status",
        default="pending",
        required=True,
        readonly=True,
        help="Awaiting verification: open the link Odoo sent to the address (valid 24 hours). Awaiting approval: "
        "the address is on another domain than your company's, an eConnect administrator must approve it. Only "
        "verified addresses may submit invoices.",
    )
    verified_on = fields.Datetime(string="Verified on", readonly=True, copy=False)
    link_sent_on = fields.Datetime(string="Link sent on", readonly=True, copy=False)
    decided_by_id = fields.Many2one("res.users", string="Approved or refused by", readonly=True, copy=False)
    company_id = fields.Many2one(
        "res.company",
        string="Company",
        related="user_id.company_id",
        store=True,
        index=True,
        help="The main company of the user: its e-mail domain decides whether an administrator must approve the "
        "address, and its eConnect administrators see and approve it.",
    )
    approval_required = fields.Boolean(
        compute="_compute_approval_required",
        help="The address is on another domain than the e-mail address of the user's company.",
    )
    token_hash = fields.Char(copy=False, readonly=True, groups="base.group_system")
    token_expires = fields.Datetime(copy=False, readonly=True, groups="base.group_system")

    _sql_constraints = [
        ("email_normalized_unique", "unique(email_normalized)", "This e-mail address already belongs to a user."),
    ]

    # ------------------------------------------------------------------------------------------
    # Computes and checks
    # ------------------------------------------------------------------------------------------
    @api.depends("email")
    def _compute_email_normalized(self):
        for address in self:
            address.email_normalized = email_normalize(address.email or "", strict=True) or False

    @api.depends("email_normalized", "company_id.email")
    def _compute_approval_required(self):
        for address in self:
            address.approval_required = address._econnect_domain_differs()

    def _econnect_domain_differs(self):
        self.ensure_one()
        company_domain = email_domain(self.sudo().company_id.email)
        return not company_domain or email_domain(self.email) != company_domain

    @api.model
    def _econnect_check_new_address(self, user, email, main=False):
        """Raise a clear error when ``email`` cannot become an additional address of ``user``."""
        email = (email or "").strip()
        normalized = email_normalize(email, strict=True)
        if not email or not ADDRESS_SHAPE.match(email) or email_split(email) != [email] or not normalized:
            raise ValidationError(
                self.env._(
                    "“%s” is not a valid e-mail address. Enter one address, like name@example.com.", email
                )
            )
        user = user.sudo()
        if user.share or not user.has_group("econnect_odoo.group_econnect_user"):
            raise ValidationError(
                self.env._("Only eConnect users can add e-mail addresses (%s is not one).", user.name)
            )
        if main != (user.email_normalized == normalized):
            raise ValidationError(
                self.env._("%s is not your Odoo e-mail address.", email) if main
                else self.env._("%s is already your main e-mail address.", email)
            )
        existing = self.sudo().search([("email_normalized", "=", normalized)])
        if existing.filtered(lambda a: a.user_id == user):
            raise ValidationError(self.env._("You already added %s.", email))
        other_users = self.env["res.users"].sudo().search(
            [("email_normalized", "=", normalized), ("id", "!=", user.id)], limit=1
        )
        if existing or other_users:
            raise ValidationError(
                self.env._("%s belongs to another user: an address can belong to one user only.", email)
            )
        return email

    # ------------------------------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        self.check_access("create")
        seen = set()
        for vals in vals_list:
            if vals.get("state", "pending") != "pending" or any(
                vals.get(fname) for fname in PROTECTED_FIELDS if fname not in ("email", "user_id", "is_main", "state")
            ):
                raise AccessError(self.env._("A new e-mail address always starts awaiting its verification."))
            user = self.env["res.users"].browse(vals.get("user_id") or self.env.uid)
            vals["email"] = self._econnect_check_new_address(user, vals.get("email"), main=bool(vals.get("is_main")))
            normalized = email_normalize(vals["email"], strict=True)
            if normalized in seen:
                raise ValidationError(self.env._("You added %s twice.", vals["email"]))
            seen.add(normalized)
        addresses = super().create(vals_list)
        addresses._econnect_send_verification()
        return addresses

    def write(self, vals):
        for fname in PROTECTED_FIELDS:
            if fname in vals and any(not address._econnect_same_value(fname, vals[fname]) for address in self):
                raise UserError(
                    self.env._(
                        "An address changes only through its verification link or an administrator's decision. "
                        "To use another address, remove this one and add the new one."
                    )
                )
        return super().write(vals)

    def _econnect_same_value(self, fname, value):
        field = self._fields[fname]
        return field.convert_to_record(field.convert_to_cache(value, self), self) == self.sudo()[fname]

    def _econnect_write(self, vals):
        """Write protected fields (verification, decisions): skips the guard of ``write`` on purpose."""
        return super(EconnectUserEmail, self.sudo()).write(vals)  # pylint: disable=super-method-mismatch

    # ------------------------------------------------------------------------------------------
    # Verification
    # ------------------------------------------------------------------------------------------
    def action_send_verification(self):
        """Button: mail a new verification link (the previous one stops working)."""
        self.env["res.company"]._econnect_check_access(self, "user")
        for address in self:
            if address.state != "pending":
                raise UserError(self.env._("%s is already verified.", address.email))
        self._econnect_send_verification()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._("A new verification link was sent to %s.", ", ".join(self.mapped("email"))),
            },
        }

    def _econnect_send_verification(self):
        """Create a one-time token per address (valid 24 hours, stored hashed) and mail its link: at most one per
        address per few minutes and a number per user per day (``econnect.email.link``)."""
        template = self.env.ref("econnect_odoo.mail_template_econnect_email_verification")
        now = fields.Datetime.now()
        for address in self:
            self.env["econnect.email.link"]._econnect_count_link(address.sudo().user_id, address.email_normalized)
            token = secrets.token_urlsafe(32)
            address._econnect_write({
                "token_hash": hash_token(token),
                "token_expires": now + TOKEN_VALIDITY,
                "link_sent_on": now,
            })
            url = f"{address.get_base_url()}{VERIFY_ROUTE}/{address.id}/{token}"
            template.sudo().with_context(econnect_verification_url=url).send_mail(address.id)

    def _econnect_verify(self, token, user):
        """Apply a verification link opened by ``user``; returns one of the VERIFY_* results."""
        self.ensure_one()
        address = self.sudo()
        if address.user_id != user:
            return VERIFY_WRONG_USER
        if address.state != "pending":
            return VERIFY_USED
        if not address.token_hash or not hmac.compare_digest(address.token_hash, hash_token(token or "")):
            return VERIFY_INVALID
        now = fields.Datetime.now()
        if not address.token_expires or address.token_expires < now:
            return VERIFY_EXPIRED
        needs_approval = address._econnect_domain_differs()
        address._econnect_write({
            "state": "to_approve" if needs_approval else "verified",
            "verified_on": now,
            "token_hash": False,
            "token_expires": False,
        })
        if needs_approval:
            address._econnect_request_approval()
            return VERIFY_NEEDS_APPROVAL
        return VERIFY_OK

    # ------------------------------------------------------------------------------------------
    # Approval (addresses on another domain than the company's)
    # ------------------------------------------------------------------------------------------
    def _econnect_admins(self):
        """The eConnect administrators who decide about this address: those of the user's main company."""
        self.ensure_one()
        return self.company_id._econnect_administrators().filtered("email")

    def _econnect_request_approval(self):
        template = self.env.ref("econnect_odoo.mail_template_econnect_email_approval").sudo()
        for address in self:
            for admin in address._econnect_admins():
                template.with_context(econnect_recipient_lang=admin.lang).send_mail(
                    address.id, email_values={"recipient_ids": [fields.Command.link(admin.partner_id.id)]}
                )

    def action_approve(self):
        self.env["res.company"]._econnect_check_access(self, "admin")
        self.check_access("write")
        for address in self:
            if address.state not in ("to_approve", "refused"):
                raise UserError(self.env._("%s does not await an approval.", address.email))
        self._econnect_decide("verified")
        return True

    def action_refuse(self):
        self.env["res.company"]._econnect_check_access(self, "admin")
        self.check_access("write")
        for address in self:
            if address.state not in ("to_approve", "verified"):
                raise UserError(self.env._("%s cannot be refused before it is verified.", address.email))
        self._econnect_decide("refused")
        return True

    def _econnect_decide(self, state):
        self._econnect_write({"state": state, "decided_by_id": self.env.user.id})
        template = self.env.ref("econnect_odoo.mail_template_econnect_email_decision").sudo()
        for address in self:
            template.send_mail(address.id)

    # ------------------------------------------------------------------------------------------
    # Who is behind an address (used by the submission alias)
    # ------------------------------------------------------------------------------------------
    @api.model
    def _econnect_find(self, email):
        """The additional address record of ``email`` (any state), or an empty recordset."""
        normalized = email_normalize(email or "", strict=False)
        if not normalized:
            return self.browse()
        return self.sudo().search([("email_normalized", "=", normalized)], limit=1)
