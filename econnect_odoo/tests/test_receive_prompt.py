import unittest

from odoo.tests import Form, HttpCase, tagged
from odoo.tests.common import _find_executable

from .common import PARTY, EconnectSimulatorMixin


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
