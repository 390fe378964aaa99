"""A Dutch user sees eConnect in Dutch: labels, statuses, buttons, error messages and e-mails."""

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import TransactionCase, tagged

from ..psb.errors import AuthenticationError, TemporaryError
from ..tools.messages import user_message
from .users_common import EconnectUsersMixin

NL = "nl_NL"


@tagged("post_install", "-at_install")
class TestTranslations(EconnectUsersMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang(NL)
        cls.env["ir.module.module"]._load_module_terms(["econnect_odoo"], [NL], overwrite=True)
        cls.env_nl = cls.env(context=dict(cls.env.context, lang=NL))

    def test_connection_form_labels_and_choices_are_dutch(self):
        fields = self.env_nl["econnect.connection"].fields_get(
            ["environment", "username", "client_secret"], ["string", "help", "selection"]
        )
        self.assertEqual(fields["environment"]["string"], "Omgeving")
        self.assertEqual(fields["username"]["string"], "Gebruikersnaam")
        self.assertIn("Acceptatie en productie hebben elk eigen inloggegevens nodig", fields["environment"]["help"])
        self.assertEqual(
            dict(fields["environment"]["selection"]),
            {
                "demo": "Demo (de eConnect-simulator van de ontwikkeltools, geen inloggegevens)",
                "acceptance": "Acceptatie (test)",
                "production": "Productie",
                "custom": "Eigen URL's",
            },
        )
        # the same labels stay English for an English user
        english = self.env["econnect.connection"].with_context(lang="en_US").fields_get(["environment"], ["string"])
        self.assertEqual(english["environment"]["string"], "Environment")

    def test_connection_form_buttons_are_dutch(self):
        arch = self.env_nl["econnect.connection"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("Verbinding testen", arch)
        self.assertIn("Verbindingssleutels", arch)
        self.assertNotIn(">Test connection<", arch)

    def test_preferences_tab_is_dutch_and_keeps_its_markup(self):
        view = self.env.ref("base.view_users_form_simple_modif")
        arch = self.env_nl["res.users"].get_views([(view.id, "form")])["views"]["form"]["arch"]
        self.assertIn("Facturen per e-mail inzenden", arch)
        self.assertIn("Odoo mailt een bevestigingslink naar elk nieuw adres", arch)
        # a term with markup inside: the translated sentence keeps its conditional span
        self.assertRegex(arch, r'<span invisible="not econnect_submission_emails"[^>]*>Stuur ze naar:</span>')

    def test_send_status_of_an_invoice_is_dutch(self):
        field = self.env_nl["account.move"].fields_get(["econnect_state"], ["string", "selection"])["econnect_state"]
        self.assertEqual(field["string"], "eConnect-status")
        self.assertEqual(
            dict(field["selection"]),
            {
                "not_sent": "Niet verzonden",
                "queued": "In wachtrij",
                "sent": "Verzonden",
                "delivered": "Afgeleverd",
                "retrying": "Nieuwe poging",
                "error": "Fout",
            },
        )

    def test_errors_from_econnect_are_told_in_dutch(self):
        text = user_message(self.env_nl, TemporaryError("Service Unavailable", status=503, request_id="req-42"))
        self.assertEqual(
            text,
            "eConnect is tijdelijk niet beschikbaar of bezet. Er is niets verloren gegaan; Odoo probeert het "
            "later opnieuw. (Service Unavailable; verzoek req-42)",
        )
        text = user_message(self.env_nl, AuthenticationError("invalid_client", code="API401"))
        self.assertTrue(text.startswith("eConnect heeft de inloggegevens geweigerd."), text)
        self.assertIn("code API401", text)
        # English users keep the English sentence
        self.assertTrue(user_message(self.env, TemporaryError("x")).startswith("eConnect is temporarily unavailable"))

    def test_validation_message_is_dutch_with_its_value(self):
        with self.assertRaises(ValidationError) as caught:
            self.env_nl["econnect.connection"].create({
                "name": "Kapot",
                "environment": "custom",
                "api_url": "geen-url",
                "identity_url": "https://identity.example",
            })
        self.assertEqual(caught.exception.args[0], "geen-url is geen geldige URL.")

    def test_digest_mail_is_written_in_the_recipients_language(self):
        anna = self.make_user("anna", lang=NL)
        partner = self.env["res.partner"].create({"name": "Koper BV"})
        move = self.env["account.move"].create({
            "move_type": "out_invoice",
            "partner_id": partner.id,
            "invoice_user_id": anna.id,
            "invoice_line_ids": [Command.create({"name": "Advies", "quantity": 1, "price_unit": 100})],
        })
        move.econnect_message = "Het accesspoint van de klant weigerde de factuur"
        notifier = self.env["econnect.notifier"]
        notifier._econnect_notify("sent_failed", move)
        notifier._econnect_send_digests()
        mail = self.env["mail.mail"].sudo().search(
            [("recipient_ids", "in", anna.partner_id.id), ("subject", "ilike", "eConnect:")]
        )
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.subject, "eConnect: nieuws over je facturen (1)")
        self.assertIn("Hallo", mail.body_html)
        self.assertIn("Dit is er met je e-facturen bij eConnect gebeurd.", mail.body_html)
        self.assertIn("Facturen die niet konden worden afgeleverd", mail.body_html)
        self.assertIn("weigerde de factuur", mail.body_html)
        self.assertIn(f"res_id={move.id}", mail.body_html, "the link to the invoice survives the translation")
        self.assertNotIn("could not be delivered", mail.body_html)
