"""The simulator's state file: a restart of the simulator (or of its webhook receiver) loses nothing."""

import http.server
import json
import os
import stat
import threading
import time

import requests

from psb_simulator import PSBSimulator, sample_invoice
from psb_simulator.remote import RemoteSimulator

OWN = "0106:12345678"
BUYER = "0106:87654321"


def _token(sim):
    answer = requests.post(
        sim.token_url, timeout=5,
        data={"grant_type": "password", "username": "u", "password": "p", "client_id": "c", "client_secret": "s"},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


class _Receiver:
    """A webhook receiver on loopback that can be down (connection refused) and up again on the same port."""

    def __init__(self):
        self.bodies = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                outer.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.handler = Handler
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.server.server_close()  # down until start()

    def start(self):
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), self.handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def test_restart_keeps_accounts_tokens_documents_hooks_and_undelivered_webhooks(tmp_path):
    path = str(tmp_path / "var" / "psb-simulator.json")
    receiver = _Receiver()  # Odoo is down while the simulator restarts
    first = PSBSimulator(delivery_delay=0.05, state_file=path)
    first.webhook_attempts = 1
    with first:
        first.add_user("u", "p", parties=[OWN])
        first.add_client("c", "s")
        first.add_participant(BUYER, name="Buyer BV")
        access = _token(first)
        session = requests.Session()
        session.headers["Authorization"] = "Bearer " + access
        party = requests.utils.quote(OWN, safe="")
        hook = session.put(
            first.api_url + "/api/v1/%s/hook" % party, timeout=5,
            json={"id": "odoo-1", "name": "odoo", "action": "http://127.0.0.1:%d/hook#secret" % receiver.port,
                  "topics": ["*"]},
        )
        assert hook.status_code == 200, hook.text
        first.pause_webhooks()  # the events wait, as they do while Odoo is slow to answer
        files = {"file": ("i.xml", sample_invoice(OWN, BUYER), "application/xml")}
        sent = session.post(first.api_url + "/api/v1/%s/salesInvoice/send" % party, files=files,
                            headers={"X-EConnect-DocumentId": "doc-1"}, timeout=5)
        assert sent.status_code == 200, sent.text
        received_id = first.inject_incoming(OWN, sample_invoice(BUYER, OWN), document_id="in-1")
        time.sleep(0.3)  # the delivery result comes (its webhook waits)
        assert len(first.pending_webhooks()) == 2  # InvoiceReceived + InvoiceSent, not delivered yet
        session.close()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600

    receiver.start()
    try:
        second = PSBSimulator(delivery_delay=0.05, state_file=path)
        with second:
            # the same token still works; the documents, the hook and the history are there
            me = requests.get(second.api_url + "/api/v1/me/party", timeout=5,
                              headers={"Authorization": "Bearer " + access})
            assert me.status_code == 200, me.text
            assert second.sent_document("doc-1").status == "Delivered"
            assert received_id in second.received_documents
            assert [h.secret for h in second.hooks] == ["secret"]
            # the webhooks that were due are delivered after the restart
            second.wait_for_deliveries(count=2, timeout=10)
            topics = sorted(body["topic"] for body in receiver.bodies)
            assert topics == ["InvoiceReceived", "InvoiceSent"]
            assert second.pending_webhooks() == []
            # a repeated document id is still refused after the restart
            session = requests.Session()
            session.headers["Authorization"] = "Bearer " + access
            files = {"file": ("i.xml", sample_invoice(OWN, BUYER), "application/xml")}
            again = session.post(second.api_url + "/api/v1/%s/salesInvoice/send" % requests.utils.quote(OWN, safe=""),
                                 files=files, headers={"X-EConnect-DocumentId": "doc-1"}, timeout=5)
            assert again.status_code == 409
            session.close()
    finally:
        receiver.stop()
    third = PSBSimulator(state_file=path)
    assert third.pending_webhooks() == [] and third._restored_webhooks == []  # delivered ones are not sent again


def test_state_file_is_written_shortly_after_a_change(tmp_path):
    path = str(tmp_path / "state.json")
    with PSBSimulator(state_file=path) as sim:
        remote = RemoteSimulator(sim.url, token=sim.control_token)
        remote.add_participant("0208:0123456749", name="BE SA")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if os.path.exists(path):
                with open(path, encoding="utf-8") as handle:
                    if "0208:0123456749" in handle.read():
                        break
            time.sleep(0.05)
        else:
            raise AssertionError("the state file was not written")
