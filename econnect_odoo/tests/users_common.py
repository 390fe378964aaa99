"""Set-up shared by the tests of users' preferences, additional addresses, submissions and notifications."""

import re

from odoo.tests import new_test_user

COMPANY_DOMAIN = "econnect-company.example"
VERIFY_LINK = re.compile(r"(/econnect/email/verify/\d+/[A-Za-z0-9_-]+)")


class EconnectUsersMixin:
    """Gives ``cls.company`` an e-mail domain (what decides whether an address needs approval) and makes users."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.email = f"info@{COMPANY_DOMAIN}"

    @classmethod
    def make_user(cls, login, groups="account.group_account_invoice", company=None, **values):
        company = company or cls.company
        values.setdefault("email", f"{login}@{COMPANY_DOMAIN}")
        return new_test_user(
            cls.env, login=login, groups=f"base.group_user,{groups}",
            company_id=company.id, company_ids=[(6, 0, company.ids)], **values,
        )

    def verification_mails(self, address):
        """The verification mails (queued mail.mail) sent to ``address``, newest first."""
        return self.env["mail.mail"].sudo().search(
            [("email_to", "=", address), ("subject", "ilike", "Confirm")], order="id desc"
        )

    def verification_link(self, address):
        """The path of the newest verification link mailed to ``address``."""
        mails = self.verification_mails(address)
        self.assertTrue(mails, f"no verification mail was sent to {address}")
        match = VERIFY_LINK.search(mails[0].body_html)
        self.assertTrue(match, "the verification mail holds a link")
        return match.group(1)
