"""Fixtures of the contract suite: a strict simulator, the client pointed at it, its wire, and a webhook receiver."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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


class _Receiver(BaseHTTPRequestHandler):
    """Where the simulator delivers its webhook calls: read, answered 200."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    """The URL of a local webhook receiver (the simulator signs and posts its events there)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d/econnect/webhook/token" % server.server_address[1]
    server.shutdown()
    server.server_close()
