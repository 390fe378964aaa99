import os
from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged
from odoo.tools import config

from ..psb.webhook import sign_body, verify_signature
from .common import OTHER_PARTY, PARTY, EconnectSimulatorMixin


@tagged("post_install", "-at_install")
class TestActivation(EconnectSimulatorMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.purchase_journal = cls.env["account.journal"].search(
            [("type", "=", "purchase"), ("company_id", "=", cls.company.id)], limit=1
        ) or cls.env["account.journal"].create({"name": "eConnect bills", "code": "ECB", "type": "purchase"})

    def _hooks(self, party=PARTY):
        """The hooks of this test's activation (the simulator outlives each test's rollback)."""
        token = self.company.econnect_webhook_token
        return [hook for hook in self.simulator.hooks if hook.party == party and token and token in hook.action]

    def test_activate_registers_signed_hook(self):
        self.company.action_econnect_activate()
        self.assertEqual(self.company.econnect_state, "active")
        token = self.company.econnect_webhook_token
        self.assertTrue(token and len(token) >= 32)
        self.assertEqual(
            self.company.econnect_webhook_url, f"{self.company.get_base_url()}/econnect/webhook/{token}"
        )
        hooks = self._hooks()
        self.assertEqual(len(hooks), 1)
        hook = hooks[0]
        self.assertEqual(hook.id, self.company.econnect_hook_id)
        url, secret = hook.action.split("#", 1)
        self.assertEqual(url, self.company.econnect_webhook_url)
        self.assertEqual(secret, self.company._econnect_webhook_secret())
        self.assertTrue(hook.is_active)
        self.assertEqual(
            set(hook.topics),
            {"InvoiceSent", "InvoiceSentRetry", "InvoiceSentError", "InvoiceResponseReceived", "InvoiceReceivedError"},
            "receiving is off: no InvoiceReceived (InvoiceReceivedError always: failures of our own uploads)",
        )
        # the secret signs as eConnect would sign
        body = b'{"topic": "InvoiceSent"}'
        self.assertTrue(verify_signature(secret, body, sign_body(secret, body)))
        # the secret is stored encrypted
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT econnect_webhook_secret_encrypted FROM res_company WHERE id = %s", [self.company.id]
        )
        self.assertNotIn(secret, self.env.cr.fetchone()[0])

    def test_activate_uses_the_company_party_in_paths(self):
        self.company.action_econnect_activate()
        hook_calls = self.requests_to("/hook", method="PUT")
        self.assertEqual(len(hook_calls), 1)
        self.assertIn("NL%3AKVK%3A12345678", hook_calls[0].raw_path)

    def test_hook_id_is_ours_stored_and_sent_on_every_put(self):
        """eConnect's Hook model requires an id and a PUT is add-or-update by it: Odoo chooses the id once
        (uuid4 hex, in the model's pattern) and sends the same one on activation, receiving changes and
        re-activation, so there is never a second hook."""
        self.company.action_econnect_activate()
        hook_id = self.company.econnect_hook_id
        self.assertRegex(hook_id, r"^[0-9a-f]{32}$")
        (put,) = self.requests_to("/hook", method="PUT")
        self.assertEqual(put.json()["id"], hook_id)
        self.assertEqual(put.json()["name"][:5], "Odoo ")
        self.company.econnect_receive_journal_id = self.purchase_journal
        self.company.econnect_set_receive(True)
        self.company.econnect_set_receive(False)
        self.company.action_econnect_deactivate()
        self.assertEqual(self.company.econnect_hook_id, hook_id, "the id stays for the next activation")
        self.assertFalse(self._hooks())
        self.company.action_econnect_activate()
        puts = self.requests_to("/hook", method="PUT")
        self.assertEqual(len(puts), 4)
        self.assertEqual({p.json()["id"] for p in puts}, {hook_id})
        self.assertEqual([hook.id for hook in self._hooks()], [hook_id])

    def test_activation_retried_after_a_failed_put_updates_the_same_hook(self):
        """A hook PUT that failed half-way (eConnect stored it, the answer was lost) is repeated with the same
        id: retried by the client and by the administrator, one hook at eConnect."""
        self.simulator.faults.fail_next(1, status=503, path_contains="/hook")
        self.company.action_econnect_activate()
        puts = self.requests_to("/hook", method="PUT")
        self.assertEqual(len(puts), 2, "a hook PUT is safe to repeat: the client retried it")
        self.assertEqual(puts[0].json()["id"], puts[1].json()["id"])
        self.company.action_econnect_activate()  # the administrator clicks again
        self.assertEqual([hook.id for hook in self._hooks()], [self.company.econnect_hook_id])

    def test_hook_id_committed_before_the_first_put(self):
        """Where Odoo commits (never in tests), the chosen id is committed before eConnect is called: even a
        failure after eConnect stored the hook leaves Odoo knowing its id."""
        seen = []

        def commit():
            self.env.flush_all()
            self.env.cr.execute("SELECT econnect_hook_id FROM res_company WHERE id = %s", [self.company.id])
            seen.append((self.env.cr.fetchone()[0], len(self.requests_to("/hook", method="PUT"))))

        with patch.object(type(self.env["account.move.send"]), "_can_commit", lambda self: True), \
                patch.object(self.env.cr, "commit", commit):
            self.company.action_econnect_activate()
        self.assertEqual(seen, [(self.company.econnect_hook_id, 0)])

    def test_a_copy_of_the_database_chooses_its_own_hook(self):
        """A restored copy of the database (another database.uuid) must not take over the original's hook."""
        self.company.action_econnect_activate()
        original = self.company.econnect_hook_id
        self.company.action_econnect_deactivate()
        self.env["ir.config_parameter"].sudo().set_param("database.uuid", "a-copy-of-the-database")
        self.company.action_econnect_activate()
        self.assertNotEqual(self.company.econnect_hook_id, original)
        self.assertEqual(self.company.sudo().econnect_hook_database, "a-copy-of-the-database")

    def _base_url(self, url):
        self.env["ir.config_parameter"].sudo().set_param("web.base.url", url)
        self.env.invalidate_all()  # the address shown is computed when read (a new request in the web client)

    def test_webhook_address_must_be_public_https(self):
        """eConnect posts to https addresses it reaches from the internet: activation refuses anything else before
        eConnect is called, and says how to set web.base.url. The form shows the address eConnect will call."""
        production = self.env["econnect.connection"].create({
            "name": "Production", "environment": "production", "client_id": "c", "client_secret": "s",
            "username": "u", "password": "p",
        })
        self.company.econnect_connection_id = production
        for url, reason in (
            ("http://localhost:8069", "cannot be reached from the internet"),  # eConnect is not on this machine
            ("http://odoo.example.com", "not https"),
            ("https://10.1.2.3", "cannot be reached from the internet"),
            ("https://odoo", "cannot be reached from the internet"),
            ("https://odoo.company.local", "cannot be reached from the internet"),
        ):
            with self.subTest(url=url):
                self._base_url(url)
                self.assertIn(reason, self.company.econnect_webhook_problem)
                self.assertEqual(self.company.econnect_webhook_address, f"{url}/econnect/webhook/…")
                with self.assertRaisesRegex(UserError, reason) as caught:
                    self.company.action_econnect_activate()
                self.assertIn("web.base.url", str(caught.exception))
                self.assertEqual(self.company.econnect_state, "not_connected")
        self.assertFalse(self.simulator.requests, "nothing was asked of eConnect")
        self._base_url("https://odoo.example.com")
        self.assertFalse(self.company.econnect_webhook_problem)
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.econnect_webhook_address, "https://odoo.example.com/econnect/webhook/…")

    def test_webhook_address_public_https_is_registered(self):
        self._base_url("https://odoo.example.com")
        self.company.action_econnect_activate()
        (put,) = self.requests_to("/hook", method="PUT")
        self.assertTrue(put.json()["action"].startswith("https://odoo.example.com/econnect/webhook/"))

    def test_webhook_address_on_loopback_only_for_an_econnect_on_loopback(self):
        """Tests: the simulator (the connection's eConnect) runs on this machine, so it can call a loopback Odoo."""
        self._base_url("http://127.0.0.1:8069")
        self.assertFalse(self.company.econnect_webhook_problem)
        self.company.action_econnect_activate()
        self.assertEqual(self.company.econnect_state, "active")

    def test_activate_refuses_party_without_send_permission(self):
        self.company.econnect_party_id = OTHER_PARTY
        with self.assertRaisesRegex(UserError, "canSendDocument"):
            self.company.action_econnect_activate()
        self.assertEqual(self.company.econnect_state, "not_connected")
        self.assertFalse(self._hooks(OTHER_PARTY))

    def test_activate_refuses_unknown_party(self):
        self.company.econnect_party_id = "0106:99999999"
        with self.assertRaisesRegex(UserError, "may not act for"):
            self.company.action_econnect_activate()
        self.assertEqual(self.company.econnect_state, "not_connected")

    def test_activate_with_bad_credentials_changes_nothing(self):
        self.connection.password = "wrong"
        with self.assertRaisesRegex(UserError, "refused the credentials"):
            self.company.action_econnect_activate()
        self.assertEqual(self.company.econnect_state, "not_connected")
        self.assertFalse(self.company.econnect_hook_id)

    def test_deactivate_removes_hook_and_keeps_settings(self):
        self.company.action_econnect_activate()
        hook_id = self.company.econnect_hook_id
        self.company.action_econnect_deactivate()
        self.assertEqual(self.company.econnect_state, "not_connected")
        self.assertNotIn(hook_id, [hook.id for hook in self.simulator.hooks])
        self.assertEqual(self.company.econnect_party_id, PARTY)
        self.assertTrue(self.company.econnect_connection_id)

    def test_party_id_locked_while_active(self):
        self.company.action_econnect_activate()
        with self.assertRaisesRegex(UserError, "Deactivate"):
            self.company.econnect_party_id = "0106:87654321"

    def test_only_admins_activate(self):
        user = self.econnect_user()
        with self.assertRaises(UserError):
            self.company.with_user(user).action_econnect_activate()

    # ------------------------------------------------------------------------------------------
    # Receiving
    # ------------------------------------------------------------------------------------------
    def test_receive_is_off_by_default(self):
        company = self.env["res.company"].create({"name": "Fresh BV"})
        self.assertFalse(company.econnect_receive)
        self.assertFalse(company.econnect_receive_decided)

    def test_receive_on_needs_journal(self):
        self.company.action_econnect_activate()
        self.company.econnect_receive_journal_id = False
        with self.assertRaisesRegex(UserError, "purchase journal"):
            self.company.econnect_set_receive(True)
        self.assertFalse(self.company.econnect_receive)

    def test_receive_on_then_off(self):
        self.company.action_econnect_activate()
        self.company.econnect_receive_journal_id = self.purchase_journal
        self.company.econnect_set_receive(True)
        self.assertTrue(self.company.econnect_receive)
        self.assertTrue(self.company.econnect_receive_decided)
        config = self.simulator.peppol_config(PARTY)
        self.assertEqual(config["capabilities"]["invoices"]["state"], "on")
        topics = set(self._hooks()[0].topics)
        self.assertIn("InvoiceReceived", topics)
        self.assertIn("InvoiceReceivedError", topics)

        self.company.econnect_set_receive(False)
        config = self.simulator.peppol_config(PARTY)
        self.assertEqual(config["capabilities"]["invoices"]["state"], "off")
        self.assertNotIn("InvoiceReceived", self._hooks()[0].topics)
        self.assertFalse(self.requests_to("/peppol/config/", method="DELETE"), "never unregister the party")

    def _config(self, state):
        """The party's receiving capability at eConnect as the platform left it (the simulator outlives the test)."""
        self.simulator.set_peppol_config(PARTY, capabilities={"invoices": state})
        self.addCleanup(self.simulator.set_peppol_config, PARTY, capabilities={"invoices": "inherited"})

    def test_receive_writes_only_what_changes(self):
        self._config("off")
        self.company.action_econnect_activate()
        writes = len(self.simulator.config_writes)
        self.company.econnect_receive_journal_id = self.purchase_journal
        self.company.econnect_set_receive(True)
        self.company.econnect_set_receive(False)
        bodies = [w["body"] for w in self.simulator.config_writes[writes:]]
        self.assertEqual(bodies, [
            {"capabilities": {"invoices": {"state": "on"}}},
            {"capabilities": {"invoices": {"state": "off"}}},
        ], "never the read echoed back (id, createdOn, 'inherited => ...')")

    def test_receive_refused_by_econnect_leaves_switch(self):
        """Credentials that may not write the participant configuration: the administrator is told to switch
        receiving on eConnect's platform, and Odoo's switch stays as it was."""
        self._config("off")
        self.company.action_econnect_activate()
        self.company.econnect_receive_journal_id = self.purchase_journal
        self.simulator.refuse_config_changes(PARTY, "API403", "Receiving is not allowed for this party")
        self.addCleanup(self.simulator.allow_config_changes, PARTY)
        with self.assertRaisesRegex(UserError, "on eConnect's platform") as caught:
            self.company.econnect_set_receive(True)
        self.assertIn("Receiving is not allowed for this party", str(caught.exception))
        self.assertFalse(self.company.econnect_receive)
        self.assertFalse(self.company.econnect_receive_decided)
        self.assertNotIn("InvoiceReceived", self._hooks()[0].topics)

        # the administrator switches it on at eConnect's platform: Odoo's switch now only reads it
        self.simulator.set_peppol_config(PARTY, capabilities={"invoices": "on"})
        self.company.econnect_set_receive(True)
        self.assertTrue(self.company.econnect_receive)
        self.assertIn("InvoiceReceived", self._hooks()[0].topics)
        self.assertEqual(self.simulator.peppol_config(PARTY)["capabilities"]["invoices"]["state"], "on")

    def test_receive_refused_but_already_on_by_inheritance(self):
        """Receiving already on by the environment's default ("inherited => on"): a refused write changes nothing
        that matters, and Odoo's switch goes on."""
        self._config("inherited")
        self.company.action_econnect_activate()
        self.company.econnect_receive_journal_id = self.purchase_journal
        self.simulator.refuse_config_changes(PARTY, "API403", "Not allowed")
        self.addCleanup(self.simulator.allow_config_changes, PARTY)
        self.company.econnect_set_receive(True)
        self.assertTrue(self.company.econnect_receive)

    def test_receive_other_errors_are_not_the_platform_hint(self):
        self._config("off")
        self.company.action_econnect_activate()
        self.company.econnect_receive_journal_id = self.purchase_journal
        self.simulator.refuse_config_changes(PARTY, "API400", "The configuration change was refused.")
        self.addCleanup(self.simulator.allow_config_changes, PARTY)
        with self.assertRaises(UserError) as caught:
            self.company.econnect_set_receive(True)
        self.assertNotIn("platform", str(caught.exception))
        self.assertIn("rejected the request", str(caught.exception))
        self.assertFalse(self.company.econnect_receive)

    def test_receive_hook_refused_puts_capability_back(self):
        """eConnect accepts the capability but refuses the hook update: the switch stays off, there too."""
        self.company.action_econnect_activate()
        self.company.econnect_receive_journal_id = self.purchase_journal
        self.company._econnect_client().set_receiving(PARTY, False)  # the simulator outlives other tests
        self.simulator.faults.fail_next(1, status=403, path_contains="/hook")
        with self.assertRaisesRegex(UserError, "refused the request"):
            self.company.econnect_set_receive(True)
        self.assertFalse(self.company.econnect_receive)
        self.assertFalse(self.company.econnect_receive_decided)
        self.assertEqual(
            self.simulator.peppol_config(PARTY)["capabilities"]["invoices"]["state"], "off",
            "eConnect does not go on receiving (and charging) behind a switch that shows off",
        )
        self.assertNotIn("InvoiceReceived", self._hooks()[0].topics)

    def test_demo_without_its_simulator_is_refused_with_a_clear_message(self):
        """The simulator is development tooling, never started inside an Odoo worker: the Demo environment
        without one says how to start it, instead of failing somewhere deep."""
        demo = self.env["econnect.connection"].create({"name": "Demo", "environment": "demo"})
        self.company.action_econnect_deactivate()
        self.company.econnect_connection_id = demo
        environ = {k: v for k, v in os.environ.items() if k != "ECONNECT_DEMO_URL"}
        with patch.dict(config.options, {"econnect_demo_url": ""}), patch.dict(os.environ, environ, clear=True), \
                self.assertRaisesRegex(UserError, "bin/psb-simulator --demo"):
            self.company.action_econnect_activate()

    def test_demo_activation_and_receiving_say_so_in_the_chatter(self):
        self.start_demo_simulator()
        demo = self.env["econnect.connection"].create({"name": "Demo", "environment": "demo"})
        self.company.write({"econnect_connection_id": demo.id, "econnect_receive_journal_id": self.purchase_journal.id})
        self.company.action_econnect_activate()
        self.company.econnect_set_receive(True)
        self.company.action_econnect_deactivate()
        notes = demo.message_ids.mapped("body")
        self.assertEqual(len([n for n in notes if "[Demo]" in n]), 4, notes)
        self.assertTrue(any("Invoice responses switched on" in n for n in notes), notes)
        self.assertTrue(any("activated" in n and PARTY in n for n in notes), notes)
        self.assertTrue(any("now receives e-invoices" in n for n in notes), notes)
        self.assertTrue(any("deactivated" in n for n in notes), notes)

    def test_activation_noted_on_the_connection(self):
        self.company.action_econnect_activate()
        notes = self.connection.message_ids.mapped("body")
        self.assertTrue(any("activated" in n and self.company.name in n for n in notes), notes)
        self.assertFalse(any("[Demo]" in n for n in notes), "not in demo: not marked as demo")

    def test_receive_through_settings_uses_same_path(self):
        self.company.action_econnect_activate()
        settings = self.env["res.config.settings"].create({
            "econnect_receive_journal_id": self.purchase_journal.id,
            "econnect_receive": True,
        })
        settings.execute()
        self.assertTrue(self.company.econnect_receive)
        self.assertEqual(self.simulator.peppol_config(PARTY)["capabilities"]["invoices"]["state"], "on")

    def test_writes_never_call_econnect(self):
        """An ORM write stores; only a user's save, the prompt or a button switch at eConnect."""
        self.company.action_econnect_activate()
        self.simulator.clear_log()
        self.company.write({
            "econnect_receive_journal_id": self.purchase_journal.id, "econnect_receive": True, "econnect_respond": True,
        })
        self.company.econnect_receive = False
        self.assertFalse(self.simulator.requests, "no call from write")

    def test_settings_save_switches_at_econnect_all_or_nothing(self):
        self._config("off")
        self.company.action_econnect_activate()
        self.simulator.refuse_config_changes(PARTY, "API400", "The configuration change was refused.")
        self.addCleanup(self.simulator.allow_config_changes, PARTY)
        settings = self.env["res.config.settings"].create({
            "econnect_receive_journal_id": self.purchase_journal.id, "econnect_receive": True,
        })
        self.assertFalse(self.company.econnect_receive, "creating the settings record (a request of its own) changes "
                         "nothing yet")
        with self.assertRaisesRegex(UserError, "rejected the request"):
            settings.execute()
        self.assertFalse(self.company.econnect_receive)
        self.assertEqual(self.simulator.peppol_config(PARTY)["capabilities"]["invoices"]["state"], "off")
        self.simulator.allow_config_changes(PARTY)
        settings.execute()
        self.assertTrue(self.company.econnect_receive)
        self.assertEqual(self.simulator.peppol_config(PARTY)["capabilities"]["invoices"]["state"], "on")
        self.assertIn("InvoiceReceived", self._hooks()[0].topics)

    def test_company_form_save_switches_at_econnect(self):
        self._config("off")
        self.company.action_econnect_activate()
        self.company.econnect_receive_journal_id = self.purchase_journal
        self.simulator.refuse_config_changes(PARTY, "API400", "The configuration change was refused.")
        self.addCleanup(self.simulator.allow_config_changes, PARTY)
        with self.assertRaisesRegex(UserError, "rejected the request"):
            self.company.web_save({"econnect_receive": True}, {"econnect_receive": {}})
        self.assertFalse(self.company.econnect_receive)
        self.simulator.allow_config_changes(PARTY)
        [saved] = self.company.web_save({"econnect_receive": True}, {"econnect_receive": {}})
        self.assertTrue(saved["econnect_receive"])
        self.assertEqual(self.simulator.peppol_config(PARTY)["capabilities"]["invoices"]["state"], "on")

    def test_receive_onchange_warns_about_cost(self):
        settings = self.env["res.config.settings"].new({"econnect_receive": True})
        warning = settings._onchange_econnect_receive()
        self.assertIn("charges", warning["warning"]["message"])
