import hashlib
import re
from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, HttpCase, TransactionCase, new_test_user, tagged

from .users_common import COMPANY_DOMAIN, EconnectUsersMixin


@tagged("post_install", "-at_install")
class TestUserEmails(EconnectUsersMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = cls.make_user("emma")
        cls.other = cls.make_user("olaf")
        cls.admin = cls.make_user("ada", groups="account.group_account_manager")
        cls.Email = cls.env["econnect.user.email"]

    def add(self, address, user=None):
        user = user or self.user
        return self.Email.with_user(user).create({"email": address})

    def token_of(self, address):
        return self.verification_link(address).rsplit("/", 1)[1]

    # ------------------------------------------------------------------------------------------
    # Adding and verifying
    # ------------------------------------------------------------------------------------------
    def test_adding_mails_a_one_time_link_stored_hashed(self):
        address = self.add(f"emma.second@{COMPANY_DOMAIN}")
        self.assertEqual(address.state, "pending")
        self.assertEqual(address.user_id, self.user)
        mail = self.verification_mails(address.email)
        self.assertEqual(len(mail), 1, "one mail, to the new address itself")
        token = self.token_of(address.email)
        self.assertGreaterEqual(len(token), 40)
        self.assertEqual(address.sudo().token_hash, hashlib.sha256(token.encode()).hexdigest())
        self.assertNotIn(token, address.sudo().token_hash)
        self.assertAlmostEqual(
            address.sudo().token_expires, fields.Datetime.now() + timedelta(hours=24), delta=timedelta(minutes=1)
        )
        self.assertTrue(mail.auto_delete, "the link does not stay in the database once mailed")

    def test_good_link_verifies_once(self):
        address = self.add(f"emma.second@{COMPANY_DOMAIN}")
        token = self.token_of(address.email)
        self.assertEqual(address._econnect_verify(token, self.user), "verified")
        self.assertEqual(address.state, "verified")
        self.assertTrue(address.verified_on)
        self.assertFalse(address.sudo().token_hash, "the token is gone after use")
        self.assertEqual(address._econnect_verify(token, self.user), "used", "a reused link does nothing")
        self.assertEqual(address.state, "verified")

    def test_expired_link(self):
        address = self.add(f"emma.second@{COMPANY_DOMAIN}")
        token = self.token_of(address.email)
        with freeze_time(fields.Datetime.now() + timedelta(hours=24, minutes=1)):
            self.assertEqual(address._econnect_verify(token, self.user), "expired")
            self.assertEqual(address.state, "pending")
            address.with_user(self.user).action_send_verification()
        new_token = self.token_of(address.email)
        self.assertNotEqual(new_token, token)
        self.assertEqual(address._econnect_verify(token, self.user), "invalid", "a new link replaces the old one")
        self.assertEqual(address._econnect_verify(new_token, self.user), "verified")

    def test_wrong_user(self):
        address = self.add(f"emma.second@{COMPANY_DOMAIN}")
        token = self.token_of(address.email)
        self.assertEqual(address._econnect_verify(token, self.other), "wrong_user")
        self.assertEqual(address.state, "pending")
        self.assertEqual(address._econnect_verify(token, self.user), "verified")

    def test_wrong_token(self):
        address = self.add(f"emma.second@{COMPANY_DOMAIN}")
        self.assertEqual(address._econnect_verify("not-the-token", self.user), "invalid")
        self.assertEqual(address.state, "pending")

    # ------------------------------------------------------------------------------------------
    # Approval of addresses on another domain
    # ------------------------------------------------------------------------------------------
    def test_other_domain_needs_approval_after_verification(self):
        address = self.add("emma@gmail.example")
        self.assertTrue(address.approval_required)
        token = self.token_of(address.email)
        self.assertEqual(address._econnect_verify(token, self.user), "needs_approval")
        self.assertEqual(address.state, "to_approve")
        approval_mails = self.env["mail.mail"].sudo().search([("subject", "ilike", "Approve emma@gmail.example")])
        self.assertIn(self.admin.partner_id, approval_mails.recipient_ids, "the company's eConnect admins are asked")
        self.assertNotIn(self.user.partner_id, approval_mails.recipient_ids)

        with self.assertRaises(AccessError):
            address.with_user(self.user).action_approve()
        self.assertEqual(address.state, "to_approve")

        address.with_user(self.admin).action_approve()
        self.assertEqual(address.state, "verified")
        self.assertEqual(address.decided_by_id, self.admin)
        decision = self.env["mail.mail"].sudo().search([("subject", "ilike", "decision")], limit=1)
        self.assertIn(self.user.partner_id, decision.recipient_ids)

        address.with_user(self.admin).action_refuse()
        self.assertEqual(address.state, "refused")

    def test_same_domain_needs_no_approval(self):
        address = self.add(f"Emma.Second@{COMPANY_DOMAIN.upper()}")
        self.assertFalse(address.approval_required, "domains compare case-insensitively")

    def test_company_without_email_approves_everything(self):
        self.company.email = False
        address = self.add(f"emma.second@{COMPANY_DOMAIN}")
        self.assertTrue(address.approval_required)

    def test_cannot_approve_before_verification(self):
        address = self.add("emma@gmail.example")
        with self.assertRaisesRegex(UserError, "does not await an approval"):
            address.with_user(self.admin).action_approve()

    # ------------------------------------------------------------------------------------------
    # What an address may be
    # ------------------------------------------------------------------------------------------
    def test_malformed_addresses_are_refused_clearly(self):
        for bad in ("emma", "emma@", "emma@localhost", "emma @example.com", "a@b.com, c@d.com",
                    "Emma <emma@example.com>", ""):
            with self.subTest(bad=bad), self.assertRaisesRegex(ValidationError, "not a valid e-mail address"):
                self.add(bad)
        self.assertFalse(self.Email.search([("user_id", "=", self.user.id)]))

    def test_an_address_belongs_to_one_user(self):
        self.add("shared@partner.example")
        with self.assertRaisesRegex(ValidationError, "belongs to another user"):
            self.add("SHARED@partner.example", user=self.other)
        with self.assertRaisesRegex(ValidationError, "already added"):
            self.add("Shared@Partner.example")
        with self.assertRaisesRegex(ValidationError, "belongs to another user"):
            self.add(self.other.email)
        with self.assertRaisesRegex(ValidationError, "already your main e-mail address"):
            self.add(self.user.email.upper())

    def test_main_address_cannot_take_another_users_address(self):
        """Changing one's own e-mail in Preferences to another user's additional address is refused."""
        self.add("shared@partner.example", user=self.other)
        me = self.user.with_user(self.user)
        with self.assertRaises(ValidationError) as caught, Form(  # a savepoint, rolled back as the request would
            me, view="base.view_users_form_simple_modif"
        ) as form:
            form.email = "Shared@Partner.example"
        self.assertIn("belongs to another user", str(caught.exception))
        self.assertEqual(self.user.email, f"emma@{COMPANY_DOMAIN}")
        with self.assertRaisesRegex(ValidationError, "belongs to another user"):
            new_test_user(self.env, login="newcomer", email="shared@partner.example", groups="base.group_user")
        with self.assertRaisesRegex(ValidationError, "belongs to another user"):
            self.user.partner_id.email = "shared@partner.example"  # on the contact form, the same rule
        self.other.email = "shared@partner.example"  # the owner of the additional address may

    def test_removal_is_immediate(self):
        address = self.add(f"emma.second@{COMPANY_DOMAIN}")
        address._econnect_verify(self.token_of(address.email), self.user)
        address.with_user(self.user).unlink()
        self.assertFalse(self.Email.search([("email_normalized", "=", f"emma.second@{COMPANY_DOMAIN}")]))
        with freeze_time(fields.Datetime.now() + timedelta(minutes=6)):  # (one link per address per 5 minutes)
            self.add(f"emma.second@{COMPANY_DOMAIN}", user=self.other)  # free again, for anybody

    def test_state_changes_only_by_link_or_decision(self):
        address = self.add("emma@gmail.example")
        with self.assertRaises(UserError):
            address.with_user(self.user).write({"state": "verified"})
        with self.assertRaises(UserError):
            address.with_user(self.user).write({"email": "other@gmail.example"})
        with self.assertRaises(UserError):
            address.with_user(self.user).write({"user_id": self.other.id})
        with self.assertRaises(AccessError):
            self.Email.with_user(self.user).create({"email": "x@gmail.example", "state": "verified"})
        self.assertEqual(address.state, "pending")

    def test_own_user_record_cannot_reach_other_addresses(self):
        """Users save addresses through their own user (written as superuser): only their own ones."""
        theirs = self.add("olaf@gmail.example", user=self.other)
        me = self.user.with_user(self.user)
        with self.assertRaises(AccessError):
            me.write({"econnect_email_ids": [fields.Command.update(theirs.id, {"state": "verified"})]})
        with self.assertRaises(AccessError):
            me.write({"econnect_email_ids": [fields.Command.delete(theirs.id)]})
        with self.assertRaises(AccessError):
            me.write({"econnect_email_ids": [fields.Command.link(theirs.id)]})
        with self.assertRaises(UserError):
            me.write({"econnect_email_ids": [fields.Command.create({"email": "x@gmail.example", "state": "verified"})]})
        self.assertEqual(theirs.user_id, self.other)
        self.assertEqual(theirs.state, "pending")

    def test_preferences_add_and_remove(self):
        me = self.user.with_user(self.user)
        me.write({"econnect_email_ids": [fields.Command.create({"email": f"emma.2@{COMPANY_DOMAIN}"})]})
        self.assertEqual(me.econnect_email_ids.email, f"emma.2@{COMPANY_DOMAIN}")
        self.assertTrue(self.verification_mails(f"emma.2@{COMPANY_DOMAIN}"))
        me.write({"econnect_email_ids": [fields.Command.delete(me.econnect_email_ids.id)]})
        self.assertFalse(me.econnect_email_ids)

    # ------------------------------------------------------------------------------------------
    # Roles
    # ------------------------------------------------------------------------------------------
    def test_roles(self):
        self.assertTrue(self.user.has_group("econnect_odoo.group_econnect_user"), "billing users are eConnect users")
        self.assertFalse(self.user.has_group("econnect_odoo.group_econnect_admin"))
        self.assertTrue(self.admin.has_group("econnect_odoo.group_econnect_admin"), "accounting admins administer")

    def test_users_see_their_own_admins_their_companies(self):
        mine = self.add(f"emma.2@{COMPANY_DOMAIN}")
        theirs = self.add(f"olaf.2@{COMPANY_DOMAIN}", user=self.other)
        self.assertEqual(self.Email.with_user(self.user).search([]), mine)
        with self.assertRaises(AccessError):
            theirs.with_user(self.user).read(["email"])
        with self.assertRaises(AccessError):
            theirs.with_user(self.user).unlink()
        self.assertEqual(self.Email.with_user(self.admin).search([]), mine | theirs)

        other_company = self.env["res.company"].create({"name": "Elsewhere BV"})
        foreign_admin = self.make_user("fadmin", groups="account.group_account_manager", company=other_company)
        self.assertFalse(self.Email.with_user(foreign_admin).search([]), "admins see only their companies' users")
        with self.assertRaises(AccessError):
            mine.with_user(foreign_admin).action_approve()

    def test_plain_employees_cannot_add_addresses(self):
        employee = new_test_user(self.env, login="eve", groups="base.group_user", email="eve@x.example")
        with self.assertRaises(AccessError):
            self.Email.with_user(employee).create({"email": "eve@gmail.example"})
        with self.assertRaisesRegex(ValidationError, "Only eConnect users"):
            employee.with_user(employee).write(
                {"econnect_email_ids": [fields.Command.create({"email": "eve@gmail.example"})]}
            )


@tagged("post_install", "-at_install")
class TestEmailVerificationPages(EconnectUsersMixin, HttpCase):
    """The page behind the link: each outcome says clearly what happened."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = cls.make_user("emma")
        cls.other = cls.make_user("olaf")

    def setUp(self):
        super().setUp()
        self.address = self.env["econnect.user.email"].with_user(self.user).create(
            {"email": f"emma.second@{COMPANY_DOMAIN}"}
        )
        self.link = self.verification_link(self.address.email)

    def open(self, path, login="emma"):
        if login:
            self.authenticate(login, login)
        response = self.url_open(path)
        self.assertEqual(response.status_code, 200)
        return response.text

    def test_good_then_reused_link(self):
        page = self.open(self.link)
        self.assertIn("Address verified", page)
        self.assertIn(self.address.email, page)
        self.assertEqual(self.address.state, "verified")
        page = self.open(self.link)
        self.assertIn("already used", page)

    def test_expired_link_offers_a_new_one(self):
        self.address._econnect_write({"token_expires": fields.Datetime.now() - timedelta(minutes=1)})
        # (a day went by: the link before was mailed long ago)
        self.env["econnect.email.link"].sudo().search([]).write({"sent_at": fields.Datetime.now() - timedelta(days=1)})
        page = self.open(self.link)
        self.assertIn("This link expired", page)
        self.assertIn("Send a new link", page)
        self.assertEqual(self.address.state, "pending")
        before = len(self.verification_mails(self.address.email))
        csrf_token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        response = self.url_open(f"/econnect/email/verify/{self.address.id}/resend", data={"csrf_token": csrf_token})
        self.assertIn("A new link is on its way", response.text)
        self.assertEqual(len(self.verification_mails(self.address.email)), before + 1)

    def test_wrong_user(self):
        page = self.open(self.link, login="olaf")
        self.assertIn("This link is for another user", page)
        self.assertNotIn(self.address.email, page, "the address of somebody else is not shown")
        self.assertEqual(self.address.state, "pending")

    def test_invalid_link(self):
        page = self.open(f"/econnect/email/verify/{self.address.id}/forged-token")
        self.assertIn("This link is not valid", page)
        self.assertEqual(self.address.state, "pending")

    def test_needs_login(self):
        self.authenticate(None, None)
        response = self.url_open(self.link)
        self.assertIn("/web/login", response.url)
        self.assertEqual(self.address.state, "pending")

    def test_needs_approval_page(self):
        other = self.env["econnect.user.email"].with_user(self.user).create({"email": "emma@gmail.example"})
        page = self.open(self.verification_link(other.email))
        self.assertIn("awaiting approval", page)
        self.assertEqual(other.state, "to_approve")
