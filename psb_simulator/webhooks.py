"""Signed webhook delivery, from background worker threads.

For every event, each active hook whose topics match gets one POST of the event JSON to the URL
before the ``#`` of its ``action``, with ``X-EConnect-Signature: sha256=<hex HMAC of the body with
the secret after the #>`` and ``Content-Type: application/json``.

* Environment hooks share one worker: one request at a time, as the contract says. Each party hook
  has its own worker, so events reach one hook in order, and slow hooks do not hold up others.
* A failed attempt (connection error, timeout, non-2xx) is retried ``attempts - 1`` times with
  exponential backoff; ``sentOn`` is renewed (and the body re-signed) on each attempt.
* Non-HTTP actions (``mailto:``, ``mailfrom:``) are recorded as skipped; nothing is sent.
* Every attempt is recorded in :attr:`WebhookDispatcher.deliveries`.
"""

import collections
import http.client
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from psb import webhook as psb_webhook

from . import ids
from .wire import now_iso

USER_AGENT = "eConnect-PSB-Simulator/1.0"
ENVIRONMENT_LANE = "environment"


@dataclass
class Event:
    topic: str
    party: str | None  # party key (None for an environment ping)
    document_id: str | None
    message: str = ""
    details: dict = field(default_factory=dict)
    response_document_id: str | None = None
    ref_to_document_id: str | None = None  # the old docs' InvoiceResponseReceived: the answered invoice
    created_on: str = field(default_factory=now_iso)
    id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def payload(self, hook_id, sent_on):
        data = {
            "topic": self.topic,
            "partyId": ids.letter(self.party) if self.party else None,
            "hookId": hook_id,
            "documentId": self.document_id,
            "message": self.message,
            "details": self.details,
            "createdOn": self.created_on,
            "sentOn": sent_on,
        }
        if self.response_document_id is not None:
            data["responseDocumentId"] = self.response_document_id
        if self.ref_to_document_id is not None:
            data["refToDocumentId"] = self.ref_to_document_id
        return data


@dataclass
class WebhookDelivery:
    """One delivery attempt of one event to one hook."""

    url: str
    topic: str
    body: bytes
    headers: dict
    hook_id: str
    party_id: str | None
    document_id: str | None
    event_id: str
    attempt: int
    time: float
    status: int | None = None  # HTTP status of the receiver's answer
    exception: str | None = None  # connection error / timeout text
    response_body: bytes = b""
    ok: bool = False
    final: bool = False  # last attempt for this event and hook (delivered or given up)
    skipped: bool = False  # non-HTTP action
    duration: float | None = None  # seconds from sending the request to the end of the receiver's answer

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    @property
    def signature(self):
        return self.headers.get(psb_webhook.SIGNATURE_HEADER)

    def as_dict(self, with_body=True):
        data = {
            "url": self.url,
            "topic": self.topic,
            "hookId": self.hook_id,
            "partyId": self.party_id,
            "documentId": self.document_id,
            "eventId": self.event_id,
            "attempt": self.attempt,
            "time": self.time,
            "status": self.status,
            "exception": self.exception,
            "ok": self.ok,
            "final": self.final,
            "skipped": self.skipped,
            "duration": self.duration,
            "headers": self.headers,
        }
        if with_body:
            data["body"] = self.body.decode("utf-8", "replace")
        return data


@dataclass
class _Job:
    event: Event
    hook: object  # state.Hook (a snapshot)
    ping: bool = False


class _Lane:
    """One worker thread with its FIFO of jobs."""

    def __init__(self, dispatcher, name):
        self.dispatcher = dispatcher
        self.jobs = collections.deque()
        self.thread = threading.Thread(target=self._run, name="psb-webhook-%s" % name, daemon=True)
        self.thread.start()

    def _run(self):
        d = self.dispatcher
        while True:
            with d.cond:
                while not d.stopped and (not self.jobs or d.paused):
                    d.cond.wait()
                if d.stopped:
                    return
                job = self.jobs.popleft()
                d.in_flight += 1
            try:
                d.deliver(job)
            finally:
                with d.cond:
                    d.in_flight -= 1
                    d.cond.notify_all()


class WebhookDispatcher:
    def __init__(self, attempts=4, backoff=0.1, timeout=5.0):
        self.attempts = attempts
        self.backoff = backoff
        self.timeout = timeout
        self.cond = threading.Condition()
        self.paused = False
        self.stopped = False
        self.in_flight = 0
        self._lanes = {}
        self._deliveries = []
        self._stop_event = threading.Event()
        #: called with (event id, hook id) once a delivery is over: delivered, skipped or given up
        #: (not when it was cut short by ``stop``: it is still due then)
        self.on_done = None

    # -- control -------------------------------------------------------------------------------
    def start(self):
        with self.cond:
            self.stopped = False
            self._stop_event.clear()

    def stop(self):
        with self.cond:
            self.stopped = True
            self._stop_event.set()
            for lane in self._lanes.values():
                lane.jobs.clear()
            lanes = list(self._lanes.values())
            self._lanes.clear()
            self.cond.notify_all()
        for lane in lanes:
            if lane.thread is not threading.current_thread():
                lane.thread.join(timeout=2)

    def pause(self):
        with self.cond:
            self.paused = True

    def resume(self):
        with self.cond:
            self.paused = False
            self.cond.notify_all()

    @property
    def queued(self):
        with self.cond:
            return sum(len(lane.jobs) for lane in self._lanes.values())

    @property
    def busy(self):
        with self.cond:
            return self.in_flight > 0 or any(lane.jobs for lane in self._lanes.values())

    @property
    def deliveries(self):
        with self.cond:
            return list(self._deliveries)

    def clear(self):
        with self.cond:
            self._deliveries.clear()

    # -- submit --------------------------------------------------------------------------------
    def submit(self, event, hooks, ping=False):
        """Queue ``event`` for each hook (snapshots taken by the caller under the state lock)."""
        with self.cond:
            if self.stopped:
                return 0
            for hook in hooks:
                lane_name = ENVIRONMENT_LANE if hook.party is None else "hook-%s" % hook.id
                lane = self._lanes.get(lane_name)
                if lane is None:
                    lane = self._lanes[lane_name] = _Lane(self, lane_name)
                lane.jobs.append(_Job(event, hook, ping))
            self.cond.notify_all()
        return len(hooks)

    # -- delivery ------------------------------------------------------------------------------
    def _record(self, delivery):
        with self.cond:
            self._deliveries.append(delivery)
            self.cond.notify_all()

    def deliver(self, job):
        hook, event = job.hook, job.event
        if not hook.is_http:
            body = json.dumps(event.payload(hook.id, now_iso())).encode("utf-8")
            self._done(event, hook)
            self._record(
                WebhookDelivery(
                    hook.url,
                    event.topic,
                    body,
                    {},
                    hook.id,
                    ids.letter(event.party) if event.party else None,
                    event.document_id,
                    event.id,
                    1,
                    time.time(),
                    exception="not an HTTP action: skipped",
                    final=True,
                    skipped=True,
                )
            )
            return
        attempts = max(1, int(self.attempts))
        for attempt in range(1, attempts + 1):
            body = json.dumps(event.payload(hook.id, now_iso())).encode("utf-8")
            headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
            if hook.secret:
                headers[psb_webhook.SIGNATURE_HEADER] = psb_webhook.sign_body(hook.secret, body)
            delivery = WebhookDelivery(
                hook.url,
                event.topic,
                body,
                headers,
                hook.id,
                ids.letter(event.party) if event.party else None,
                event.document_id,
                event.id,
                attempt,
                time.time(),
            )
            started = time.perf_counter()
            try:
                delivery.status, delivery.response_body = self._post(hook.url, body, headers)
                delivery.ok = 200 <= delivery.status < 300
            except (OSError, http.client.HTTPException) as exc:
                delivery.exception = "%s: %s" % (type(exc).__name__, exc)
            delivery.duration = time.perf_counter() - started
            delivery.final = delivery.ok or attempt == attempts or self.stopped
            if delivery.ok or attempt == attempts:
                self._done(event, hook)
            self._record(delivery)
            if delivery.final:
                return
            if self._stop_event.wait(self.backoff * (2 ** (attempt - 1))):
                return

    def _done(self, event, hook):
        if self.on_done is not None:
            self.on_done(event.id, hook.id)

    def _post(self, url, body, headers):
        parts = urlsplit(url)
        connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        connection = connection_class(parts.hostname, parts.port, timeout=self.timeout)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        try:
            connection.request("POST", target, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.read(65536)
        finally:
            connection.close()

    # -- waiting -------------------------------------------------------------------------------
    def wait(self, predicate, timeout):
        """Wait until ``predicate()`` (called under the lock) is true; False on timeout."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self.cond.wait(min(remaining, 0.05))
        return True

    def final_deliveries(self, topic=None):
        with self.cond:
            return [d for d in self._deliveries if d.final and (topic is None or d.topic == topic)]
