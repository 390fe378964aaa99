"""Received invoices on the wire: the download (XML) and the early delete."""

import pytest
from contract_wire import assert_invalid, check
from psb_support import OWN, invoice_xml

from psb import contract

CLIENT_METHODS = {"download_purchase_invoice", "delete_purchase_invoice"}
PARTY = r"/api/v1/(?P<party>[^/]+)"


@pytest.mark.parametrize("target_format", [None, contract.DOCTYPE_BIS3_INVOICE])
def test_download(sim, client, wire, target_format):
    document_id = sim.inject_incoming(OWN, invoice_xml("P-1"))
    data = client.download_purchase_invoice(OWN, document_id, target_format=target_format)
    assert data == invoice_xml("P-1")
    exchange = wire.one()
    match = check(exchange, method="GET", path=PARTY + r"/purchaseInvoice/(?P<document>[^/]+)/download",
                  parties={"party": OWN}, headers_schema="download",
                  query="download-query" if target_format else None)
    assert match["document"] == document_id
    assert exchange.response_headers["Content-Type"].startswith("application/xml")


def test_delete(sim, client, wire):
    document_id = sim.inject_incoming(OWN, invoice_xml("P-2"))
    client.delete_purchase_invoice(OWN, document_id)
    check(wire.one(), method="DELETE", path=PARTY + r"/purchaseInvoice/" + document_id, parties={"party": OWN},
          headers_schema="noBody")


def test_download_query_takes_one_format_parameter():
    assert_invalid("download-query", {"targetFormat": "x", "targetDocumentTypeId": "x"})
    assert_invalid("download-query", {"format": "ubl"})
