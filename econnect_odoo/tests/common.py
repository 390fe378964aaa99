"""Shared set-up of the Odoo tests: a real PSB simulator over real HTTP, a connection and a company.

Nothing of our own is mocked: the addon's client talks HTTP to the simulator on 127.0.0.1, which Odoo's
test framework allows.
"""

from odoo.tests import new_test_user

from ..psb.simulator import PSBSimulator

CLIENT_ID = "odoo-tests"
CLIENT_SECRET = "client-secret-7f3a"
USERNAME = "tester"
PASSWORD = "password-9b1c"
PARTY = "0106:12345678"  # a KvK number: 8 digits
OTHER_PARTY = "0106:87654321"
BUYER_PARTY = "0106:11223344"
ALL_PERMISSIONS = {
    "canSendDocument": True,
    "canReceiveDocument": True,
    "canRemoveDocument": True,
    "canManageHook": True,
    "canChangeDocumentStatus": True,
}


class EconnectSimulatorMixin:
    """Starts one simulator per test class; creates a connection to it in ``cls.connection``."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.simulator = PSBSimulator()
        cls.simulator.start()
        cls.addClassCleanup(cls.simulator.stop)
        cls.simulator.add_client(CLIENT_ID, CLIENT_SECRET)
        cls.simulator.add_user(
            USERNAME,
            PASSWORD,
            parties={PARTY: dict(ALL_PERMISSIONS), OTHER_PARTY: dict(ALL_PERMISSIONS, canSendDocument=False)},
            names={PARTY: "Test Company BV", OTHER_PARTY: "Receive-only BV"},
        )
        cls.simulator.add_participant(BUYER_PARTY, name="Buyer BV")
        cls.connection = cls.env["econnect.connection"].create({
            "name": "Simulator",
            "environment": "custom",
            "api_url": cls.simulator.api_url,
            "identity_url": cls.simulator.identity_url,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "username": USERNAME,
            "password": PASSWORD,
        })
        cls.company = cls.env.company
        cls.company.write({
            "econnect_connection_id": cls.connection.id,
            "econnect_party_id": PARTY,
        })

    def setUp(self):
        super().setUp()
        self.simulator.faults.clear()
        self.simulator.clear_log()

    @classmethod
    def econnect_admin(cls, login="econnect_admin", company=None):
        company = company or cls.company
        return new_test_user(
            cls.env, login=login, groups="base.group_user,econnect_odoo.group_econnect_admin",
            company_id=company.id, company_ids=[(6, 0, company.ids)],
        )

    @classmethod
    def econnect_user(cls, login="econnect_user", company=None, groups="account.group_account_invoice"):
        company = company or cls.company
        return new_test_user(
            cls.env, login=login, groups=f"base.group_user,{groups}",
            company_id=company.id, company_ids=[(6, 0, company.ids)],
        )

    def requests_to(self, fragment, method=None):
        """The simulator's logged requests whose path contains ``fragment``."""
        return [
            r for r in self.simulator.requests
            if fragment in r.path and (method is None or r.method == method)
        ]
