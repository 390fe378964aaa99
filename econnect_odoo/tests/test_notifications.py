from datetime import timedelta

from freezegun import freeze_time

from odoo import Command, fields
from odoo.tests import TransactionCase, tagged

from ..models.econnect_notifier import DIGEST_MAX_LINES
from .users_common import EconnectUsersMixin

DIGEST_SUBJECT = "eConnect: news about your invoices"


@tagged("post_install", "-at_install")
class TestNotifications(EconnectUsersMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alice = cls.make_user("alice")  # responsible of the invoices
        cls.bob = cls.make_user("bob")  # a colleague
        cls.other_company = cls.env["res.company"].create({"name": "Elsewhere BV"})
        cls.carol = cls.make_user("carol", company=cls.other_company)
        cls.employee = cls.make_user("dave", groups="base.group_user")  # no accounting access
        cls.partner = cls.env["res.partner"].create({"name": "Buyer BV", "email": "buyer@buyer.example"})
        cls.vendor = cls.env["res.partner"].create({"name": "Vendor BV"})
        cls.notifier = cls.env["econnect.notifier"]

    def invoices(self, count=1, user=None, **values):
        moves = self.env["account.move"].create([
            {
                "move_type": "out_invoice",
                "partner_id": self.partner.id,
                "invoice_user_id": (user or self.alice).id,
                "invoice_line_ids": [Command.create({"name": "Consulting", "quantity": 1, "price_unit": 100 + i})],
                **values,
            }
            for i in range(count)
        ])
        return moves

    def bill(self):
        return self.env["account.move"].create({
            "move_type": "in_invoice",
            "partner_id": self.vendor.id,
            "invoice_date": fields.Date.today(),
            "invoice_line_ids": [Command.create({"name": "Paper", "quantity": 1, "price_unit": 42})],
        })

    def digests(self, user):
        return self.env["mail.mail"].sudo().search(
            [("recipient_ids", "in", user.partner_id.id), ("subject", "ilike", "eConnect:")]
        )

    def run_digests(self):
        self.notifier._econnect_send_digests()

    # ------------------------------------------------------------------------------------------
    # Each preference's effect
    # ------------------------------------------------------------------------------------------
    def test_failures_reach_the_responsible_by_default(self):
        move = self.invoices()
        move.econnect_message = "The customer's access point refused the invoice"
        self.notifier._econnect_notify("sent_failed", move)
        self.run_digests()
        mail = self.digests(self.alice)
        self.assertEqual(len(mail), 1)
        self.assertIn(DIGEST_SUBJECT, mail.subject)
        self.assertIn("could not be delivered", mail.body_html)
        self.assertIn("refused the invoice", mail.body_html)
        self.assertIn(f"res_id={move.id}", mail.body_html, "a link to the invoice")
        self.assertFalse(self.digests(self.bob), "a colleague who is not responsible gets nothing")

    def test_failures_can_be_turned_off(self):
        self.alice.econnect_notify_sent_failed = False
        self.notifier._econnect_notify("sent_failed", self.invoices())
        self.run_digests()
        self.assertFalse(self.digests(self.alice))

    def test_delivered_only_when_opted_in(self):
        move = self.invoices()
        self.notifier._econnect_notify("sent_delivered", move)
        self.run_digests()
        self.assertFalse(self.digests(self.alice), "off by default")
        self.alice.econnect_notify_sent_delivered = True
        self.notifier._econnect_notify("sent_delivered", move)
        self.run_digests()
        mail = self.digests(self.alice)
        self.assertEqual(len(mail), 1)
        self.assertIn("delivered to your customers", mail.body_html)

    def test_customer_answers_only_when_opted_in(self):
        move = self.invoices()
        move.econnect_message = "Accepted by the customer"
        self.notifier._econnect_notify("response", move)
        self.run_digests()
        self.assertFalse(self.digests(self.alice), "off by default")
        self.alice.econnect_notify_response = True
        self.notifier._econnect_notify("response", move)
        self.run_digests()
        mail = self.digests(self.alice)
        self.assertIn("Your customers answered", mail.body_html)
        self.assertIn("Accepted by the customer", mail.body_html)

    def test_received_invoices_reach_users_of_the_company_who_opted_in(self):
        for user in (self.alice, self.carol, self.employee):
            user.econnect_notify_received = True
        bill = self.bill()
        self.notifier._econnect_notify("received", bill)
        self.run_digests()
        mail = self.digests(self.alice)
        self.assertEqual(len(mail), 1)
        self.assertIn("E-invoices received", mail.body_html)
        self.assertIn("Vendor BV", mail.body_html)
        self.assertFalse(self.digests(self.bob), "did not opt in")
        self.assertFalse(self.digests(self.carol), "opted in, but works for another company")
        self.assertFalse(self.digests(self.employee), "opted in, but may not see invoices")

    def test_the_sender_is_told_too(self):
        self.bob.econnect_notify_sent_delivered = True
        move = self.invoices()
        self.notifier.with_user(self.bob)._econnect_notify("sent_delivered", move)
        self.run_digests()
        self.assertEqual(len(self.digests(self.bob)), 1, "bob sent it and opted in")
        self.assertFalse(self.digests(self.alice), "alice is responsible but did not opt in")

    def test_only_users_who_can_see_the_company(self):
        self.carol.econnect_notify_sent_failed = True
        move = self.invoices()
        move.sudo().invoice_user_id = self.carol  # responsible, but not allowed in the invoice's company
        self.notifier._econnect_notify("sent_failed", move)
        self.run_digests()
        self.assertFalse(self.digests(self.carol))

    def test_scheduled_actions_are_not_senders(self):
        move = self.invoices()
        self.notifier.sudo()._econnect_notify("sent_failed", move)
        queued = self.env["econnect.notification"].sudo().search([("move_id", "=", move.id)])
        self.assertFalse(queued.sender_id)

    # ------------------------------------------------------------------------------------------
    # The digest
    # ------------------------------------------------------------------------------------------
    def test_one_digest_per_user_per_run(self):
        self.alice.econnect_notify_sent_delivered = True
        failed = self.invoices(4)
        delivered = self.invoices(3)
        for move in failed:  # one event at a time, as a pull handles them
            self.notifier._econnect_notify("sent_failed", move)
        self.notifier._econnect_notify("sent_delivered", delivered)
        self.notifier._econnect_notify("sent_failed", failed[0])  # the same event twice: listed once
        self.run_digests()
        mail = self.digests(self.alice)
        self.assertEqual(len(mail), 1, "one mail for the whole run")
        self.assertIn("(7)", mail.subject)
        for move in failed | delivered:
            self.assertIn(f"res_id={move.id}", mail.body_html)
        self.assertEqual(mail.body_html.count(f"res_id={failed[0].id}\""), 1)
        self.assertFalse(self.env["econnect.notification"].sudo().search([]), "the queue is empty")
        self.run_digests()
        self.assertEqual(len(self.digests(self.alice)), 1, "nothing is mailed twice")

    def test_long_digests_say_how_many_more(self):
        moves = self.invoices(DIGEST_MAX_LINES + 3)
        self.notifier._econnect_notify("sent_failed", moves)
        self.run_digests()
        mail = self.digests(self.alice)
        self.assertEqual(len(mail), 1)
        self.assertIn(f"({DIGEST_MAX_LINES + 3})", mail.subject)
        self.assertEqual(mail.body_html.count("res_id="), DIGEST_MAX_LINES)
        self.assertIn("And 3 more", mail.body_html)

    def test_each_recipient_in_their_language(self):
        self.env["res.lang"]._activate_lang("nl_NL")
        template = self.env.ref("econnect_odoo.mail_template_econnect_digest")
        template.with_context(lang="nl_NL").subject = (
            "eConnect: nieuws over uw facturen ({{ ctx.get('econnect_digest_count') or 0 }})"
        )
        self.bob.lang = "nl_NL"
        self.bob.econnect_notify_sent_failed = True
        self.notifier._econnect_notify("sent_failed", self.invoices(user=self.alice) | self.invoices(user=self.bob))
        self.run_digests()
        self.assertEqual(self.digests(self.bob).subject, "eConnect: nieuws over uw facturen (1)")
        self.assertEqual(self.digests(self.alice).subject, "eConnect: news about your invoices (1)")

    def test_nothing_is_lost_between_runs(self):
        """What a run queued and did not mail is mailed by the scheduled safety net, not too early."""
        self.notifier._econnect_notify("sent_failed", self.invoices())
        self.notifier._cron_econnect_send_digests()
        self.assertFalse(self.digests(self.alice), "the run that queued it may still be busy")
        with freeze_time(fields.Datetime.now() + timedelta(minutes=31)):
            self.notifier._cron_econnect_send_digests()
        self.assertEqual(len(self.digests(self.alice)), 1)

    def test_unknown_kind(self):
        with self.assertRaises(ValueError):
            self.notifier._econnect_notify("sent_lost", self.invoices())
