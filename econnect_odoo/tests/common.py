"""Shared set-up of the Odoo tests: a real PSB simulator over real HTTP, a connection and a company.

Nothing of our own is mocked: the addon's client talks HTTP to the simulator on 127.0.0.1, which Odoo's
test framework allows.
"""

import contextlib
import time
import uuid
from unittest.mock import patch

from odoo import fields
from odoo.tests import new_test_user
from odoo.tools import config

from ..psb.webhook import SIGNATURE_HEADER, sign_body
from .simulator import PSBSimulator, sample_invoice

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

    def start_demo_simulator(self):
        """A simulator in demo mode serving the Demo environment for this test (``econnect_demo_url``)."""
        simulator = PSBSimulator(demo=True)
        simulator.start()
        self.addCleanup(simulator.stop)
        simulator.pause_webhooks()
        patcher = patch.dict(config.options, {"econnect_demo_url": simulator.api_url})
        patcher.start()
        self.addCleanup(patcher.stop)
        return simulator

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


class EconnectReceiveMixin(EconnectSimulatorMixin):
    """An active company that receives: its signed hook at the simulator points at this Odoo test server.

    Use with ``HttpCase``: the simulator's webhook thread POSTs real signed events to the server of the test,
    the test then runs the pull. Nothing is mocked.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # scheduled actions try again later anyway: no waiting inside one PSB call during the tests
        cls.env["ir.config_parameter"].sudo().set_param("econnect_odoo.max_retry_seconds", "0")
        expense = cls.env["account.account"].search([
            *cls.env["account.account"]._check_company_domain(cls.company), ("account_type", "=", "expense"),
        ], limit=1)
        cls.receive_journal = cls.env["account.journal"].create({
            "name": "eConnect bills", "code": "ECB", "type": "purchase", "company_id": cls.company.id,
            "default_account_id": expense.id,
        })
        cls.company.action_econnect_activate()
        cls.company.econnect_receive_journal_id = cls.receive_journal
        cls.company.econnect_set_receive(True)
        cls.env.flush_all()

    def setUp(self):
        super().setUp()
        self.simulator.clear_webhook_deliveries()
        # The webhook thread shares the test's database connection through the test server: it may only
        # post while the test waits for it (wait_for_webhooks), never while the test itself uses the cursor.
        self.simulator.pause_webhooks()
        self.addCleanup(self._drain_webhooks)

    def _drain_webhooks(self):
        self.env.flush_all()
        self.simulator.resume_webhooks()
        try:
            with contextlib.suppress(TimeoutError):  # what did not arrive in time is rolled back anyway
                self.simulator.wait_idle(timeout=10)
        finally:
            self.simulator.pause_webhooks()

    def keep_hook(self):
        """The simulator outlives the rollback of a test: put the company's hook back as it is now, afterwards."""
        hook = self.company._econnect_hook_values(self.company.econnect_receive)
        self.addCleanup(self.company._econnect_client().put_hook, PARTY, hook)
        if self.company.econnect_receive:
            config = {"capabilities": {"invoices": {"state": "on"}}}
            self.addCleanup(self.company._econnect_client().put_peppol_config, PARTY, config)

    # -- the inbox -----------------------------------------------------------------------------
    def wait_for_webhooks(self, count, topic=None, timeout=10.0):
        """Wait until the simulator has delivered ``count`` events (of ``topic``) to Odoo; return them."""
        self.env.flush_all()
        self.simulator.resume_webhooks()
        try:
            self.simulator.wait_for_deliveries(count=count, topic=topic, timeout=timeout)
            dispatcher = self.simulator.dispatcher
            dispatcher.wait(lambda: dispatcher.in_flight == 0, timeout)
        finally:
            self.simulator.pause_webhooks()
        self.env.invalidate_all()
        return self.simulator.dispatcher.final_deliveries(topic)

    def receive_document(self, xml, document_id=None, sender_id=None):
        """The simulator receives ``xml`` for our party and posts InvoiceReceived to Odoo; returns the id."""
        self.env.flush_all()
        before = len(self.simulator.dispatcher.final_deliveries("InvoiceReceived"))
        document_id = self.simulator.inject_incoming(PARTY, xml, document_id=document_id, sender_id=sender_id)
        deliveries = self.wait_for_webhooks(before + 1, topic="InvoiceReceived")
        delivery = next(d for d in deliveries if d.document_id == document_id)
        assert delivery.ok, f"the webhook was refused: {delivery.status} {delivery.response_body!r}"
        return document_id

    def pull(self, **kwargs):
        """Run the pull in the test's transaction (commits are savepoints here)."""
        self.env.flush_all()
        stats = self.env["econnect.event"].sudo()._econnect_pull(**kwargs)
        self.env.invalidate_all()
        return stats

    def event_of(self, document_id, topic=None):
        domain = [("company_id", "=", self.company.id), ("document_id", "=", document_id)]
        if topic:
            domain.append(("topic", "=", topic))
        return self.env["econnect.event"].sudo().search(domain)

    def sent_invoice(self, receiver=BUYER_PARTY):
        """An invoice of ours that went to eConnect (sent with the real client to the simulator)."""
        partner = self.env["res.partner"].create({"name": "Buyer BV"})
        move = self.env["account.move"].create({
            "move_type": "out_invoice",
            "partner_id": partner.id,
            "invoice_line_ids": [fields.Command.create({"name": "Service", "quantity": 1, "price_unit": 100})],
        })
        move.action_post()
        document_id = str(uuid.uuid4())
        xml = sample_invoice(PARTY, receiver, number=move.name)
        self.company._econnect_client().send_invoice(PARTY, xml, document_id)
        move.write({"econnect_state": "sent", "econnect_uuid": document_id, "econnect_document_id": document_id})
        self.env.flush_all()
        return move

    def bill_of(self, document_id):
        return self.env["account.move"].search(
            [("company_id", "=", self.company.id), ("econnect_received_document_id", "=", document_id)]
        )

    def signed_post(self, body, token=None, secret=None, headers=None):
        """POST ``body`` (bytes) to the webhook route of the company, signed with its secret (or ``secret``)."""
        token = token or self.company.sudo().econnect_webhook_token
        secret = self.company._econnect_webhook_secret() if secret is None else secret
        all_headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign_body(secret, body)}
        all_headers.update(headers or {})
        self.env.flush_all()
        response = self.url_open(f"/econnect/webhook/{token}", data=body, headers=all_headers)
        self.env.invalidate_all()
        return response
