import unittest

from odoo.exceptions import UserError
from odoo.tests import Form, HttpCase, tagged
from odoo.tests.common import _find_executable

from .common import OTHER_PARTY, PARTY, EconnectSimulatorMixin


@tagged("post_install", "-at_install")
class TestReceivePrompt(EconnectSimulatorMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.journal = cls.env["account.journal"].search(
            [("type", "=", "purchase"), ("company_id", "=", cls.company.id)], limit=1
        )
        cls.company.econnect_receive_journal_id = cls.journal
        cls.company.action_econnect_activate()
        cls.admin = cls.econnect_admin()
        cls.accountant = cls.econnect_user()

    def test_who_is_asked(self):
        self.assertEqual(self.admin._econnect_companies_to_ask(), self.company)
        self.assertFalse(self.accountant._econnect_companies_to_ask(), "only eConnect administrators")

    def test_inactive_companies_are_not_asked(self):
        self.company.action_econnect_deactivate()
        self.assertFalse(self.admin._econnect_companies_to_ask())

    def test_dont_ask_again(self):
        prompt = self.env["econnect.receive.prompt"].with_user(self.admin).action_open()
        wizard = self.env["econnect.receive.prompt"].browse(prompt["res_id"]).with_user(self.admin)
        wizard.dont_ask_again = True
        wizard.action_later()
        self.assertTrue(self.admin.econnect_receive_prompt_disabled)
        self.assertFalse(self.admin._econnect_companies_to_ask())
        self.assertFalse(self.company.econnect_receive_decided, "later is not a decision")

    def test_switched_off_in_preferences(self):
        """The preference, set in the admin's own Preferences dialog, stops the prompt after the next login."""
        with Form(self.admin.with_user(self.admin), view="base.view_users_form_simple_modif") as form:
            form.econnect_receive_prompt_disabled = True
        self.authenticate(self.admin.login, self.admin.login)
        info = self.make_jsonrpc_request("/web/session/get_session_info")
        self.assertFalse(info["econnect_receive_prompt"], "not asked any more")
        self.assertFalse(self.company.econnect_receive_decided, "and nothing was decided for the company")
        with Form(self.admin.with_user(self.admin), view="base.view_users_form_simple_modif") as form:
            form.econnect_receive_prompt_disabled = False
        info = self.make_jsonrpc_request("/web/session/get_session_info")
        self.assertTrue(info["econnect_receive_prompt"], "asked again once switched back on")

    def test_decision_is_final_for_the_company(self):
        prompt = self.env["econnect.receive.prompt"].with_user(self.admin).action_open()
        wizard = self.env["econnect.receive.prompt"].browse(prompt["res_id"]).with_user(self.admin)
        wizard.line_ids.receive = False
        wizard.action_save()
        self.assertTrue(self.company.econnect_receive_decided)
        self.assertFalse(self.company.econnect_receive)
        self.assertFalse(self.admin._econnect_companies_to_ask())
        other_admin = self.econnect_admin(login="other_admin")
        self.assertFalse(other_admin._econnect_companies_to_ask(), "decided for everybody")

    def test_prompt_applies_through_the_receive_path(self):
        prompt = self.env["econnect.receive.prompt"].with_user(self.admin).action_open()
        wizard = self.env["econnect.receive.prompt"].browse(prompt["res_id"]).with_user(self.admin)
        wizard.line_ids.receive = True
        wizard.action_save()
        self.assertTrue(self.company.econnect_receive)
        self.assertEqual(self.simulator.peppol_config(PARTY)["capabilities"]["invoices"]["state"], "on")

    def test_admin_without_settings_rights_chooses_the_journal(self):
        """An eConnect administrator who may not edit companies still decides in the prompt, journal included."""
        self.company.econnect_receive_journal_id = False
        self.assertFalse(self.admin.has_group("base.group_erp_manager"))
        prompt = self.env["econnect.receive.prompt"].with_user(self.admin).action_open()
        wizard = self.env["econnect.receive.prompt"].browse(prompt["res_id"]).with_user(self.admin)
        self.assertEqual(wizard.line_ids.journal_id, self.journal, "the company's purchase journal is proposed")
        wizard.line_ids.receive = True
        wizard.action_save()
        self.assertTrue(self.company.econnect_receive)
        self.assertEqual(self.company.econnect_receive_journal_id, self.journal)
        self.assertEqual(self.simulator.peppol_config(PARTY)["capabilities"]["invoices"]["state"], "on")

    def test_prompt_refuses_a_journal_of_another_kind(self):
        sales = self.env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", self.company.id)], limit=1
        )
        prompt = self.env["econnect.receive.prompt"].with_user(self.admin).action_open()
        wizard = self.env["econnect.receive.prompt"].browse(prompt["res_id"]).with_user(self.admin)
        wizard.line_ids.write({"receive": True, "journal_id": sales.id})
        with self.assertRaisesRegex(UserError, "purchase journal"):
            wizard.action_save()
        self.assertFalse(self.company.econnect_receive)
        self.assertFalse(self.requests_to("/peppol/config/", method="PUT"), "nothing asked of eConnect")

    def test_companies_not_selected_in_the_switcher(self):
        """The prompt lists every active undecided company of the administrator, with its own journal, even
        when only the main company is selected in the company switcher."""
        other = self.env["res.company"].create({"name": "Second BV", "econnect_party_id": OTHER_PARTY})
        other_journal = self.env["account.journal"].create(
            {"name": "Second bills", "code": "SBIL", "type": "purchase", "company_id": other.id}
        )
        other.sudo().write({"econnect_connection_id": self.connection.id, "econnect_state": "active"})
        admin = self.econnect_admin(login="two_company_admin")
        admin.write({"company_ids": [(4, other.id)]})
        Prompt = self.env["econnect.receive.prompt"].with_user(admin).with_context(
            allowed_company_ids=self.company.ids
        )
        prompt = Prompt.action_open()
        wizard = Prompt.browse(prompt["res_id"])
        line = wizard.line_ids.filtered(lambda pl: pl.company_id == other)
        self.assertEqual(line.journal_id, other_journal)
        line.receive = True
        wizard.action_save()
        self.assertTrue(other.econnect_receive)
        self.assertEqual(other.econnect_receive_journal_id, other_journal)
        self.assertTrue(self.company.econnect_receive_decided)
        self.assertFalse(self.company.econnect_receive)

    def test_refusal_for_one_company_undoes_the_others_at_econnect(self):
        """One save, two companies, eConnect refuses the second: neither receives, in Odoo nor at eConnect."""
        other = self.env["res.company"].create({"name": "Second BV", "econnect_party_id": OTHER_PARTY})
        self.env["account.journal"].create(
            {"name": "Second bills", "code": "SBIL", "type": "purchase", "company_id": other.id}
        )
        other.sudo().write({"econnect_connection_id": self.connection.id, "econnect_state": "active"})
        admin = self.econnect_admin(login="two_company_admin_refused")
        admin.write({"company_ids": [(4, other.id)]})
        Prompt = self.env["econnect.receive.prompt"].with_user(admin)
        wizard = Prompt.browse(Prompt.action_open()["res_id"])
        self.assertEqual(len(wizard.line_ids), 2)
        wizard.line_ids.receive = True
        first, second = wizard.line_ids[0].company_id, wizard.line_ids[1].company_id
        for company in (first, second):  # the simulator outlives other tests
            company._econnect_client().set_receiving(company._econnect_party(), False)
        self.simulator.refuse_config_changes(second.econnect_party_id, "API403", "Receiving is not allowed here")
        self.addCleanup(self.simulator.allow_config_changes, second.econnect_party_id)
        with self.assertRaises(UserError) as caught:  # rolls back to a savepoint, as the request would
            wizard.action_save()
        self.assertIn("Receiving is not allowed here", str(caught.exception))
        self.assertEqual(
            self.simulator.peppol_config(first.econnect_party_id)["capabilities"]["invoices"]["state"], "off",
            "the company switched first is switched back at eConnect",
        )
        self.assertFalse(first.econnect_receive)

    def test_session_info_flag(self):
        self.authenticate(self.admin.login, self.admin.login)
        info = self.make_jsonrpc_request("/web/session/get_session_info")
        self.assertTrue(info["econnect_receive_prompt"])
        self.authenticate(self.accountant.login, self.accountant.login)
        info = self.make_jsonrpc_request("/web/session/get_session_info")
        self.assertFalse(info["econnect_receive_prompt"])

    def test_tour_prompt_after_login(self):
        if not self.browser_js_available():
            raise unittest.SkipTest("SKIPPED: no Chromium for the tour (apt-get install chromium)")
        self.start_tour("/odoo", "econnect_receive_prompt_tour", login=self.admin.login)
        self.assertTrue(self.company.econnect_receive)
        self.assertTrue(self.company.econnect_receive_decided)
        self.assertEqual(self.simulator.peppol_config(PARTY)["capabilities"]["invoices"]["state"], "on")

    def browser_js_available(self):
        try:
            return bool(_find_executable())
        except OSError:
            return False
