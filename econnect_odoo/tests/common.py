"""Shared set-up of the Odoo tests: a real PSB simulator over real HTTP, a connection and a company.

Nothing of our own is mocked: the addon's client talks HTTP to the simulator on 127.0.0.1, which Odoo's
test framework allows.
"""

import time

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


class EconnectSendMixin(EconnectSimulatorMixin):
    """A Dutch company, active at eConnect (the simulator), and a Dutch customer reachable on Peppol.

    Combine with Odoo's ``AccountTestInvoicingCommon``: ``class T(EconnectSendMixin, AccountTestInvoicingCommon)``.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({
            "street": "Stationsplein 1",
            "zip": "3511 ED",
            "city": "Utrecht",
            "country_id": cls.env.ref("base.nl").id,
            "vat": "NL004495445B01",
            "company_registry": "12345678",
        })
        cls.company_bank = cls.env["res.partner.bank"].create({
            "acc_number": "NL91ABNA0417164300",
            "partner_id": cls.company.partner_id.id,
            "allow_out_payment": True,
        })
        cls.company.action_econnect_activate()
        # A TransactionCase's data is invisible to Odoo's HTTP server: webhook calls could only fail there.
        # Tests of the inbox use HttpCase and resume them.
        cls.simulator.pause_webhooks()
        cls.env["ir.config_parameter"].set_param("econnect_odoo.max_retry_seconds", "0")
        cls.customer = cls.env["res.partner"].create({
            "name": "Buyer BV",
            "is_company": True,
            "street": "Kerkstraat 2",
            "zip": "1017 GA",
            "city": "Amsterdam",
            "country_id": cls.env.ref("base.nl").id,
            "vat": "NL123456782B90",
            "company_registry": "11223344",
            "peppol_eas": "0106",
            "peppol_endpoint": "11223344",
            "ref": "BUYER-REF-1",
        })

    @classmethod
    def econnect_invoice(cls, partner=None, amounts=(100.0,), move_type="out_invoice", post=True, **values):
        move = cls.init_invoice(move_type, partner=partner or cls.customer, amounts=list(amounts),
                                taxes=cls.tax_sale_a, post=False)
        if move_type == "out_invoice" and "partner_bank_id" not in values:
            values["partner_bank_id"] = cls.company_bank.id
        if values:
            move.write(values)
        if post:
            move.action_post()
        return move

    def wait_for_outcome(self, move, timeout=5.0):
        """Wait until the simulator decided what became of ``move`` (delivered or failed)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            document = self.simulator.sent_document(move.econnect_uuid)
            if document is not None and document.outcome:
                return document.outcome
            time.sleep(0.02)
        raise AssertionError(f"the simulator decided nothing about {move.display_name} in {timeout} s")

    def sent_xml(self, move):
        """The UBL the simulator received for ``move`` (by our document id)."""
        return self.simulator.sent_document(move.econnect_uuid).xml
