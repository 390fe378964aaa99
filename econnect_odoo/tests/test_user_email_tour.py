import unittest

from odoo.tests import HttpCase, tagged
from odoo.tests.common import _find_executable

from .users_common import COMPANY_DOMAIN, EconnectUsersMixin

TOUR_ADDRESS = f"second.address@{COMPANY_DOMAIN}"


@tagged("post_install", "-at_install")
class TestUserEmailTour(EconnectUsersMixin, HttpCase):
    """In a real headless Chromium: add an address in the Preferences dialog, open the mailed link."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = cls.make_user("tour_user")

    def test_tour_add_and_verify_an_address(self):
        try:
            _find_executable()
        except OSError as error:
            raise unittest.SkipTest("SKIPPED: no Chromium for the tour (apt-get install chromium)") from error
        self.start_tour("/odoo", "econnect_add_email_tour", login=self.user.login)
        address = self.user.econnect_email_ids
        self.assertEqual(address.email, TOUR_ADDRESS)
        self.assertEqual(address.state, "pending")
        self.assertTrue(self.user.econnect_notify_sent_delivered, "the preference saved in the dialog is kept")

        link = self.verification_link(TOUR_ADDRESS)
        self.start_tour(link, "econnect_verify_email_tour", login=self.user.login)
        self.assertEqual(address.state, "verified")
        self.assertTrue(address.verified_on)
