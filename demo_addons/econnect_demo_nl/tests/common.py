"""The Dutch demo company connected to a demo simulator (in this process, over real HTTP), as run_demo does."""

import time
import unittest
from unittest.mock import patch

from odoo.tools import config

from odoo.addons.econnect_odoo.tests.simulator import PSBSimulator, sample_invoice

from ..demo_parties import COMPANY, VENDORS


class DemoNlMixin:
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.ref("base.demo_company_nl", raise_if_not_found=False)
        if not cls.company or cls.company.name != COMPANY["name"]:
            raise unittest.SkipTest("the Dutch demo needs demo data (l10n_nl's demo company)")
        cls.simulator = PSBSimulator(demo=True)
        cls.simulator.start()
        cls.addClassCleanup(cls.simulator.stop)
        cls.simulator.pause_webhooks()  # delivered only while a test waits for them (one cursor)
        cls.startClassPatcher(patch.dict(config.options, {"econnect_demo_url": cls.simulator.api_url}))
        cls.env["ir.config_parameter"].sudo().set_param("econnect_odoo.max_retry_seconds", "0")
        cls.company.action_econnect_activate()
        cls.env = cls.env(context=dict(cls.env.context, allowed_company_ids=cls.company.ids))

    def wait_for_webhooks(self, count, topic):
        """Deliver the queued webhooks to this test's server until ``count`` more of ``topic`` are done."""
        count += len(self.simulator.dispatcher.final_deliveries(topic))
        self.env.flush_all()
        self.simulator.resume_webhooks()
        try:
            self.simulator.wait_for_deliveries(count=count, topic=topic, timeout=20)
            dispatcher = self.simulator.dispatcher
            dispatcher.wait(lambda: dispatcher.in_flight == 0, 20)
        finally:
            self.simulator.pause_webhooks()
        self.env.invalidate_all()

    def vendor_invoices_arrive(self):
        """What run_demo does once receiving is on (HttpCase only: the webhooks reach this test's server): each
        demo vendor sends its e-invoice; the pull makes bills. Returns {vendor key: bill}."""
        document_ids = {}
        for vendor in VENDORS:
            xml = sample_invoice(
                vendor["peppol"], COMPANY["party"], number=vendor["number"], sender_name=vendor["name"],
                receiver_name=COMPANY["name"], amount=vendor["amount"], vat_percent=vendor["vat_percent"],
                iban=vendor["iban"],
            )
            document_ids[vendor["key"]] = self.simulator.inject_incoming(COMPANY["party"], xml)
        self.wait_for_webhooks(len(VENDORS), "InvoiceReceived")
        self.env["econnect.event"].sudo()._econnect_pull()
        self.env.invalidate_all()
        return {
            key: self.env["account.move"].search([("econnect_received_document_id", "=", document_id)])
            for key, document_id in document_ids.items()
        }

    def wait_for_outcome(self, move, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            document = self.simulator.sent_document(move.econnect_uuid)
            if document is not None and document.outcome:
                return document.outcome
            time.sleep(0.05)
        raise AssertionError(f"the simulator decided nothing about {move.display_name}")
