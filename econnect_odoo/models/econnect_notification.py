from odoo import fields, models

from .econnect_notifier import NOTIFICATION_KIND_SELECTION


class EconnectNotification(models.Model):
    """The queue of notifications not mailed yet (see ``econnect.notifier``).

    Stored, so that an event queued by one transaction (a webhook, a send) and mailed by the run that ends later
    is never lost, and several workers never mail the same event twice (rows are locked while mailed).
    """

    _name = "econnect.notification"
    _description = "eConnect: notification waiting for the next digest"
    _order = "id"

    kind = fields.Selection(
        selection=NOTIFICATION_KIND_SELECTION,
        required=True,
        readonly=True,
    )
    move_id = fields.Many2one("account.move", required=True, readonly=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="move_id.company_id", store=True, index=True)
    sender_id = fields.Many2one(
        "res.users", readonly=True, ondelete="set null",
        help="The user who did what led to this notification (e.g. who sent the invoice), if it was a person.",
    )
    note = fields.Char(readonly=True, help="What eConnect said (an error, the customer's answer), when queued.")

