import logging

from markupsafe import Markup

from odoo import api, fields, models

from ..psb import contract

_logger = logging.getLogger(__name__)

# econnect_state values a send may start from (a resend after an error starts over explicitly)
SENDABLE_STATES = ("not_sent",)
# states in which the invoice is at eConnect (or on its way there): never upload it again
AT_ECONNECT_STATES = ("queued", "sent", "delivered", "retrying")


class AccountMove(models.Model):
    _inherit = "account.move"

    econnect_state = fields.Selection(
        selection=[
            ("not_sent", "Not sent"),
            ("queued", "Queued"),
            ("sent", "Sent"),
            ("delivered", "Delivered"),
            ("retrying", "Retrying"),
            ("error", "Error"),
        ],
        string="eConnect status",
        default="not_sent",
        required=True,
        copy=False,
        tracking=True,
        index=True,
        help="Queued: waiting to be uploaded. Sent: eConnect accepted it. Delivered: it reached the customer's "
        "access point. Retrying: eConnect could not be reached; Odoo tries again with the same document id. "
        "Error: it needs your attention (see the message).",
    )
    econnect_uuid = fields.Char(
        string="eConnect document id (ours)",
        copy=False,
        readonly=True,
        index="btree_not_null",
        help="Created once per invoice and sent on every attempt, so eConnect never accepts the invoice twice.",
    )
    econnect_document_id = fields.Char(
        string="eConnect document id", copy=False, readonly=True, help="The document id eConnect answered."
    )
    econnect_message = fields.Char(string="eConnect message", copy=False, readonly=True)
    econnect_sent_date = fields.Datetime(string="Sent to eConnect on", copy=False, readonly=True)
    econnect_status_date = fields.Datetime(
        string="eConnect status updated on", copy=False, readonly=True,
        help="When eConnect last told us what became of this invoice.",
    )

    # ------------------------------------------------------------------------------------------
    # Delivery results (webhook events or status polling)
    # ------------------------------------------------------------------------------------------
    def _econnect_apply_delivery_event(self, topic, message=None):
        """Apply a delivery result of eConnect to sent invoices.

        ``topic`` is a webhook topic (``InvoiceSent``, ``InvoiceSentRetry``, ``InvoiceSentError``).
        Leaves a chatter message; an error also gets an activity for the invoice's responsible user.
        Returns the moves whose state changed.
        """
        changed = self.env["account.move"]
        for move in self:
            if topic == contract.TOPIC_INVOICE_SENT:
                if move.econnect_state == "delivered":
                    continue
                move.write({
                    "econnect_state": "delivered",
                    "econnect_message": False,
                    "econnect_status_date": fields.Datetime.now(),
                })
                move._econnect_log(self.env._("Delivered to the customer's Peppol access point."))
            elif topic == contract.TOPIC_INVOICE_SENT_RETRY:
                move.write({
                    "econnect_message": message or self.env._("eConnect retries the delivery."),
                    "econnect_status_date": fields.Datetime.now(),
                })
                move._econnect_log(
                    self.env._("eConnect could not deliver yet and retries: %s", message or "-")
                )
            elif topic == contract.TOPIC_INVOICE_SENT_ERROR:
                if move.econnect_state == "error" and move.econnect_message == message:
                    continue
                text = message or self.env._("eConnect could not deliver the invoice.")
                move.write({
                    "econnect_state": "error",
                    "econnect_message": text,
                    "econnect_status_date": fields.Datetime.now(),
                })
                move._econnect_log(self.env._("Delivery failed: %s", text))
                move._econnect_schedule_error_activity(text)
            else:
                continue
            changed |= move
        return changed

    def _econnect_log(self, body):
        """A chatter note on the invoice, marked as demo when the company uses the demo environment."""
        for move in self:
            text = body
            if move.company_id._econnect_is_demo():
                text = self.env._("[Demo] %s", body)
            move.with_context(mail_notrack=True)._message_log(body=Markup("<p>%s</p>") % text)

    def _econnect_schedule_error_activity(self, text):
        for move in self:
            move.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("eConnect could not deliver this invoice"),
                note=text,
                user_id=(move.invoice_user_id or self.env.user).id,
            )

    @api.model
    def _econnect_find_sent(self, company, document_id):
        """The sent invoice of ``company`` that eConnect knows as ``document_id`` (ours or theirs)."""
        return self.search(
            [
                ("company_id", "=", company.id),
                "|", ("econnect_uuid", "=", document_id), ("econnect_document_id", "=", document_id),
            ],
            limit=1,
        )
