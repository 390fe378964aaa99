from odoo.exceptions import AccessError
from odoo.tests import Form, TransactionCase, tagged

from ..models.res_users import NOTIFICATION_PREFERENCES
from .users_common import EconnectUsersMixin


@tagged("post_install", "-at_install")
class TestUserPreferences(EconnectUsersMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = cls.make_user("paula")
        cls.other = cls.make_user("quinten")
        cls.admin = cls.make_user("rita", groups="account.group_account_manager,base.group_erp_manager")

    def test_defaults_failures_on_the_rest_off(self):
        self.assertTrue(self.user.econnect_notify_sent_failed)
        self.assertFalse(self.user.econnect_notify_sent_delivered)
        self.assertFalse(self.user.econnect_notify_received)
        self.assertFalse(self.user.econnect_notify_response)
        self.assertFalse(self.user.econnect_receive_prompt_disabled, "the first-login prompt asks by default")

    def test_users_change_their_own_in_preferences(self):
        """Through the Preferences dialog, as the user (no right to edit users in general)."""
        me = self.user.with_user(self.user)
        with Form(me, view="base.view_users_form_simple_modif") as form:
            form.econnect_notify_sent_delivered = True
            form.econnect_notify_sent_failed = False
            form.econnect_notify_received = True
            form.econnect_notify_response = True
        self.assertTrue(self.user.econnect_notify_sent_delivered)
        self.assertFalse(self.user.econnect_notify_sent_failed)
        self.assertTrue(self.user.econnect_notify_received)
        self.assertTrue(self.user.econnect_notify_response)
        self.assertTrue(self.user._econnect_wants("received"))
        self.assertFalse(self.user._econnect_wants("sent_failed"))

    def test_users_read_their_own(self):
        values = self.user.with_user(self.user).read([*NOTIFICATION_PREFERENCES.values(), "econnect_email_ids"])[0]
        self.assertTrue(values["econnect_notify_sent_failed"])
        self.assertEqual(values["econnect_email_ids"], [])

    def test_not_somebody_elses(self):
        with self.assertRaises(AccessError):
            self.other.with_user(self.user).write({"econnect_notify_received": True})
        self.assertFalse(self.other.econnect_notify_received)

    def test_administrators_on_the_user_form(self):
        with Form(self.other.with_user(self.admin), view="base.view_users_form") as form:
            form.econnect_notify_received = True
            form.econnect_notify_sent_failed = False
        self.assertTrue(self.other.econnect_notify_received)
        self.assertFalse(self.other.econnect_notify_sent_failed)

    def test_receive_prompt_switch_is_a_preference(self):
        admin = self.make_user("sam", groups="account.group_account_manager")
        with Form(admin.with_user(admin), view="base.view_users_form_simple_modif") as form:
            form.econnect_receive_prompt_disabled = True
        self.assertTrue(admin.econnect_receive_prompt_disabled)
        self.assertFalse(admin._econnect_companies_to_ask())

    def test_preferences_tab_only_for_econnect_users(self):
        arch = self.env["res.users"].with_user(self.user).get_views(
            [(self.env.ref("base.view_users_form_simple_modif").id, "form")]
        )["views"]["form"]["arch"]
        self.assertIn("econnect_notify_sent_failed", arch)
        self.assertNotIn("econnect_receive_prompt_disabled", arch, "the receive prompt is for administrators")
        employee = self.make_user("tim", groups="base.group_user")
        arch = self.env["res.users"].with_user(employee).get_views(
            [(self.env.ref("base.view_users_form_simple_modif").id, "form")]
        )["views"]["form"]["arch"]
        self.assertNotIn("econnect_notify_sent_failed", arch)

    def test_submission_address_shown_in_preferences(self):
        self.assertFalse(self.user.with_user(self.user).econnect_submission_emails, "no active company yet")
