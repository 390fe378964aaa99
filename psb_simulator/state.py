"""In-memory state of the simulated PSB: participants, documents, hooks, Peppol configurations.

Everything is guarded by one re-entrant lock (``State.lock``); every operation under it is a few
dictionary updates, so contention stays negligible even with many parallel uploads.
"""

import re
import threading
import uuid
from dataclasses import dataclass, field

from . import ids
from .wire import now_iso

PERMISSIONS = (
    "canSendDocument",
    "canReceiveDocument",
    "canRemoveDocument",
    "canManageHook",
    "canChangeDocumentStatus",
)

# Peppol capabilities of a participant and the environment default each "inherited" resolves to.
DEFAULT_CAPABILITIES = {
    "invoices": (
        "on",
        "SI 1.2, SI 2.0, SI 2.0 CreditNote, BIS Billing V3, BIS Billing V3 CreditNote, BIS Billing V3 CII",
    ),
    "invoiceResponse": ("off", "PEPPOL IMR"),
    "orders": ("off", "SI Order 1.2, PEPPOL Order transaction 3.0"),
}
BUSINESS_CARD_PROPERTIES = {
    "names": "Business names.",
    "address": "Geographic information.",
    "emailAddress": "Technical contact",
}


def permissions(flags=None):
    """Full permission dict; flags not given default to True."""
    perms = dict.fromkeys(PERMISSIONS, True)
    for name, value in (flags or {}).items():
        perms[name] = bool(value)
    return perms


def normalize_parties(parties):
    """``{party: flags}`` / ``[party, ...]`` / ``None`` -> ``{key: permissions}`` (raises ValueError)."""
    if not parties:
        return {}
    if isinstance(parties, str):
        parties = [parties]
    if isinstance(parties, dict):
        return {ids.require_key(p): permissions(flags) for p, flags in parties.items()}
    return {ids.require_key(p): permissions() for p in parties}


@dataclass
class Participant:
    key: str
    name: str = ""
    channel: str = "peppol"
    description: str | None = None
    receiving: bool = True  # False when its Peppol config switched "invoices" off
    invoice_responses: bool = True  # whether it takes invoice responses (GET /peppol/deliveryOption)

    def as_dict(self):
        return {
            "id": ids.letter(self.key),
            "channel": self.channel,
            "description": self.description if self.description is not None else self.name,
        }


@dataclass
class StatusEntry:
    name: str
    description: str = ""
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    created_on: str = field(default_factory=now_iso)

    def as_dict(self):
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "createdOn": self.created_on,
        }


@dataclass
class SentDocument:
    id: str
    party: str  # key of the sending party
    receiver: str | None  # key of the receiver (None when unparseable)
    receiver_text: str  # the receiver id as given (receiverId or the buyer EndpointID)
    xml: bytes
    filename: str | None
    channel: str | None
    info: object  # ubl.UBLInfo
    created_on: str = field(default_factory=now_iso)
    time: float = 0.0
    history: list = field(default_factory=list)
    attempts: int = 0
    outcome: str | None = None  # "sent" / "error" / None while in flight
    responses: list = field(default_factory=list)  # ids of InvoiceResponseReceived documents

    @property
    def status(self):
        return self.history[-1].name if self.history else None

    def as_dict(self, with_xml=False):
        data = {
            "id": self.id,
            "partyId": ids.letter(self.party),
            "receiverId": ids.letter(self.receiver) if self.receiver else self.receiver_text,
            "filename": self.filename,
            "channel": self.channel,
            "documentTypeId": getattr(self.info, "document_type_id", None),
            "number": getattr(self.info, "number", None),
            "createdOn": self.created_on,
            "status": self.status,
            "history": [h.as_dict() for h in self.history],
            "responses": list(self.responses),
            "size": len(self.xml),
        }
        if with_xml:
            data["xml"] = self.xml.decode("utf-8", "replace")
        return data


@dataclass
class ReceivedDocument:
    """A document waiting in a party's inbox: an invoice, or an invoice response (``kind``)."""

    id: str
    party: str
    sender: str | None
    xml: bytes
    kind: str = "invoice"  # "invoice" / "response"
    source_document_id: str | None = None  # for responses: the sent invoice answered
    document_type_id: str | None = None
    created_on: str = field(default_factory=now_iso)
    downloads: int = 0
    deleted: bool = False
    responses: list = field(default_factory=list)  # InvoiceResponse posted by the party

    def as_dict(self, with_xml=False):
        data = {
            "id": self.id,
            "partyId": ids.letter(self.party),
            "senderId": ids.letter(self.sender) if self.sender else None,
            "kind": self.kind,
            "sourceDocumentId": self.source_document_id,
            "documentTypeId": self.document_type_id,
            "createdOn": self.created_on,
            "downloads": self.downloads,
            "deleted": self.deleted,
            "responses": [r.as_dict() for r in self.responses],
            "size": len(self.xml),
        }
        if with_xml:
            data["xml"] = self.xml.decode("utf-8", "replace")
        return data


@dataclass
class InvoiceResponse:
    """An answer a party posted to a received invoice (``purchaseInvoice/{id}/response``)."""

    id: str
    party: str
    document_id: str
    status: str  # UNCL4343 code
    reasons: dict
    actions: dict
    note: str | None
    xml: bytes
    body: dict  # the JSON as posted
    created_on: str = field(default_factory=now_iso)

    def as_dict(self):
        return {
            "id": self.id,
            "partyId": ids.letter(self.party),
            "documentId": self.document_id,
            "status": self.status,
            "reasons": self.reasons,
            "actions": self.actions,
            "note": self.note,
            "body": self.body,
            "createdOn": self.created_on,
        }


_TOPIC_RE_CACHE = {}


def topic_matches(pattern, topic):
    """``*`` wildcards (``*Sent``, ``Invoice*``, ``*``), case-insensitive, whole topic."""
    regex = _TOPIC_RE_CACHE.get(pattern)
    if regex is None:
        regex = re.compile("^%s$" % ".*".join(re.escape(part) for part in pattern.split("*")), re.IGNORECASE)
        _TOPIC_RE_CACHE[pattern] = regex
    return bool(regex.match((topic or "").strip()))


@dataclass
class Hook:
    id: str
    party: str | None  # None: environment hook
    action: str
    name: str = ""
    topics: list = field(default_factory=list)
    is_active: bool = True
    filter: object = None
    publish_topics: list = field(default_factory=list)
    init: dict | None = None
    created_on: str = field(default_factory=now_iso)
    changed_on: str | None = None

    @property
    def url(self):
        return self.action.split("#", 1)[0]

    @property
    def secret(self):
        return self.action.split("#", 1)[1] if "#" in self.action else ""

    @property
    def is_http(self):
        return self.url.lower().startswith(("http://", "https://"))

    def wants(self, topic):
        return self.is_active and any(topic_matches(p, topic) for p in self.topics)

    def as_dict(self):
        """The hook as eConnect answers it (the published Hook model)."""
        data = {
            "id": self.id,
            "name": self.name,
            "action": self.action,
            "topics": list(self.topics),
            "publishTopics": list(self.publish_topics),
            "filter": self.filter,
            "isActive": self.is_active,
            "createdOn": self.created_on,
        }
        if self.init is not None:
            data["init"] = dict(self.init)
        if self.changed_on is not None:
            data["changedOn"] = self.changed_on
        return data


@dataclass
class PeppolConfig:
    party: str
    capabilities: dict = field(default_factory=dict)  # key -> {"state": on/off/inherited, ...}
    business_card: dict = field(default_factory=dict)  # prop -> {"state", "value"}; "state" -> str
    created_on: str | None = None
    changed_on: str | None = None


class State:
    """All mutable simulator data. Hold ``lock`` while reading or changing it."""

    def __init__(self):
        self.lock = threading.RLock()
        self.names = {}  # party key -> display name
        self.participants = {}  # key -> Participant
        self.delivery_outcomes = {}  # receiver key -> (outcome, message, retries, then, error status)
        self.sent = {}  # document id -> SentDocument
        self.received = {}  # document id -> ReceivedDocument
        self.responses = {}  # response id -> InvoiceResponse (posted by our parties)
        self.hooks = {}  # (party key or None, hook id) -> Hook: ids are the client's, per scope
        self.peppol_configs = {}  # key -> PeppolConfig
        self.unregistered = set()  # keys whose config was DELETEd (GET -> 404 until a PUT)
        self.config_refusals = {}  # key -> (status, code, message)
        self.config_deletions = []  # [{"partyId", "time", "subject"}]
        self.config_writes = []  # [{"partyId", "body", "time"}]
        self.demo_seen = {}  # key -> None (ordered set) of parties used in demo mode
        #: how a read shows an inherited state: "{}" is the resolved default ("inherited => on", as
        #: eConnect shows it); set to "inherited" for the bare form
        self.inherited_format = "inherited => {}"

    # -- hooks ---------------------------------------------------------------------------------
    def hooks_for(self, party_key):
        """Hooks of a scope: a party's (key) or the environment's (None)."""
        return [h for h in self.hooks.values() if h.party == party_key]

    def hooks_for_event(self, party_key, topic):
        return [h for h in self.hooks.values() if (h.party is None or h.party == party_key) and h.wants(topic)]

    # -- names ---------------------------------------------------------------------------------
    def name_of(self, key):
        if key in self.names:
            return self.names[key]
        participant = self.participants.get(key)
        return participant.name if participant and participant.name else ids.letter(key)

    # -- Peppol configuration ------------------------------------------------------------------
    def render_config(self, key):
        config = self.peppol_configs.get(key) or PeppolConfig(key)
        capabilities = {}
        for name in list(DEFAULT_CAPABILITIES) + [k for k in config.capabilities if k not in DEFAULT_CAPABILITIES]:
            default, description = DEFAULT_CAPABILITIES.get(name, ("off", ""))
            stored = dict(config.capabilities.get(name) or {})
            state = stored.get("state") or "inherited"
            stored["state"] = self.inherited_format.format(default) if state == "inherited" else state
            stored.setdefault("description", description)
            capabilities[name] = stored
        card = {}
        name = self.name_of(key)
        for prop, description in BUSINESS_CARD_PROPERTIES.items():
            stored = dict(config.business_card.get(prop) or {})
            state = stored.get("state") or "inherited"
            stored["state"] = self.inherited_format.format("on") if state == "inherited" else state
            if "value" not in stored:
                stored["value"] = name if prop == "names" else ""
            stored.setdefault("description", description)
            card[prop] = stored
        for prop, stored in config.business_card.items():
            if prop not in card and prop != "state":
                card[prop] = stored
        card_state = config.business_card.get("state") or "inherited"
        card["state"] = self.inherited_format.format("on") if card_state == "inherited" else card_state
        return {
            "id": ids.letter(key),
            "capabilities": capabilities,
            "businessCard": card,
            "createdOn": config.created_on,
            "changedOn": config.changed_on,
        }

    def capability_on(self, key, name):
        """Whether a capability of a party's Peppol configuration is on (its own state or the default)."""
        config = self.peppol_configs.get(key)
        state = ((config.capabilities.get(name) or {}).get("state") if config else None) or "inherited"
        if state == "inherited":
            state = DEFAULT_CAPABILITIES.get(name, ("off", ""))[0]
        return state == "on"

    def receiving_state(self, key):
        """Effective ``invoices`` capability: ``"on"`` or ``"off"``."""
        config = self.peppol_configs.get(key)
        state = ((config.capabilities.get("invoices") or {}).get("state") if config else None) or "inherited"
        return DEFAULT_CAPABILITIES["invoices"][0] if state == "inherited" else state
