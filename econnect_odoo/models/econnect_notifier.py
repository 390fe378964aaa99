import logging
from collections import defaultdict
from datetime import timedelta

from odoo import SUPERUSER_ID, api, fields, models

from ..tools.queue import claim

_logger = logging.getLogger(__name__)

# What a user may be told about by e-mail (each is a preference on res.users: res_users.NOTIFICATION_PREFERENCES).
NOTIFICATION_KIND_SELECTION = [
    ("sent_delivered", "Invoice delivered"),  # an invoice I sent was delivered
    ("sent_failed", "Invoice not delivered"),  # an invoice I sent failed
    ("received", "E-invoice received"),  # an e-invoice arrived for one of my companies
    ("response", "Customer answer"),  # a customer answered an invoice (accepted, rejected, paid)
]
NOTIFICATION_KINDS = tuple(kind for kind, _label in NOTIFICATION_KIND_SELECTION)
# Kinds about an invoice somebody sent: they go to its responsible and to who sent it. "received" goes to
# the users of the receiving company.
SENT_KINDS = ("sent_delivered", "sent_failed", "response")
# A digest lists at most this many invoices per kind, then says how many more there are.
DIGEST_MAX_LINES = 50
# The scheduled safety net mails what a run queued but did not mail (it crashed, or forgot), after this delay.
FALLBACK_DELAY = timedelta(minutes=30)



class EconnectNotifier(models.AbstractModel):
    """The one door through which the addon tells users about eConnect events by e-mail.

    Callers queue what happened with ``_econnect_notify(kind, moves)`` while they work, and the scheduled
    action that did the work calls ``_econnect_send_digests()`` once at its end: each user who opted in
    (and may see the company) gets one digest per run, not one mail per invoice.

    Who gets what:

    * ``sent_delivered``, ``sent_failed``, ``response``: the invoice's responsible (``invoice_user_id``) and the
      user who queued the event (when a person did, not a scheduled action), if they opted in for that kind;
    * ``received``: every internal user of the receiving company who opted in;

    and in every case only users who may read the invoice in that company (their companies, their access
    rights, the record rules). Each digest is rendered from a mail template in its recipient's language.
    """

    _name = "econnect.notifier"
    _description = "eConnect notifications"

    @api.model
    def _econnect_notify(self, kind, moves):
        """Queue a notification of ``kind`` (see NOTIFICATION_KINDS) about ``moves``."""
        if kind not in NOTIFICATION_KINDS:
            raise ValueError(f"Unknown eConnect notification kind: {kind!r}")
        if not moves:
            return True
        user = self.env.user
        sender = user if user.id != SUPERUSER_ID and user._is_internal() else self.env["res.users"]
        self.env["econnect.notification"].sudo().create([
            {"kind": kind, "move_id": move.id, "sender_id": sender.id, "note": self._econnect_note(kind, move)}
            for move in moves.sudo()
        ])
        return True

    @api.model
    def _econnect_note(self, kind, move):
        """What the digest says next to the invoice, taken when the event is queued."""
        if kind in ("sent_failed", "response"):
            return move.econnect_message or False
        return False

    @api.model
    def _econnect_send_digests(self, older_than=None):
        """Send the queued notifications, one digest per user.

        ``older_than`` (a timedelta) leaves younger events to the run that queued them (the safety net uses it).
        """
        queue = self.env["econnect.notification"].sudo()
        # claimed without a lease (tools/queue.py): they are mailed and deleted in this one transaction
        domain = [("create_date", "<=", fields.Datetime.now() - older_than)] if older_than else []
        events = claim(queue.search(domain))
        if not events:
            return True
        per_user = defaultdict(lambda: defaultdict(dict))  # user -> kind -> {move id: note}
        company_users = {}
        for event in events:
            for user in self._econnect_recipients(event, company_users):
                per_user[user][event.kind].setdefault(event.move_id.id, event.note)
        sent = 0
        for user, kinds in per_user.items():
            sent += bool(self._econnect_send_digest(user, kinds))
        events.unlink()
        _logger.info("eConnect: %s notification(s) mailed as %s digest(s)", len(events), sent)
        return True

    @api.model
    def _cron_econnect_send_digests(self):
        """Safety net: mail what a run queued but did not mail."""
        return self._econnect_send_digests(older_than=FALLBACK_DELAY)

    @api.model
    def _econnect_recipients(self, event, company_users):
        """The users who get ``event``: opted in for its kind and in the invoice's company."""
        users = self.env["res.users"].sudo()
        preference = users._econnect_preference_field(event.kind)
        move = event.move_id.sudo()
        company = move.company_id
        if event.kind in SENT_KINDS:
            # its salesperson, who caused the event, who queued the invoice for sending
            candidates = move.invoice_user_id | event.sender_id | move.econnect_queued_by_id
        else:
            key = (preference, company.id)
            if key not in company_users:
                company_users[key] = users.search(
                    [(preference, "=", True), ("share", "=", False), ("company_ids", "in", company.id)]
                )
            candidates = company_users[key]
        return candidates.sudo().filtered(
            lambda u: u.active and not u.share and u.email and u[preference] and company in u.company_ids
        )

    @api.model
    def _econnect_send_digest(self, user, kinds):
        """Mail ``user`` one digest of ``kinds`` ({kind: {move id: note}}), limited to the invoices they may read.

        Returns the mail.mail, or False when nothing is left to tell.
        """
        moves = self.env["account.move"].with_user(user).with_context(allowed_company_ids=user.company_ids.ids)
        digest, count = {}, 0
        for kind in NOTIFICATION_KINDS:
            notes = kinds.get(kind)
            if not notes:
                continue
            visible = moves.browse(list(notes))._filtered_access("read").ids
            if not visible:
                continue
            shown = visible[:DIGEST_MAX_LINES]
            digest[kind] = {
                "ids": shown,
                "more": len(visible) - len(shown),
                "notes": {move_id: notes[move_id] for move_id in shown if notes[move_id]},
            }
            count += len(visible)
        if not digest:
            return False
        template = self.env.ref("econnect_odoo.mail_template_econnect_digest").sudo()
        mail_id = template.with_context(econnect_digest=digest, econnect_digest_count=count).send_mail(user.id)
        return self.env["mail.mail"].sudo().browse(mail_id)
