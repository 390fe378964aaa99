"""The simulator's state in a file, so that a restart of the simulator (or of Odoo) loses nothing.

``PSBSimulator(state_file=path)`` (command line: ``--state-file``) loads the file at start when it exists and
writes it again, atomically (a temporary file renamed over it, mode 0600), shortly after every change:
accounts and tokens, participants, sent and received documents with their histories, hooks, Peppol
configurations, and the webhook deliveries not yet finished (they are sent again after a restart). A sent
document whose delivery result was still due is delivered after the restart.

JSON, never pickle: the file is data, not code. Request logs, the events list and the delivery attempts
already made are diagnostics and are not kept.
"""

import base64
import contextlib
import dataclasses
import json
import logging
import os
import tempfile
import threading

from . import ubl
from .auth import Account, Token
from .state import Hook, InvoiceResponse, Participant, PeppolConfig, ReceivedDocument, SentDocument, StatusEntry
from .webhooks import Event

_logger = logging.getLogger(__name__)

VERSION = 1
SAVE_DELAY = 0.2  # seconds: changes close together are written once


def _b64(data):
    return base64.b64encode(data).decode("ascii")


def _unb64(text):
    return base64.b64decode(text.encode("ascii"))


def _plain(obj, skip=()):
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj) if f.name not in skip}


def _sent_to_dict(doc):
    data = _plain(doc, skip=("xml", "info", "history"))
    data["xml"] = _b64(doc.xml)
    data["history"] = [_plain(h) for h in doc.history]
    return data


def _sent_from_dict(data):
    xml = _unb64(data.pop("xml"))
    history = [StatusEntry(**h) for h in data.pop("history")]
    return SentDocument(xml=xml, info=ubl.inspect_lenient(xml), history=history, **data)


def _response_to_dict(response):
    data = _plain(response, skip=("xml",))
    data["xml"] = _b64(response.xml)
    return data


def _response_from_dict(data):
    return InvoiceResponse(xml=_unb64(data.pop("xml")), **data)


def _received_to_dict(doc):
    data = _plain(doc, skip=("xml", "responses"))
    data["xml"] = _b64(doc.xml)
    data["responses"] = [_response_to_dict(r) for r in doc.responses]
    return data


def _received_from_dict(data):
    xml = _unb64(data.pop("xml"))
    responses = [_response_from_dict(r) for r in data.pop("responses")]
    return ReceivedDocument(xml=xml, responses=responses, **data)


def snapshot(sim):
    """Everything worth keeping, as JSON-ready data."""
    st, auth = sim.state, sim.auth
    with st.lock:
        data = {
            "version": VERSION,
            "names": dict(st.names),
            "participants": [_plain(p) for p in st.participants.values()],
            "deliveryOutcomes": {k: list(v) for k, v in st.delivery_outcomes.items()},
            "sent": [_sent_to_dict(d) for d in st.sent.values()],
            "received": [_received_to_dict(d) for d in st.received.values()],
            "responses": [_response_to_dict(r) for r in st.responses.values()],
            "hooks": [_plain(h) for h in st.hooks.values()],
            "peppolConfigs": [_plain(c) for c in st.peppol_configs.values()],
            "unregistered": sorted(st.unregistered),
            "configRefusals": {k: list(v) for k, v in st.config_refusals.items()},
            "configDeletions": list(st.config_deletions),
            "configWrites": list(st.config_writes),
            "demoSeen": list(st.demo_seen),
            "demoParties": list(sim.demo_parties),
            "inheritedFormat": st.inherited_format,
            "demoAnswerTurn": getattr(sim, "_demo_answer_turn", 0),
        }
    with auth._lock:  # pylint: disable=protected-access
        data["clients"] = [_plain(a) for a in auth.clients.values()]
        data["users"] = [_plain(a) for a in auth.users.values()]
        data["tokens"] = [_plain(t) for t in auth._tokens.values()]  # pylint: disable=protected-access
    data["pendingWebhooks"] = [
        {"event": _plain(event), "hook": _plain(hook)} for event, hook in sim.pending_webhooks()
    ]
    return data


def restore(sim, data):
    """Put a snapshot back into a simulator that has not started yet; returns the pending webhooks."""
    if data.get("version") != VERSION:
        raise ValueError("unknown state file version %r" % data.get("version"))
    st, auth = sim.state, sim.auth
    with st.lock:
        st.names.update(data["names"])
        for item in data["participants"]:
            st.participants[item["key"]] = Participant(**item)
        st.delivery_outcomes.update({k: tuple(v) for k, v in data["deliveryOutcomes"].items()})
        for item in data["sent"]:
            doc = _sent_from_dict(item)
            st.sent[doc.id] = doc
        for item in data["received"]:
            doc = _received_from_dict(item)
            st.received[doc.id] = doc
        for item in data["responses"]:
            response = _response_from_dict(item)
            st.responses[response.id] = response
        for item in data["hooks"]:
            st.hooks[(item["party"], item["id"])] = Hook(**item)
        for item in data["peppolConfigs"]:
            st.peppol_configs[item["party"]] = PeppolConfig(**item)
        st.unregistered.update(data["unregistered"])
        st.config_refusals.update({k: tuple(v) for k, v in data["configRefusals"].items()})
        st.config_deletions.extend(data["configDeletions"])
        st.config_writes.extend(data["configWrites"])
        st.demo_seen.update(dict.fromkeys(data["demoSeen"]))
        st.inherited_format = data["inheritedFormat"]
        sim._demo_answer_turn = data.get("demoAnswerTurn", 0)  # pylint: disable=protected-access
        for key in data["demoParties"]:
            if key not in sim.demo_parties:
                sim.demo_parties.append(key)
    with auth._lock:  # pylint: disable=protected-access
        for item in data["clients"]:
            auth.clients[item["name"]] = Account(**item)
        for item in data["users"]:
            auth.users[item["name"]] = Account(**item)
        for item in data["tokens"]:
            auth._tokens[item["value"]] = Token(**item)  # pylint: disable=protected-access
    return [(Event(**p["event"]), Hook(**p["hook"])) for p in data["pendingWebhooks"]]


def write_private(path, text):
    """Write ``text`` to ``path`` atomically, readable by its owner only (0600)."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class StateFile:
    """Loads the state at start; a background thread writes it shortly after each change."""

    def __init__(self, sim, path):
        self.sim = sim
        self.path = path
        self._dirty = threading.Event()
        self._stop = threading.Event()
        self._write_lock = threading.Lock()
        self._thread = None

    def load(self):
        """Restore the file into the simulator (before it starts); the pending webhooks to send again."""
        if not os.path.exists(self.path):
            return []
        with open(self.path, encoding="utf-8") as handle:
            return restore(self.sim, json.load(handle))

    def start(self):
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="psb-simulator-state", daemon=True)
        self._thread.start()

    def changed(self):
        self._dirty.set()

    def save(self):
        with self._write_lock:
            self._dirty.clear()
            write_private(self.path, json.dumps(snapshot(self.sim)))

    def _loop(self):
        while not self._stop.is_set():
            if not self._dirty.wait(0.5):
                continue
            if self._stop.wait(SAVE_DELAY):
                break
            try:
                self.save()
            except Exception:  # keep serving; the next change tries again
                _logger.exception("PSB simulator: could not write %s", self.path)

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.save()
