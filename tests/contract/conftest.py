"""Fixtures of the contract suite: a strict simulator, the client pointed at it, and its wire."""

import pytest
from contract_support import BE_VAT, CLIENT_ID, CLIENT_SECRET, PASSWORD, USERNAME, make_client
from contract_wire import Wire
from psb_support import BUYER, OWN, PERMISSIONS

from psb_simulator import PSBSimulator


@pytest.fixture
def sim():
    with PSBSimulator() as simulator:
        simulator.add_client(CLIENT_ID, CLIENT_SECRET, parties={OWN: dict(PERMISSIONS)})
        simulator.add_user(
            USERNAME, PASSWORD, parties={OWN: dict(PERMISSIONS), BE_VAT: dict(PERMISSIONS)}, names={OWN: "Seller BV"}
        )
        simulator.add_participant(BUYER, name="Buyer BV")
        simulator.delivery_delay = 0.01
        yield simulator


@pytest.fixture
def client(sim):
    with make_client(sim) as psb:
        psb.fetch_token()
        yield psb


@pytest.fixture
def wire(sim, client):
    recorder = Wire(sim)
    recorder.take()  # from here on
    return recorder
