"""The Peppol participant configuration on the wire: the read, and writes of only what changes."""

import pytest
from contract_wire import assert_invalid, assert_valid, check
from psb_support import OWN

from psb import contract
from psb.errors import ForbiddenError

CLIENT_METHODS = {"get_peppol_config", "put_peppol_config", "set_capability", "set_receiving"}
PATH = r"/api/v1/peppol/config/party/(?P<party>[^/]+)"


def test_read(client, wire):
    client.get_peppol_config(OWN)
    check(wire.one(), method="GET", path=PATH, parties={"party": OWN}, headers_schema="noBody",
          answer="peppol-party-config")


@pytest.mark.parametrize("capability", [contract.CAPABILITY_INVOICES, contract.CAPABILITY_INVOICE_RESPONSE])
def test_switching_a_capability_writes_only_it(client, wire, capability):
    for enabled in (True, False, True):
        client.set_capability(OWN, capability, enabled)
        get, put = wire.api()
        check(get, method="GET", path=PATH, parties={"party": OWN}, headers_schema="noBody",
              answer="peppol-party-config")
        check(put, method="PUT", path=PATH, parties={"party": OWN}, headers_schema="jsonBody",
              request="peppol-party-config-write", answer="peppol-party-config")
        assert put.json() == {"capabilities": {capability: {"state": "on" if enabled else "off"}}}


def test_receiving_is_the_invoices_capability(client, wire):
    client.set_receiving(OWN, False)
    put = wire.api()[-1]
    assert put.json() == {"capabilities": {"invoices": {"state": "off"}}}


def test_put_peppol_config(client, wire):
    body = {"businessCard": {"names": {"state": "on", "value": "Seller BV"}}}
    client.put_peppol_config(OWN, body)
    check(wire.one(), method="PUT", path=PATH, parties={"party": OWN}, headers_schema="jsonBody",
          request="peppol-party-config-write", answer="peppol-party-config")


def test_a_refused_write_is_in_the_error_shape(sim, client, wire):
    sim.refuse_config_changes(OWN, "API403", "Not allowed for this user")
    client.set_receiving(OWN, True)  # already on by inheritance: a refused write changes nothing that matters
    with pytest.raises(ForbiddenError):
        client.set_receiving(OWN, False)
    exchanges = wire.api()
    check(exchanges[-1], method="PUT", path=PATH, parties={"party": OWN}, headers_schema="jsonBody",
          request="peppol-party-config-write", status=403)


def test_a_read_echoed_back_leaves_the_contract(client):
    """What the old client sent (the whole read, with its id, times and computed states) is refused."""
    read = client.get_peppol_config(OWN)
    assert_valid("peppol-party-config", read)
    assert_invalid("peppol-party-config-write", read)
    assert_invalid("peppol-party-config-write", {"capabilities": {"invoices": {"state": "inherited => on"}}})
    assert_invalid("peppol-party-config-write", {"id": "NL:KVK:12345678", "capabilities": {}})
    assert_invalid("peppol-party-config-write", {"invoiceResponse": {"state": "on"}})  # without the wrapper
    assert_invalid("peppol-party-config-write", {})
