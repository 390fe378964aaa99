"""Every verification link Odoo mails for eConnect, counted: a link is a mail Odoo sends in its own name to an
address somebody typed, so nobody may have it send many (one per address per few minutes, a cap per user a day)."""

from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

# At most one link per address in this time (whoever asks for it) ...
LINK_INTERVAL = timedelta(minutes=5)
# ... and at most this many links a day for the addresses of one user.
LINKS_PER_DAY = 10


class EconnectEmailLink(models.Model):
    _name = "econnect.email.link"
    _description = "eConnect: a verification link mailed"
    _order = "id desc"

    email_normalized = fields.Char(required=True, readonly=True, index=True)
    sent_at = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now, index=True)
    user_id = fields.Many2one("res.users", required=True, readonly=True, index=True, ondelete="cascade")

    @api.model
    def _econnect_count_link(self, user, email_normalized):
        """Count a link about to be mailed to ``email_normalized`` for ``user``, or refuse it (UserError)."""
        now = fields.Datetime.now()
        links = self.sudo()
        recent = [("email_normalized", "=", email_normalized), ("sent_at", ">", now - LINK_INTERVAL)]
        if links.search_count(recent):
            raise UserError(self.env._(
                "A verification link was mailed to %(address)s less than %(minutes)s minutes ago: use that one, or "
                "ask for a new link in a few minutes.",
                address=email_normalized, minutes=int(LINK_INTERVAL.total_seconds() // 60),
            ))
        if links.search_count([("user_id", "=", user.id), ("sent_at", ">", now - timedelta(days=1))]) >= (
            LINKS_PER_DAY
        ):
            raise UserError(self.env._(
                "%(count)s verification links were mailed for %(user)s in the last 24 hours, the most Odoo sends in "
                "a day. Try again tomorrow.",
                count=LINKS_PER_DAY, user=user.name,
            ))
        links.create({"email_normalized": email_normalized, "user_id": user.id, "sent_at": now})

    @api.autovacuum
    def _gc_econnect_email_links(self):
        self.sudo().search([("sent_at", "<", fields.Datetime.now() - timedelta(days=2))]).unlink()
