from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestSecurityGroups(TransactionCase):
    def test_accounting_roles_imply_econnect_roles(self):
        billing = new_test_user(self.env, login="billing", groups="account.group_account_invoice")
        manager = new_test_user(self.env, login="acc_manager", groups="account.group_account_manager")
        self.assertTrue(billing.has_group("econnect_odoo.group_econnect_user"))
        self.assertFalse(billing.has_group("econnect_odoo.group_econnect_admin"))
        self.assertTrue(manager.has_group("econnect_odoo.group_econnect_admin"))
        self.assertTrue(manager.has_group("econnect_odoo.group_econnect_user"))

    def test_plain_employee_has_no_econnect_role(self):
        employee = new_test_user(self.env, login="employee", groups="base.group_user")
        self.assertFalse(employee.has_group("econnect_odoo.group_econnect_user"))

    def test_every_model_of_the_addon_has_access_rights_and_a_record_rule(self):
        models = self.env["ir.model"].browse(
            self.env["ir.model.data"]
            .search([("module", "=", "econnect_odoo"), ("model", "=", "ir.model")])
            .mapped("res_id")
        ).filtered(lambda m: m.modules == "econnect_odoo" and not self.env[m.model]._abstract)
        self.assertIn("econnect.send.report", models.mapped("model"))
        self.assertIn("econnect.event", models.mapped("model"))
        for model in models:
            with self.subTest(model=model.model):
                self.assertTrue(self.env["ir.model.access"].search_count([("model_id", "=", model.id)]))
                self.assertTrue(self.env["ir.rule"].search_count([("model_id", "=", model.id)]))


@tagged("post_install", "-at_install")
class TestWizardRecordRules(TransactionCase):
    """A wizard's records (which invoices cannot be sent, which companies to ask about) are its user's own:
    a user of another company cannot read them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "eConnect other company"})

        def user(login, company, groups):
            return new_test_user(
                cls.env, login=login, groups=groups, company_id=company.id, company_ids=[company.id]
            )

        cls.billing_a = user("ec_billing_a", cls.company_a, "account.group_account_invoice")
        cls.billing_b = user("ec_billing_b", cls.company_b, "account.group_account_invoice")
        cls.admin_a = user("ec_admin_a", cls.company_a, "account.group_account_manager")
        cls.admin_b = user("ec_admin_b", cls.company_b, "account.group_account_manager")

    def test_send_report_is_not_readable_by_another_company(self):
        report = self.env["econnect.send.report"].with_user(self.billing_a).create({
            "line_ids": [(0, 0, {"problems": "Customer Confidential B.V. has no Peppol e-address."})],
        })
        self.assertEqual(report.line_ids.problems, "Customer Confidential B.V. has no Peppol e-address.")
        other = self.env["econnect.send.report.line"].with_user(self.billing_b)
        self.assertFalse(other.search([("id", "in", report.line_ids.ids)]))
        with self.assertRaises(AccessError):
            other.browse(report.line_ids.ids).read(["problems"])
        with self.assertRaises(AccessError):
            self.env["econnect.send.report"].with_user(self.billing_b).browse(report.id).read(["line_ids"])

    def test_receive_prompt_is_not_readable_by_another_company(self):
        prompt = self.env["econnect.receive.prompt"].with_user(self.admin_a).create({
            "line_ids": [(0, 0, {"company_id": self.company_a.id})],
        })
        self.assertEqual(prompt.line_ids.company_id, self.company_a)
        other = self.env["econnect.receive.prompt.line"].with_user(self.admin_b)
        self.assertFalse(other.search([("id", "in", prompt.line_ids.ids)]))
        with self.assertRaises(AccessError):
            other.browse(prompt.line_ids.ids).read(["company_id"])
        with self.assertRaises(AccessError):
            self.env["econnect.receive.prompt"].with_user(self.admin_b).browse(prompt.id).read(["line_ids"])
