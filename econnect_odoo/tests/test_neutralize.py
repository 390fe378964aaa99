from odoo.modules.neutralize import get_neutralization_queries
from odoo.tests import TransactionCase, tagged

from .common import EconnectSimulatorMixin


@tagged("post_install", "-at_install")
class TestNeutralize(EconnectSimulatorMixin, TransactionCase):
    def test_neutralized_copy_never_talks_to_production(self):
        self.connection.write({"environment": "production"})
        self.connection.client_secret = "prod-secret"
        self.company.sudo().write({"econnect_state": "active", "econnect_hook_id": "hook-1"})
        self.env.flush_all()
        for query in get_neutralization_queries(["econnect_odoo"]):
            self.env.cr.execute(query)
        self.env.invalidate_all()
        self.assertEqual(self.connection.environment, "demo")
        self.assertFalse(self.connection.client_secret_is_set)
        self.assertEqual(self.company.econnect_state, "not_connected")
        self.assertFalse(self.company.econnect_hook_id)
        crons = self.env["ir.cron"].with_context(active_test=False).search([]).filtered(
            lambda c: c.get_external_id().get(c.id, "").startswith("econnect_odoo.")
        )
        self.assertFalse(crons.filtered("active"))
