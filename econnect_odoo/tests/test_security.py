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
