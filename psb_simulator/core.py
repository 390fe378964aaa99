"""The :class:`PSBSimulator`: public Python API and the PSB's behaviour behind the HTTP routes."""

import copy
import ipaddress
import secrets
import threading
import time
import uuid

from psb import contract

from . import ids, ubl
from .auth import Auth
from .faults import Faults
from .reqlog import RequestLog
from .scheduler import Scheduler
from .state import Participant, PeppolConfig, ReceivedDocument, SentDocument, State, StatusEntry
from .webhooks import Event, WebhookDispatcher
from .wire import now_iso

# Demo participants registered when ``demo=True`` (see the package docstring).
DEMO_PARTICIPANTS = (
    ("0106:87654321", "Demo Klant B.V."),
    ("0106:11223344", "Voorbeeld Groothandel B.V."),
    ("0208:0123456749", "Demo Client SA"),
    ("9925:BE0123456749", "Demo Client SA (VAT)"),
    ("0190:00000001234567890000", "Gemeente Demodorp"),
)

OUTCOMES = ("sent", "retry", "error", "invalid")
# The two documented shapes of InvoiceResponseReceived (PSB-API.md, "Invoice responses").
RESPONSE_EVENT_SHAPES = ("new", "old")
# What demo customers answer to the invoices delivered to them, in turn (None: no answer).
DEMO_ANSWERS = (
    ("AB", None, None, None),
    ("AP", None, None, "Approved for payment."),
    ("RE", {"PRI": "The unit price differs from our order."}, {"NIN": "Please send a corrected invoice."}, None),
    None,
)
LOOPBACK_NAMES = ("localhost",)
PING_TOPIC = "Ping"

TOPIC_SENT = "InvoiceSent"
TOPIC_SENT_RETRY = "InvoiceSentRetry"
TOPIC_SENT_ERROR = "InvoiceSentError"
TOPIC_RECEIVED = "InvoiceReceived"
TOPIC_RECEIVED_ERROR = "InvoiceReceivedError"
TOPIC_RESPONSE_RECEIVED = "InvoiceResponseReceived"

# Names in a sent document's status history: the documented ones (new docs
# developers/api/basics/document-flow-and-status: Pending, Validated, Routed, Delivered, Rejected, Failed; the phase
# table also names Acknowledged). A retry has no name of its own: the document stays Routed.
STATUS_PENDING = "Pending"
STATUS_VALIDATED = "Validated"
STATUS_ROUTED = "Routed"
STATUS_DELIVERED = "Delivered"
STATUS_REJECTED = "Rejected"
STATUS_FAILED = "Failed"
STATUS_ACKNOWLEDGED = "Acknowledged"
DOCUMENTED_STATUSES = (
    STATUS_PENDING, STATUS_VALIDATED, STATUS_ROUTED, STATUS_DELIVERED, STATUS_REJECTED, STATUS_FAILED,
    STATUS_ACKNOWLEDGED,
)
# How the history writes its names (``sim.status_form``): as documented, in lower or upper case, or shaped as the
# webhook topic of the same news (which of these eConnect shows is unconfirmed: the client must take them all).
STATUS_FORMS = ("documented", "lower", "upper", "topic")
_TOPIC_SHAPED = {
    STATUS_DELIVERED: TOPIC_SENT,
    STATUS_FAILED: TOPIC_SENT_ERROR,
    STATUS_REJECTED: TOPIC_SENT_ERROR,
}


def is_loopback_host(host):
    """True for an address (or ``localhost``) that only this machine reaches."""
    text = (host or "").strip().strip("[]").lower()
    if text in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(text.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


class PSBSimulator:
    """A real HTTP server speaking eConnect's PSB REST API (see the package docstring).

    ``port=0`` picks a free port. Use :meth:`start` / :meth:`stop` or ``with PSBSimulator() as sim``.
    """

    def __init__(
        self,
        host="127.0.0.1",
        port=0,
        demo=False,
        latency=0.0,
        delivery_delay=0.05,
        token_lifetime=3600,
        loopback=None,
        verbose=False,
        control_token=None,
        state_file=None,
    ):
        if not is_loopback_host(host):
            raise ValueError(
                "The PSB simulator listens on loopback only (127.0.0.1, ::1, localhost), not on %r." % (host,)
            )
        self.host = host
        self.port = port
        self.demo = bool(demo)
        #: seconds added to every API and token call (benchmarks)
        self.latency = float(latency)
        #: seconds between an accepted send and its delivery result (InvoiceSent/...Error/...Retry)
        self.delivery_delay = float(delivery_delay)
        #: seconds between an InvoiceSentRetry and the next delivery attempt (None: delivery_delay)
        self.retry_delay = None
        #: largest accepted request body (413 above) and uploaded XML file (400 above)
        self.max_request_bytes = 20 * 1024 * 1024
        self.max_upload_bytes = ubl.DEFAULT_MAX_BYTES
        self._status_form = "documented"
        #: when True, a document delivered to a party this simulator hosts (one with an account,
        #: hook, Peppol configuration, or seen in demo mode) also lands in that party's inbox.
        self.loopback = self.demo if loopback is None else bool(loopback)
        #: print one line per request to stderr
        self.verbose = verbose
        #: how InvoiceResponseReceived events look: "new" (documentId = the invoice, responseDocumentId = the
        #: response) or "old" (documentId = the response, refToDocumentId = the invoice, details = the answer)
        self.response_event_shape = "new"
        #: whether those events carry the answer in ``details`` (None: as the shape's docs show it, i.e. the old
        #: shape does and the new one does not)
        self.response_event_details = None
        #: in demo mode, customers answer the invoices delivered to them (DEMO_ANSWERS in turn), after this delay
        self.demo_answers = self.demo
        self.demo_answer_delay = 1.0
        self._demo_answer_turn = 0
        self.state = State()
        self.auth = Auth(demo=self.demo, token_lifetime=token_lifetime)
        self.faults = Faults(on_expire_tokens=self.auth.expire_all)
        self.log = RequestLog()
        self.scheduler = Scheduler()
        self.dispatcher = WebhookDispatcher()
        self.dispatcher.on_done = self._webhook_done
        self.demo_parties = []  # keys shown by me/party in demo mode before any is used
        #: the secret every control call (``/_sim/``) must send in ``X-Sim-Token`` (see :mod:`.control`)
        self.control_token = control_token or secrets.token_urlsafe(32)
        self._events = []
        self._events_lock = threading.Lock()
        self._pending = {}  # (event id, hook id) -> (Event, Hook): webhook deliveries not finished yet
        self._server = None
        self._thread = None
        if self.demo:
            for party_id, name in DEMO_PARTICIPANTS:
                self.add_participant(party_id, name=name)
        self._state_file = None
        self._restored_webhooks = []
        if state_file:
            from .persist import StateFile

            self._state_file = StateFile(self, state_file)
            self._restored_webhooks = self._state_file.load()

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self):
        from .server import make_server

        if self._server is not None:
            return self
        self.scheduler.start()
        self.dispatcher.start()
        self._server = make_server(self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="psb-simulator",
            daemon=True,
        )
        self._thread.start()
        if self._state_file is not None:
            self._resume_after_restart()
            self._state_file.start()
        return self

    def _resume_after_restart(self):
        """Deliver what was due when the state file was written: delivery results, then webhooks."""
        with self.state.lock:
            due = [doc.id for doc in self.state.sent.values() if doc.outcome is None]
        for document_id in due:
            self.scheduler.call_later(self.delivery_delay, self._deliver, document_id)
        restored, self._restored_webhooks = self._restored_webhooks, []
        for event, hook in restored:
            with self._events_lock:
                self._pending[(event.id, hook.id)] = (event, hook)
            self.dispatcher.submit(event, [hook])

    def changed(self):
        """Something changed: the state file (if any) is written shortly."""
        if self._state_file is not None:
            self._state_file.changed()

    def pending_webhooks(self):
        """``[(Event, Hook)]`` whose delivery has not finished (kept in the state file)."""
        with self._events_lock:
            return list(self._pending.values())

    def _webhook_done(self, event_id, hook_id):
        with self._events_lock:
            self._pending.pop((event_id, hook_id), None)
        self.changed()

    def stop(self):
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.close_all_connections()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.scheduler.stop()
        self.dispatcher.stop()
        if self._state_file is not None:
            self._state_file.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    @property
    def running(self):
        return self._server is not None

    @property
    def url(self):
        host = "[%s]" % self.host if ":" in self.host else self.host
        return "http://%s:%s" % (host, self.port)

    @property
    def api_url(self):
        """Base URL of the API (paths start with ``/api/v1/``)."""
        return self.url

    @property
    def identity_url(self):
        """Base URL of the identity server (token at ``{identity_url}/connect/token``)."""
        return self.url

    @property
    def token_url(self):
        return self.url + "/connect/token"

    @property
    def control_url(self):
        return self.url + "/_sim"

    # -- tunables delegated to components ------------------------------------------------------
    @property
    def token_lifetime(self):
        """Lifetime (seconds) of tokens issued from now on."""
        return self.auth.token_lifetime

    @token_lifetime.setter
    def token_lifetime(self, value):
        self.auth.token_lifetime = value

    @property
    def webhook_attempts(self):
        """Delivery attempts per event and hook (first try included)."""
        return self.dispatcher.attempts

    @webhook_attempts.setter
    def webhook_attempts(self, value):
        self.dispatcher.attempts = int(value)

    @property
    def webhook_backoff(self):
        """Seconds before the first webhook retry (doubles each retry)."""
        return self.dispatcher.backoff

    @webhook_backoff.setter
    def webhook_backoff(self, value):
        self.dispatcher.backoff = float(value)

    @property
    def webhook_timeout(self):
        return self.dispatcher.timeout

    @webhook_timeout.setter
    def webhook_timeout(self, value):
        self.dispatcher.timeout = float(value)

    # -- accounts and parties ------------------------------------------------------------------
    def _remember_names(self, names):
        with self.state.lock:
            for party_id, name in (names or {}).items():
                self.state.names[ids.require_key(party_id)] = name

    def add_client(self, client_id, secret, parties=None, names=None):
        """Register an API client. ``parties`` (``{party: {permission: bool}}`` or a list) are the
        parties a ``client_credentials`` token may act for; unspecified permissions are True."""
        self.auth.add_client(client_id, secret, parties)
        self._remember_names(names)

    def add_user(self, username, password, parties=None, names=None):
        """Register a PSB user with its parties (``{party: {permission: bool}}`` or a list of ids;
        unspecified permissions are True) and optional display names (``{party: name}``)."""
        self.auth.add_user(username, password, parties)
        self._remember_names(names)

    def add_demo_party(self, party_id, name=None):
        """Demo mode: a party that ``me/party`` shows from the start."""
        key = ids.require_key(party_id)
        with self.state.lock:
            if key not in self.demo_parties:
                self.demo_parties.append(key)
            if name:
                self.state.names[key] = name

    def add_participant(self, party_id, name="", channel="peppol", description=None, invoice_responses=True):
        """Register a receiver on the (simulated) Peppol network (``invoice_responses``: whether it also takes
        invoice responses, as ``GET /peppol/deliveryOption`` tells)."""
        key = ids.require_key(party_id)
        with self.state.lock:
            self.state.participants[key] = Participant(
                key, name or "", channel or "peppol", description, invoice_responses=bool(invoice_responses)
            )
            if name:
                self.state.names.setdefault(key, name)
        return key

    def remove_participant(self, party_id):
        with self.state.lock:
            self.state.participants.pop(ids.require_key(party_id), None)

    @property
    def participants(self):
        with self.state.lock:
            return {k: copy.copy(p) for k, p in self.state.participants.items()}

    def set_delivery_outcome(self, receiver_id, outcome, message=None, retries=1, then="sent", status=None):
        """Force what happens to documents sent to ``receiver_id``: ``"sent"``, ``"error"``
        (``InvoiceSentError`` with ``message``; the history says ``status``: ``"Failed"`` (default) or
        ``"Rejected"``), ``"retry"`` (``retries`` x ``InvoiceSentRetry``, then ``then``: ``"sent"`` or
        ``"error"``) or ``"invalid"`` (the PSB's Validate phase refuses it after the upload: ``Rejected`` and an
        ``InvoiceReceivedError`` to the sender, as eConnect's flow page gives for every submitted document).
        ``outcome=None`` removes the override."""
        key = ids.require_key(receiver_id)
        with self.state.lock:
            if outcome is None:
                self.state.delivery_outcomes.pop(key, None)
                return
            if outcome not in OUTCOMES or then not in ("sent", "error"):
                raise ValueError("outcome must be one of %s (then: sent/error)" % ", ".join(OUTCOMES))
            if status not in (None, STATUS_FAILED, STATUS_REJECTED):
                raise ValueError("status must be %s or %s" % (STATUS_FAILED, STATUS_REJECTED))
            self.state.delivery_outcomes[key] = (outcome, message, int(retries), then, status)

    @property
    def status_form(self):
        """How sent-status names are written: one of STATUS_FORMS (``"documented"``: ``Delivered``, ...)."""
        return self._status_form

    @status_form.setter
    def status_form(self, value):
        if value not in STATUS_FORMS:
            raise ValueError("status_form must be one of %s" % ", ".join(STATUS_FORMS))
        self._status_form = value

    def _status_name(self, name):
        """A documented status name as this simulator writes it (``status_form``)."""
        form = self._status_form
        if form == "lower":
            return name.lower()
        if form == "upper":
            return name.upper()
        if form == "topic":
            return _TOPIC_SHAPED.get(name, name)
        return name

    def refuse_config_changes(
        self, party_id, code="API400", message="The configuration change was refused.", status=None
    ):
        """Make ``PUT /peppol/config/party/{party}`` answer an eConnect error. ``status`` defaults to the
        number in ``code`` (``API403`` -> 403), else 400."""
        if status is None:
            digits = "".join(c for c in str(code) if c.isdigit())
            status = int(digits) if len(digits) == 3 and 400 <= int(digits) < 600 else 400
        with self.state.lock:
            self.state.config_refusals[ids.require_key(party_id)] = (int(status), code, message)

    def allow_config_changes(self, party_id):
        with self.state.lock:
            self.state.config_refusals.pop(ids.require_key(party_id), None)

    def set_peppol_config(self, party_id, capabilities=None, business_card=None):
        """Preset a party's Peppol configuration (as if written earlier), e.g. ``{"invoices": "off"}``."""
        key = ids.require_key(party_id)
        with self.state.lock:
            config = self.state.peppol_configs.setdefault(key, PeppolConfig(key, created_on=now_iso()))
            for name, value in (capabilities or {}).items():
                config.capabilities[name] = {"state": value} if isinstance(value, str) else dict(value)
            config.business_card.update(business_card or {})
            config.changed_on = now_iso()
            self.state.unregistered.discard(key)
            self._sync_registration(key)

    @property
    def inherited_format(self):
        """How reads show an inherited capability state: ``"inherited => {}"`` (default, as eConnect
        shows it: ``"inherited => on"``) or ``"inherited"``."""
        return self.state.inherited_format

    @inherited_format.setter
    def inherited_format(self, value):
        self.state.inherited_format = value

    def peppol_config(self, party_id):
        """The configuration as ``GET`` shows it."""
        with self.state.lock:
            return self.state.render_config(ids.require_key(party_id))

    @property
    def config_deletions(self):
        """Every ``DELETE /peppol/config/party/{party}`` received (the addon must never call it)."""
        with self.state.lock:
            return list(self.state.config_deletions)

    @property
    def config_writes(self):
        """Every accepted ``PUT /peppol/config/party/{party}`` (``{"partyId", "body", "time"}``)."""
        with self.state.lock:
            return list(self.state.config_writes)

    def _sync_registration(self, key):
        """Keep the participant registry in line with a party's ``invoices`` capability."""
        receiving = self.state.receiving_state(key) == "on" and key not in self.state.unregistered
        participant = self.state.participants.get(key)
        if participant is None and receiving:
            self.state.participants[key] = Participant(key, self.state.names.get(key, ""))
        elif participant is not None:
            participant.receiving = receiving

    def hosted(self, key):
        """True when ``key`` is one of this simulator's own parties (not just a Peppol participant)."""
        with self.state.lock:
            if key in self.state.peppol_configs or key in self.state.demo_seen or key in self.demo_parties:
                return True
            if any(h.party == key for h in self.state.hooks.values()):
                return True
        return any(key in account.parties for account in self.auth.accounts())

    # -- documents -----------------------------------------------------------------------------
    @property
    def sent_documents(self):
        """``{document id: SentDocument}`` snapshot (documents are live objects; read, don't change)."""
        with self.state.lock:
            return dict(self.state.sent)

    def sent_document(self, document_id):
        with self.state.lock:
            return self.state.sent.get(document_id)

    @property
    def received_documents(self):
        """``{document id: ReceivedDocument}``: injected invoices and invoice responses, deleted ones too."""
        with self.state.lock:
            return dict(self.state.received)

    @property
    def invoice_responses(self):
        """Answers our parties posted (``purchaseInvoice/{id}/response``), oldest first."""
        with self.state.lock:
            return list(self.state.responses.values())

    def register_sent(self, party_key, document_id, xml, filename, receiver_text, channel, info):
        """Store an accepted upload and schedule its delivery; ``None`` if the id is taken (409)."""
        receiver = ids.key(receiver_text)
        doc = SentDocument(
            document_id, party_key, receiver, receiver_text, xml, filename, channel, info, time=time.time()
        )
        doc.history.append(StatusEntry(self._status_name(STATUS_PENDING), "The document was received by the PSB."))
        with self.state.lock:
            if document_id in self.state.sent:
                return None
            self.state.sent[document_id] = doc
        self.scheduler.call_later(self.delivery_delay, self._deliver, document_id)
        return doc

    def _outcome(self, doc):
        st = self.state
        with st.lock:
            override = st.delivery_outcomes.get(doc.receiver)
            if override is not None:
                return (*override, None)[:5]  # (a state file may hold the older 4-tuples)
            label = ids.letter(doc.receiver) if doc.receiver else doc.receiver_text
            if doc.receiver is None:
                return "error", "The receiver id %r is not a valid party id." % doc.receiver_text, 0, "error", None
            participant = st.participants.get(doc.receiver)
            configured_off = doc.receiver in st.peppol_configs and st.receiving_state(doc.receiver) == "off"
            if participant is not None and participant.receiving and not configured_off:
                return "sent", None, 0, "sent", None
            if participant is not None or configured_off:
                return "error", "The receiver %s does not accept invoices." % label, 0, "error", STATUS_REJECTED
            if self.demo and ids.is_valid(doc.receiver):
                return "sent", None, 0, "sent", None
        return "error", "The receiver %s is not registered on the Peppol network." % label, 0, "error", None

    def _details(self, sender, recipient, document_type_id, attempt=1, **extra):
        details = {
            "sender": ids.letter(sender) if sender else None,
            "recipient": ids.letter(recipient) if recipient else None,
            "sourceDocumentTypeId": document_type_id,
            "targetDocumentTypeId": document_type_id,
            "attempt": attempt,
        }
        details.update(extra)
        return details

    def _deliver(self, document_id):
        with self.state.lock:
            doc = self.state.sent.get(document_id)
            if doc is None or doc.outcome is not None:
                return
            doc.attempts += 1
            attempt = doc.attempts
        outcome, message, retries, then, error_status = self._outcome(doc)
        if outcome == "retry":
            outcome = "retry" if attempt <= retries else then
        label = ids.letter(doc.receiver) if doc.receiver else doc.receiver_text
        details = self._details(
            doc.party, doc.receiver or doc.receiver_text, getattr(doc.info, "document_type_id", None), attempt
        )
        if outcome == "invalid":
            text = message or "The document failed the PSB's validation."
            status, topic = STATUS_REJECTED, TOPIC_RECEIVED_ERROR
            error_status = None
        elif outcome == "retry":
            text = message or "Temporary failure delivering to %s; the PSB will retry." % label
            status, topic = STATUS_ROUTED, TOPIC_SENT_RETRY
        elif outcome == "error":
            text = message or "The document could not be delivered to %s." % label
            status, topic = error_status or STATUS_FAILED, TOPIC_SENT_ERROR
        else:
            text = message or "Delivered to %s." % label
            status, topic = STATUS_DELIVERED, TOPIC_SENT
        with self.state.lock:
            if outcome != "invalid" and attempt == 1:
                doc.history.append(StatusEntry(self._status_name(STATUS_VALIDATED), "The document passed validation."))
            routed = outcome == "sent" or error_status == STATUS_REJECTED  # it reached the receiver's side
            if routed and (not doc.history or doc.history[-1].name != self._status_name(STATUS_ROUTED)):
                doc.history.append(StatusEntry(self._status_name(STATUS_ROUTED), "Routed to %s." % label))
            if outcome == "retry" and self._status_form == "topic":
                doc.history.append(StatusEntry(TOPIC_SENT_RETRY, text))
            else:
                doc.history.append(StatusEntry(self._status_name(status), text))
            if outcome != "retry":
                doc.outcome = outcome
        self._emit(Event(topic, doc.party, doc.id, text, details))
        self.changed()
        if outcome == "retry":
            delay = self.delivery_delay if self.retry_delay is None else self.retry_delay
            self.scheduler.call_later(delay, self._deliver, document_id)
        elif outcome == "sent" and self.loopback and doc.receiver and self.hosted(doc.receiver):
            with self.state.lock:
                same_id_free = doc.id not in self.state.received
            self.inject_incoming(
                doc.receiver, doc.xml, document_id=doc.id if same_id_free else None, sender_id=doc.party
            )
        elif outcome == "sent" and self.demo and self.demo_answers:
            self._schedule_demo_answer(doc)

    def _schedule_demo_answer(self, doc):
        """A demo customer answers a delivered invoice: the next of DEMO_ANSWERS (acknowledged, accepted,
        rejected with a reason, no answer), so that a newcomer sees customers' answers arrive."""
        with self.state.lock:
            answer = DEMO_ANSWERS[self._demo_answer_turn % len(DEMO_ANSWERS)]
            self._demo_answer_turn += 1
        if answer is None:
            return
        status, reasons, actions, note = answer
        self.scheduler.call_later(
            self.demo_answer_delay, self.inject_invoice_response, doc.party, doc.id, status, reasons, actions, note
        )

    def inject_incoming(self, party_id, xml_bytes, document_id=None, sender_id=None, message=""):
        """Put a document in ``party_id``'s inbox and fire ``InvoiceReceived``; returns its id.

        The XML is stored as given (not checked: tests inject broken documents on purpose); the
        sender defaults to the seller's ``cbc:EndpointID``.
        """
        key = ids.require_key(party_id)
        xml = xml_bytes.encode("utf-8") if isinstance(xml_bytes, str) else bytes(xml_bytes)
        info = ubl.inspect_lenient(xml)
        sender = ids.key(sender_id) if sender_id else (ids.key(info.seller_id) if info and info.seller_id else None)
        document_id = document_id or str(uuid.uuid4())
        doc_type = info.document_type_id if info else None
        with self.state.lock:
            if document_id in self.state.received:
                raise ValueError("Document id %r is already in use." % document_id)
            self.state.received[document_id] = ReceivedDocument(
                document_id, key, sender, xml, document_type_id=doc_type
            )
        self._emit(
            Event(
                TOPIC_RECEIVED,
                key,
                document_id,
                message or "A document was received.",
                self._details(sender, key, doc_type),
            )
        )
        return document_id

    def inject_invoice_response(
        self,
        party_id,
        sent_document_id,
        status,
        reasons=None,
        actions=None,
        note=None,
        document_id=None,
        sender_id=None,
        shape=None,
        details=None,
    ):
        """The receiver of ``sent_document_id`` answers it: a Peppol Invoice Response document lands in
        ``party_id``'s inbox and ``InvoiceResponseReceived`` fires, in the documented ``shape`` (default
        :attr:`response_event_shape`):

        * ``"new"``: ``documentId`` = the sent invoice, ``responseDocumentId`` = the response; download with
          ``GET /api/v1/{party}/salesInvoice/{documentId}/response/{responseDocumentId}/download``;
        * ``"old"``: ``documentId`` = the response, ``refToDocumentId`` = the sent invoice; download with
          ``GET /api/v1-beta/{party}/generic/{documentId}/download``.

        ``details`` (default :attr:`response_event_details`, else what the shape's docs show: the old shape
        carries the answer, ``{"note", "statusCode": "re", "status": "Reject", "reasons": {"ref": ..},
        "actions": {"nin": null}}`` with lower-case codes, the new one does not). Returns the response id.
        """
        key = ids.require_key(party_id)
        code = ubl.normalize_status(status)
        if code is None:
            raise ValueError("Unknown invoice response status %r." % (status,))
        shape = shape or self.response_event_shape
        if shape not in RESPONSE_EVENT_SHAPES:
            raise ValueError("Unknown event shape %r (use %s)." % (shape, " or ".join(RESPONSE_EVENT_SHAPES)))
        with_details = details if details is not None else self.response_event_details
        if with_details is None:
            with_details = shape == "old"
        reasons = ubl.code_pairs(reasons, ubl.normalize_reason, "reason")
        actions = ubl.code_pairs(actions, ubl.normalize_action, "action")
        with self.state.lock:
            sent = self.state.sent.get(sent_document_id)
        responder = ids.key(sender_id) if sender_id else (sent.receiver if sent else None)
        info = sent.info if sent else None
        response_id = document_id or str(uuid.uuid4())
        xml = ubl.application_response(
            response_id,
            code,
            getattr(info, "number", None) or sent_document_id,
            sender_id=responder or "0106:00000000",
            receiver_id=key,
            sender_name=getattr(info, "buyer_name", None),
            receiver_name=getattr(info, "seller_name", None),
            reasons=reasons,
            actions=actions,
            note=note,
            document_type_code="381" if getattr(info, "root", "") == "CreditNote" else "380",
        )
        text = "Invoice response %s (%s)." % (code, ubl.RESPONSE_STATUSES[code])
        with self.state.lock:
            if response_id in self.state.received:
                raise ValueError("Document id %r is already in use." % response_id)
            self.state.received[response_id] = ReceivedDocument(
                response_id,
                key,
                responder,
                xml,
                kind="response",
                source_document_id=sent_document_id,
                document_type_id=ubl.IMR_DOCUMENT_TYPE,
            )
            if sent is not None:
                sent.responses.append(response_id)
        event_details = self._details(responder, key, ubl.IMR_DOCUMENT_TYPE)
        if with_details:
            event_details.update(
                note=note or None,
                statusCode=code.lower(),
                status=contract.INVOICE_RESPONSE_STATUSES[code],
                reasons={c.lower(): t or None for c, t in reasons},
                actions={c.lower(): t or None for c, t in actions},
            )
        if shape == "new":
            event = Event(
                TOPIC_RESPONSE_RECEIVED, key, sent_document_id, text, event_details, response_document_id=response_id
            )
        else:
            event = Event(
                TOPIC_RESPONSE_RECEIVED, key, response_id, text, event_details, ref_to_document_id=sent_document_id
            )
        self._emit(event)
        return response_id

    # -- events --------------------------------------------------------------------------------
    def emit_event(
        self, party_id, topic, document_id=None, message="", details=None, response_document_id=None,
        ref_to_document_id=None,
    ):
        """Fire any event (error topics included) to the party's and the environment's matching hooks."""
        key = ids.require_key(party_id)
        merged = self._details(None, key, None)
        merged.update(details or {})
        event = Event(
            topic, key, document_id, message, merged, response_document_id=response_document_id,
            ref_to_document_id=ref_to_document_id,
        )
        self._emit(event)
        return event

    def _emit(self, event):
        with self._events_lock:
            self._events.append(event)
        with self.state.lock:
            hooks = [copy.copy(h) for h in self.state.hooks_for_event(event.party, event.topic)]
        with self._events_lock:
            for hook in hooks:
                self._pending[(event.id, hook.id)] = (event, hook)
        self.dispatcher.submit(event, hooks)
        self.changed()

    def ping(self, party_key):
        """Send a ``Ping`` event to the active hooks of a party (``None``: the environment's)."""
        with self.state.lock:
            hooks = [copy.copy(h) for h in self.state.hooks_for(party_key) if h.is_active]
        event = Event(PING_TOPIC, party_key, None, "Ping", self._details(None, party_key, None))
        with self._events_lock:
            self._events.append(event)
        self.dispatcher.submit(event, hooks, ping=True)
        return len(hooks)

    @property
    def events(self):
        """Every event fired (delivered to hooks or not), oldest first."""
        with self._events_lock:
            return list(self._events)

    @property
    def hooks(self):
        with self.state.lock:
            return [copy.copy(h) for h in self.state.hooks.values()]

    # -- webhooks ------------------------------------------------------------------------------
    @property
    def webhook_deliveries(self):
        """Every webhook delivery attempt (:class:`WebhookDelivery`), oldest first."""
        return self.dispatcher.deliveries

    def pause_webhooks(self):
        """Queue events instead of delivering them, until :meth:`resume_webhooks`."""
        self.dispatcher.pause()

    def resume_webhooks(self):
        self.dispatcher.resume()

    def wait_for_deliveries(self, count=None, timeout=5.0, topic=None):
        """Wait for webhook deliveries; returns the finished ones (delivered or given up).

        ``count=None``: until nothing is scheduled, queued or in flight (raises ``TimeoutError``
        while webhooks are paused with events queued). ``count=n``: until at least ``n`` finished
        deliveries (of ``topic`` when given) exist. Raises ``TimeoutError`` on timeout.
        """
        if count is None:

            def done():
                return self.scheduler.idle and not self.dispatcher.busy
        else:

            def done():
                return len(self.dispatcher.final_deliveries(topic)) >= count

        if not self.dispatcher.wait(done, timeout):
            finished = self.dispatcher.final_deliveries(topic)
            raise TimeoutError(
                "Webhook deliveries: %d finished%s after %.1f s (wanted %s; queued %d; paused %s)."
                % (
                    len(finished),
                    " for %s" % topic if topic else "",
                    timeout,
                    "all" if count is None else count,
                    self.dispatcher.queued,
                    self.dispatcher.paused,
                )
            )
        return self.dispatcher.final_deliveries(topic)

    def wait_idle(self, timeout=5.0):
        """Wait until no delivery result is scheduled and no webhook is queued or in flight."""
        return self.wait_for_deliveries(None, timeout)

    def clear_webhook_deliveries(self):
        self.dispatcher.clear()

    # -- request log ---------------------------------------------------------------------------
    @property
    def requests(self):
        """Snapshot of the request log (:class:`LoggedRequest`), oldest first."""
        return self.log.snapshot()

    def clear_log(self):
        self.log.clear()

    def requests_to(self, path_contains, method=None):
        """Logged requests whose path contains ``path_contains`` (and of ``method``)."""
        return [
            r for r in self.log.snapshot() if path_contains in r.path and (method is None or r.method == method.upper())
        ]
